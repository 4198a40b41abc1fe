from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SensorLocation(_message.Message):
    __slots__ = ("sensor_id", "latitude", "longitude", "unit_code")
    SENSOR_ID_FIELD_NUMBER: _ClassVar[int]
    LATITUDE_FIELD_NUMBER: _ClassVar[int]
    LONGITUDE_FIELD_NUMBER: _ClassVar[int]
    UNIT_CODE_FIELD_NUMBER: _ClassVar[int]
    sensor_id: str
    latitude: float
    longitude: float
    unit_code: str
    def __init__(self, sensor_id: _Optional[str] = ..., latitude: _Optional[float] = ..., longitude: _Optional[float] = ..., unit_code: _Optional[str] = ...) -> None: ...

class AirQualityBandChanged(_message.Message):
    __slots__ = ("station", "period", "aqi", "band", "previous_band", "dominant_pollutant")
    STATION_FIELD_NUMBER: _ClassVar[int]
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    AQI_FIELD_NUMBER: _ClassVar[int]
    BAND_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_BAND_FIELD_NUMBER: _ClassVar[int]
    DOMINANT_POLLUTANT_FIELD_NUMBER: _ClassVar[int]
    station: SensorLocation
    period: str
    aqi: int
    band: str
    previous_band: str
    dominant_pollutant: str
    def __init__(self, station: _Optional[_Union[SensorLocation, _Mapping]] = ..., period: _Optional[str] = ..., aqi: _Optional[int] = ..., band: _Optional[str] = ..., previous_band: _Optional[str] = ..., dominant_pollutant: _Optional[str] = ...) -> None: ...

class ThresholdBreached(_message.Message):
    __slots__ = ("sensor", "kind", "rule", "level", "severity", "value", "threshold")
    SENSOR_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    RULE_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    sensor: SensorLocation
    kind: str
    rule: str
    level: str
    severity: int
    value: float
    threshold: float
    def __init__(self, sensor: _Optional[_Union[SensorLocation, _Mapping]] = ..., kind: _Optional[str] = ..., rule: _Optional[str] = ..., level: _Optional[str] = ..., severity: _Optional[int] = ..., value: _Optional[float] = ..., threshold: _Optional[float] = ...) -> None: ...

class ThresholdCleared(_message.Message):
    __slots__ = ("sensor", "kind", "rule", "value")
    SENSOR_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    RULE_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    sensor: SensorLocation
    kind: str
    rule: str
    value: float
    def __init__(self, sensor: _Optional[_Union[SensorLocation, _Mapping]] = ..., kind: _Optional[str] = ..., rule: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...

class SensorWentOffline(_message.Message):
    __slots__ = ("sensor", "silent_seconds")
    SENSOR_FIELD_NUMBER: _ClassVar[int]
    SILENT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    sensor: SensorLocation
    silent_seconds: int
    def __init__(self, sensor: _Optional[_Union[SensorLocation, _Mapping]] = ..., silent_seconds: _Optional[int] = ...) -> None: ...

class SensorCameBackOnline(_message.Message):
    __slots__ = ("sensor",)
    SENSOR_FIELD_NUMBER: _ClassVar[int]
    sensor: SensorLocation
    def __init__(self, sensor: _Optional[_Union[SensorLocation, _Mapping]] = ...) -> None: ...

class CameraIncidentDetected(_message.Message):
    __slots__ = ("camera", "incident", "stream_url")
    CAMERA_FIELD_NUMBER: _ClassVar[int]
    INCIDENT_FIELD_NUMBER: _ClassVar[int]
    STREAM_URL_FIELD_NUMBER: _ClassVar[int]
    camera: SensorLocation
    incident: str
    stream_url: str
    def __init__(self, camera: _Optional[_Union[SensorLocation, _Mapping]] = ..., incident: _Optional[str] = ..., stream_url: _Optional[str] = ...) -> None: ...

class CongestionSustained(_message.Message):
    __slots__ = ("camera", "congestion_level", "for_seconds", "stream_url")
    CAMERA_FIELD_NUMBER: _ClassVar[int]
    CONGESTION_LEVEL_FIELD_NUMBER: _ClassVar[int]
    FOR_SECONDS_FIELD_NUMBER: _ClassVar[int]
    STREAM_URL_FIELD_NUMBER: _ClassVar[int]
    camera: SensorLocation
    congestion_level: int
    for_seconds: int
    stream_url: str
    def __init__(self, camera: _Optional[_Union[SensorLocation, _Mapping]] = ..., congestion_level: _Optional[int] = ..., for_seconds: _Optional[int] = ..., stream_url: _Optional[str] = ...) -> None: ...

class CongestionCleared(_message.Message):
    __slots__ = ("camera",)
    CAMERA_FIELD_NUMBER: _ClassVar[int]
    camera: SensorLocation
    def __init__(self, camera: _Optional[_Union[SensorLocation, _Mapping]] = ...) -> None: ...
