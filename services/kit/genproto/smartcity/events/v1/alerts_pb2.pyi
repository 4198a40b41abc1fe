from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class WarningPublished(_message.Message):
    __slots__ = ("warning_id", "msg_type", "severity", "headline", "unit_codes", "source")
    WARNING_ID_FIELD_NUMBER: _ClassVar[int]
    MSG_TYPE_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    HEADLINE_FIELD_NUMBER: _ClassVar[int]
    UNIT_CODES_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    warning_id: str
    msg_type: str
    severity: str
    headline: str
    unit_codes: _containers.RepeatedScalarFieldContainer[str]
    source: str
    def __init__(self, warning_id: _Optional[str] = ..., msg_type: _Optional[str] = ..., severity: _Optional[str] = ..., headline: _Optional[str] = ..., unit_codes: _Optional[_Iterable[str]] = ..., source: _Optional[str] = ...) -> None: ...

class WarningEnded(_message.Message):
    __slots__ = ("warning_id", "reason")
    WARNING_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    warning_id: str
    reason: str
    def __init__(self, warning_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class EmergencyCaseOpened(_message.Message):
    __slots__ = ("case_id", "kind", "latitude", "longitude", "unit_code")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    LATITUDE_FIELD_NUMBER: _ClassVar[int]
    LONGITUDE_FIELD_NUMBER: _ClassVar[int]
    UNIT_CODE_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    kind: str
    latitude: float
    longitude: float
    unit_code: str
    def __init__(self, case_id: _Optional[str] = ..., kind: _Optional[str] = ..., latitude: _Optional[float] = ..., longitude: _Optional[float] = ..., unit_code: _Optional[str] = ...) -> None: ...

class EmergencyCaseEscalated(_message.Message):
    __slots__ = ("case_id", "unacknowledged_seconds")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    UNACKNOWLEDGED_SECONDS_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    unacknowledged_seconds: int
    def __init__(self, case_id: _Optional[str] = ..., unacknowledged_seconds: _Optional[int] = ...) -> None: ...

class EmergencyCaseChanged(_message.Message):
    __slots__ = ("case_id", "status", "actor_id", "unit")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ACTOR_ID_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    status: str
    actor_id: str
    unit: str
    def __init__(self, case_id: _Optional[str] = ..., status: _Optional[str] = ..., actor_id: _Optional[str] = ..., unit: _Optional[str] = ...) -> None: ...
