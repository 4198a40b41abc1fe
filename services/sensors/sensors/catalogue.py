"""What sensors measure: each kind's family, unit and plausible range.

A reading outside its kind's range is rejected as out-of-range rather than
stored: physically impossible values are faults, not weather.
"""
from dataclasses import dataclass

ENVIRONMENTAL = "environmental"
CAMERA = "camera"


@dataclass(frozen=True)
class Kind:
    name: str
    family: str
    unit: str
    minimum: float
    maximum: float
    labels: tuple[str, ...] = ()   # allowed labels; empty: no label


KINDS = {k.name: k for k in (
    Kind("pm25", ENVIRONMENTAL, "µg/m³", 0, 1000),
    Kind("pm10", ENVIRONMENTAL, "µg/m³", 0, 2000),
    Kind("o3", ENVIRONMENTAL, "µg/m³", 0, 2000),
    Kind("no2", ENVIRONMENTAL, "µg/m³", 0, 4000),
    Kind("so2", ENVIRONMENTAL, "µg/m³", 0, 3000),
    Kind("co", ENVIRONMENTAL, "µg/m³", 0, 200000),
    Kind("temperature", ENVIRONMENTAL, "°C", -10, 60),
    Kind("humidity", ENVIRONMENTAL, "%", 0, 100),
    Kind("noise", ENVIRONMENTAL, "dB(A)", 0, 160),
    Kind("rainfall", ENVIRONMENTAL, "mm", 0, 500),
    Kind("water_level", ENVIRONMENTAL, "m", -10, 100),
    Kind("vehicle_count", CAMERA, "vehicles", 0, 10000, ("car", "motorbike", "truck", "bus")),
    Kind("mean_speed", CAMERA, "km/h", 0, 200),
    Kind("occupancy", CAMERA, "%", 0, 100),
    Kind("congestion_level", CAMERA, "level", 0, 4),
    Kind("incident", CAMERA, "event", 0, 1, ("accident", "flooding", "stopped_vehicle")),
)}

FAMILIES = (ENVIRONMENTAL, CAMERA)
