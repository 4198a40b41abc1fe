"""The alerts nameko service: thin entrypoints over AlertsApplication, the
consumers of other services' events, and the resumable streams."""
import collections
import time
import uuid
from functools import partial

from google.protobuf.json_format import MessageToDict
from nameko.timer import timer
from smartcity.alerts.v1 import alerts_pb2 as pb
from smartcity.alerts.v1 import alerts_pb2_grpc
from smartcity.events.v1 import identity_pb2 as identity_events
from smartcity.events.v1 import marketplace_pb2 as marketplace_events
from smartcity.events.v1 import reports_pb2 as report_events
from smartcity.events.v1 import sensors_pb2 as sensor_events

from kit.auth import Role, require_role
from kit.dependencies import EventStore
from kit.errors import InvalidArgument
from kit.grpc.clients import Auth
from kit.grpc.server import HealthMixin, StreamSender, rpc
from kit.messaging import consume_events
from alerts import cap, integration, schemas
from alerts.dependencies import build_application
from alerts.feed import Feed

alerts_rpc = rpc(alerts_pb2_grpc.AlertsStub)
OPERATORS = (Role.IOC_OPERATOR, Role.ADMINISTRATOR)
SENSOR_EVENTS = [sensor_events.AirQualityBandChanged, sensor_events.ThresholdBreached,
                 sensor_events.ThresholdCleared, sensor_events.CameraIncidentDetected,
                 sensor_events.CongestionSustained, sensor_events.CongestionCleared,
                 sensor_events.SensorWentOffline, sensor_events.SensorCameBackOnline]
PERSONAL_EVENTS = {
    "reports": [report_events.ReportStatusChanged, report_events.ReportMerged,
                report_events.ReportOverdue],
    "identity": [identity_events.CitizenAssuranceRaised],
    "marketplace": [marketplace_events.OrderPlaced, marketplace_events.OrderStatusChanged,
                    marketplace_events.ProductApproved, marketplace_events.ProductReturned],
}


class WarningMessages:
    """Each warning version serialised once, as WarningDelivery's `warning`
    field, and shared by every stream delivering it: converting and
    serialising it per stream cost more than the rest of a delivery."""

    def __init__(self, size=64):
        self.size = size
        self.cache = collections.OrderedDict()

    def field(self, warning) -> bytes:
        key = (warning.id, warning.version)
        encoded = self.cache.get(key)
        if encoded is None:
            encoded = self.cache[key] = pb.WarningDelivery(
                warning=schemas.warning(warning)).SerializeToString()
            if len(self.cache) > self.size:
                self.cache.popitem(last=False)
        return encoded

    def delivery(self, warning, token: int, matched: list) -> "Serialized":
        # serialised messages concatenated parse as one message with both's fields
        return Serialized(self.field(warning) + pb.WarningDelivery(
            resume_token=str(token), matched_subscriptions=matched).SerializeToString())


class Serialized:
    """A response already in wire form: nameko-grpc only asks it for its bytes."""
    __slots__ = ("data",)

    def __init__(self, data: bytes):
        self.data = data

    def SerializeToString(self) -> bytes:
        return self.data


warning_messages = WarningMessages()


def payload_dict(payload) -> dict:
    return MessageToDict(payload, preserving_proto_field_name=True)


def occurred_at(envelope) -> float:
    return envelope.occurred_at.ToNanoseconds() / 1e9


def resume_point(token: str, default: int) -> int:
    if not token:
        return default
    if not token.isdigit():
        raise InvalidArgument("not a resume token from this stream", field="resume_token")
    return int(token)


class AlertsService(HealthMixin):
    name = "alerts"

    app = EventStore(build_application, translate=integration.translate)
    caller = Auth()
    feed = Feed()

    # Warnings ------------------------------------------------------------------------
    @alerts_rpc
    def DraftWarning(self, request, context):
        return schemas.warning(self.app.draft_warning(
            self.caller.require(), request.status, request.msg_type or "Alert", request.scope,
            schemas.infos_in(request.infos)))

    @alerts_rpc
    def ApproveWarning(self, request, context):
        return schemas.warning(self.app.approve_warning(
            self.caller.require(), schemas.warning_id(request.warning_id)))

    @alerts_rpc
    def UpdateWarning(self, request, context):
        return schemas.warning(self.app.update_warning(
            self.caller.require(), schemas.warning_id(request.warning_id),
            schemas.infos_in(request.infos)))

    @alerts_rpc
    def CancelWarning(self, request, context):
        return schemas.warning(self.app.cancel_warning(
            self.caller.require(), schemas.warning_id(request.warning_id), request.reason))

    @alerts_rpc
    def AcknowledgeWarning(self, request, context):
        return schemas.warning(self.app.acknowledge_warning(
            self.caller.require(), schemas.warning_id(request.warning_id)))

    @alerts_rpc
    def ResolveWarning(self, request, context):
        return schemas.warning(self.app.resolve_warning(
            self.caller.require(), schemas.warning_id(request.warning_id)))

    @alerts_rpc
    def GetWarning(self, request, context):
        return schemas.warning(self.app.get_warning(schemas.warning_id(request.warning_id)))

    @alerts_rpc
    def ListWarnings(self, request, context):
        ids, token = self.app.queries.warning_ids(request.state, request.page_size or 20,
                                                  request.page_token)
        return pb.ListWarningsResponse(
            warnings=[schemas.warning(self.app.get_warning(i)) for i in ids],
            next_page_token=token)

    @alerts_rpc
    def ExportCap(self, request, context):
        xml = cap.to_cap_xml(self.app.get_warning(schemas.warning_id(request.warning_id)))
        cap.validate_cap_xml(xml)
        return pb.CapDocument(xml=xml)

    # Places, delivery and receipts ----------------------------------------------------
    @alerts_rpc
    def Subscribe(self, request, context):
        place_id, place = self.app.follow_place(self.caller.require(), **schemas.place_in(request))
        return schemas.subscription(place_id, place)

    @alerts_rpc
    def Unsubscribe(self, request, context):
        place = self.app.unfollow_place(self.caller.require(), request.subscription_id)
        return schemas.subscription(request.subscription_id, place, active=False)

    @alerts_rpc
    def ListSubscriptions(self, request, context):
        places = self.app.places_of(self.caller.require().subject)
        followed = places.places.items() if places else ()
        return pb.ListSubscriptionsResponse(
            subscriptions=[schemas.subscription(i, p) for i, p in followed])

    @alerts_rpc
    def FollowWarnings(self, request, context):
        caller = self.caller.require()
        wants = self.app.warning_matcher(caller.subject)
        stream = self.feed.open(wants)
        after = resume_point(request.resume_token, stream.opened_at)
        replay = ((position, wanted[1]) for position, event in
                  self.feed.history(after, stream.opened_at)
                  if (wanted := wants(position, event,
                                      partial(self.app.loaded_for_streams, event))))
        return self.deliver(stream, replay, max(after, stream.opened_at), context,
                            lambda token, item: warning_messages.delivery(item[0], token, item[1]))

    @staticmethod
    def deliver(stream, replay, live_after, context, message):
        """The replay, then live items after both `live_after` and the last
        item replayed; the stream closes on return."""
        try:
            for token, item in replay:
                live_after = max(live_after, token)
                yield message(token, item)
            stream.live(live_after, StreamSender(context), message)
        finally:
            stream.close()

    @alerts_rpc
    def ConfirmDelivery(self, request, context):
        return schemas.receipt(self.app.confirm_delivery(
            self.caller.require(), schemas.warning_id(request.warning_id), request.read))

    @alerts_rpc
    def CheckInSafe(self, request, context):
        point = ((request.location.latitude, request.location.longitude)
                 if request.HasField("location") else None)
        return schemas.receipt(self.app.check_in_safe(
            self.caller.require(), schemas.warning_id(request.warning_id), point))

    @alerts_rpc
    def GetSafetyCounts(self, request, context):
        require_role(self.caller.require(), *OPERATORS, Role.AGENCY_STAFF)
        warning_id = schemas.warning_id(request.warning_id)
        rows = self.app.queries.safety_counts(warning_id)
        return pb.SafetyCounts(warning_id=warning_id, areas=[
            pb.AreaCount(unit_code=r["unit_code"], safe=r["safe"], delivered=r["delivered"],
                         read=r["is_read"]) for r in rows])

    # Notifications --------------------------------------------------------------------
    @alerts_rpc
    def ListNotifications(self, request, context):
        page = self.app.list_notifications(self.caller.require(), request.unread_only,
                                           request.page_size, request.page_token)
        return pb.ListNotificationsResponse(
            notifications=[schemas.notification(n) for n in page.notifications],
            next_page_token=page.next_page_token, unread=page.unread)

    @alerts_rpc
    def MarkNotificationsRead(self, request, context):
        unread = self.app.mark_read(self.caller.require(), list(request.notification_ids))
        return pb.MarkNotificationsReadResponse(unread=unread)

    @alerts_rpc
    def FollowNotifications(self, request, context):
        person_id = self.caller.require().subject
        stream = self.feed.open(self.app.notification_matcher(person_id))
        after = resume_point(request.resume_token, self.app.notification_sequence(person_id))
        replay = ((n.sequence, n) for n in self.app.notifications_since(person_id, after))
        return self.deliver(stream, replay, after, context,
                            lambda token, n: pb.NotificationDelivery(
                                notification=schemas.notification(n), resume_token=str(token)))

    # Emergency response ---------------------------------------------------------------
    @alerts_rpc
    def SendSos(self, request, context):
        return schemas.emergency_case(self.app.send_sos(
            self.caller.require(), request.kind, request.location.latitude,
            request.location.longitude, request.note))

    @alerts_rpc
    def UpdateSosLocation(self, request, context):
        return schemas.emergency_case(self.app.update_sos_location(
            self.caller.require(), request.case_id, request.location.latitude,
            request.location.longitude))

    @alerts_rpc
    def AcknowledgeCase(self, request, context):
        return schemas.emergency_case(self.app.acknowledge_case(self.caller.require(),
                                                                request.case_id))

    @alerts_rpc
    def DispatchUnit(self, request, context):
        return schemas.emergency_case(self.app.dispatch_unit(self.caller.require(),
                                                             request.case_id, request.unit))

    @alerts_rpc
    def AdvanceCase(self, request, context):
        return schemas.emergency_case(self.app.advance_case(
            self.caller.require(), request.case_id, request.step, request.note))

    @alerts_rpc
    def GetCase(self, request, context):
        return schemas.emergency_case(self.app.get_case(self.caller.require(), request.case_id))

    @alerts_rpc
    def FollowCases(self, request, context):
        require_role(self.caller.require(), *OPERATORS)
        stream = self.feed.open(self.app.case_matcher())
        if request.resume_token:
            after = resume_point(request.resume_token, stream.opened_at)
            replay = ((position, self.app.loaded_for_streams(event))
                      for position, event in self.feed.history(after, stream.opened_at))
        else:   # from now on, starting with every case still open
            after = stream.opened_at
            replay = ((after, self.app.repository.get(i))
                      for i in map(uuid.UUID, self.app.queries.open_case_ids()))
        return self.deliver(stream, replay, max(after, stream.opened_at), context,
                            lambda token, case: pb.CaseDelivery(
                                emergency_case=schemas.emergency_case(case),
                                resume_token=str(token)))

    # Other services' events -----------------------------------------------------------
    @consume_events("sensors", handles=SENSOR_EVENTS)
    def on_sensor_event(self, envelope, payload):
        self.app.on_sensor_event(type(payload).__name__, payload_dict(payload),
                                 occurred_at(envelope), event_id=envelope.event_id)

    @consume_events("reports", handles=PERSONAL_EVENTS["reports"])
    @consume_events("identity", handles=PERSONAL_EVENTS["identity"])
    @consume_events("marketplace", handles=PERSONAL_EVENTS["marketplace"])
    def on_personal_event(self, envelope, payload):
        self.app.on_integration_event(envelope.event_id, type(payload).__name__,
                                      payload_dict(payload), occurred_at(envelope))

    # Timers ---------------------------------------------------------------------------
    @timer(interval=30)
    def expire_warnings(self):
        now = time.time()
        expired = self.app.queries.expired_warnings(now)
        if expired:
            self.app.expire_warnings(now, expired)

    @timer(interval=5)
    def escalate_cases(self):
        now = time.time()
        waiting = self.app.queries.waiting_cases(now - self.app.escalate_after_seconds)
        if waiting:
            self.app.escalate_unacknowledged(now, waiting)
