"""Conversions between the alerts service's domain objects and protobuf."""
from google.protobuf.json_format import MessageToDict, ParseDict
from google.protobuf.timestamp_pb2 import Timestamp
from smartcity.alerts.v1 import alerts_pb2 as pb


def timestamp(epoch_seconds: float) -> Timestamp:
    ts = Timestamp()
    if epoch_seconds:
        ts.FromNanoseconds(int(epoch_seconds * 1e9))
    return ts


def infos_in(request_infos) -> list[dict]:
    """Request infos as the domain checks them (timestamps as RFC 3339 text)."""
    return [MessageToDict(info, preserving_proto_field_name=True) for info in request_infos]


def info(stored: dict) -> pb.Info:
    message = ParseDict({k: v for k, v in stored.items() if k not in ("effective", "expires")},
                        pb.Info(), ignore_unknown_fields=True)
    message.effective.CopyFrom(timestamp(stored["effective"]))
    message.expires.CopyFrom(timestamp(stored["expires"]))
    return message


def warning(w) -> pb.Warning:
    return pb.Warning(
        id=w.identifier, sender=w.sender, sent=timestamp(w.sent), status=w.status,
        msg_type=w.msg_type, scope=w.scope, references=w.references,
        infos=[info(i) for i in w.infos], state=w.state, active=w.active,
        acknowledged=w.acknowledged, drafted_by=w.drafted_by, approved_by=w.approved_by,
        source=w.source, ended_at=timestamp(w.ended_at))


def warning_id(value: str) -> str:
    """The aggregate id from a CAP identifier or the bare id."""
    return value.rsplit(":", 1)[-1]


def place_in(request) -> dict:
    """A SubscribeRequest's place, as PlacesCommands.follow_place takes it."""
    return dict(
        kind=request.kind, unit_code=request.unit_code, name=request.name,
        point=(request.location.latitude, request.location.longitude)
        if request.HasField("location") else None,
        polygon=[(p.latitude, p.longitude) for p in request.polygon.points] or None,
        circle=(request.circle.latitude, request.circle.longitude, request.circle.radius_km)
        if request.HasField("circle") else None)


def subscription(place_id: str, place: dict, active=True) -> pb.Subscription:
    message = pb.Subscription(id=place_id, kind=place["kind"], unit_code=place.get("unit_code", ""),
                              name=place.get("name", ""), active=active)
    if "point" in place:
        message.location.CopyFrom(pb.Point(latitude=place["point"][0],
                                           longitude=place["point"][1]))
    if "polygon" in place:
        message.polygon.CopyFrom(pb.Polygon(points=[pb.Point(latitude=lat, longitude=lon)
                                                    for lat, lon in place["polygon"]]))
    if "circle" in place:
        message.circle.CopyFrom(pb.Circle(**place["circle"]))
    return message


def receipt(r) -> pb.Receipt:
    return pb.Receipt(warning_id=r.warning_id, delivered=True, read=r.read, safe=r.safe)


def notification(n) -> pb.Notification:
    return pb.Notification(id=n.id, kind=n.kind, title=n.title, body=n.body, link=n.link,
                           created_at=timestamp(n.created_at), read=n.read)


def emergency_case(c) -> pb.EmergencyCase:
    return pb.EmergencyCase(
        id=str(c.id), kind=c.kind, caller_id=c.caller_id,
        location=pb.Point(latitude=c.latitude, longitude=c.longitude), unit_code=c.unit_code,
        status=c.status, escalated=c.escalated, unit=c.unit, note=c.note,
        opened_at=timestamp(c.opened_at),
        steps=[pb.CaseStep(step=s["step"], at=timestamp(s["at"]), actor=s["actor"],
                           detail=s["detail"]) for s in c.steps])
