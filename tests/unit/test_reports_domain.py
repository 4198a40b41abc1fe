"""Reports' aggregates and application, in memory: no database, no network."""
import json
import math
import re
import uuid
from datetime import date, datetime

import pytest

from kit.adminunits import AdministrativeUnits
from kit.auth import Principal, RoleGrant
from kit.errors import (
    AlreadyExists, FailedPrecondition, InvalidArgument, NotFound, PermissionDenied,
    Unauthenticated,
)
from kit import geography
from reports import sla
from reports.application import ReportsApplication
from reports.domainmodel import Category, moment
from reports.integration import translate
from smartcity.events.v1 import reports_pb2 as events

AGENCY = "Sở Xây dựng"
PHAN_DINH_PHUNG = ("05443", 21.5887, 105.834)      # a ward of Thái Nguyên city
PHO_YEN = ("05860", 21.4265, 105.867)
HANOI = (21.0285, 105.8542)
DAY = 24 * 3600


def vietnam_time(*args) -> float:
    return datetime(*args, tzinfo=sla.VIETNAM).timestamp()


class Clock:
    def __init__(self, now=vietnam_time(2026, 3, 2, 9, 0)):   # a Monday morning
        self.now = now

    def __call__(self):
        return self.now


class FakeIdentity:
    """What the adapter asks identity over gRPC: a person's assurance level."""

    def __init__(self):
        self.levels = {}
        self.asked = []

    def assurance_level(self, person_id):
        self.asked.append(person_id)
        return self.levels.get(person_id, 0)


def person(*grants, level=1):
    return Principal(subject=str(uuid.uuid4()), kind="person",
                     roles=(RoleGrant("citizen"), *grants), assurance_level=level)


ADMIN = person(RoleGrant("administrator"))
OPERATOR = person(RoleGrant("ioc_operator"))
STAFF = person(RoleGrant("agency_staff", AGENCY, PHAN_DINH_PHUNG[0]))
PROVINCE_STAFF = person(RoleGrant("agency_staff", AGENCY, "19"))
OTHER_AGENCY = person(RoleGrant("agency_staff", "Sở Tài nguyên và Môi trường", "19"))
OUTSIDE_JURISDICTION = person(RoleGrant("agency_staff", AGENCY, PHO_YEN[0]))
MEDIA = ["a" * 64, "b" * 64]


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def identity():
    return FakeIdentity()


@pytest.fixture
def app(clock, identity):
    app = ReportsApplication({"PERSISTENCE_MODULE": "eventsourcing.popo"},
                             units=AdministrativeUnits.load(), clock=clock, identity=identity,
                             media_exists=lambda sha: sha in MEDIA)
    define(app)
    return app


def define(app, code="pothole", **changes):
    fields = dict(
        code=code, name_vi="Ổ gà", name_en="Pothole", group="roads", agency=AGENCY,
        questions=[
            {"code": "depth_cm", "label_vi": "Độ sâu (cm)", "label_en": "Depth (cm)",
             "type": "number", "required": True},
            {"code": "lane", "label_vi": "Làn đường", "type": "choice", "required": False,
             "choices": ["trái", "phải"]},
            {"code": "blocking", "label_vi": "Cản trở giao thông", "type": "boolean"},
        ],
        deadline_working_days=3,
    )
    fields.update(changes)
    return app.define_category(ADMIN, **fields)


def citizen(identity, level=1):
    caller = person(level=level)
    identity.levels[caller.subject] = level
    return caller


def file(app, reporter, place=PHAN_DINH_PHUNG, category="pothole", **changes):
    fields = dict(category=category, description="Ổ gà sâu giữa đường Hoàng Văn Thụ",
                  latitude=place[1], longitude=place[2], address="Số 12 Hoàng Văn Thụ",
                  answers={"depth_cm": "15"}, media=MEDIA[:1], anonymous=False,
                  reporter_name="Nguyễn Văn An")
    fields.update(changes)
    return app.file_report(reporter, **fields)


def rid(report):
    return str(report.id)


def resolved(app, reporter, assigned=True):
    report = file(app, reporter)
    app.accept(STAFF, rid(report))
    if assigned:
        app.assign(STAFF, rid(report), str(uuid.uuid4()))
    return app.resolve(STAFF, rid(report), "Đã vá")


def entries(view):
    return [entry.event for entry in view.timeline]


# Categories -------------------------------------------------------------------------
def test_only_administrators_define_categories(app):
    with pytest.raises(PermissionDenied):
        app.define_category(STAFF, code="flood", name_vi="Ngập", name_en="Flood", group="water",
                            questions=[], agency=AGENCY, deadline_hours=4)


@pytest.mark.parametrize("change, field", [
    ({"code": "Pot Hole"}, "category.code"),
    ({"name_vi": "  "}, "category.name_vi"),
    ({"name_en": ""}, "category.name_en"),
    ({"group": ""}, "category.group"),
    ({"agency": ""}, "category.agency"),
    ({"questions": [{"code": "x1", "label_vi": "X", "type": "date"}]},
     "category.questions[0].type"),
    ({"questions": [{"code": "x1", "label_vi": "X", "type": "choice"}]},
     "category.questions[0].choices"),
    ({"questions": [{"code": "x1", "label_vi": "X", "type": "text", "choices": ["a"]}]},
     "category.questions[0].choices"),
    ({"questions": [{"code": "x1", "label_vi": "X", "type": "text"}] * 2}, "category.questions"),
    ({"deadline_hours": 24}, "category.deadline_hours"),                 # both given
    ({"deadline_working_days": 0}, "category.deadline_hours"),           # neither
    ({"deadline_working_days": -1}, "category.deadline_working_days"),
])
def test_category_definitions_are_validated(app, change, field):
    with pytest.raises(InvalidArgument) as error:
        define(app, **{"code": "other", **change})
    assert error.value.field == field


def test_redefining_replaces_and_identical_redefinition_records_nothing(app):
    category = define(app, agency="UBND phường Phan Đình Phùng", deadline_working_days=5)
    assert category.version == 2
    assert [type(e).__name__ for e in app.events.get(category.id)] == ["Defined", "Redefined"]
    assert define(app, agency="UBND phường Phan Đình Phùng", deadline_working_days=5).version == 2
    assert app.categories()[0].agency == "UBND phường Phan Đình Phùng"


def test_inactive_categories_are_listed_on_request_and_take_no_reports(app, identity):
    define(app, code="graffiti", group="environment", deadline_hours=72, deadline_working_days=0,
           questions=[], active=False)
    assert [c.code for c in app.categories()] == ["pothole"]
    assert [c.code for c in app.categories(include_inactive=True)] == ["graffiti", "pothole"]
    with pytest.raises(InvalidArgument) as error:
        file(app, citizen(identity), category="graffiti", answers={})
    assert error.value.field == "category"


def test_the_category_cache_follows_the_notification_log(app):
    # A definition saved by another replica reaches this one's cache on catch-up.
    app.save(Category(code="streetlight", name_vi="Đèn", name_en="Light", group="lighting",
                      questions=[], agency="Sở Xây dựng", deadline_hours=48,
                      deadline_working_days=0, emergency=False, active=True, defined_by="x",
                      timestamp=moment(0)))
    assert "streetlight" not in app.catalogue.items
    app.catalogue.catch_up()
    assert [c.code for c in app.categories()] == ["streetlight", "pothole"]   # by group


# Filing -----------------------------------------------------------------------------
def test_filing_routes_to_the_commune_and_the_categorys_agency(app, identity, clock):
    report = file(app, citizen(identity))
    assert (report.status, report.unit_code, report.agency) == ("submitted", "05443", AGENCY)
    assert report.filed_at == clock.now and not report.emergency
    assert report.deadline == vietnam_time(2026, 3, 5, 17, 0)    # 3 working days


def test_filing_needs_a_confirmed_phone(app, identity):
    with pytest.raises(PermissionDenied):
        file(app, citizen(identity, level=0))
    with pytest.raises(Unauthenticated):
        file(app, None)


@pytest.mark.parametrize("place, field", [
    (("", *HANOI), "location"),                         # another province
    (("", 22.70, 106.20), "location"),                  # in the box, far from every commune
    (("", 0.0, 0.0), "location"),                       # an unset GeoPoint
    (("", math.nan, 105.8), "location.latitude"),
    (("", 21.6, 200.0), "location.longitude"),
])
def test_places_outside_the_province_are_refused(app, identity, place, field):
    with pytest.raises(InvalidArgument) as error:
        file(app, citizen(identity), place=place)
    assert error.value.field == field


@pytest.mark.parametrize("answers, field, message", [
    ({}, "answers.depth_cm", "an answer is required"),
    ({"depth_cm": "  "}, "answers.depth_cm", "an answer is required"),
    ({"depth_cm": "sâu"}, "answers.depth_cm", "must be a number"),
    ({"depth_cm": "nan"}, "answers.depth_cm", "must be a number"),
    ({"depth_cm": "5", "lane": "giữa"}, "answers.lane", "must be one of"),
    ({"depth_cm": "5", "blocking": "có lẽ"}, "answers.blocking", "must be true or false"),
    ({"depth_cm": "5", "colour": "đỏ"}, "answers", "this category asks no questions ['colour']"),
])
def test_answers_are_checked_against_the_questions(app, identity, answers, field, message):
    with pytest.raises(InvalidArgument, match=re.escape(message)) as error:
        file(app, citizen(identity), answers=answers)
    assert error.value.field == field


def test_answers_are_kept_normalised(app, identity):
    report = file(app, citizen(identity),
                  answers={"depth_cm": " 12.5 ", "lane": "phải", "blocking": "TRUE"})
    assert report.answers == {"depth_cm": "12.5", "lane": "phải", "blocking": "true"}


@pytest.mark.parametrize("change, field", [
    ({"description": ""}, "description"),
    ({"description": "x" * 4001}, "description"),
    ({"media": ["c" * 64]}, "media"),                   # not uploaded
    ({"media": ["not-a-hash"]}, "media"),
    ({"media": MEDIA[:1] * 2}, "media"),
    ({"media": [f"{i:064x}" for i in range(6)]}, "media"),
    ({"address": "x" * 301}, "address"),
])
def test_filing_fields_are_validated(app, identity, change, field):
    with pytest.raises(InvalidArgument) as error:
        file(app, citizen(identity), **change)
    assert error.value.field == field


def test_emergency_categories_still_file_but_flagged(app, identity):
    define(app, code="gas_leak", group="safety", questions=[], deadline_hours=1,
           deadline_working_days=0, emergency=True)
    report = file(app, citizen(identity), category="gas_leak", answers={})
    assert report.emergency and report.status == "submitted"


# Lifecycle --------------------------------------------------------------------------
def test_the_whole_lifecycle(app, identity):
    reporter = citizen(identity)
    worker = str(uuid.uuid4())
    report = file(app, reporter)
    app.accept(STAFF, rid(report))
    app.assign(STAFF, rid(report), worker)
    app.start_work(STAFF, rid(report))
    app.resolve(STAFF, rid(report), "Đã vá ổ gà", media=MEDIA[1:])
    closed = app.rate(reporter, rid(report), 5, "Cảm ơn")
    assert (closed.status, closed.rating, closed.assignee_id) == ("closed", 5, worker)
    view = app.get_report(reporter, rid(report))
    assert entries(view) == ["Filed", "Accepted", "Assigned", "WorkStarted", "Resolved", "Rated"]
    assert view.resolution_note == "Đã vá ổ gà" and view.resolution_media == (MEDIA[1],)
    assert [entry.actor_role for entry in view.timeline] == [
        "citizen", "agency_staff", "agency_staff", "agency_staff", "agency_staff", "citizen"]


def test_accepting_may_reroute_within_the_province(app, identity):
    report = file(app, citizen(identity))
    with pytest.raises(InvalidArgument) as error:
        app.accept(STAFF, rid(report), unit_code="00004")       # a ward of Hà Nội
    assert error.value.field == "unit_code"
    accepted = app.accept(STAFF, rid(report), agency="UBND phường Phổ Yên", unit_code=PHO_YEN[0])
    assert (accepted.agency, accepted.unit_code) == ("UBND phường Phổ Yên", PHO_YEN[0])
    with pytest.raises(PermissionDenied):                       # no longer theirs
        app.assign(STAFF, rid(report), str(uuid.uuid4()))


def test_staff_may_resolve_straight_from_accepted(app, identity):
    report = file(app, citizen(identity))
    app.accept(STAFF, rid(report))
    assert app.resolve(STAFF, rid(report), "Đã vá trong ngày").status == "resolved"


def test_reassigning_hands_work_over(app, identity):
    report = file(app, citizen(identity))
    app.accept(STAFF, rid(report))
    app.assign(STAFF, rid(report), str(uuid.uuid4()))
    app.start_work(STAFF, rid(report))
    second = str(uuid.uuid4())
    report = app.assign(STAFF, rid(report), second)
    assert (report.status, report.assignee_id) == ("assigned", second)


def to_status(app, identity, status):
    """A report brought to status through the commands."""
    reporter = citizen(identity)
    report = file(app, reporter)
    steps = {
        "rejected": [lambda: app.reject(STAFF, rid(report), "Trùng lặp")],
        "accepted": [lambda: app.accept(STAFF, rid(report))],
        "assigned": [lambda: app.accept(STAFF, rid(report)),
                     lambda: app.assign(STAFF, rid(report), str(uuid.uuid4()))],
        "in_progress": [lambda: app.accept(STAFF, rid(report)),
                        lambda: app.assign(STAFF, rid(report), str(uuid.uuid4())),
                        lambda: app.start_work(STAFF, rid(report))],
        "resolved": [lambda: app.accept(STAFF, rid(report)),
                     lambda: app.resolve(STAFF, rid(report), "Xong")],
        "closed": [lambda: app.accept(STAFF, rid(report)),
                   lambda: app.resolve(STAFF, rid(report), "Xong"),
                   lambda: app.rate(reporter, rid(report), 4)],
        "merged": [lambda: app.merge(STAFF, rid(report), rid(file(app, citizen(identity))))],
    }
    for step in steps.get(status, []):
        step()
    assert app.report(rid(report)).status == status
    return report, reporter


ACTIONS = {
    "accept": lambda app, report, reporter: app.accept(STAFF, rid(report)),
    "reject": lambda app, report, reporter: app.reject(STAFF, rid(report), "Không rõ"),
    "assign": lambda app, report, reporter: app.assign(STAFF, rid(report), str(uuid.uuid4())),
    "start work on": lambda app, report, reporter: app.start_work(STAFF, rid(report)),
    "resolve": lambda app, report, reporter: app.resolve(STAFF, rid(report), "Xong"),
    "rate": lambda app, report, reporter: app.rate(reporter, rid(report), 3),
    "reopen": lambda app, report, reporter: app.reopen(reporter, rid(report), "Chưa xong"),
}
ALLOWED_FROM = {
    "accept": {"submitted"},
    "reject": {"submitted", "accepted"},
    "assign": {"accepted", "assigned", "in_progress"},
    "start work on": {"assigned"},
    "resolve": {"accepted", "assigned", "in_progress"},
    "rate": {"resolved"},
    "reopen": {"resolved"},
}
STATUSES = ("submitted", "accepted", "rejected", "assigned", "in_progress", "resolved", "closed",
            "merged")


@pytest.mark.parametrize("action, status", [
    (action, status) for action in ACTIONS for status in STATUSES
    if status not in ALLOWED_FROM[action]])
def test_illegal_transitions_name_the_current_status(app, identity, action, status):
    report, reporter = to_status(app, identity, status)
    with pytest.raises(FailedPrecondition) as error:
        ACTIONS[action](app, report, reporter)
    assert error.value.message == f"cannot {action} a report that is {status}"
    assert error.value.field == "report_id"


def test_unknown_reports_are_not_found(app):
    with pytest.raises(NotFound):
        app.accept(STAFF, str(uuid.uuid4()))
    with pytest.raises(InvalidArgument) as error:
        app.accept(STAFF, "not-an-id")
    assert error.value.field == "report_id"


# Permissions ------------------------------------------------------------------------
@pytest.mark.parametrize("caller, allowed", [
    (STAFF, True), (PROVINCE_STAFF, True), (OPERATOR, True), (ADMIN, True),
    (OTHER_AGENCY, False), (OUTSIDE_JURISDICTION, False), (person(), False),
])
def test_staff_act_within_their_agency_and_jurisdiction(app, identity, caller, allowed):
    report = file(app, citizen(identity))
    if allowed:
        assert app.accept(caller, rid(report)).status == "accepted"
    else:
        with pytest.raises(PermissionDenied):
            app.accept(caller, rid(report))


def test_every_staff_command_checks_the_scope(app, identity):
    report, reporter = to_status(app, identity, "accepted")
    other = rid(file(app, citizen(identity)))
    for command in (lambda: app.reject(OTHER_AGENCY, rid(report), "x"),
                    lambda: app.assign(OTHER_AGENCY, rid(report), str(uuid.uuid4())),
                    lambda: app.resolve(OUTSIDE_JURISDICTION, rid(report), "x"),
                    lambda: app.moderate(OUTSIDE_JURISDICTION, rid(report), True, "", "x"),
                    lambda: app.add_internal_note(reporter, rid(report), "x"),
                    lambda: app.merge(OTHER_AGENCY, other, rid(report))):
        with pytest.raises(PermissionDenied):
            command()
    with pytest.raises(Unauthenticated):
        app.start_work(None, rid(report))


def test_only_the_reporter_rates(app, identity):
    report = resolved(app, citizen(identity))
    for other in (STAFF, ADMIN, citizen(identity)):
        with pytest.raises(PermissionDenied):
            app.rate(other, rid(report), 5)


def test_ratings_are_one_to_five(app, identity):
    reporter = citizen(identity)
    report = resolved(app, reporter)
    for rating in (0, 6, True, "5"):
        with pytest.raises(InvalidArgument) as error:
            app.rate(reporter, rid(report), rating)
        assert error.value.field == "rating"


# Supports ---------------------------------------------------------------------------
def test_a_support_counts_once_per_confirmed_person(app, identity):
    reporter, supporter = citizen(identity), citizen(identity)
    report = file(app, reporter)
    assert app.support(supporter, rid(report)).supporter_ids == [supporter.subject]
    assert identity.asked == [supporter.subject]
    with pytest.raises(AlreadyExists):
        app.support(supporter, rid(report))
    with pytest.raises(FailedPrecondition):
        app.support(reporter, rid(report))
    assert identity.asked == [supporter.subject]     # refused before asking identity


def test_identitys_level_decides_not_the_tokens(app, identity):
    report = file(app, citizen(identity))
    stale_token = person(level=1)                     # identity knows them at level 0
    with pytest.raises(PermissionDenied):
        app.support(stale_token, rid(report))
    assert identity.asked == [stale_token.subject]
    assert app.report(rid(report)).supporter_ids == []


def test_supports_need_identity_and_an_open_report(app, identity, clock):
    no_identity = ReportsApplication({"PERSISTENCE_MODULE": "eventsourcing.popo"},
                                     units=AdministrativeUnits.load(), clock=clock)
    define(no_identity)
    with pytest.raises(PermissionDenied):
        no_identity.support(citizen(identity), rid(file(no_identity, citizen(identity))))
    report = resolved(app, citizen(identity))
    with pytest.raises(FailedPrecondition, match="resolved"):
        app.support(citizen(identity), rid(report))


# Reopening --------------------------------------------------------------------------
def test_the_reporter_reopens_within_seven_days_back_to_the_assignee(app, identity, clock):
    reporter = citizen(identity)
    report = resolved(app, reporter)
    clock.now += 6 * DAY
    reopened = app.reopen(reporter, rid(report), "Ổ gà lại xuất hiện")
    assert reopened.status == "assigned" and reopened.resolution_note == ""
    unassigned = resolved(app, reporter, assigned=False)
    assert app.reopen(reporter, rid(unassigned), "Chưa vá").status == "accepted"


def test_no_reopening_after_seven_days(app, identity, clock):
    reporter = citizen(identity)
    report = resolved(app, reporter)
    clock.now += 7 * DAY
    with pytest.raises(FailedPrecondition, match="within 7 days"):
        app.reopen(reporter, rid(report), "Muộn")


def test_enough_supporters_reopen_a_report(app, identity):
    reporter = citizen(identity)
    report = file(app, reporter)
    supporters = [citizen(identity) for _ in range(3)]
    for supporter in supporters:
        app.support(supporter, rid(report))
    app.accept(STAFF, rid(report))
    app.resolve(STAFF, rid(report), "Xong")
    with pytest.raises(PermissionDenied):
        app.reopen(citizen(identity), rid(report), "Tôi không ủng hộ")
    app.reopen(supporters[0], rid(report), "Chưa xong")
    with pytest.raises(AlreadyExists):
        app.reopen(supporters[0], rid(report), "Chưa xong mà")
    assert app.reopen(supporters[1], rid(report), "Vẫn còn").status == "resolved"
    reopened = app.reopen(supporters[2], rid(report), "Vẫn còn ổ gà")
    assert reopened.status == "accepted"
    last = app.get_report(STAFF, rid(report)).timeline[-1]
    assert (last.event, last.actor_role, last.detail) == (
        "Reopened", "supporters", "3 supporters asked to reopen")
    app.resolve(STAFF, rid(report), "Xong lần hai")            # requests start over
    assert app.reopen(supporters[0], rid(report), "Lại nữa").status == "resolved"


def test_reopening_threshold_is_configurable(identity, clock):
    app = ReportsApplication({"PERSISTENCE_MODULE": "eventsourcing.popo"},
                             units=AdministrativeUnits.load(), clock=clock, identity=identity,
                             reopen_supporters=1)
    define(app)
    report = file(app, citizen(identity), media=[])
    supporter = citizen(identity)
    app.support(supporter, rid(report))
    app.accept(STAFF, rid(report))
    app.resolve(STAFF, rid(report), "Xong")
    assert app.reopen(supporter, rid(report), "Chưa").status == "accepted"


# Merging ----------------------------------------------------------------------------
def test_merging_a_duplicate_makes_its_people_supporters_of_the_original(app, identity):
    original_reporter, duplicate_reporter, backer = (citizen(identity) for _ in range(3))
    original = file(app, original_reporter)
    duplicate = file(app, duplicate_reporter)
    app.support(backer, rid(duplicate))
    app.support(backer, rid(original))                  # already backs both
    app.support(original_reporter, rid(duplicate))
    merged = app.merge(STAFF, rid(duplicate), rid(original))
    assert (merged.status, merged.merged_into) == ("merged", rid(original))
    original = app.report(rid(original))
    assert original.supporter_ids == [backer.subject, duplicate_reporter.subject]
    event = list(app.events.get(original.id))[-1]
    assert (type(event).__name__, event.report_id, event.reporter_id, event.supporters) == (
        "DuplicateMerged", rid(duplicate), duplicate_reporter.subject, 2)


def test_merging_needs_two_open_reports_of_one_category(app, identity):
    define(app, code="rubbish", group="environment", questions=[])
    first, second = file(app, citizen(identity)), file(app, citizen(identity))
    rubbish = file(app, citizen(identity), category="rubbish", answers={})
    with pytest.raises(FailedPrecondition, match="same category"):
        app.merge(STAFF, rid(first), rid(rubbish))
    with pytest.raises(FailedPrecondition, match="itself"):
        app.merge(STAFF, rid(first), rid(first))
    app.reject(STAFF, rid(second), "Không phải ổ gà")
    with pytest.raises(FailedPrecondition, match="rejected") as error:
        app.merge(STAFF, rid(first), rid(second))
    assert error.value.field == "into_report_id"


# Views: moderation and anonymity ----------------------------------------------------
def test_hidden_reports_are_gone_for_the_public_only(app, identity):
    reporter = citizen(identity)
    report = file(app, reporter)
    app.moderate(STAFF, rid(report), True, "", "Ảnh có biển số xe")
    for public in (None, citizen(identity), OTHER_AGENCY):
        with pytest.raises(NotFound):
            app.get_report(public, rid(report))
    assert app.get_report(reporter, rid(report)).hidden
    assert entries(app.get_report(STAFF, rid(report))) == ["Filed", "Moderated"]


def test_redaction_shows_the_public_the_redacted_text(app, identity):
    reporter = citizen(identity)
    report = file(app, reporter, description="Ông Nguyễn Văn B đổ rác, SĐT 0912345678")
    app.moderate(STAFF, rid(report), False, "Có người đổ rác", "Thông tin cá nhân")
    public = app.get_report(None, rid(report))
    assert public.description == "Có người đổ rác" and public.redacted
    assert "Moderated" not in entries(public)
    mine = app.get_report(reporter, rid(report))
    assert mine.description.startswith("Ông Nguyễn Văn B") and "Moderated" in entries(mine)
    assert app.get_report(STAFF, rid(report)).description.startswith("Ông Nguyễn Văn B")
    app.moderate(STAFF, rid(report), True, "", "Ẩn tạm")
    app.moderate(STAFF, rid(report), False, "", "Hiện lại")
    assert app.get_report(None, rid(report)).description == "Có người đổ rác"   # kept


def test_internal_notes_are_for_staff_only(app, identity):
    reporter = citizen(identity)
    report = file(app, reporter)
    app.add_internal_note(STAFF, rid(report), "Gọi đội duy tu số 2")
    staff_view = app.get_report(OPERATOR, rid(report))
    note = staff_view.timeline[-1]
    assert (note.event, note.detail, note.internal, note.actor) == (
        "InternalNoteAdded", "Gọi đội duy tu số 2", True, STAFF.subject)
    for viewer in (reporter, None):
        assert "InternalNoteAdded" not in entries(app.get_report(viewer, rid(report)))


def test_anonymous_reporters_are_hidden_from_the_public(app, identity):
    reporter = citizen(identity)
    report = file(app, reporter, anonymous=True)
    worker = str(uuid.uuid4())
    app.accept(STAFF, rid(report))
    app.assign(STAFF, rid(report), worker)
    public = app.get_report(citizen(identity), rid(report))
    assert (public.reporter_id, public.reporter_name, public.reporter_visible) == ("", "", False)
    assert all(entry.actor == "" for entry in public.timeline)
    assert public.assignee_id == "" and public.timeline[-1].detail == ""
    mine = app.get_report(reporter, rid(report))
    assert mine.reporter_name == "Nguyễn Văn An" and mine.timeline[0].actor == reporter.subject
    staff = app.get_report(STAFF, rid(report))
    assert staff.reporter_id == reporter.subject and staff.assignee_id == worker
    assert staff.timeline[-1].detail == worker


def test_named_reporters_are_public(app, identity):
    report = file(app, citizen(identity))
    assert app.get_report(None, rid(report)).reporter_name == "Nguyễn Văn An"


# Deadlines --------------------------------------------------------------------------
CALENDAR = sla.WorkingCalendar.load()


@pytest.mark.parametrize("filed, days, due", [
    ((2026, 3, 6, 10, 0), 1, (2026, 3, 9)),        # Friday: the weekend does not count
    ((2026, 3, 6, 22, 0), 2, (2026, 3, 10)),       # after hours changes nothing
    ((2026, 3, 7, 10, 0), 1, (2026, 3, 9)),        # filed on a Saturday
    ((2026, 4, 24, 10, 0), 2, (2026, 4, 29)),      # Giỗ Tổ's Monday off (Sunday 26/4)
    ((2026, 4, 29, 10, 0), 2, (2026, 5, 5)),       # 30/4 and 1/5, then the weekend
    ((2026, 2, 13, 9, 0), 1, (2026, 2, 23)),       # Tết Bính Ngọ
    ((2026, 1, 9, 9, 0), 1, (2026, 1, 10)),        # the make-up Saturday is worked
])
def test_working_day_deadlines_skip_weekends_and_holidays(filed, days, due):
    deadline = sla.deadline(vietnam_time(*filed), 0, days, CALENDAR)
    assert deadline == vietnam_time(*due, 17, 0)


def test_hour_deadlines_run_round_the_clock():
    filed = vietnam_time(2026, 3, 7, 23, 30)
    assert sla.deadline(filed, 4, 0, CALENDAR) == filed + 4 * 3600


def test_the_holiday_file_is_consistent():
    with open(sla.SHIPPED_FILE, encoding="utf-8") as file_:
        document = json.load(file_)
    days_off = [date.fromisoformat(day) for day in document["days_off"]]
    assert all(day.weekday() < 5 for day in days_off)         # weekends are off anyway
    assert {day.year for day in days_off} == {2025, 2026, 2027}
    assert all(date.fromisoformat(day).weekday() == 5 for day in document["working_days"])


def test_overdue_reports_escalate_once_to_the_province(app, identity, clock):
    define(app, code="fallen_tree", group="roads", questions=[], deadline_hours=24,
           deadline_working_days=0)
    late = file(app, citizen(identity), category="fallen_tree", answers={})
    fixed = file(app, citizen(identity), category="fallen_tree", answers={})
    app.accept(STAFF, rid(fixed))
    app.resolve(STAFF, rid(fixed), "Đã dọn")
    clock.now += 12 * 3600
    in_time = file(app, citizen(identity), category="fallen_tree", answers={})
    candidates = [rid(late), rid(fixed), rid(in_time)]
    clock.now += 13 * 3600
    overdue = app.mark_overdue(clock.now, candidates)
    assert [rid(report) for report in overdue] == [rid(late)]
    assert (overdue[0].overdue, overdue[0].escalated_to) == (True, "19")
    assert app.mark_overdue(clock.now, candidates) == []
    view = app.get_report(None, rid(late))
    assert view.overdue and view.timeline[-1].actor_role == "system"


def test_resolved_reports_close_themselves_after_seven_days(app, identity, clock):
    reporter = citizen(identity)
    unrated, rated = resolved(app, reporter), resolved(app, reporter)
    app.rate(reporter, rid(rated), 2)
    clock.now += 7 * DAY - 1
    assert app.auto_close(clock.now, [rid(unrated), rid(rated)]) == []
    clock.now += 1
    closed = app.auto_close(clock.now, [rid(unrated), rid(rated)])
    assert [(rid(report), report.status) for report in closed] == [(rid(unrated), "closed")]
    assert entries(app.get_report(reporter, rid(unrated)))[-1] == "AutoClosed"


# Storage ----------------------------------------------------------------------------
def test_snapshots_and_replay_give_the_same_report(identity, clock, monkeypatch):
    monkeypatch.setenv("SNAPSHOT_INTERVAL", "3")
    app = ReportsApplication({"PERSISTENCE_MODULE": "eventsourcing.popo"},
                             units=AdministrativeUnits.load(), clock=clock, identity=identity)
    define(app)
    report = file(app, citizen(identity), media=[])
    for _ in range(7):
        app.support(citizen(identity), rid(report))
    app.accept(STAFF, rid(report))
    loaded = app.repository.get(report.id)
    replayed = None
    for event in app.events.get(report.id):
        replayed = event.mutate(replayed)
    assert list(app.snapshots.get(report.id))
    assert loaded.__dict__ == replayed.__dict__ and len(loaded.supporter_ids) == 7


# Geography --------------------------------------------------------------------------
def test_every_commune_of_the_province_is_located_at_its_centroid():
    locator = geography.Locator.load()
    units = AdministrativeUnits.load()
    communes = {unit.code for unit in units.children("19")}
    assert {commune.code for commune in locator.communes} == communes
    assert all(locator(c.latitude, c.longitude) == c.code for c in locator.communes)


# Integration events -----------------------------------------------------------------
def published(app, report):
    load = lambda aggregate_id, version: app.repository.get(aggregate_id, version=version)
    return [(type(event).__name__, translate(event, load)) for event in app.events.get(report.id)]


def test_filing_and_status_changes_are_published(app, identity):
    reporter, supporter = citizen(identity), citizen(identity)
    report = file(app, reporter)
    app.support(supporter, rid(report))
    app.accept(STAFF, rid(report))
    app.add_internal_note(STAFF, rid(report), "Nội bộ")
    app.moderate(STAFF, rid(report), False, "", "Kiểm tra")
    app.reject(STAFF, rid(report), "Không thuộc thẩm quyền")
    messages = dict(published(app, report))
    assert messages["Filed"] == events.ReportFiled(
        report_id=rid(report), category="pothole", unit_code="05443",
        reporter_id=reporter.subject, latitude=PHAN_DINH_PHUNG[1],
        longitude=PHAN_DINH_PHUNG[2], emergency=False)
    assert messages["Supported"] == events.ReportSupported(
        report_id=rid(report), supporter_id=supporter.subject, supporters=1)
    assert messages["InternalNoteAdded"] is None and messages["Moderated"] is None
    accepted, rejected = messages["Accepted"], messages["Rejected"]
    assert (accepted.status, accepted.previous_status, accepted.actor_id, accepted.actor_role) == (
        "accepted", "submitted", STAFF.subject, "agency_staff")
    assert (rejected.status, rejected.previous_status, rejected.note) == (
        "rejected", "accepted", "Không thuộc thẩm quyền")
    assert rejected.reporter_id == reporter.subject
    assert list(rejected.supporter_ids) == [supporter.subject]
    assert (rejected.category, rejected.unit_code, rejected.agency) == ("pothole", "05443", AGENCY)


def test_overdue_auto_close_and_merge_are_published(app, identity, clock):
    define(app, code="fallen_tree", group="roads", questions=[], deadline_hours=2,
           deadline_working_days=0)
    late = file(app, citizen(identity), category="fallen_tree", answers={})
    app.accept(STAFF, rid(late))
    worker = str(uuid.uuid4())
    app.assign(STAFF, rid(late), worker)
    clock.now += 3 * 3600
    app.mark_overdue(clock.now, [rid(late)])
    overdue = dict(published(app, late))["BecameOverdue"]
    assert overdue == events.ReportOverdue(
        report_id=rid(late), deadline="2026-03-02T11:00:00+07:00", agency=AGENCY,
        unit_code="05443", escalated_to="19", assignee_id=worker)

    report = resolved(app, citizen(identity))
    clock.now += 7 * DAY
    app.auto_close(clock.now, [rid(report)])
    closed = dict(published(app, report))["AutoClosed"]
    assert (closed.status, closed.previous_status, closed.actor_role) == (
        "closed", "resolved", "system")

    duplicate_reporter = citizen(identity)
    original, duplicate = file(app, citizen(identity)), file(app, duplicate_reporter)
    app.merge(OPERATOR, rid(duplicate), rid(original))
    assert dict(published(app, original))["DuplicateMerged"] == events.ReportMerged(
        report_id=rid(duplicate), into_report_id=rid(original),
        reporter_id=duplicate_reporter.subject)
    merged = dict(published(app, duplicate))["MergedInto"]
    assert (merged.status, merged.previous_status, merged.actor_role) == (
        "merged", "submitted", "ioc_operator")
