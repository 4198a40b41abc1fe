"""The reports service's aggregates and their events. Plain Python: times are
passed in.

Methods decorated with @event run both when the event happens and when the
aggregate is replayed, so they only apply state; the checks that decide
whether the event may happen sit in the undecorated methods around them.
Every event takes the moment it happened as its own `timestamp`, so a
report's timeline follows the application's clock, not the machine's.

The lifecycle (FixMyStreet-like), as the transitions each command allows
("open" is submitted, accepted, assigned or in progress):

    accept       submitted                         -> accepted
    reject       submitted, accepted               -> rejected (final)
    merge        open                              -> merged (final)
    assign       accepted, assigned, in_progress   -> assigned
    start work   assigned                          -> in_progress
    resolve      accepted, assigned, in_progress   -> resolved
    rate         resolved                          -> closed (final)
    auto-close   resolved 7 days ago               -> closed (final)
    reopen       resolved less than 7 days ago     -> assigned if it had an assignee, else accepted

Staff may resolve straight from accepted or assigned: a crew that fixes a
pothole on its round should not have to click through assign and start first;
the timeline still shows who resolved it and when. A submitted report must be
accepted (routed to an agency and commune) before work on it. Re-assigning
work in progress hands it over: the new assignee starts it again.
"""
import uuid
from datetime import datetime, timezone
from typing import NamedTuple

from eventsourcing.domain import Aggregate, event

from kit.errors import AlreadyExists, FailedPrecondition, PermissionDenied

SUBMITTED, ACCEPTED, REJECTED, ASSIGNED = "submitted", "accepted", "rejected", "assigned"
IN_PROGRESS, RESOLVED, CLOSED, MERGED = "in_progress", "resolved", "closed", "merged"
STATUSES = (SUBMITTED, ACCEPTED, REJECTED, ASSIGNED, IN_PROGRESS, RESOLVED, CLOSED, MERGED)
OPEN_STATUSES = (SUBMITTED, ACCEPTED, ASSIGNED, IN_PROGRESS)   # work still to do

REOPEN_WINDOW_SECONDS = 7 * 24 * 3600
AUTO_CLOSE_AFTER_SECONDS = 7 * 24 * 3600

QUESTION_TYPES = ("text", "number", "boolean", "choice")
CATEGORY_NAMESPACE = uuid.UUID("3c9a4d0e-7b21-4f5a-8e6d-1a2b3c4d5e6f")

SYSTEM_ROLE = "system"          # timers: overdue marking and auto-closing
SUPPORTERS_ROLE = "supporters"  # a reopening that enough supporters asked for


class Actor(NamedTuple):
    """Who acts: a person's id and the role they act in."""
    id: str
    role: str


def moment(now: float) -> datetime:
    return datetime.fromtimestamp(now, timezone.utc)


def category_id(code: str) -> uuid.UUID:
    return uuid.uuid5(CATEGORY_NAMESPACE, code)


class Category(Aggregate):
    """A kind of problem citizens report, routed to one agency with one deadline."""

    @staticmethod
    def create_id(code: str) -> uuid.UUID:
        return category_id(code)

    @event("Defined")
    def __init__(self, code: str, name_vi: str, name_en: str, group: str, questions: list,
                 agency: str, deadline_hours: int, deadline_working_days: int, emergency: bool,
                 active: bool, defined_by: str, timestamp: datetime):
        self.code = code
        self._apply(name_vi, name_en, group, questions, agency, deadline_hours,
                    deadline_working_days, emergency, active)

    def redefine(self, fields: dict, defined_by: str, now: float):
        """Replaces the definition; an identical one records nothing."""
        if any(getattr(self, name) != value for name, value in fields.items()):
            self._redefined(**fields, defined_by=defined_by, timestamp=moment(now))

    @event("Redefined")
    def _redefined(self, code: str, name_vi: str, name_en: str, group: str, questions: list,
                   agency: str, deadline_hours: int, deadline_working_days: int, emergency: bool,
                   active: bool, defined_by: str, timestamp: datetime):
        self._apply(name_vi, name_en, group, questions, agency, deadline_hours,
                    deadline_working_days, emergency, active)

    def _apply(self, name_vi, name_en, group, questions, agency, deadline_hours,
               deadline_working_days, emergency, active):
        self.name_vi = name_vi
        self.name_en = name_en
        self.group = group
        self.questions = questions
        self.agency = agency
        self.deadline_hours = deadline_hours
        self.deadline_working_days = deadline_working_days
        self.emergency = emergency
        self.active = active


class Report(Aggregate):
    """One citizen's report of a problem at a place, from filing to closing."""

    @event("Filed")
    def __init__(self, category: str, description: str, latitude: float, longitude: float,
                 address: str, unit_code: str, answers: dict, media: list, anonymous: bool,
                 reporter_id: str, reporter_name: str, emergency: bool, agency: str,
                 deadline: float, timestamp: datetime):
        self.category = category
        self.description = description
        self.latitude = latitude
        self.longitude = longitude
        self.address = address
        self.unit_code = unit_code
        self.answers = answers
        self.media = media
        self.anonymous = anonymous
        self.reporter_id = reporter_id
        self.reporter_name = reporter_name
        self.emergency = emergency
        self.agency = agency
        self.deadline = deadline
        self.filed_at = timestamp.timestamp()
        self.status = SUBMITTED
        self.previous_status = ""
        self.assignee_id = ""
        self.supporter_ids: list[str] = []
        self.reopen_requests: list[str] = []   # supporters who asked since the last resolution
        self.resolution_note = ""
        self.resolution_media: list[str] = []
        self.resolved_at = 0.0
        self.rating = 0
        self.rating_comment = ""
        self.overdue = False
        self.escalated_to = ""
        self.merged_into = ""
        self.hidden = False
        self.redacted_description = ""

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def _move_to(self, status: str):
        self.previous_status, self.status = self.status, status

    def require_status(self, action: str, *allowed: str):
        if self.status not in allowed:
            raise FailedPrecondition(f"cannot {action} a report that is {self.status}",
                                     field="report_id")

    # Routing and work -----------------------------------------------------------
    def accept(self, agency: str, unit_code: str, actor: Actor, now: float):
        self.require_status("accept", SUBMITTED)
        self._accepted(agency=agency, unit_code=unit_code, actor_id=actor.id,
                       actor_role=actor.role, timestamp=moment(now))

    @event("Accepted")
    def _accepted(self, agency: str, unit_code: str, actor_id: str, actor_role: str,
                  timestamp: datetime):
        self.agency = agency
        self.unit_code = unit_code
        self._move_to(ACCEPTED)

    def reject(self, reason: str, actor: Actor, now: float):
        self.require_status("reject", SUBMITTED, ACCEPTED)
        self._rejected(reason=reason, actor_id=actor.id, actor_role=actor.role,
                       timestamp=moment(now))

    @event("Rejected")
    def _rejected(self, reason: str, actor_id: str, actor_role: str, timestamp: datetime):
        self._move_to(REJECTED)

    def assign(self, staff_id: str, actor: Actor, now: float):
        self.require_status("assign", ACCEPTED, ASSIGNED, IN_PROGRESS)
        self._assigned(staff_id=staff_id, actor_id=actor.id, actor_role=actor.role,
                       timestamp=moment(now))

    @event("Assigned")
    def _assigned(self, staff_id: str, actor_id: str, actor_role: str, timestamp: datetime):
        self.assignee_id = staff_id
        self._move_to(ASSIGNED)

    def start_work(self, actor: Actor, now: float):
        self.require_status("start work on", ASSIGNED)
        self._work_started(actor_id=actor.id, actor_role=actor.role, timestamp=moment(now))

    @event("WorkStarted")
    def _work_started(self, actor_id: str, actor_role: str, timestamp: datetime):
        self._move_to(IN_PROGRESS)

    def resolve(self, note: str, media: list, actor: Actor, now: float):
        self.require_status("resolve", ACCEPTED, ASSIGNED, IN_PROGRESS)
        self._resolved(note=note, media=media, actor_id=actor.id, actor_role=actor.role,
                       timestamp=moment(now))

    @event("Resolved")
    def _resolved(self, note: str, media: list, actor_id: str, actor_role: str,
                  timestamp: datetime):
        self.resolution_note = note
        self.resolution_media = media
        self.resolved_at = timestamp.timestamp()
        self.reopen_requests = []
        self._move_to(RESOLVED)

    # Closing and reopening ------------------------------------------------------
    def rate(self, rating: int, comment: str, actor_id: str, now: float):
        self.require_status("rate", RESOLVED)
        self._rated(rating=rating, comment=comment, actor_id=actor_id, timestamp=moment(now))

    @event("Rated")
    def _rated(self, rating: int, comment: str, actor_id: str, timestamp: datetime):
        self.rating = rating
        self.rating_comment = comment
        self._move_to(CLOSED)

    def auto_close(self, now: float) -> bool:
        """Closes a report resolved a week ago and never rated."""
        if self.status != RESOLVED or now < self.resolved_at + AUTO_CLOSE_AFTER_SECONDS:
            return False
        self._auto_closed(timestamp=moment(now))
        return True

    @event("AutoClosed")
    def _auto_closed(self, timestamp: datetime):
        self._move_to(CLOSED)

    def reopen(self, reason: str, actor: Actor, now: float):
        self.require_reopenable(now)
        self._reopened(reason=reason, actor_id=actor.id, actor_role=actor.role,
                       timestamp=moment(now))

    def request_reopen(self, supporter_id: str, reason: str, threshold: int, now: float):
        """A supporter's request; the threshold-th one reopens the report."""
        if supporter_id not in self.supporter_ids:
            raise PermissionDenied("only the reporter or the report's supporters may reopen it")
        self.require_reopenable(now)
        if supporter_id in self.reopen_requests:
            raise AlreadyExists("you asked to reopen this report already", field="report_id")
        self._reopen_requested(supporter_id=supporter_id, reason=reason, timestamp=moment(now))
        if len(self.reopen_requests) >= threshold:
            self._reopened(reason=f"{len(self.reopen_requests)} supporters asked to reopen",
                           actor_id="", actor_role=SUPPORTERS_ROLE, timestamp=moment(now))

    def require_reopenable(self, now: float):
        self.require_status("reopen", RESOLVED)
        if now >= self.resolved_at + REOPEN_WINDOW_SECONDS:
            raise FailedPrecondition("a report may be reopened only within 7 days of its "
                                     "resolution", field="report_id")

    @event("ReopenRequested")
    def _reopen_requested(self, supporter_id: str, reason: str, timestamp: datetime):
        self.reopen_requests.append(supporter_id)

    @event("Reopened")
    def _reopened(self, reason: str, actor_id: str, actor_role: str, timestamp: datetime):
        self.resolution_note = ""
        self.resolution_media = []
        self.resolved_at = 0.0
        self.reopen_requests = []
        self._move_to(ASSIGNED if self.assignee_id else ACCEPTED)

    # Supporters and duplicates --------------------------------------------------
    def support(self, supporter_id: str, now: float):
        self.require_supportable(supporter_id)
        self._supported(supporter_id=supporter_id, timestamp=moment(now))

    def require_supportable(self, supporter_id: str):
        self.require_status("support", *OPEN_STATUSES)
        if supporter_id == self.reporter_id:
            raise FailedPrecondition("you filed this report: it counts you already",
                                     field="report_id")
        if supporter_id in self.supporter_ids:
            raise AlreadyExists("you support this report already", field="report_id")

    @event("Supported")
    def _supported(self, supporter_id: str, timestamp: datetime):
        self.supporter_ids.append(supporter_id)

    def merge_into(self, original: "Report", actor: Actor, now: float):
        """Closes this report as a duplicate; its reporter and supporters back the original."""
        if original.id == self.id:
            raise FailedPrecondition("a report cannot be merged into itself",
                                     field="into_report_id")
        self.require_status("merge", *OPEN_STATUSES)
        if not original.is_open:
            raise FailedPrecondition(f"cannot merge into a report that is {original.status}",
                                     field="into_report_id")
        if original.category != self.category:
            raise FailedPrecondition("only reports of the same category can be merged",
                                     field="into_report_id")
        self._merged_into(into_report_id=str(original.id), actor_id=actor.id,
                          actor_role=actor.role, timestamp=moment(now))
        backers = [person for person in dict.fromkeys([self.reporter_id, *self.supporter_ids])
                   if person != original.reporter_id and person not in original.supporter_ids]
        original._duplicate_merged(report_id=str(self.id), reporter_id=self.reporter_id,
                                   supporter_ids=backers,
                                   supporters=len(original.supporter_ids) + len(backers),
                                   actor_id=actor.id, actor_role=actor.role,
                                   timestamp=moment(now))

    @event("MergedInto")
    def _merged_into(self, into_report_id: str, actor_id: str, actor_role: str,
                     timestamp: datetime):
        self.merged_into = into_report_id
        self._move_to(MERGED)

    @event("DuplicateMerged")
    def _duplicate_merged(self, report_id: str, reporter_id: str, supporter_ids: list,
                          supporters: int, actor_id: str, actor_role: str, timestamp: datetime):
        self.supporter_ids.extend(supporter_ids)

    # Moderation and notes -------------------------------------------------------
    def moderate(self, hidden: bool, redacted_description: str, reason: str, actor: Actor,
                 now: float):
        self._moderated(hidden=hidden, redacted_description=redacted_description, reason=reason,
                        actor_id=actor.id, actor_role=actor.role, timestamp=moment(now))

    @event("Moderated")
    def _moderated(self, hidden: bool, redacted_description: str, reason: str, actor_id: str,
                   actor_role: str, timestamp: datetime):
        # An empty redaction keeps the current one, so hiding or unhiding alone
        # cannot undo a redaction by accident; putting the original text back lifts it.
        self.hidden = hidden
        if redacted_description:
            self.redacted_description = redacted_description

    @property
    def redacted(self) -> bool:
        return bool(self.redacted_description) and self.redacted_description != self.description

    def add_internal_note(self, note: str, actor: Actor, now: float):
        self._internal_note_added(note=note, actor_id=actor.id, actor_role=actor.role,
                                  timestamp=moment(now))

    @event("InternalNoteAdded")
    def _internal_note_added(self, note: str, actor_id: str, actor_role: str,
                             timestamp: datetime):
        pass

    # Deadlines ------------------------------------------------------------------
    def mark_overdue(self, now: float, escalated_to: str) -> bool:
        """Once per report: open and past its deadline."""
        if not self.is_open or self.overdue or now < self.deadline:
            return False
        self._became_overdue(deadline=self.deadline, escalated_to=escalated_to,
                             timestamp=moment(now))
        return True

    @event("BecameOverdue")
    def _became_overdue(self, deadline: float, escalated_to: str, timestamp: datetime):
        self.overdue = True
        self.escalated_to = escalated_to
