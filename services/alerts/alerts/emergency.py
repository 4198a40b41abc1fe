"""Emergency response ("ứng cứu khẩn cấp"): a citizen's SOS and the IOC's answer.
Plain Python: times are passed in, and every event takes the moment it
happened as its own `timestamp`, so a case's timeline follows the
application's clock.

The lifecycle, as the commands allow it:

    send SOS          -                                  -> open
    acknowledge       open                               -> acknowledged
    dispatch a unit   acknowledged                       -> dispatched
    en route          dispatched                         -> en_route
    on scene          en_route                           -> on_scene
    close             any but closed                     -> closed (final)
    escalate          open and unacknowledged for 60 s   (a flag: the case stays open)
    update location   any but closed, by the caller only

Closing works from any status: a false alarm, a call settled by phone or a
case a crew on another case handles ends without a dispatch. The location
may change until the case closes, as the caller moves towards the road
while a crew is on its way.

Who answers: IOC operators and administrators. Staff of the police, fire and
health agencies respond too in reality, but which agency answers which kind
of case, and where, is not modelled yet; until it is, they work through the
IOC.

An emergency is never refused for where it is: a location outside the
province (a caller just across the border, a poor GPS fix) opens a case
with no commune, which operators route by hand.
"""
import math
import uuid
from datetime import datetime, timezone

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate, event

from kit.auth import (
    Principal, Role, require_authenticated, require_role, require_self_or_role,
)
from kit.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from kit.eventstore import retry_on_conflict

KINDS = ("fire", "medical", "flood", "crime", "traffic_accident")
OPEN, ACKNOWLEDGED, DISPATCHED = "open", "acknowledged", "dispatched"
EN_ROUTE, ON_SCENE, CLOSED = "en_route", "on_scene", "closed"
ACTIVE_STATUSES = (OPEN, ACKNOWLEDGED, DISPATCHED, EN_ROUTE, ON_SCENE)

ESCALATE_AFTER_SECONDS = 60
SYSTEM_ACTOR = "system"         # the escalation timer
OPERATOR_ROLES = (Role.IOC_OPERATOR, Role.ADMINISTRATOR)
MAX_NOTE = 1000
MAX_UNIT = 200

SOS_LINE_NAMESPACE = uuid.UUID("4b9e0d27-c6a1-4f83-8d52-e07a3b1f96c4")


def moment(now: float) -> datetime:
    return datetime.fromtimestamp(now, timezone.utc)


class EmergencyCase(Aggregate):
    """One SOS, from the call to the closing, every step with its actor."""

    @event("Opened")
    def __init__(self, kind: str, caller_id: str, latitude: float, longitude: float,
                 unit_code: str, note: str, timestamp: datetime):
        self.kind = kind
        self.caller_id = caller_id
        self.latitude = latitude
        self.longitude = longitude
        self.unit_code = unit_code          # empty outside the province
        self.note = note
        self.opened_at = timestamp.timestamp()
        self.status = OPEN
        self.escalated = False
        self.unit = ""                      # the responder unit dispatched
        self.steps: list[dict] = []         # step, at, actor, detail: oldest first
        self._step("opened", timestamp, caller_id, note)

    def _step(self, step: str, timestamp: datetime, actor: str, detail: str = ""):
        self.steps.append(dict(step=step, at=timestamp.timestamp(), actor=actor, detail=detail))

    @property
    def is_closed(self) -> bool:
        return self.status == CLOSED

    def require_status(self, action: str, *allowed: str):
        if self.status not in allowed:
            raise FailedPrecondition(f"cannot {action} a case that is {self.status}",
                                     field="case_id")

    # The caller --------------------------------------------------------------------
    def update_location(self, latitude: float, longitude: float, unit_code: str, now: float):
        """Moves the case; the same location again records nothing."""
        self.require_status("move", *ACTIVE_STATUSES)
        if (latitude, longitude) != (self.latitude, self.longitude):
            self._location_updated(latitude=latitude, longitude=longitude,
                                   unit_code=unit_code, timestamp=moment(now))

    @event("LocationUpdated")
    def _location_updated(self, latitude: float, longitude: float, unit_code: str,
                          timestamp: datetime):
        self.latitude = latitude
        self.longitude = longitude
        self.unit_code = unit_code
        self._step("location_updated", timestamp, self.caller_id,
                   f"{latitude:.6f}, {longitude:.6f}")

    # The IOC -----------------------------------------------------------------------
    def acknowledge(self, by: str, now: float):
        self.require_status("acknowledge", OPEN)
        self._acknowledged(by=by, timestamp=moment(now))

    @event("Acknowledged")
    def _acknowledged(self, by: str, timestamp: datetime):
        self.status = ACKNOWLEDGED
        self._step(ACKNOWLEDGED, timestamp, by)

    def escalate(self, now: float, after_seconds: float) -> bool:
        """Once per case: still open `after_seconds` after the call."""
        waited = now - self.opened_at
        if self.status != OPEN or self.escalated or waited < after_seconds:
            return False
        self._escalated(unacknowledged_seconds=int(waited), timestamp=moment(now))
        return True

    @event("Escalated")
    def _escalated(self, unacknowledged_seconds: int, timestamp: datetime):
        self.escalated = True
        self._step("escalated", timestamp, SYSTEM_ACTOR,
                   f"not acknowledged in {unacknowledged_seconds} s")

    def dispatch(self, unit: str, by: str, now: float):
        self.require_status("dispatch a unit to", ACKNOWLEDGED)
        self._dispatched(unit=unit, by=by, timestamp=moment(now))

    @event("Dispatched")
    def _dispatched(self, unit: str, by: str, timestamp: datetime):
        self.unit = unit
        self.status = DISPATCHED
        self._step(DISPATCHED, timestamp, by, unit)

    def set_off(self, by: str, note: str, now: float):
        self.require_status("send en route", DISPATCHED)
        self._en_route(by=by, note=note, timestamp=moment(now))

    @event("EnRoute")
    def _en_route(self, by: str, note: str, timestamp: datetime):
        self.status = EN_ROUTE
        self._step(EN_ROUTE, timestamp, by, note)

    def arrive(self, by: str, note: str, now: float):
        self.require_status("arrive on scene of", EN_ROUTE)
        self._on_scene(by=by, note=note, timestamp=moment(now))

    @event("OnScene")
    def _on_scene(self, by: str, note: str, timestamp: datetime):
        self.status = ON_SCENE
        self._step(ON_SCENE, timestamp, by, note)

    def close(self, by: str, note: str, now: float):
        self.require_status("close", *ACTIVE_STATUSES)
        self._closed(by=by, note=note, timestamp=moment(now))

    @event("Closed")
    def _closed(self, by: str, note: str, timestamp: datetime):
        self.status = CLOSED
        self._step(CLOSED, timestamp, by, note)


# advance_case's steps: what each does to a case.
ADVANCES = {EN_ROUTE: EmergencyCase.set_off, ON_SCENE: EmergencyCase.arrive,
            CLOSED: EmergencyCase.close}


class SosLine(Aggregate):
    """One person's line to the IOC for one kind of emergency: the case it
    last opened, so a repeated SOS finds it instead of opening another."""

    @staticmethod
    def create_id(caller_id: str, kind: str) -> uuid.UUID:
        return uuid.uuid5(SOS_LINE_NAMESPACE, f"{caller_id}:{kind}")

    @event("Started")
    def __init__(self, caller_id: str, kind: str):
        self.case_id = ""

    @event("CaseOpened")
    def hold(self, case_id: str):
        self.case_id = case_id


# Validation --------------------------------------------------------------------------
def checked_kind(kind) -> str:
    if kind not in KINDS:
        raise InvalidArgument(f"must be one of {', '.join(KINDS)}", field="kind")
    return kind


def checked_coordinate(value, field: str, limit: int) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not math.isfinite(value) or not -limit <= value <= limit:
        raise InvalidArgument(f"must be a number from -{limit} to {limit}", field=field)
    return float(value)


def checked_location(latitude, longitude) -> tuple[float, float]:
    return (checked_coordinate(latitude, "location.latitude", 90),
            checked_coordinate(longitude, "location.longitude", 180))


def checked_text(value, field: str, maximum: int, required: bool = False) -> str:
    if not isinstance(value, str):
        raise InvalidArgument("must be text", field=field)
    value = value.strip()
    if len(value) > maximum or (required and not value):
        raise InvalidArgument(f"must be {'1 to ' if required else 'at most '}{maximum} "
                              "characters", field=field)
    return value


def parse_case_id(value) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        raise InvalidArgument("not a valid id", field="case_id") from None


# Commands and queries ----------------------------------------------------------------
class EmergencyCommands:
    """Emergency response's commands and queries, mixed into the application.

    Expects from it: `repository` and `save` (eventsourcing), `clock()`
    (epoch seconds) and `communes(latitude, longitude)` (kit.geography: the
    commune's code, or None outside the province). The application may set
    `escalate_after_seconds`.
    """

    escalate_after_seconds = ESCALATE_AFTER_SECONDS

    @retry_on_conflict
    def send_sos(self, caller: Principal, kind: str, latitude, longitude,
                 note: str = "") -> EmergencyCase:
        """Opens a case, for any signed-in person, verified or not. A repeated
        SOS of the same kind while the caller's case is open returns that case,
        moved to the new location when the caller has moved."""
        caller = require_role(caller, Role.CITIZEN)
        kind = checked_kind(kind)
        latitude, longitude = checked_location(latitude, longitude)
        note = checked_text(note, "note", MAX_NOTE)
        line = self.sos_line(caller.subject, kind)
        current = self.open_case_on(line)
        if current is not None:
            return self.move(current, latitude, longitude)
        case = EmergencyCase(kind=kind, caller_id=caller.subject, latitude=latitude,
                             longitude=longitude, unit_code=self.commune_of(latitude, longitude),
                             note=note, timestamp=moment(self.clock()))
        line.hold(str(case.id))
        self.save(line, case)
        return case

    def sos_line(self, caller_id: str, kind: str) -> SosLine:
        try:
            return self.repository.get(SosLine.create_id(caller_id, kind))
        except AggregateNotFoundError:
            return SosLine(caller_id=caller_id, kind=kind)

    def open_case_on(self, line: SosLine) -> EmergencyCase | None:
        if not line.case_id:
            return None
        case = self.repository.get(uuid.UUID(line.case_id))
        return None if case.is_closed else case

    def move(self, case: EmergencyCase, latitude: float, longitude: float) -> EmergencyCase:
        case.update_location(latitude, longitude, self.commune_of(latitude, longitude),
                             self.clock())
        self.save(case)
        return case

    def commune_of(self, latitude: float, longitude: float) -> str:
        return self.communes(latitude, longitude) or ""

    @retry_on_conflict
    def update_sos_location(self, caller: Principal, case_id: str, latitude,
                            longitude) -> EmergencyCase:
        """The caller's new location, while the case is not closed."""
        caller = require_role(caller, Role.CITIZEN)
        latitude, longitude = checked_location(latitude, longitude)
        case = self.case(case_id)
        if caller.subject != case.caller_id:
            raise PermissionDenied("only the person who sent the SOS may move it")
        return self.move(case, latitude, longitude)

    @retry_on_conflict
    def operator_change(self, caller: Principal, case_id: str, change) -> EmergencyCase:
        """Applies change(case, operator_id, now) for an operator or administrator."""
        caller = require_role(caller, *OPERATOR_ROLES)
        case = self.case(case_id)
        change(case, caller.subject, self.clock())
        self.save(case)
        return case

    def acknowledge_case(self, caller: Principal, case_id: str) -> EmergencyCase:
        return self.operator_change(caller, case_id,
                                    lambda case, by, now: case.acknowledge(by, now))

    def dispatch_unit(self, caller: Principal, case_id: str, unit: str) -> EmergencyCase:
        unit = " ".join(checked_text(unit, "unit", MAX_UNIT, required=True).split())
        return self.operator_change(caller, case_id,
                                    lambda case, by, now: case.dispatch(unit, by, now))

    def advance_case(self, caller: Principal, case_id: str, step: str,
                     note: str = "") -> EmergencyCase:
        """en_route, on_scene or closed, with the operator's note."""
        advance = ADVANCES.get(step)
        if advance is None:
            raise InvalidArgument(f"must be one of {', '.join(ADVANCES)}", field="step")
        note = checked_text(note, "note", MAX_NOTE)
        return self.operator_change(caller, case_id,
                                    lambda case, by, now: advance(case, by, note, now))

    def get_case(self, caller: Principal, case_id: str) -> EmergencyCase:
        """For the person who sent the SOS and for operators."""
        require_authenticated(caller)
        case = self.case(case_id)
        require_self_or_role(caller, case.caller_id, *OPERATOR_ROLES)
        return case

    def escalate_unacknowledged(self, now: float, candidate_ids) -> list[EmergencyCase]:
        """The candidates that were open and unacknowledged for escalate_after_seconds,
        now escalated. Candidates: the read model's open cases opened before then."""
        escalated = (self.escalate(str(case_id), now) for case_id in candidate_ids)
        return [case for case in escalated if case is not None]

    @retry_on_conflict
    def escalate(self, case_id: str, now: float) -> EmergencyCase | None:
        case = self.case(case_id)
        if not case.escalate(now, self.escalate_after_seconds):
            return None
        self.save(case)
        return case

    def case(self, case_id: str) -> EmergencyCase:
        try:
            case = self.repository.get(parse_case_id(case_id))
        except AggregateNotFoundError:
            case = None
        if not isinstance(case, EmergencyCase):
            raise NotFound("no such case", field="case_id")
        return case
