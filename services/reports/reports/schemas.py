"""Conversions between the reports service's domain and read-model objects
and its protobuf messages."""
import datetime

from google.protobuf.timestamp_pb2 import Timestamp
from smartcity.reports.v1 import reports_pb2 as pb


def timestamp(moment) -> Timestamp:
    """From epoch seconds (aggregates) or a datetime (read model); None → unset."""
    ts = Timestamp()
    if isinstance(moment, datetime.datetime):
        ts.FromDatetime(moment)
    elif moment:
        ts.FromNanoseconds(int(moment * 1e9))
    return ts


def status(name: str) -> int:
    return pb.Status.Value(name.upper())


def status_name(value: int) -> str:
    return "" if value == pb.STATUS_UNSPECIFIED else pb.Status.Name(value).lower()


def category(c) -> pb.Category:
    return pb.Category(
        code=c.code, name_vi=c.name_vi, name_en=c.name_en, group=c.group,
        questions=[pb.Question(**q) for q in c.questions], agency=c.agency,
        deadline_hours=c.deadline_hours, deadline_working_days=c.deadline_working_days,
        emergency=c.emergency, active=c.active)


def category_fields(c) -> dict:
    return dict(code=c.code, name_vi=c.name_vi, name_en=c.name_en, group=c.group,
                questions=[dict(code=q.code, label_vi=q.label_vi, label_en=q.label_en,
                                type=q.type, required=q.required, choices=list(q.choices))
                           for q in c.questions],
                agency=c.agency, deadline_hours=c.deadline_hours,
                deadline_working_days=c.deadline_working_days, emergency=c.emergency,
                active=c.active)


def answers(mapping) -> list:
    return [pb.Answer(question=k, value=v) for k, v in sorted(mapping.items())]


def report(view) -> pb.Report:
    """A ReportView (from the aggregate, as the caller may see it)."""
    return pb.Report(
        id=view.id, category=view.category, description=view.description,
        location=pb.GeoPoint(latitude=view.latitude, longitude=view.longitude),
        address=view.address, unit_code=view.unit_code, status=status(view.status),
        reporter_id=view.reporter_id, reporter_name=view.reporter_name,
        answers=answers(view.answers), media=list(view.media), agency=view.agency,
        assignee_id=view.assignee_id, filed_at=timestamp(view.filed_at),
        deadline=timestamp(view.deadline), overdue=view.overdue,
        escalated=bool(view.escalated_to), supporters=view.supporters,
        merged_into=view.merged_into, hidden=view.hidden, rating=view.rating,
        resolution_note=view.resolution_note, resolution_media=list(view.resolution_media),
        emergency=view.emergency,
        timeline=[pb.TimelineEntry(event=t.event, at=timestamp(t.at), actor=t.actor,
                                   actor_role=t.actor_role, detail=t.detail, internal=t.internal)
                  for t in view.timeline])


def row(r) -> pb.Report:
    """A read-model row (already as its audience may see it)."""
    return pb.Report(
        id=r.id, category=r.category, description=r.description,
        location=pb.GeoPoint(latitude=r.latitude, longitude=r.longitude), address=r.address,
        unit_code=r.unit_code, status=status(r.status), reporter_id=r.reporter_id,
        reporter_name=r.reporter_name, media=r.media, agency=r.agency,
        assignee_id=r.assignee_id, filed_at=timestamp(r.filed_at),
        deadline=timestamp(r.deadline), overdue=r.overdue, escalated=r.escalated,
        supporters=r.supporters, merged_into=r.merged_into, hidden=r.hidden, rating=r.rating,
        emergency=r.emergency)


def page(p, publish=False) -> pb.ReportPage:
    rows = [r.published() for r in p.reports] if publish else p.reports
    return pb.ReportPage(reports=[row(r) for r in rows], next_page_token=p.next_page_token)


def statistics(s) -> pb.Statistics:
    def counts(mapping):
        return [pb.Count(key=k, count=v) for k, v in sorted(mapping.items())]

    return pb.Statistics(by_status=counts(s.by_status), by_category=counts(s.by_category),
                         by_commune=counts(s.by_commune),
                         median_hours_to_resolve=s.median_hours_to_resolve,
                         share_resolved_on_time=s.share_resolved_on_time, total=s.total,
                         overdue=s.overdue)


def media(record) -> pb.Media:
    return pb.Media(sha256=record.sha256, content_type=record.content_type, size=record.size,
                    location_stripped=record.location_stripped)


def box(request):
    """The map box of a ListPublicReportsRequest, or None."""
    if not (request.HasField("south_west") or request.HasField("north_east")):
        return None
    sw, ne = request.south_west, request.north_east
    return (sw.latitude, sw.longitude, ne.latitude, ne.longitude)
