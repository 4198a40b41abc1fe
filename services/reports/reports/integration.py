"""Which of reports' domain events leave the service, and as what."""
from datetime import datetime

from smartcity.events.v1 import reports_pb2 as events

from reports.domainmodel import SYSTEM_ROLE, Report
from reports.sla import VIETNAM


def translate(domain_event, load):
    """The integration event for a stored domain event, or None.

    `load(aggregate_id, version)` gives the aggregate as of that event, for
    payloads that carry more than the event itself. A merge is told twice:
    the duplicate's MergedInto as its status change, the original's
    DuplicateMerged as ReportMerged.
    """
    report_id = str(domain_event.originator_id)
    match domain_event:
        case Report.Filed():
            return events.ReportFiled(
                report_id=report_id, category=domain_event.category,
                unit_code=domain_event.unit_code, reporter_id=domain_event.reporter_id,
                latitude=domain_event.latitude, longitude=domain_event.longitude,
                emergency=domain_event.emergency)
        case (Report.Accepted() | Report.Rejected() | Report.Assigned() | Report.WorkStarted()
              | Report.Resolved() | Report.Rated() | Report.AutoClosed() | Report.Reopened()
              | Report.MergedInto()):
            return status_changed(domain_event, as_of(domain_event, load))
        case Report.Supported():
            report = as_of(domain_event, load)
            return events.ReportSupported(report_id=report_id,
                                          supporter_id=domain_event.supporter_id,
                                          supporters=len(report.supporter_ids))
        case Report.DuplicateMerged():
            return events.ReportMerged(report_id=domain_event.report_id,
                                       into_report_id=report_id,
                                       reporter_id=domain_event.reporter_id)
        case Report.BecameOverdue():
            report = as_of(domain_event, load)
            return events.ReportOverdue(
                report_id=report_id,
                deadline=datetime.fromtimestamp(domain_event.deadline, VIETNAM).isoformat(),
                agency=report.agency, unit_code=report.unit_code,
                escalated_to=domain_event.escalated_to, assignee_id=report.assignee_id)
    return None


def as_of(domain_event, load) -> Report:
    return load(domain_event.originator_id, domain_event.originator_version)


def status_changed(domain_event, report: Report) -> events.ReportStatusChanged:
    return events.ReportStatusChanged(
        report_id=str(report.id), status=report.status, previous_status=report.previous_status,
        actor_id=getattr(domain_event, "actor_id", ""),
        actor_role=getattr(domain_event, "actor_role", "") or role_without_actor(domain_event),
        note=note_of(domain_event), reporter_id=report.reporter_id,
        supporter_ids=report.supporter_ids, category=report.category,
        unit_code=report.unit_code, agency=report.agency)


def role_without_actor(domain_event) -> str:
    return "citizen" if isinstance(domain_event, Report.Rated) else SYSTEM_ROLE


def note_of(domain_event) -> str:
    """What the reporter is told: the reason, the resolution note, the rating's comment."""
    match domain_event:
        case Report.Rejected() | Report.Reopened():
            return domain_event.reason
        case Report.Resolved():
            return domain_event.note
        case Report.Rated():
            return domain_event.comment
    return ""
