"""Which of the alerts service's domain events leave it, and as what.

Inboxes and SOS lines stay inside: a personal notification reaches its
person on their own stream, never the broker.
"""
from smartcity.events.v1 import alerts_pb2 as events

from alerts.emergency import EmergencyCase
from alerts.warnings import Warning


def translate(domain_event, load):
    """The integration event for a stored domain event, or None.

    `load(aggregate_id, version)` gives the aggregate as of that event, for
    payloads that carry more than the event itself.
    """
    payload = translate_emergency(domain_event, load)
    return payload if payload is not None else translate_warning(domain_event, load)


def translate_emergency(domain_event, load):
    case_id = str(domain_event.originator_id)
    match domain_event:
        case EmergencyCase.Opened():
            return events.EmergencyCaseOpened(
                case_id=case_id, kind=domain_event.kind, latitude=domain_event.latitude,
                longitude=domain_event.longitude, unit_code=domain_event.unit_code)
        case EmergencyCase.Escalated():
            return events.EmergencyCaseEscalated(
                case_id=case_id, unacknowledged_seconds=domain_event.unacknowledged_seconds)
        case (EmergencyCase.Acknowledged() | EmergencyCase.Dispatched() | EmergencyCase.EnRoute()
              | EmergencyCase.OnScene() | EmergencyCase.Closed()):
            case = load(domain_event.originator_id, domain_event.originator_version)
            return events.EmergencyCaseChanged(case_id=case_id, status=case.status,
                                               actor_id=domain_event.by, unit=case.unit)
    # LocationUpdated stays inside: EmergencyCaseChanged carries no location, and
    # the operators following the case see it move on the service's own stream.
    return None


def translate_warning(domain_event, load):
    """WarningPublished when a warning (or its Update/Cancel) goes out;
    WarningEnded when it ends. A supersession is told by the Update's own
    WarningPublished."""
    warning_id = str(domain_event.originator_id)
    match domain_event:
        case Warning.Approved():
            warning = load(domain_event.originator_id, domain_event.originator_version)
            first = warning.infos[0]
            return events.WarningPublished(
                warning_id=warning_id, msg_type=warning.msg_type, severity=first["severity"],
                headline=first.get("headline", ""), source=warning.source,
                unit_codes=sorted({code for info in warning.infos for area in info["areas"]
                                   for code in area.get("unit_codes", [])}))
        case Warning.Ended():
            return events.WarningEnded(warning_id=warning_id, reason=domain_event.reason)
        case Warning.Resolved():
            return events.WarningEnded(warning_id=warning_id, reason="resolved")
        case Warning.Cancelled():
            return events.WarningEnded(warning_id=warning_id, reason="cancelled")
    return None
