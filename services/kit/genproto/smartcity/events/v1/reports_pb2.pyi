from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class ReportFiled(_message.Message):
    __slots__ = ("report_id", "category", "unit_code", "reporter_id", "latitude", "longitude", "emergency")
    REPORT_ID_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    UNIT_CODE_FIELD_NUMBER: _ClassVar[int]
    REPORTER_ID_FIELD_NUMBER: _ClassVar[int]
    LATITUDE_FIELD_NUMBER: _ClassVar[int]
    LONGITUDE_FIELD_NUMBER: _ClassVar[int]
    EMERGENCY_FIELD_NUMBER: _ClassVar[int]
    report_id: str
    category: str
    unit_code: str
    reporter_id: str
    latitude: float
    longitude: float
    emergency: bool
    def __init__(self, report_id: _Optional[str] = ..., category: _Optional[str] = ..., unit_code: _Optional[str] = ..., reporter_id: _Optional[str] = ..., latitude: _Optional[float] = ..., longitude: _Optional[float] = ..., emergency: _Optional[bool] = ...) -> None: ...

class ReportStatusChanged(_message.Message):
    __slots__ = ("report_id", "status", "previous_status", "actor_id", "actor_role", "note", "reporter_id", "supporter_ids", "category", "unit_code", "agency")
    REPORT_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_STATUS_FIELD_NUMBER: _ClassVar[int]
    ACTOR_ID_FIELD_NUMBER: _ClassVar[int]
    ACTOR_ROLE_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    REPORTER_ID_FIELD_NUMBER: _ClassVar[int]
    SUPPORTER_IDS_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    UNIT_CODE_FIELD_NUMBER: _ClassVar[int]
    AGENCY_FIELD_NUMBER: _ClassVar[int]
    report_id: str
    status: str
    previous_status: str
    actor_id: str
    actor_role: str
    note: str
    reporter_id: str
    supporter_ids: _containers.RepeatedScalarFieldContainer[str]
    category: str
    unit_code: str
    agency: str
    def __init__(self, report_id: _Optional[str] = ..., status: _Optional[str] = ..., previous_status: _Optional[str] = ..., actor_id: _Optional[str] = ..., actor_role: _Optional[str] = ..., note: _Optional[str] = ..., reporter_id: _Optional[str] = ..., supporter_ids: _Optional[_Iterable[str]] = ..., category: _Optional[str] = ..., unit_code: _Optional[str] = ..., agency: _Optional[str] = ...) -> None: ...

class ReportOverdue(_message.Message):
    __slots__ = ("report_id", "deadline", "agency", "unit_code", "escalated_to", "assignee_id")
    REPORT_ID_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_FIELD_NUMBER: _ClassVar[int]
    AGENCY_FIELD_NUMBER: _ClassVar[int]
    UNIT_CODE_FIELD_NUMBER: _ClassVar[int]
    ESCALATED_TO_FIELD_NUMBER: _ClassVar[int]
    ASSIGNEE_ID_FIELD_NUMBER: _ClassVar[int]
    report_id: str
    deadline: str
    agency: str
    unit_code: str
    escalated_to: str
    assignee_id: str
    def __init__(self, report_id: _Optional[str] = ..., deadline: _Optional[str] = ..., agency: _Optional[str] = ..., unit_code: _Optional[str] = ..., escalated_to: _Optional[str] = ..., assignee_id: _Optional[str] = ...) -> None: ...

class ReportSupported(_message.Message):
    __slots__ = ("report_id", "supporter_id", "supporters")
    REPORT_ID_FIELD_NUMBER: _ClassVar[int]
    SUPPORTER_ID_FIELD_NUMBER: _ClassVar[int]
    SUPPORTERS_FIELD_NUMBER: _ClassVar[int]
    report_id: str
    supporter_id: str
    supporters: int
    def __init__(self, report_id: _Optional[str] = ..., supporter_id: _Optional[str] = ..., supporters: _Optional[int] = ...) -> None: ...

class ReportMerged(_message.Message):
    __slots__ = ("report_id", "into_report_id", "reporter_id")
    REPORT_ID_FIELD_NUMBER: _ClassVar[int]
    INTO_REPORT_ID_FIELD_NUMBER: _ClassVar[int]
    REPORTER_ID_FIELD_NUMBER: _ClassVar[int]
    report_id: str
    into_report_id: str
    reporter_id: str
    def __init__(self, report_id: _Optional[str] = ..., into_report_id: _Optional[str] = ..., reporter_id: _Optional[str] = ...) -> None: ...
