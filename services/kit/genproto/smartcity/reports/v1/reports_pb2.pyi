import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Status(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    STATUS_UNSPECIFIED: _ClassVar[Status]
    SUBMITTED: _ClassVar[Status]
    ACCEPTED: _ClassVar[Status]
    REJECTED: _ClassVar[Status]
    ASSIGNED: _ClassVar[Status]
    IN_PROGRESS: _ClassVar[Status]
    RESOLVED: _ClassVar[Status]
    CLOSED: _ClassVar[Status]
    MERGED: _ClassVar[Status]
STATUS_UNSPECIFIED: Status
SUBMITTED: Status
ACCEPTED: Status
REJECTED: Status
ASSIGNED: Status
IN_PROGRESS: Status
RESOLVED: Status
CLOSED: Status
MERGED: Status

class Question(_message.Message):
    __slots__ = ("code", "label_vi", "label_en", "type", "required", "choices")
    CODE_FIELD_NUMBER: _ClassVar[int]
    LABEL_VI_FIELD_NUMBER: _ClassVar[int]
    LABEL_EN_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    REQUIRED_FIELD_NUMBER: _ClassVar[int]
    CHOICES_FIELD_NUMBER: _ClassVar[int]
    code: str
    label_vi: str
    label_en: str
    type: str
    required: bool
    choices: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, code: _Optional[str] = ..., label_vi: _Optional[str] = ..., label_en: _Optional[str] = ..., type: _Optional[str] = ..., required: _Optional[bool] = ..., choices: _Optional[_Iterable[str]] = ...) -> None: ...

class Category(_message.Message):
    __slots__ = ("code", "name_vi", "name_en", "group", "questions", "agency", "deadline_hours", "deadline_working_days", "emergency", "active")
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_VI_FIELD_NUMBER: _ClassVar[int]
    NAME_EN_FIELD_NUMBER: _ClassVar[int]
    GROUP_FIELD_NUMBER: _ClassVar[int]
    QUESTIONS_FIELD_NUMBER: _ClassVar[int]
    AGENCY_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_HOURS_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_WORKING_DAYS_FIELD_NUMBER: _ClassVar[int]
    EMERGENCY_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    code: str
    name_vi: str
    name_en: str
    group: str
    questions: _containers.RepeatedCompositeFieldContainer[Question]
    agency: str
    deadline_hours: int
    deadline_working_days: int
    emergency: bool
    active: bool
    def __init__(self, code: _Optional[str] = ..., name_vi: _Optional[str] = ..., name_en: _Optional[str] = ..., group: _Optional[str] = ..., questions: _Optional[_Iterable[_Union[Question, _Mapping]]] = ..., agency: _Optional[str] = ..., deadline_hours: _Optional[int] = ..., deadline_working_days: _Optional[int] = ..., emergency: _Optional[bool] = ..., active: _Optional[bool] = ...) -> None: ...

class DefineCategoryRequest(_message.Message):
    __slots__ = ("category",)
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    category: Category
    def __init__(self, category: _Optional[_Union[Category, _Mapping]] = ...) -> None: ...

class ListCategoriesRequest(_message.Message):
    __slots__ = ("include_inactive",)
    INCLUDE_INACTIVE_FIELD_NUMBER: _ClassVar[int]
    include_inactive: bool
    def __init__(self, include_inactive: _Optional[bool] = ...) -> None: ...

class ListCategoriesResponse(_message.Message):
    __slots__ = ("categories",)
    CATEGORIES_FIELD_NUMBER: _ClassVar[int]
    categories: _containers.RepeatedCompositeFieldContainer[Category]
    def __init__(self, categories: _Optional[_Iterable[_Union[Category, _Mapping]]] = ...) -> None: ...

class MediaChunk(_message.Message):
    __slots__ = ("data", "filename")
    DATA_FIELD_NUMBER: _ClassVar[int]
    FILENAME_FIELD_NUMBER: _ClassVar[int]
    data: bytes
    filename: str
    def __init__(self, data: _Optional[bytes] = ..., filename: _Optional[str] = ...) -> None: ...

class Media(_message.Message):
    __slots__ = ("sha256", "content_type", "size", "location_stripped")
    SHA256_FIELD_NUMBER: _ClassVar[int]
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    LOCATION_STRIPPED_FIELD_NUMBER: _ClassVar[int]
    sha256: str
    content_type: str
    size: int
    location_stripped: bool
    def __init__(self, sha256: _Optional[str] = ..., content_type: _Optional[str] = ..., size: _Optional[int] = ..., location_stripped: _Optional[bool] = ...) -> None: ...

class GeoPoint(_message.Message):
    __slots__ = ("latitude", "longitude")
    LATITUDE_FIELD_NUMBER: _ClassVar[int]
    LONGITUDE_FIELD_NUMBER: _ClassVar[int]
    latitude: float
    longitude: float
    def __init__(self, latitude: _Optional[float] = ..., longitude: _Optional[float] = ...) -> None: ...

class Answer(_message.Message):
    __slots__ = ("question", "value")
    QUESTION_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    question: str
    value: str
    def __init__(self, question: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...

class FindNearbyRequest(_message.Message):
    __slots__ = ("category", "location")
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    category: str
    location: GeoPoint
    def __init__(self, category: _Optional[str] = ..., location: _Optional[_Union[GeoPoint, _Mapping]] = ...) -> None: ...

class FileReportRequest(_message.Message):
    __slots__ = ("category", "description", "location", "address", "answers", "media", "anonymous")
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    ANSWERS_FIELD_NUMBER: _ClassVar[int]
    MEDIA_FIELD_NUMBER: _ClassVar[int]
    ANONYMOUS_FIELD_NUMBER: _ClassVar[int]
    category: str
    description: str
    location: GeoPoint
    address: str
    answers: _containers.RepeatedCompositeFieldContainer[Answer]
    media: _containers.RepeatedScalarFieldContainer[str]
    anonymous: bool
    def __init__(self, category: _Optional[str] = ..., description: _Optional[str] = ..., location: _Optional[_Union[GeoPoint, _Mapping]] = ..., address: _Optional[str] = ..., answers: _Optional[_Iterable[_Union[Answer, _Mapping]]] = ..., media: _Optional[_Iterable[str]] = ..., anonymous: _Optional[bool] = ...) -> None: ...

class ReportRef(_message.Message):
    __slots__ = ("report_id",)
    REPORT_ID_FIELD_NUMBER: _ClassVar[int]
    report_id: str
    def __init__(self, report_id: _Optional[str] = ...) -> None: ...

class ReasonRequest(_message.Message):
    __slots__ = ("report_id", "reason")
    REPORT_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    report_id: str
    reason: str
    def __init__(self, report_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class AcceptReportRequest(_message.Message):
    __slots__ = ("report_id", "agency", "unit_code")
    REPORT_ID_FIELD_NUMBER: _ClassVar[int]
    AGENCY_FIELD_NUMBER: _ClassVar[int]
    UNIT_CODE_FIELD_NUMBER: _ClassVar[int]
    report_id: str
    agency: str
    unit_code: str
    def __init__(self, report_id: _Optional[str] = ..., agency: _Optional[str] = ..., unit_code: _Optional[str] = ...) -> None: ...

class AssignReportRequest(_message.Message):
    __slots__ = ("report_id", "staff_id")
    REPORT_ID_FIELD_NUMBER: _ClassVar[int]
    STAFF_ID_FIELD_NUMBER: _ClassVar[int]
    report_id: str
    staff_id: str
    def __init__(self, report_id: _Optional[str] = ..., staff_id: _Optional[str] = ...) -> None: ...

class ResolveReportRequest(_message.Message):
    __slots__ = ("report_id", "note", "media")
    REPORT_ID_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    MEDIA_FIELD_NUMBER: _ClassVar[int]
    report_id: str
    note: str
    media: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, report_id: _Optional[str] = ..., note: _Optional[str] = ..., media: _Optional[_Iterable[str]] = ...) -> None: ...

class RateReportRequest(_message.Message):
    __slots__ = ("report_id", "rating", "comment")
    REPORT_ID_FIELD_NUMBER: _ClassVar[int]
    RATING_FIELD_NUMBER: _ClassVar[int]
    COMMENT_FIELD_NUMBER: _ClassVar[int]
    report_id: str
    rating: int
    comment: str
    def __init__(self, report_id: _Optional[str] = ..., rating: _Optional[int] = ..., comment: _Optional[str] = ...) -> None: ...

class MergeReportRequest(_message.Message):
    __slots__ = ("report_id", "into_report_id")
    REPORT_ID_FIELD_NUMBER: _ClassVar[int]
    INTO_REPORT_ID_FIELD_NUMBER: _ClassVar[int]
    report_id: str
    into_report_id: str
    def __init__(self, report_id: _Optional[str] = ..., into_report_id: _Optional[str] = ...) -> None: ...

class ModerateReportRequest(_message.Message):
    __slots__ = ("report_id", "hidden", "redacted_description", "reason")
    REPORT_ID_FIELD_NUMBER: _ClassVar[int]
    HIDDEN_FIELD_NUMBER: _ClassVar[int]
    REDACTED_DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    report_id: str
    hidden: bool
    redacted_description: str
    reason: str
    def __init__(self, report_id: _Optional[str] = ..., hidden: _Optional[bool] = ..., redacted_description: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class AddInternalNoteRequest(_message.Message):
    __slots__ = ("report_id", "note")
    REPORT_ID_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    report_id: str
    note: str
    def __init__(self, report_id: _Optional[str] = ..., note: _Optional[str] = ...) -> None: ...

class TimelineEntry(_message.Message):
    __slots__ = ("event", "at", "actor", "actor_role", "detail", "internal")
    EVENT_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    ACTOR_ROLE_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    INTERNAL_FIELD_NUMBER: _ClassVar[int]
    event: str
    at: _timestamp_pb2.Timestamp
    actor: str
    actor_role: str
    detail: str
    internal: bool
    def __init__(self, event: _Optional[str] = ..., at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., actor: _Optional[str] = ..., actor_role: _Optional[str] = ..., detail: _Optional[str] = ..., internal: _Optional[bool] = ...) -> None: ...

class Report(_message.Message):
    __slots__ = ("id", "category", "description", "location", "address", "unit_code", "status", "reporter_id", "reporter_name", "answers", "media", "agency", "assignee_id", "filed_at", "deadline", "overdue", "escalated", "supporters", "merged_into", "hidden", "rating", "resolution_note", "resolution_media", "timeline", "emergency")
    ID_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    UNIT_CODE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    REPORTER_ID_FIELD_NUMBER: _ClassVar[int]
    REPORTER_NAME_FIELD_NUMBER: _ClassVar[int]
    ANSWERS_FIELD_NUMBER: _ClassVar[int]
    MEDIA_FIELD_NUMBER: _ClassVar[int]
    AGENCY_FIELD_NUMBER: _ClassVar[int]
    ASSIGNEE_ID_FIELD_NUMBER: _ClassVar[int]
    FILED_AT_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_FIELD_NUMBER: _ClassVar[int]
    OVERDUE_FIELD_NUMBER: _ClassVar[int]
    ESCALATED_FIELD_NUMBER: _ClassVar[int]
    SUPPORTERS_FIELD_NUMBER: _ClassVar[int]
    MERGED_INTO_FIELD_NUMBER: _ClassVar[int]
    HIDDEN_FIELD_NUMBER: _ClassVar[int]
    RATING_FIELD_NUMBER: _ClassVar[int]
    RESOLUTION_NOTE_FIELD_NUMBER: _ClassVar[int]
    RESOLUTION_MEDIA_FIELD_NUMBER: _ClassVar[int]
    TIMELINE_FIELD_NUMBER: _ClassVar[int]
    EMERGENCY_FIELD_NUMBER: _ClassVar[int]
    id: str
    category: str
    description: str
    location: GeoPoint
    address: str
    unit_code: str
    status: Status
    reporter_id: str
    reporter_name: str
    answers: _containers.RepeatedCompositeFieldContainer[Answer]
    media: _containers.RepeatedScalarFieldContainer[str]
    agency: str
    assignee_id: str
    filed_at: _timestamp_pb2.Timestamp
    deadline: _timestamp_pb2.Timestamp
    overdue: bool
    escalated: bool
    supporters: int
    merged_into: str
    hidden: bool
    rating: int
    resolution_note: str
    resolution_media: _containers.RepeatedScalarFieldContainer[str]
    timeline: _containers.RepeatedCompositeFieldContainer[TimelineEntry]
    emergency: bool
    def __init__(self, id: _Optional[str] = ..., category: _Optional[str] = ..., description: _Optional[str] = ..., location: _Optional[_Union[GeoPoint, _Mapping]] = ..., address: _Optional[str] = ..., unit_code: _Optional[str] = ..., status: _Optional[_Union[Status, str]] = ..., reporter_id: _Optional[str] = ..., reporter_name: _Optional[str] = ..., answers: _Optional[_Iterable[_Union[Answer, _Mapping]]] = ..., media: _Optional[_Iterable[str]] = ..., agency: _Optional[str] = ..., assignee_id: _Optional[str] = ..., filed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., deadline: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., overdue: _Optional[bool] = ..., escalated: _Optional[bool] = ..., supporters: _Optional[int] = ..., merged_into: _Optional[str] = ..., hidden: _Optional[bool] = ..., rating: _Optional[int] = ..., resolution_note: _Optional[str] = ..., resolution_media: _Optional[_Iterable[str]] = ..., timeline: _Optional[_Iterable[_Union[TimelineEntry, _Mapping]]] = ..., emergency: _Optional[bool] = ...) -> None: ...

class ReportPage(_message.Message):
    __slots__ = ("reports", "next_page_token")
    REPORTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    reports: _containers.RepeatedCompositeFieldContainer[Report]
    next_page_token: str
    def __init__(self, reports: _Optional[_Iterable[_Union[Report, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListMyReportsRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListPublicReportsRequest(_message.Message):
    __slots__ = ("south_west", "north_east", "category", "status", "page_size", "page_token")
    SOUTH_WEST_FIELD_NUMBER: _ClassVar[int]
    NORTH_EAST_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    south_west: GeoPoint
    north_east: GeoPoint
    category: str
    status: Status
    page_size: int
    page_token: str
    def __init__(self, south_west: _Optional[_Union[GeoPoint, _Mapping]] = ..., north_east: _Optional[_Union[GeoPoint, _Mapping]] = ..., category: _Optional[str] = ..., status: _Optional[_Union[Status, str]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListStaffQueueRequest(_message.Message):
    __slots__ = ("agency", "unit_code", "status", "page_size", "page_token")
    AGENCY_FIELD_NUMBER: _ClassVar[int]
    UNIT_CODE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    agency: str
    unit_code: str
    status: Status
    page_size: int
    page_token: str
    def __init__(self, agency: _Optional[str] = ..., unit_code: _Optional[str] = ..., status: _Optional[_Union[Status, str]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class GetStatisticsRequest(_message.Message):
    __slots__ = ("unit_code", "since")
    UNIT_CODE_FIELD_NUMBER: _ClassVar[int]
    SINCE_FIELD_NUMBER: _ClassVar[int]
    unit_code: str
    since: _timestamp_pb2.Timestamp
    def __init__(self, unit_code: _Optional[str] = ..., since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Count(_message.Message):
    __slots__ = ("key", "count")
    KEY_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    key: str
    count: int
    def __init__(self, key: _Optional[str] = ..., count: _Optional[int] = ...) -> None: ...

class Statistics(_message.Message):
    __slots__ = ("by_status", "by_category", "by_commune", "median_hours_to_resolve", "share_resolved_on_time", "total", "overdue")
    BY_STATUS_FIELD_NUMBER: _ClassVar[int]
    BY_CATEGORY_FIELD_NUMBER: _ClassVar[int]
    BY_COMMUNE_FIELD_NUMBER: _ClassVar[int]
    MEDIAN_HOURS_TO_RESOLVE_FIELD_NUMBER: _ClassVar[int]
    SHARE_RESOLVED_ON_TIME_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    OVERDUE_FIELD_NUMBER: _ClassVar[int]
    by_status: _containers.RepeatedCompositeFieldContainer[Count]
    by_category: _containers.RepeatedCompositeFieldContainer[Count]
    by_commune: _containers.RepeatedCompositeFieldContainer[Count]
    median_hours_to_resolve: float
    share_resolved_on_time: float
    total: int
    overdue: int
    def __init__(self, by_status: _Optional[_Iterable[_Union[Count, _Mapping]]] = ..., by_category: _Optional[_Iterable[_Union[Count, _Mapping]]] = ..., by_commune: _Optional[_Iterable[_Union[Count, _Mapping]]] = ..., median_hours_to_resolve: _Optional[float] = ..., share_resolved_on_time: _Optional[float] = ..., total: _Optional[int] = ..., overdue: _Optional[int] = ...) -> None: ...
