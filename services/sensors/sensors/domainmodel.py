"""The sensor registry and what the rules decided about each sensor.

A sensor's history holds its registration and changes, and every transition
the rules declared (band changes, breaches, incidents, going offline): those
are the events other services hear about. Readings themselves are not
events; they go to the time-series store.
"""
import uuid

from eventsourcing.domain import Aggregate, event

SENSOR_NAMESPACE = uuid.UUID("8b1d8c52-4f0e-4f39-a7b5-2d0c6a9e3f11")
CHANGEABLE = ("kinds", "latitude", "longitude", "unit_code", "gateway_id",
              "calibration_offsets", "name", "stream_url")


def sensor_uuid(sensor_id: str) -> uuid.UUID:
    return uuid.uuid5(SENSOR_NAMESPACE, sensor_id)


class Sensor(Aggregate):
    @staticmethod
    def create_id(sensor_id: str) -> uuid.UUID:
        return sensor_uuid(sensor_id)

    @event("Registered")
    def __init__(self, sensor_id: str, family: str, kinds: list, latitude: float,
                 longitude: float, unit_code: str, gateway_id: str, calibration_offsets: dict,
                 name: str, stream_url: str, registered_by: str):
        self.sensor_id = sensor_id
        self.family = family
        self.kinds = kinds
        self.latitude = latitude
        self.longitude = longitude
        self.unit_code = unit_code
        self.gateway_id = gateway_id
        self.calibration_offsets = calibration_offsets
        self.name = name
        self.stream_url = stream_url
        self.online = False
        self.last_seen = 0.0

    def change(self, changes: dict, changed_by: str):
        changes = {k: v for k, v in changes.items() if getattr(self, k) != v}
        if changes:
            self._changed(changes=changes, changed_by=changed_by)

    @event("Changed")
    def _changed(self, changes: dict, changed_by: str):
        for name, value in changes.items():
            setattr(self, name, value)

    # Transitions declared by the rules -------------------------------------------
    @event("CameOnline")
    def came_online(self, at: float):
        self.online = True
        self.last_seen = at

    @event("WentOffline")
    def went_offline(self, silent_seconds: int, last_seen: float):
        self.online = False
        self.last_seen = last_seen

    @event("AirQualityBandChanged")
    def air_quality_band_changed(self, period: str, aqi: int, band: str, previous_band: str,
                                 dominant: str):
        pass

    @event("ThresholdBreached")
    def threshold_breached(self, rule: str, kind: str, level: str, severity: int, value: float,
                           threshold: float):
        pass

    @event("ThresholdCleared")
    def threshold_cleared(self, rule: str, kind: str, value: float):
        pass

    @event("IncidentDetected")
    def incident_detected(self, incident: str, at: float):
        pass

    @event("CongestionSustained")
    def congestion_sustained(self, level: int, for_seconds: int):
        pass

    @event("CongestionCleared")
    def congestion_cleared(self):
        pass
