import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Family(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    FAMILY_UNSPECIFIED: _ClassVar[Family]
    ENVIRONMENTAL: _ClassVar[Family]
    CAMERA: _ClassVar[Family]
FAMILY_UNSPECIFIED: Family
ENVIRONMENTAL: Family
CAMERA: Family

class Sensor(_message.Message):
    __slots__ = ("id", "family", "kinds", "latitude", "longitude", "unit_code", "gateway_id", "calibration_offsets", "name", "stream_url", "online", "last_seen")
    class CalibrationOffsetsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    FAMILY_FIELD_NUMBER: _ClassVar[int]
    KINDS_FIELD_NUMBER: _ClassVar[int]
    LATITUDE_FIELD_NUMBER: _ClassVar[int]
    LONGITUDE_FIELD_NUMBER: _ClassVar[int]
    UNIT_CODE_FIELD_NUMBER: _ClassVar[int]
    GATEWAY_ID_FIELD_NUMBER: _ClassVar[int]
    CALIBRATION_OFFSETS_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    STREAM_URL_FIELD_NUMBER: _ClassVar[int]
    ONLINE_FIELD_NUMBER: _ClassVar[int]
    LAST_SEEN_FIELD_NUMBER: _ClassVar[int]
    id: str
    family: Family
    kinds: _containers.RepeatedScalarFieldContainer[str]
    latitude: float
    longitude: float
    unit_code: str
    gateway_id: str
    calibration_offsets: _containers.ScalarMap[str, float]
    name: str
    stream_url: str
    online: bool
    last_seen: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., family: _Optional[_Union[Family, str]] = ..., kinds: _Optional[_Iterable[str]] = ..., latitude: _Optional[float] = ..., longitude: _Optional[float] = ..., unit_code: _Optional[str] = ..., gateway_id: _Optional[str] = ..., calibration_offsets: _Optional[_Mapping[str, float]] = ..., name: _Optional[str] = ..., stream_url: _Optional[str] = ..., online: _Optional[bool] = ..., last_seen: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RegisterSensorRequest(_message.Message):
    __slots__ = ("id", "family", "kinds", "latitude", "longitude", "unit_code", "gateway_id", "calibration_offsets", "name", "stream_url")
    class CalibrationOffsetsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    FAMILY_FIELD_NUMBER: _ClassVar[int]
    KINDS_FIELD_NUMBER: _ClassVar[int]
    LATITUDE_FIELD_NUMBER: _ClassVar[int]
    LONGITUDE_FIELD_NUMBER: _ClassVar[int]
    UNIT_CODE_FIELD_NUMBER: _ClassVar[int]
    GATEWAY_ID_FIELD_NUMBER: _ClassVar[int]
    CALIBRATION_OFFSETS_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    STREAM_URL_FIELD_NUMBER: _ClassVar[int]
    id: str
    family: Family
    kinds: _containers.RepeatedScalarFieldContainer[str]
    latitude: float
    longitude: float
    unit_code: str
    gateway_id: str
    calibration_offsets: _containers.ScalarMap[str, float]
    name: str
    stream_url: str
    def __init__(self, id: _Optional[str] = ..., family: _Optional[_Union[Family, str]] = ..., kinds: _Optional[_Iterable[str]] = ..., latitude: _Optional[float] = ..., longitude: _Optional[float] = ..., unit_code: _Optional[str] = ..., gateway_id: _Optional[str] = ..., calibration_offsets: _Optional[_Mapping[str, float]] = ..., name: _Optional[str] = ..., stream_url: _Optional[str] = ...) -> None: ...

class UpdateSensorRequest(_message.Message):
    __slots__ = ("id", "update_mask", "kinds", "latitude", "longitude", "unit_code", "gateway_id", "calibration_offsets", "name", "stream_url")
    class CalibrationOffsetsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    KINDS_FIELD_NUMBER: _ClassVar[int]
    LATITUDE_FIELD_NUMBER: _ClassVar[int]
    LONGITUDE_FIELD_NUMBER: _ClassVar[int]
    UNIT_CODE_FIELD_NUMBER: _ClassVar[int]
    GATEWAY_ID_FIELD_NUMBER: _ClassVar[int]
    CALIBRATION_OFFSETS_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    STREAM_URL_FIELD_NUMBER: _ClassVar[int]
    id: str
    update_mask: _containers.RepeatedScalarFieldContainer[str]
    kinds: _containers.RepeatedScalarFieldContainer[str]
    latitude: float
    longitude: float
    unit_code: str
    gateway_id: str
    calibration_offsets: _containers.ScalarMap[str, float]
    name: str
    stream_url: str
    def __init__(self, id: _Optional[str] = ..., update_mask: _Optional[_Iterable[str]] = ..., kinds: _Optional[_Iterable[str]] = ..., latitude: _Optional[float] = ..., longitude: _Optional[float] = ..., unit_code: _Optional[str] = ..., gateway_id: _Optional[str] = ..., calibration_offsets: _Optional[_Mapping[str, float]] = ..., name: _Optional[str] = ..., stream_url: _Optional[str] = ...) -> None: ...

class GetSensorRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class ListSensorsRequest(_message.Message):
    __slots__ = ("unit_code", "gateway_id", "family")
    UNIT_CODE_FIELD_NUMBER: _ClassVar[int]
    GATEWAY_ID_FIELD_NUMBER: _ClassVar[int]
    FAMILY_FIELD_NUMBER: _ClassVar[int]
    unit_code: str
    gateway_id: str
    family: Family
    def __init__(self, unit_code: _Optional[str] = ..., gateway_id: _Optional[str] = ..., family: _Optional[_Union[Family, str]] = ...) -> None: ...

class ListSensorsResponse(_message.Message):
    __slots__ = ("sensors",)
    SENSORS_FIELD_NUMBER: _ClassVar[int]
    sensors: _containers.RepeatedCompositeFieldContainer[Sensor]
    def __init__(self, sensors: _Optional[_Iterable[_Union[Sensor, _Mapping]]] = ...) -> None: ...

class Reading(_message.Message):
    __slots__ = ("seq", "sensor_id", "kind", "value", "unit", "time", "label")
    SEQ_FIELD_NUMBER: _ClassVar[int]
    SENSOR_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    seq: int
    sensor_id: str
    kind: str
    value: float
    unit: str
    time: _timestamp_pb2.Timestamp
    label: str
    def __init__(self, seq: _Optional[int] = ..., sensor_id: _Optional[str] = ..., kind: _Optional[str] = ..., value: _Optional[float] = ..., unit: _Optional[str] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., label: _Optional[str] = ...) -> None: ...

class ReadingBatch(_message.Message):
    __slots__ = ("readings",)
    READINGS_FIELD_NUMBER: _ClassVar[int]
    readings: _containers.RepeatedCompositeFieldContainer[Reading]
    def __init__(self, readings: _Optional[_Iterable[_Union[Reading, _Mapping]]] = ...) -> None: ...

class IngestAck(_message.Message):
    __slots__ = ("gateway_id", "acked_seq", "accepted", "rejected")
    class RejectedEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    GATEWAY_ID_FIELD_NUMBER: _ClassVar[int]
    ACKED_SEQ_FIELD_NUMBER: _ClassVar[int]
    ACCEPTED_FIELD_NUMBER: _ClassVar[int]
    REJECTED_FIELD_NUMBER: _ClassVar[int]
    gateway_id: str
    acked_seq: int
    accepted: int
    rejected: _containers.ScalarMap[str, int]
    def __init__(self, gateway_id: _Optional[str] = ..., acked_seq: _Optional[int] = ..., accepted: _Optional[int] = ..., rejected: _Optional[_Mapping[str, int]] = ...) -> None: ...

class GetIngestPositionRequest(_message.Message):
    __slots__ = ("gateway_id",)
    GATEWAY_ID_FIELD_NUMBER: _ClassVar[int]
    gateway_id: str
    def __init__(self, gateway_id: _Optional[str] = ...) -> None: ...

class GetLatestRequest(_message.Message):
    __slots__ = ("sensor_ids", "kind")
    SENSOR_IDS_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    sensor_ids: _containers.RepeatedScalarFieldContainer[str]
    kind: str
    def __init__(self, sensor_ids: _Optional[_Iterable[str]] = ..., kind: _Optional[str] = ...) -> None: ...

class LatestValue(_message.Message):
    __slots__ = ("sensor_id", "kind", "value", "time", "label")
    SENSOR_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    sensor_id: str
    kind: str
    value: float
    time: _timestamp_pb2.Timestamp
    label: str
    def __init__(self, sensor_id: _Optional[str] = ..., kind: _Optional[str] = ..., value: _Optional[float] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., label: _Optional[str] = ...) -> None: ...

class GetLatestResponse(_message.Message):
    __slots__ = ("values",)
    VALUES_FIELD_NUMBER: _ClassVar[int]
    values: _containers.RepeatedCompositeFieldContainer[LatestValue]
    def __init__(self, values: _Optional[_Iterable[_Union[LatestValue, _Mapping]]] = ...) -> None: ...

class GetRangeRequest(_message.Message):
    __slots__ = ("sensor_id", "kind", "start", "end", "interval_seconds")
    SENSOR_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    INTERVAL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    sensor_id: str
    kind: str
    start: _timestamp_pb2.Timestamp
    end: _timestamp_pb2.Timestamp
    interval_seconds: int
    def __init__(self, sensor_id: _Optional[str] = ..., kind: _Optional[str] = ..., start: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., interval_seconds: _Optional[int] = ...) -> None: ...

class RangePoint(_message.Message):
    __slots__ = ("time", "mean", "min", "max", "count")
    TIME_FIELD_NUMBER: _ClassVar[int]
    MEAN_FIELD_NUMBER: _ClassVar[int]
    MIN_FIELD_NUMBER: _ClassVar[int]
    MAX_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    time: _timestamp_pb2.Timestamp
    mean: float
    min: float
    max: float
    count: int
    def __init__(self, time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., mean: _Optional[float] = ..., min: _Optional[float] = ..., max: _Optional[float] = ..., count: _Optional[int] = ...) -> None: ...

class GetRangeResponse(_message.Message):
    __slots__ = ("points",)
    POINTS_FIELD_NUMBER: _ClassVar[int]
    points: _containers.RepeatedCompositeFieldContainer[RangePoint]
    def __init__(self, points: _Optional[_Iterable[_Union[RangePoint, _Mapping]]] = ...) -> None: ...

class GetAreaAggregatesRequest(_message.Message):
    __slots__ = ("kind", "unit_code", "start", "end")
    KIND_FIELD_NUMBER: _ClassVar[int]
    UNIT_CODE_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    kind: str
    unit_code: str
    start: _timestamp_pb2.Timestamp
    end: _timestamp_pb2.Timestamp
    def __init__(self, kind: _Optional[str] = ..., unit_code: _Optional[str] = ..., start: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class AreaAggregate(_message.Message):
    __slots__ = ("unit_code", "mean", "min", "max", "count", "sensors")
    UNIT_CODE_FIELD_NUMBER: _ClassVar[int]
    MEAN_FIELD_NUMBER: _ClassVar[int]
    MIN_FIELD_NUMBER: _ClassVar[int]
    MAX_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    SENSORS_FIELD_NUMBER: _ClassVar[int]
    unit_code: str
    mean: float
    min: float
    max: float
    count: int
    sensors: int
    def __init__(self, unit_code: _Optional[str] = ..., mean: _Optional[float] = ..., min: _Optional[float] = ..., max: _Optional[float] = ..., count: _Optional[int] = ..., sensors: _Optional[int] = ...) -> None: ...

class GetAreaAggregatesResponse(_message.Message):
    __slots__ = ("areas",)
    AREAS_FIELD_NUMBER: _ClassVar[int]
    areas: _containers.RepeatedCompositeFieldContainer[AreaAggregate]
    def __init__(self, areas: _Optional[_Iterable[_Union[AreaAggregate, _Mapping]]] = ...) -> None: ...

class GetAirQualityRequest(_message.Message):
    __slots__ = ("station_id",)
    STATION_ID_FIELD_NUMBER: _ClassVar[int]
    station_id: str
    def __init__(self, station_id: _Optional[str] = ...) -> None: ...

class AirQuality(_message.Message):
    __slots__ = ("station_id", "hourly_aqi", "hourly_band", "hourly_dominant", "daily_aqi", "daily_band", "computed_at", "pollutant_aqi")
    class PollutantAqiEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    STATION_ID_FIELD_NUMBER: _ClassVar[int]
    HOURLY_AQI_FIELD_NUMBER: _ClassVar[int]
    HOURLY_BAND_FIELD_NUMBER: _ClassVar[int]
    HOURLY_DOMINANT_FIELD_NUMBER: _ClassVar[int]
    DAILY_AQI_FIELD_NUMBER: _ClassVar[int]
    DAILY_BAND_FIELD_NUMBER: _ClassVar[int]
    COMPUTED_AT_FIELD_NUMBER: _ClassVar[int]
    POLLUTANT_AQI_FIELD_NUMBER: _ClassVar[int]
    station_id: str
    hourly_aqi: int
    hourly_band: str
    hourly_dominant: str
    daily_aqi: int
    daily_band: str
    computed_at: _timestamp_pb2.Timestamp
    pollutant_aqi: _containers.ScalarMap[str, int]
    def __init__(self, station_id: _Optional[str] = ..., hourly_aqi: _Optional[int] = ..., hourly_band: _Optional[str] = ..., hourly_dominant: _Optional[str] = ..., daily_aqi: _Optional[int] = ..., daily_band: _Optional[str] = ..., computed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., pollutant_aqi: _Optional[_Mapping[str, int]] = ...) -> None: ...

class WatchRequest(_message.Message):
    __slots__ = ("sensor_ids", "unit_code", "kinds")
    SENSOR_IDS_FIELD_NUMBER: _ClassVar[int]
    UNIT_CODE_FIELD_NUMBER: _ClassVar[int]
    KINDS_FIELD_NUMBER: _ClassVar[int]
    sensor_ids: _containers.RepeatedScalarFieldContainer[str]
    unit_code: str
    kinds: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, sensor_ids: _Optional[_Iterable[str]] = ..., unit_code: _Optional[str] = ..., kinds: _Optional[_Iterable[str]] = ...) -> None: ...
