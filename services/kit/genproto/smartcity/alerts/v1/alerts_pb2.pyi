import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Circle(_message.Message):
    __slots__ = ("latitude", "longitude", "radius_km")
    LATITUDE_FIELD_NUMBER: _ClassVar[int]
    LONGITUDE_FIELD_NUMBER: _ClassVar[int]
    RADIUS_KM_FIELD_NUMBER: _ClassVar[int]
    latitude: float
    longitude: float
    radius_km: float
    def __init__(self, latitude: _Optional[float] = ..., longitude: _Optional[float] = ..., radius_km: _Optional[float] = ...) -> None: ...

class Point(_message.Message):
    __slots__ = ("latitude", "longitude")
    LATITUDE_FIELD_NUMBER: _ClassVar[int]
    LONGITUDE_FIELD_NUMBER: _ClassVar[int]
    latitude: float
    longitude: float
    def __init__(self, latitude: _Optional[float] = ..., longitude: _Optional[float] = ...) -> None: ...

class Polygon(_message.Message):
    __slots__ = ("points",)
    POINTS_FIELD_NUMBER: _ClassVar[int]
    points: _containers.RepeatedCompositeFieldContainer[Point]
    def __init__(self, points: _Optional[_Iterable[_Union[Point, _Mapping]]] = ...) -> None: ...

class Area(_message.Message):
    __slots__ = ("description", "polygons", "circles", "unit_codes")
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    POLYGONS_FIELD_NUMBER: _ClassVar[int]
    CIRCLES_FIELD_NUMBER: _ClassVar[int]
    UNIT_CODES_FIELD_NUMBER: _ClassVar[int]
    description: str
    polygons: _containers.RepeatedCompositeFieldContainer[Polygon]
    circles: _containers.RepeatedCompositeFieldContainer[Circle]
    unit_codes: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, description: _Optional[str] = ..., polygons: _Optional[_Iterable[_Union[Polygon, _Mapping]]] = ..., circles: _Optional[_Iterable[_Union[Circle, _Mapping]]] = ..., unit_codes: _Optional[_Iterable[str]] = ...) -> None: ...

class Info(_message.Message):
    __slots__ = ("language", "categories", "event", "response_types", "urgency", "severity", "certainty", "headline", "description", "instruction", "effective", "expires", "sender_name", "areas")
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    CATEGORIES_FIELD_NUMBER: _ClassVar[int]
    EVENT_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_TYPES_FIELD_NUMBER: _ClassVar[int]
    URGENCY_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    CERTAINTY_FIELD_NUMBER: _ClassVar[int]
    HEADLINE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    INSTRUCTION_FIELD_NUMBER: _ClassVar[int]
    EFFECTIVE_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_FIELD_NUMBER: _ClassVar[int]
    SENDER_NAME_FIELD_NUMBER: _ClassVar[int]
    AREAS_FIELD_NUMBER: _ClassVar[int]
    language: str
    categories: _containers.RepeatedScalarFieldContainer[str]
    event: str
    response_types: _containers.RepeatedScalarFieldContainer[str]
    urgency: str
    severity: str
    certainty: str
    headline: str
    description: str
    instruction: str
    effective: _timestamp_pb2.Timestamp
    expires: _timestamp_pb2.Timestamp
    sender_name: str
    areas: _containers.RepeatedCompositeFieldContainer[Area]
    def __init__(self, language: _Optional[str] = ..., categories: _Optional[_Iterable[str]] = ..., event: _Optional[str] = ..., response_types: _Optional[_Iterable[str]] = ..., urgency: _Optional[str] = ..., severity: _Optional[str] = ..., certainty: _Optional[str] = ..., headline: _Optional[str] = ..., description: _Optional[str] = ..., instruction: _Optional[str] = ..., effective: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expires: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., sender_name: _Optional[str] = ..., areas: _Optional[_Iterable[_Union[Area, _Mapping]]] = ...) -> None: ...

class Warning(_message.Message):
    __slots__ = ("id", "sender", "sent", "status", "msg_type", "scope", "references", "infos", "state", "active", "acknowledged", "drafted_by", "approved_by", "source", "ended_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    SENDER_FIELD_NUMBER: _ClassVar[int]
    SENT_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    MSG_TYPE_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    REFERENCES_FIELD_NUMBER: _ClassVar[int]
    INFOS_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    ACKNOWLEDGED_FIELD_NUMBER: _ClassVar[int]
    DRAFTED_BY_FIELD_NUMBER: _ClassVar[int]
    APPROVED_BY_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    ENDED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    sender: str
    sent: _timestamp_pb2.Timestamp
    status: str
    msg_type: str
    scope: str
    references: _containers.RepeatedScalarFieldContainer[str]
    infos: _containers.RepeatedCompositeFieldContainer[Info]
    state: str
    active: bool
    acknowledged: bool
    drafted_by: str
    approved_by: str
    source: str
    ended_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., sender: _Optional[str] = ..., sent: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., status: _Optional[str] = ..., msg_type: _Optional[str] = ..., scope: _Optional[str] = ..., references: _Optional[_Iterable[str]] = ..., infos: _Optional[_Iterable[_Union[Info, _Mapping]]] = ..., state: _Optional[str] = ..., active: _Optional[bool] = ..., acknowledged: _Optional[bool] = ..., drafted_by: _Optional[str] = ..., approved_by: _Optional[str] = ..., source: _Optional[str] = ..., ended_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class DraftWarningRequest(_message.Message):
    __slots__ = ("status", "msg_type", "scope", "infos")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    MSG_TYPE_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    INFOS_FIELD_NUMBER: _ClassVar[int]
    status: str
    msg_type: str
    scope: str
    infos: _containers.RepeatedCompositeFieldContainer[Info]
    def __init__(self, status: _Optional[str] = ..., msg_type: _Optional[str] = ..., scope: _Optional[str] = ..., infos: _Optional[_Iterable[_Union[Info, _Mapping]]] = ...) -> None: ...

class UpdateWarningRequest(_message.Message):
    __slots__ = ("warning_id", "infos")
    WARNING_ID_FIELD_NUMBER: _ClassVar[int]
    INFOS_FIELD_NUMBER: _ClassVar[int]
    warning_id: str
    infos: _containers.RepeatedCompositeFieldContainer[Info]
    def __init__(self, warning_id: _Optional[str] = ..., infos: _Optional[_Iterable[_Union[Info, _Mapping]]] = ...) -> None: ...

class CancelWarningRequest(_message.Message):
    __slots__ = ("warning_id", "reason")
    WARNING_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    warning_id: str
    reason: str
    def __init__(self, warning_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class WarningRef(_message.Message):
    __slots__ = ("warning_id",)
    WARNING_ID_FIELD_NUMBER: _ClassVar[int]
    warning_id: str
    def __init__(self, warning_id: _Optional[str] = ...) -> None: ...

class ListWarningsRequest(_message.Message):
    __slots__ = ("state", "page_size", "page_token")
    STATE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    state: str
    page_size: int
    page_token: str
    def __init__(self, state: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListWarningsResponse(_message.Message):
    __slots__ = ("warnings", "next_page_token")
    WARNINGS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    warnings: _containers.RepeatedCompositeFieldContainer[Warning]
    next_page_token: str
    def __init__(self, warnings: _Optional[_Iterable[_Union[Warning, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class CapDocument(_message.Message):
    __slots__ = ("xml",)
    XML_FIELD_NUMBER: _ClassVar[int]
    xml: str
    def __init__(self, xml: _Optional[str] = ...) -> None: ...

class Subscription(_message.Message):
    __slots__ = ("id", "kind", "unit_code", "location", "polygon", "circle", "name", "active")
    ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    UNIT_CODE_FIELD_NUMBER: _ClassVar[int]
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    POLYGON_FIELD_NUMBER: _ClassVar[int]
    CIRCLE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    id: str
    kind: str
    unit_code: str
    location: Point
    polygon: Polygon
    circle: Circle
    name: str
    active: bool
    def __init__(self, id: _Optional[str] = ..., kind: _Optional[str] = ..., unit_code: _Optional[str] = ..., location: _Optional[_Union[Point, _Mapping]] = ..., polygon: _Optional[_Union[Polygon, _Mapping]] = ..., circle: _Optional[_Union[Circle, _Mapping]] = ..., name: _Optional[str] = ..., active: _Optional[bool] = ...) -> None: ...

class SubscribeRequest(_message.Message):
    __slots__ = ("kind", "unit_code", "location", "polygon", "circle", "name")
    KIND_FIELD_NUMBER: _ClassVar[int]
    UNIT_CODE_FIELD_NUMBER: _ClassVar[int]
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    POLYGON_FIELD_NUMBER: _ClassVar[int]
    CIRCLE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    kind: str
    unit_code: str
    location: Point
    polygon: Polygon
    circle: Circle
    name: str
    def __init__(self, kind: _Optional[str] = ..., unit_code: _Optional[str] = ..., location: _Optional[_Union[Point, _Mapping]] = ..., polygon: _Optional[_Union[Polygon, _Mapping]] = ..., circle: _Optional[_Union[Circle, _Mapping]] = ..., name: _Optional[str] = ...) -> None: ...

class SubscriptionRef(_message.Message):
    __slots__ = ("subscription_id",)
    SUBSCRIPTION_ID_FIELD_NUMBER: _ClassVar[int]
    subscription_id: str
    def __init__(self, subscription_id: _Optional[str] = ...) -> None: ...

class ListSubscriptionsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListSubscriptionsResponse(_message.Message):
    __slots__ = ("subscriptions",)
    SUBSCRIPTIONS_FIELD_NUMBER: _ClassVar[int]
    subscriptions: _containers.RepeatedCompositeFieldContainer[Subscription]
    def __init__(self, subscriptions: _Optional[_Iterable[_Union[Subscription, _Mapping]]] = ...) -> None: ...

class FollowRequest(_message.Message):
    __slots__ = ("resume_token",)
    RESUME_TOKEN_FIELD_NUMBER: _ClassVar[int]
    resume_token: str
    def __init__(self, resume_token: _Optional[str] = ...) -> None: ...

class WarningDelivery(_message.Message):
    __slots__ = ("warning", "resume_token", "matched_subscriptions")
    WARNING_FIELD_NUMBER: _ClassVar[int]
    RESUME_TOKEN_FIELD_NUMBER: _ClassVar[int]
    MATCHED_SUBSCRIPTIONS_FIELD_NUMBER: _ClassVar[int]
    warning: Warning
    resume_token: str
    matched_subscriptions: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, warning: _Optional[_Union[Warning, _Mapping]] = ..., resume_token: _Optional[str] = ..., matched_subscriptions: _Optional[_Iterable[str]] = ...) -> None: ...

class ReceiptRequest(_message.Message):
    __slots__ = ("warning_id", "read")
    WARNING_ID_FIELD_NUMBER: _ClassVar[int]
    READ_FIELD_NUMBER: _ClassVar[int]
    warning_id: str
    read: bool
    def __init__(self, warning_id: _Optional[str] = ..., read: _Optional[bool] = ...) -> None: ...

class Receipt(_message.Message):
    __slots__ = ("warning_id", "delivered", "read", "safe")
    WARNING_ID_FIELD_NUMBER: _ClassVar[int]
    DELIVERED_FIELD_NUMBER: _ClassVar[int]
    READ_FIELD_NUMBER: _ClassVar[int]
    SAFE_FIELD_NUMBER: _ClassVar[int]
    warning_id: str
    delivered: bool
    read: bool
    safe: bool
    def __init__(self, warning_id: _Optional[str] = ..., delivered: _Optional[bool] = ..., read: _Optional[bool] = ..., safe: _Optional[bool] = ...) -> None: ...

class CheckInSafeRequest(_message.Message):
    __slots__ = ("warning_id", "location")
    WARNING_ID_FIELD_NUMBER: _ClassVar[int]
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    warning_id: str
    location: Point
    def __init__(self, warning_id: _Optional[str] = ..., location: _Optional[_Union[Point, _Mapping]] = ...) -> None: ...

class AreaCount(_message.Message):
    __slots__ = ("unit_code", "safe", "delivered", "read")
    UNIT_CODE_FIELD_NUMBER: _ClassVar[int]
    SAFE_FIELD_NUMBER: _ClassVar[int]
    DELIVERED_FIELD_NUMBER: _ClassVar[int]
    READ_FIELD_NUMBER: _ClassVar[int]
    unit_code: str
    safe: int
    delivered: int
    read: int
    def __init__(self, unit_code: _Optional[str] = ..., safe: _Optional[int] = ..., delivered: _Optional[int] = ..., read: _Optional[int] = ...) -> None: ...

class SafetyCounts(_message.Message):
    __slots__ = ("warning_id", "areas")
    WARNING_ID_FIELD_NUMBER: _ClassVar[int]
    AREAS_FIELD_NUMBER: _ClassVar[int]
    warning_id: str
    areas: _containers.RepeatedCompositeFieldContainer[AreaCount]
    def __init__(self, warning_id: _Optional[str] = ..., areas: _Optional[_Iterable[_Union[AreaCount, _Mapping]]] = ...) -> None: ...

class Notification(_message.Message):
    __slots__ = ("id", "kind", "title", "body", "link", "created_at", "read")
    ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    BODY_FIELD_NUMBER: _ClassVar[int]
    LINK_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    READ_FIELD_NUMBER: _ClassVar[int]
    id: str
    kind: str
    title: str
    body: str
    link: str
    created_at: _timestamp_pb2.Timestamp
    read: bool
    def __init__(self, id: _Optional[str] = ..., kind: _Optional[str] = ..., title: _Optional[str] = ..., body: _Optional[str] = ..., link: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., read: _Optional[bool] = ...) -> None: ...

class ListNotificationsRequest(_message.Message):
    __slots__ = ("unread_only", "page_size", "page_token")
    UNREAD_ONLY_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    unread_only: bool
    page_size: int
    page_token: str
    def __init__(self, unread_only: _Optional[bool] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListNotificationsResponse(_message.Message):
    __slots__ = ("notifications", "next_page_token", "unread")
    NOTIFICATIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    UNREAD_FIELD_NUMBER: _ClassVar[int]
    notifications: _containers.RepeatedCompositeFieldContainer[Notification]
    next_page_token: str
    unread: int
    def __init__(self, notifications: _Optional[_Iterable[_Union[Notification, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., unread: _Optional[int] = ...) -> None: ...

class MarkNotificationsReadRequest(_message.Message):
    __slots__ = ("notification_ids",)
    NOTIFICATION_IDS_FIELD_NUMBER: _ClassVar[int]
    notification_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, notification_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class MarkNotificationsReadResponse(_message.Message):
    __slots__ = ("unread",)
    UNREAD_FIELD_NUMBER: _ClassVar[int]
    unread: int
    def __init__(self, unread: _Optional[int] = ...) -> None: ...

class NotificationDelivery(_message.Message):
    __slots__ = ("notification", "resume_token")
    NOTIFICATION_FIELD_NUMBER: _ClassVar[int]
    RESUME_TOKEN_FIELD_NUMBER: _ClassVar[int]
    notification: Notification
    resume_token: str
    def __init__(self, notification: _Optional[_Union[Notification, _Mapping]] = ..., resume_token: _Optional[str] = ...) -> None: ...

class EmergencyCase(_message.Message):
    __slots__ = ("id", "kind", "caller_id", "location", "unit_code", "status", "escalated", "unit", "note", "opened_at", "steps")
    ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    CALLER_ID_FIELD_NUMBER: _ClassVar[int]
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    UNIT_CODE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ESCALATED_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    OPENED_AT_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    id: str
    kind: str
    caller_id: str
    location: Point
    unit_code: str
    status: str
    escalated: bool
    unit: str
    note: str
    opened_at: _timestamp_pb2.Timestamp
    steps: _containers.RepeatedCompositeFieldContainer[CaseStep]
    def __init__(self, id: _Optional[str] = ..., kind: _Optional[str] = ..., caller_id: _Optional[str] = ..., location: _Optional[_Union[Point, _Mapping]] = ..., unit_code: _Optional[str] = ..., status: _Optional[str] = ..., escalated: _Optional[bool] = ..., unit: _Optional[str] = ..., note: _Optional[str] = ..., opened_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., steps: _Optional[_Iterable[_Union[CaseStep, _Mapping]]] = ...) -> None: ...

class CaseStep(_message.Message):
    __slots__ = ("step", "at", "actor", "detail")
    STEP_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    step: str
    at: _timestamp_pb2.Timestamp
    actor: str
    detail: str
    def __init__(self, step: _Optional[str] = ..., at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., actor: _Optional[str] = ..., detail: _Optional[str] = ...) -> None: ...

class SendSosRequest(_message.Message):
    __slots__ = ("kind", "location", "note")
    KIND_FIELD_NUMBER: _ClassVar[int]
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    kind: str
    location: Point
    note: str
    def __init__(self, kind: _Optional[str] = ..., location: _Optional[_Union[Point, _Mapping]] = ..., note: _Optional[str] = ...) -> None: ...

class UpdateSosLocationRequest(_message.Message):
    __slots__ = ("case_id", "location")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    location: Point
    def __init__(self, case_id: _Optional[str] = ..., location: _Optional[_Union[Point, _Mapping]] = ...) -> None: ...

class CaseRef(_message.Message):
    __slots__ = ("case_id",)
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    def __init__(self, case_id: _Optional[str] = ...) -> None: ...

class DispatchUnitRequest(_message.Message):
    __slots__ = ("case_id", "unit")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    unit: str
    def __init__(self, case_id: _Optional[str] = ..., unit: _Optional[str] = ...) -> None: ...

class AdvanceCaseRequest(_message.Message):
    __slots__ = ("case_id", "step", "note")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    step: str
    note: str
    def __init__(self, case_id: _Optional[str] = ..., step: _Optional[str] = ..., note: _Optional[str] = ...) -> None: ...

class CaseDelivery(_message.Message):
    __slots__ = ("emergency_case", "resume_token")
    EMERGENCY_CASE_FIELD_NUMBER: _ClassVar[int]
    RESUME_TOKEN_FIELD_NUMBER: _ClassVar[int]
    emergency_case: EmergencyCase
    resume_token: str
    def __init__(self, emergency_case: _Optional[_Union[EmergencyCase, _Mapping]] = ..., resume_token: _Optional[str] = ...) -> None: ...
