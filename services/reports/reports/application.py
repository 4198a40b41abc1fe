"""Reports' commands and single-report queries. No gRPC or nameko here: the
service adapter passes in plain values and the caller's Principal.

Who may do what, in one place (`staff_actor`): staff act on a report when
its agency is their grant's and its commune lies in the grant's
jurisdiction; IOC operators and administrators act everywhere. Assignment
takes any person id: whether that person is staff of the agency is
identity's knowledge, and an assignee without the grant simply cannot act.

The timers' commands (`mark_overdue`, `auto_close`) take their candidates
from the caller: the read model keeps open deadlines and resolution times
indexed, so the timer asks it which reports may be due and the aggregates
decide; nothing here scans the event log.
"""
import math
import re
import time
import uuid
from dataclasses import dataclass
from typing import NamedTuple

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.utils import get_topic

from kit.auth import (
    Principal, Role, require_assurance, require_authenticated, require_jurisdiction,
    require_role, require_self_or_role,
)
from kit.errors import InvalidArgument, NotFound, PermissionDenied
from kit.eventstore import EventSourcedApplication, retry_on_conflict
from kit.memoryview import AggregatesByKey
from kit import geography
from reports import sla
from reports.domainmodel import (
    QUESTION_TYPES, SYSTEM_ROLE, Actor, Category, Report, category_id, moment,
)

REOPEN_SUPPORTERS = 3           # supporters' requests that reopen a resolved report
ASSURANCE_PHONE_CONFIRMED = 1
MAX_DESCRIPTION = 4000
MAX_NOTE = 2000
MAX_MEDIA = 5
MAX_QUESTIONS = 20
MAX_DEADLINE_HOURS = 24 * 365
MAX_DEADLINE_WORKING_DAYS = 250
CODE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
SHA256 = re.compile(r"^[0-9a-f]{64}$")
BOOLEANS = ("true", "false")
# The role a person acts in: the widest they hold.
ACTING_ROLES = (Role.ADMINISTRATOR, Role.IOC_OPERATOR, Role.AGENCY_STAFF)

# Who sees what of a report: each audience sees what the ones before it see.
PUBLIC, REPORTER, STAFF = 0, 1, 2


def parse_uuid(value: str, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        raise InvalidArgument("not a valid id", field=field) from None


def acting_role(caller: Principal) -> str:
    return next((role.value for role in ACTING_ROLES if caller.has_role(role)),
                Role.CITIZEN.value)


# Views -----------------------------------------------------------------------------
@dataclass(frozen=True)
class TimelineEntry:
    event: str              # the domain event's name, e.g. "Accepted"
    at: float               # epoch seconds
    actor: str              # person id; empty when not shown to this caller
    actor_role: str         # citizen, agency_staff, ioc_operator, administrator, system, supporters
    detail: str
    internal: bool          # a staff-only note


@dataclass(frozen=True)
class ReportView:
    """A report as one caller may see it."""
    id: str
    category: str
    description: str        # the redacted text for the public once redacted
    latitude: float
    longitude: float
    address: str
    unit_code: str
    status: str
    reporter_id: str        # empty when the reporter is hidden from this caller
    reporter_name: str
    reporter_visible: bool
    answers: dict
    media: tuple
    agency: str
    assignee_id: str        # staff only
    filed_at: float
    deadline: float
    overdue: bool
    escalated_to: str       # the province's code once overdue
    supporters: int
    merged_into: str
    hidden: bool
    redacted: bool
    rating: int
    resolution_note: str
    resolution_media: tuple
    emergency: bool
    timeline: tuple = ()    # TimelineEntry, oldest first; get_report only


class Shown(NamedTuple):
    audience: int
    role: str                 # when the event records none
    detail: object            # event -> text
    staff_only_detail: bool = False   # the detail names a person


def nothing(_event) -> str:
    return ""


TIMELINE = {
    "Filed": Shown(PUBLIC, Role.CITIZEN.value, nothing),
    "Accepted": Shown(PUBLIC, "", lambda e: f"{e.agency}, {e.unit_code}"),
    "Rejected": Shown(PUBLIC, "", lambda e: e.reason),
    "Assigned": Shown(PUBLIC, "", lambda e: e.staff_id, staff_only_detail=True),
    "WorkStarted": Shown(PUBLIC, "", nothing),
    "Resolved": Shown(PUBLIC, "", lambda e: e.note),
    "Rated": Shown(PUBLIC, Role.CITIZEN.value,
                   lambda e: f"{e.rating}/5" + (f": {e.comment}" if e.comment else "")),
    "AutoClosed": Shown(PUBLIC, SYSTEM_ROLE, nothing),
    "Reopened": Shown(PUBLIC, "", lambda e: e.reason),
    "Supported": Shown(PUBLIC, Role.CITIZEN.value, nothing),
    "ReopenRequested": Shown(REPORTER, Role.CITIZEN.value, lambda e: e.reason),
    "MergedInto": Shown(PUBLIC, "", lambda e: e.into_report_id),
    "DuplicateMerged": Shown(PUBLIC, "", lambda e: e.report_id),
    "Moderated": Shown(REPORTER, "", lambda e: e.reason),
    "InternalNoteAdded": Shown(STAFF, "", lambda e: e.note),
    "BecameOverdue": Shown(PUBLIC, SYSTEM_ROLE, lambda e: f"escalated to {e.escalated_to}"),
}


def actor_of(domain_event) -> str:
    for name in ("actor_id", "reporter_id", "supporter_id"):
        if hasattr(domain_event, name):
            return getattr(domain_event, name)
    return ""


# Validation ------------------------------------------------------------------------
def checked_text(value, field: str, maximum: int, minimum: int = 1, one_line=False) -> str:
    if not isinstance(value, str):
        raise InvalidArgument("must be text", field=field)
    value = " ".join(value.split()) if one_line else value.strip()
    if not minimum <= len(value) <= maximum:
        limits = f"{minimum} to {maximum}" if minimum else f"at most {maximum}"
        raise InvalidArgument(f"must be {limits} characters", field=field)
    return value


def checked_code(value, field: str) -> str:
    if not isinstance(value, str) or not CODE.match(value):
        raise InvalidArgument("2–40 characters: lower-case letters, digits and _, "
                              "starting with a letter", field=field)
    return value


def checked_category(*, code, name_vi, name_en, group, questions, agency, deadline_hours,
                     deadline_working_days, emergency, active) -> dict:
    return dict(
        code=checked_code(code, "category.code"),
        name_vi=checked_text(name_vi, "category.name_vi", 100, one_line=True),
        name_en=checked_text(name_en, "category.name_en", 100, one_line=True),
        group=checked_code(group, "category.group"),
        questions=checked_questions(questions),
        agency=checked_text(agency, "category.agency", 200, minimum=2, one_line=True),
        **checked_deadline(deadline_hours, deadline_working_days),
        emergency=bool(emergency),
        active=bool(active),
    )


def checked_questions(questions) -> list[dict]:
    questions = list(questions or ())
    if len(questions) > MAX_QUESTIONS:
        raise InvalidArgument(f"at most {MAX_QUESTIONS} questions", field="category.questions")
    checked = [checked_question(q, f"category.questions[{i}]") for i, q in enumerate(questions)]
    codes = [question["code"] for question in checked]
    if len(set(codes)) != len(codes):
        raise InvalidArgument("question codes must be unique", field="category.questions")
    return checked


def checked_question(question, field: str) -> dict:
    if not isinstance(question, dict):
        raise InvalidArgument("must be a question", field=field)
    kind = question.get("type")
    if kind not in QUESTION_TYPES:
        raise InvalidArgument(f"must be one of {', '.join(QUESTION_TYPES)}", field=f"{field}.type")
    choices = [checked_text(choice, f"{field}.choices", 100, one_line=True)
               for choice in question.get("choices") or ()]
    if (kind == "choice") != bool(choices) or len(set(choices)) != len(choices):
        raise InvalidArgument("choice questions, and only they, list distinct choices",
                              field=f"{field}.choices")
    return {
        "code": checked_code(question.get("code"), f"{field}.code"),
        "label_vi": checked_text(question.get("label_vi"), f"{field}.label_vi", 200, one_line=True),
        "label_en": checked_text(question.get("label_en", ""), f"{field}.label_en", 200,
                                 minimum=0, one_line=True),
        "type": kind,
        "required": bool(question.get("required")),
        "choices": choices,
    }


def checked_deadline(hours, working_days) -> dict:
    for value, name, maximum in ((hours, "deadline_hours", MAX_DEADLINE_HOURS),
                                 (working_days, "deadline_working_days",
                                  MAX_DEADLINE_WORKING_DAYS)):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= maximum:
            raise InvalidArgument(f"must be a whole number from 0 to {maximum}",
                                  field=f"category.{name}")
    if (hours > 0) == (working_days > 0):
        raise InvalidArgument("give exactly one of deadline_hours and deadline_working_days",
                              field="category.deadline_hours")
    return {"deadline_hours": hours, "deadline_working_days": working_days}


def checked_answers(answers: dict, questions: list[dict]) -> dict:
    unknown = sorted(set(answers) - {question["code"] for question in questions})
    if unknown:
        raise InvalidArgument(f"this category asks no questions {unknown}", field="answers")
    checked = {}
    for question in questions:
        field, value = f"answers.{question['code']}", answers.get(question["code"], "")
        if not isinstance(value, str):
            raise InvalidArgument("answers are text", field=field)
        if value.strip():
            checked[question["code"]] = checked_answer(question, value.strip(), field)
        elif question["required"]:
            raise InvalidArgument("an answer is required", field=field)
    return checked


def checked_answer(question: dict, value: str, field: str) -> str:
    kind = question["type"]
    if kind == "number" and not is_number(value):
        raise InvalidArgument("must be a number", field=field)
    if kind == "boolean":
        value = value.lower()
        if value not in BOOLEANS:
            raise InvalidArgument("must be true or false", field=field)
    if kind == "choice" and value not in question["choices"]:
        raise InvalidArgument(f"must be one of {question['choices']}", field=field)
    return checked_text(value, field, 500)


def is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def checked_coordinate(value, field: str, limit: int) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not math.isfinite(value) or not -limit <= value <= limit:
        raise InvalidArgument(f"must be a number from -{limit} to {limit}", field=field)
    return float(value)


# Categories cache ------------------------------------------------------------------
# The application -------------------------------------------------------------------
class ReportsApplication(EventSourcedApplication):
    """Commands and single-report queries of the reports service.

    `identity.assurance_level(person_id) -> int` answers for supports (without
    it, no support counts); `locate(latitude, longitude) -> commune code or
    None` places reports (default: the shipped nearest-centroid locator);
    `media_exists(sha256) -> bool` checks uploads (default: none is checked,
    only their form).
    """

    snapshotted = (Report, Category)

    def __init__(self, env=None, *, units, clock=time.time, identity=None, locate=None,
                 media_exists=None, reopen_supporters=REOPEN_SUPPORTERS):
        super().__init__(env)
        self.units = units
        self.clock = clock
        self.identity = identity
        self.locate = locate or geography.Locator.load()
        self.media_exists = media_exists
        self.reopen_supporters = reopen_supporters
        self.calendar = sla.WorkingCalendar.load()
        self.catalogue = AggregatesByKey(
            self, [get_topic(Category.Defined), get_topic(Category.Redefined)], lambda c: c.code)
        self.catalogue.catch_up()

    # Loading and permissions ---------------------------------------------------------
    def report(self, report_id: str, field: str = "report_id") -> Report:
        try:
            report = self.repository.get(parse_uuid(report_id, field))
        except AggregateNotFoundError:
            report = None
        if not isinstance(report, Report):
            raise NotFound("no such report", field=field)
        return report

    def staff_actor(self, caller: Principal | None, report: Report) -> Actor:
        """The caller as staff serving the report's agency and commune."""
        require_jurisdiction(caller, report.unit_code, self.units, agency=report.agency)
        return Actor(caller.subject, acting_role(caller))

    def serves(self, caller: Principal | None, report: Report) -> bool:
        try:
            self.staff_actor(caller, report)
            return True
        except PermissionDenied:
            return False

    def province_of(self, report: Report) -> str:
        return self.units.province_of(report.unit_code).code

    # Categories ----------------------------------------------------------------------
    @retry_on_conflict
    def define_category(self, caller: Principal, *, code, name_vi, name_en, group, questions,
                        agency, deadline_hours=0, deadline_working_days=0, emergency=False,
                        active=True) -> Category:
        require_role(caller, Role.ADMINISTRATOR)
        fields = checked_category(
            code=code, name_vi=name_vi, name_en=name_en, group=group, questions=questions,
            agency=agency, deadline_hours=deadline_hours,
            deadline_working_days=deadline_working_days, emergency=emergency, active=active)
        try:
            category = self.repository.get(category_id(fields["code"]))
            category.redefine(fields, defined_by=caller.subject, now=self.clock())
        except AggregateNotFoundError:
            category = Category(**fields, defined_by=caller.subject, timestamp=moment(self.clock()))
        self.save(category)
        self.catalogue.catch_up()
        return category

    def categories(self, include_inactive=False) -> list[Category]:
        categories = self.catalogue.current(max_age_seconds=5.0).values()
        return sorted((c for c in categories if include_inactive or c.active),
                      key=lambda c: (c.group, c.code))

    def active_category(self, code: str) -> Category:
        category = self.catalogue.current(max_age_seconds=5.0).get(code)
        if category is None or not category.active:
            raise InvalidArgument(f"no category {code!r} takes reports", field="category")
        return category

    # Filing --------------------------------------------------------------------------
    def file_report(self, caller: Principal, *, category, description, latitude, longitude,
                    address="", answers=None, media=(), anonymous=False,
                    reporter_name="") -> Report:
        """Files a report; an emergency category's is filed too, flagged, and
        the adapter tells the citizen to call 112/113/114/115."""
        require_assurance(caller, ASSURANCE_PHONE_CONFIRMED)
        kind = self.active_category(category)
        unit_code = self.commune_at(latitude, longitude)
        now = self.clock()
        report = Report(
            category=kind.code,
            description=checked_text(description, "description", MAX_DESCRIPTION),
            latitude=float(latitude), longitude=float(longitude),
            address=checked_text(address, "address", 300, minimum=0, one_line=True),
            unit_code=unit_code,
            answers=checked_answers(dict(answers or {}), kind.questions),
            media=self.checked_media(media, "media"),
            anonymous=bool(anonymous),
            reporter_id=caller.subject,
            reporter_name=checked_text(reporter_name, "reporter_name", 200, minimum=0,
                                       one_line=True),
            emergency=kind.emergency,
            agency=kind.agency,
            deadline=sla.deadline(now, kind.deadline_hours, kind.deadline_working_days,
                                  self.calendar),
            timestamp=moment(now),
        )
        self.save(report)
        return report

    def commune_at(self, latitude, longitude) -> str:
        unit_code = self.locate(checked_coordinate(latitude, "location.latitude", 90),
                                checked_coordinate(longitude, "location.longitude", 180))
        if unit_code is None:
            raise InvalidArgument("the place is outside the province", field="location")
        return unit_code

    def checked_media(self, media, field: str) -> list[str]:
        media = [sha.lower() if isinstance(sha, str) else sha for sha in media or ()]
        if len(media) > MAX_MEDIA:
            raise InvalidArgument(f"at most {MAX_MEDIA} files", field=field)
        if len(set(media)) != len(media):
            raise InvalidArgument("the same file is named twice", field=field)
        for sha in media:
            if not isinstance(sha, str) or not SHA256.match(sha):
                raise InvalidArgument("name each file by the SHA-256 its upload returned",
                                      field=field)
            if self.media_exists is not None and not self.media_exists(sha):
                raise InvalidArgument(f"no uploaded file {sha}: upload it first", field=field)
        return media

    # Supporters and the reporter -----------------------------------------------------
    def support(self, caller: Principal, report_id: str) -> Report:
        """Counts the caller's support once identity confirms they are a confirmed person."""
        require_authenticated(caller)
        self.report(report_id).require_supportable(caller.subject)   # before the remote call
        if self.identity is None or \
                self.identity.assurance_level(caller.subject) < ASSURANCE_PHONE_CONFIRMED:
            raise PermissionDenied("only people with a confirmed phone may support reports")
        return self.add_support(caller.subject, report_id)

    @retry_on_conflict
    def add_support(self, supporter_id: str, report_id: str) -> Report:
        report = self.report(report_id)
        report.support(supporter_id, self.clock())
        self.save(report)
        return report

    @retry_on_conflict
    def rate(self, caller: Principal, report_id: str, rating, comment="") -> Report:
        report = self.report(report_id)
        require_self_or_role(caller, report.reporter_id)
        if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
            raise InvalidArgument("must be 1 to 5", field="rating")
        report.rate(rating, checked_text(comment, "comment", MAX_NOTE, minimum=0),
                    caller.subject, self.clock())
        self.save(report)
        return report

    @retry_on_conflict
    def reopen(self, caller: Principal, report_id: str, reason) -> Report:
        """The reporter reopens; a supporter's request counts towards reopen_supporters."""
        require_authenticated(caller)
        reason = checked_text(reason, "reason", MAX_NOTE)
        report = self.report(report_id)
        if caller.subject == report.reporter_id:
            report.reopen(reason, Actor(caller.subject, Role.CITIZEN.value), self.clock())
        else:
            report.request_reopen(caller.subject, reason, self.reopen_supporters, self.clock())
        self.save(report)
        return report

    # Staff ---------------------------------------------------------------------------
    @retry_on_conflict
    def staff_change(self, caller: Principal, report_id: str, change) -> Report:
        """Applies change(report, actor, now) for staff serving the report."""
        report = self.report(report_id)
        change(report, self.staff_actor(caller, report), self.clock())
        self.save(report)
        return report

    def accept(self, caller: Principal, report_id: str, agency="", unit_code="") -> Report:
        """Routes the report: to another agency or commune when given, else as filed."""
        agency = checked_text(agency, "agency", 200, minimum=0, one_line=True)

        def route(report, actor, now):
            report.accept(agency or report.agency, self.routed_commune(report, unit_code),
                          actor, now)
        return self.staff_change(caller, report_id, route)

    def routed_commune(self, report: Report, unit_code: str) -> str:
        if not unit_code:
            return report.unit_code
        if unit_code not in self.units or not self.units.is_commune(unit_code) or \
                self.units.province_of(unit_code).code != self.province_of(report):
            raise InvalidArgument(f"{unit_code!r} is not a commune of the province",
                                  field="unit_code")
        return unit_code

    def reject(self, caller: Principal, report_id: str, reason) -> Report:
        reason = checked_text(reason, "reason", MAX_NOTE)
        return self.staff_change(caller, report_id,
                                 lambda report, actor, now: report.reject(reason, actor, now))

    def assign(self, caller: Principal, report_id: str, staff_id) -> Report:
        staff_id = str(parse_uuid(staff_id, "staff_id"))
        return self.staff_change(caller, report_id,
                                 lambda report, actor, now: report.assign(staff_id, actor, now))

    def start_work(self, caller: Principal, report_id: str) -> Report:
        return self.staff_change(caller, report_id,
                                 lambda report, actor, now: report.start_work(actor, now))

    def resolve(self, caller: Principal, report_id: str, note, media=()) -> Report:
        note = checked_text(note, "note", MAX_NOTE)
        media = self.checked_media(media, "media")
        return self.staff_change(
            caller, report_id, lambda report, actor, now: report.resolve(note, media, actor, now))

    def moderate(self, caller: Principal, report_id: str, hidden, redacted_description,
                 reason) -> Report:
        """Hides or shows a report; a non-empty redaction replaces the public text,
        an empty one keeps the current redaction."""
        redacted = checked_text(redacted_description, "redacted_description", MAX_DESCRIPTION,
                                minimum=0)
        reason = checked_text(reason, "reason", MAX_NOTE)
        return self.staff_change(caller, report_id, lambda report, actor, now: report.moderate(
            bool(hidden), redacted, reason, actor, now))

    def add_internal_note(self, caller: Principal, report_id: str, note) -> Report:
        note = checked_text(note, "note", MAX_NOTE)
        return self.staff_change(caller, report_id, lambda report, actor, now: (
            report.add_internal_note(note, actor, now)))

    @retry_on_conflict
    def merge(self, caller: Principal, duplicate_id: str, into_id: str) -> Report:
        """Merges a duplicate into its original; returns the duplicate."""
        duplicate = self.report(duplicate_id)
        original = self.report(into_id, field="into_report_id")
        actor = self.staff_actor(caller, duplicate)
        self.staff_actor(caller, original)
        duplicate.merge_into(original, actor, self.clock())
        self.save(duplicate, original)
        return duplicate

    # Timers --------------------------------------------------------------------------
    def mark_overdue(self, now: float, candidate_ids) -> list[Report]:
        """The candidates that were open and past their deadline, now escalated to
        the province. Candidates: the read model's open deadlines up to now."""
        return self.system_changes(candidate_ids, lambda report: report.mark_overdue(
            now, self.province_of(report)))

    def auto_close(self, now: float, candidate_ids) -> list[Report]:
        """The candidates that were resolved 7 days ago unrated, now closed.
        Candidates: the read model's reports resolved before now - 7 days."""
        return self.system_changes(candidate_ids, lambda report: report.auto_close(now))

    def system_changes(self, report_ids, change) -> list[Report]:
        changed = (self.system_change(str(report_id), change) for report_id in report_ids)
        return [report for report in changed if report is not None]

    @retry_on_conflict
    def system_change(self, report_id: str, change) -> Report | None:
        report = self.report(report_id)
        if not change(report):
            return None
        self.save(report)
        return report

    # Queries -------------------------------------------------------------------------
    def get_report(self, caller: Principal | None, report_id: str) -> ReportView:
        """The report with its timeline, as the caller may see it (None: the public)."""
        return self.view(caller, self.report(report_id), with_timeline=True)

    def audience(self, caller: Principal | None, report: Report) -> int:
        if caller is None:
            return PUBLIC
        if self.serves(caller, report):
            return STAFF
        return REPORTER if caller.subject == report.reporter_id else PUBLIC

    def view(self, caller: Principal | None, report: Report, with_timeline=False) -> ReportView:
        """What the caller may see of a report: the reporter and staff see it in
        full (internal notes for staff only); the public sees published reports,
        redacted, and no reporter who asked to stay anonymous."""
        audience = self.audience(caller, report)
        if audience == PUBLIC and report.hidden:
            raise NotFound("no such report", field="report_id")
        reporter_visible = audience > PUBLIC or not report.anonymous
        viewer = caller.subject if caller is not None else ""
        return ReportView(
            id=str(report.id), category=report.category,
            description=report.description if audience > PUBLIC
            else report.redacted_description or report.description,
            latitude=report.latitude, longitude=report.longitude, address=report.address,
            unit_code=report.unit_code, status=report.status,
            reporter_id=report.reporter_id if reporter_visible else "",
            reporter_name=report.reporter_name if reporter_visible else "",
            reporter_visible=reporter_visible,
            answers=dict(report.answers), media=tuple(report.media), agency=report.agency,
            assignee_id=report.assignee_id if audience == STAFF else "",
            filed_at=report.filed_at, deadline=report.deadline, overdue=report.overdue,
            escalated_to=report.escalated_to, supporters=len(report.supporter_ids),
            merged_into=report.merged_into, hidden=report.hidden, redacted=report.redacted,
            rating=report.rating, resolution_note=report.resolution_note,
            resolution_media=tuple(report.resolution_media), emergency=report.emergency,
            timeline=tuple(self.timeline(report, audience, viewer)) if with_timeline else (),
        )

    def timeline(self, report: Report, audience: int, viewer: str):
        for domain_event in self.events.get(report.id):
            name = type(domain_event).__name__
            shown = TIMELINE[name]
            if shown.audience > audience:
                continue
            actor = actor_of(domain_event)
            detail = shown.detail(domain_event)
            yield TimelineEntry(
                event=name,
                at=domain_event.timestamp.timestamp(),
                actor=actor if audience == STAFF or (actor and actor == viewer) else "",
                actor_role=getattr(domain_event, "actor_role", "") or shown.role,
                detail="" if shown.staff_only_detail and audience < STAFF else detail,
                internal=shown.audience == STAFF,
            )
