"""A reading as the gateway handles it, and the unit each kind is sent in."""
from dataclasses import dataclass
from datetime import datetime

# Fixed by the contract (docs/sensors.md): the service rejects any other unit.
UNITS = {
    "pm25": "µg/m³", "pm10": "µg/m³", "o3": "µg/m³", "no2": "µg/m³", "so2": "µg/m³",
    "co": "µg/m³", "temperature": "°C", "humidity": "%", "noise": "dB(A)", "rainfall": "mm",
    "water_level": "m", "vehicle_count": "vehicles", "mean_speed": "km/h", "occupancy": "%",
    "congestion_level": "level", "incident": "event",
}


@dataclass(frozen=True)
class Reading:
    sensor_id: str
    kind: str
    value: float
    unit: str
    time: datetime      # timezone-aware
    label: str = ""     # vehicle class or incident type
