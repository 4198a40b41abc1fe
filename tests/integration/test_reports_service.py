"""The reports service end to end: a grpcio client in this process, identity and
reports as processes over TCP, PostgreSQL and RabbitMQ, real role holders.

Refused requests name the field at fault and change nothing (the reports
store's event log does not move). The read side is a projection, eventually
consistent: reads that follow a command poll until they reflect it.
"""
import math
import time
import types
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from datetime import time as dt_time

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from kit.client import field_violations
from reports_fixtures import (  # noqa: F401  (event_tap and reports_platform are fixtures)
    CENTRE_OF, ENVIRONMENT, GIA_SANG, GPS_IFD, PHAN_DINH_PHUNG, PROVINCE, QUYET_THANG, ROADS,
    encoded, event_tap, jpeg_with_gps, offset, opened, photo, reports_platform, token, unique,
    unique_phone_and_cccd,
)
from smartcity.events.v1 import reports_pb2 as events
from smartcity.identity.v1 import identity_pb2 as ipb
from smartcity.reports.v1 import reports_pb2 as pb

pytestmark = pytest.mark.timeout(240)

INVALID, DENIED = grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.PERMISSION_DENIED
NOT_FOUND, PRECONDITION = grpc.StatusCode.NOT_FOUND, grpc.StatusCode.FAILED_PRECONDITION
UNAUTHENTICATED = grpc.StatusCode.UNAUTHENTICATED

DEPTH = pb.Question(code="depth_cm", label_vi="Độ sâu (cm)", label_en="Depth (cm)",
                    type="number", required=True)
DEPTH_15 = [pb.Answer(question="depth_cm", value="15")]
HOUR = 3600
VIETNAM = timezone(timedelta(hours=7))


def ref(report) -> pb.ReportRef:
    return pb.ReportRef(report_id=report.id)


def seconds(timestamp: Timestamp) -> float:
    return timestamp.seconds + timestamp.nanos / 1e9


@pytest.fixture(scope="module")
def categories(reports_platform):
    """The catalogue's examples: a pothole with a required depth, in hours; a broken
    street light in working days; flooding, an emergency for another agency."""
    p = reports_platform
    return types.SimpleNamespace(
        pothole=p.define(unique("pothole"), questions=[DEPTH], hours=72),
        streetlight=p.define(unique("streetlight"), working_days=3, group="lighting"),
        flooding=p.define(unique("flooding"), agency=ENVIRONMENT, hours=2, emergency=True,
                          group="environment"))


@pytest.fixture(scope="module")
def people(reports_platform):
    """Role holders for Phan Đình Phùng's roads, and the ones who may not act there."""
    p = reports_platform
    return types.SimpleNamespace(
        roads=p.staff(ROADS, PHAN_DINH_PHUNG),
        crew=p.staff(ROADS, PHAN_DINH_PHUNG),
        environment=p.staff(ENVIRONMENT, PHAN_DINH_PHUNG),       # another agency
        roads_elsewhere=p.staff(ROADS, GIA_SANG),                 # another commune
        roads_province=p.staff(ROADS, PROVINCE),                  # the whole province
        operator=p.operator())


# Categories -----------------------------------------------------------------------
def test_administrators_define_categories_and_nobody_else(reports_platform, categories):
    p = reports_platform
    listed = {c.code: c for c in p.call("ListCategories", pb.ListCategoriesRequest()).categories}
    pothole = listed[categories.pothole.code]
    assert (pothole.agency, pothole.deadline_hours, list(pothole.questions)) == (ROADS, 72, [DEPTH])
    assert listed[categories.streetlight.code].deadline_working_days == 3
    assert listed[categories.flooding.code].emergency

    code = unique("rubbish")
    p.define(code, hours=24)
    retired = p.define(code, hours=12, group="environment")
    retired.active = False
    p.call("DefineCategory", pb.DefineCategoryRequest(category=retired), token=p.admin.access_token)
    active = [c.code for c in p.call("ListCategories", pb.ListCategoriesRequest()).categories]
    everything = {c.code: c for c in p.call("ListCategories", pb.ListCategoriesRequest(
        include_inactive=True)).categories}
    assert code not in active and everything[code].deadline_hours == 12

    _, citizen = p.citizen()
    attempt = pb.DefineCategoryRequest(category=pb.Category(
        code=unique("x"), name_vi="Rác", name_en="Rubbish", group="environment",
        agency=ENVIRONMENT, deadline_hours=24, active=True))
    p.refused(DENIED, "DefineCategory", attempt, token=citizen.access_token)
    p.refused(UNAUTHENTICATED, "DefineCategory", attempt)


def good_category(**changes) -> pb.Category:
    fields = dict(code=unique("pothole"), name_vi="Ổ gà", name_en="Pothole", group="roads",
                  questions=[DEPTH], agency=ROADS, deadline_hours=48, active=True)
    return pb.Category(**{**fields, **changes})


def question(**changes) -> pb.Question:
    fields = dict(code="depth_cm", label_vi="Độ sâu", type="number")
    return pb.Question(**{**fields, **changes})


@pytest.mark.parametrize("field, changes", [
    ("category.code", dict(code="Ổ gà")),
    ("category.code", dict(code="")),
    ("category.name_vi", dict(name_vi="  ")),
    ("category.group", dict(group="Roads & bridges")),
    ("category.agency", dict(agency="")),
    ("category.deadline_hours", dict(deadline_hours=0)),
    ("category.deadline_hours", dict(deadline_hours=24, deadline_working_days=2)),
    ("category.deadline_hours", dict(deadline_hours=-1)),
    ("category.deadline_hours", dict(deadline_hours=24 * 366)),
    ("category.deadline_working_days", dict(deadline_hours=0, deadline_working_days=251)),
    ("category.questions[0].type", dict(questions=[question(type="date")])),
    ("category.questions[0].choices", dict(questions=[question(type="choice")])),
    ("category.questions[0].choices", dict(questions=[question(choices=["a"])])),
    ("category.questions[0].code", dict(questions=[question(code="Depth")])),
    ("category.questions[0].label_vi", dict(questions=[question(label_vi="")])),
    ("category.questions", dict(questions=[question(), question()])),
    ("category.questions", dict(questions=[question(code=f"q{n}") for n in range(21)])),
])
def test_bad_category_definitions_are_refused_naming_the_field(reports_platform, field,
                                                               changes):
    p = reports_platform
    category = good_category(**changes)
    p.refused(INVALID, "DefineCategory", pb.DefineCategoryRequest(category=category),
              token=p.admin.access_token, field=field)
    listed = p.call("ListCategories", pb.ListCategoriesRequest(include_inactive=True))
    assert category.code not in [c.code for c in listed.categories]


# Filing ------------------------------------------------------------------------------
NOT_UPLOADED = "ab" * 32
HANOI = (21.0285, 105.8542)          # outside Thái Nguyên


def filing(pothole_code, **changes) -> pb.FileReportRequest:
    lat, lon = CENTRE_OF[PHAN_DINH_PHUNG]
    fields = dict(category=pothole_code, description="Ổ gà sâu giữa đường",
                  location=pb.GeoPoint(latitude=lat, longitude=lon), answers=DEPTH_15)
    return pb.FileReportRequest(**{**fields, **changes})


@pytest.mark.parametrize("field, changes", [
    ("description", dict(description="x" * 4001)),
    ("description", dict(description="   ")),
    ("location", dict(location=pb.GeoPoint(latitude=HANOI[0], longitude=HANOI[1]))),
    ("location", dict(location=pb.GeoPoint())),
    ("location.latitude", dict(location=pb.GeoPoint(latitude=95, longitude=105.8))),
    ("location.longitude", dict(location=pb.GeoPoint(latitude=21.6, longitude=math.nan))),
    ("address", dict(address="x" * 301)),
    ("answers.depth_cm", dict(answers=[])),
    ("answers.depth_cm", dict(answers=[pb.Answer(question="depth_cm", value="sâu lắm")])),
    ("answers", dict(answers=[*DEPTH_15, pb.Answer(question="colour", value="đen")])),
    ("category", dict(category="no_such_category")),
    ("category", dict(category="")),
    ("media", dict(media=["not-a-sha256"])),
    ("media", dict(media=[NOT_UPLOADED])),
    ("media", dict(media=[f"{n:064x}" for n in range(6)])),
])
def test_bad_filings_are_refused_naming_the_field(reports_platform, categories, field, changes):
    p = reports_platform
    _, citizen = p.citizen()
    request = filing(categories.pothole.code, **changes)
    p.refused(INVALID, "FileReport", request, token=citizen.access_token, field=field)


def test_filing_needs_a_confirmed_phone(reports_platform, categories):
    p = reports_platform
    request = filing(categories.pothole.code)
    p.refused(UNAUTHENTICATED, "FileReport", request)
    p.refused(DENIED, "FileReport", request, token=unconfirmed_session(p).access_token)


def unconfirmed_session(p):
    """A session of a person who registered but never confirmed their phone (level 0)."""
    phone, cccd = unique_phone_and_cccd()
    p.identity.register(phone, cccd)
    session = p.identity.call("SignInWithPassword", ipb.SignInWithPasswordRequest(
        phone=phone, password="matkhau123"))
    return types.SimpleNamespace(access_token=session.access_token, phone=phone)


def test_an_emergency_category_files_a_flagged_report(reports_platform, categories, event_tap):
    p = reports_platform
    _, citizen = p.citizen()
    report = p.file(citizen.access_token, categories.flooding.code, CENTRE_OF[GIA_SANG],
                    description="Nước ngập qua đầu gối, xe chết máy")
    assert report.emergency and report.agency == ENVIRONMENT and report.unit_code == GIA_SANG
    assert seconds(report.deadline) - seconds(report.filed_at) == pytest.approx(2 * HOUR, abs=1)
    [filed] = event_tap.events_of(report.id, events.ReportFiled, 1)
    assert filed.emergency and filed.unit_code == GIA_SANG


# The lifecycle ---------------------------------------------------------------------
def test_lifecycle_from_filing_to_rating_with_its_events(reports_platform, categories, people,
                                                         event_tap):
    p = reports_platform
    reporter, reporter_session = p.citizen()
    supporter, supporter_session = p.citizen()
    lead, crew = people.roads, people.crew
    report = p.file(reporter_session.access_token, categories.pothole.code,
                    CENTRE_OF[PHAN_DINH_PHUNG], address="12 Hoàng Văn Thụ", answers=DEPTH_15)
    assert (report.status, report.unit_code, report.agency, report.reporter_id) == (
        pb.SUBMITTED, PHAN_DINH_PHUNG, ROADS, reporter.id)
    assert seconds(report.deadline) - seconds(report.filed_at) == pytest.approx(72 * HOUR, abs=1)
    assert [(a.question, a.value) for a in report.answers] == [("depth_cm", "15")]

    p.call("SupportReport", ref(report), token=supporter_session.access_token)
    p.refused(PRECONDITION, "StartWork", ref(report), token=token(lead))     # not yet assigned
    accepted = p.call("AcceptReport", pb.AcceptReportRequest(report_id=report.id),
                      token=token(lead))
    assert (accepted.status, accepted.agency, accepted.unit_code) == (
        pb.ACCEPTED, ROADS, PHAN_DINH_PHUNG)
    assigned = p.call("AssignReport", pb.AssignReportRequest(report_id=report.id,
                                                             staff_id=crew[0].id),
                      token=token(lead))
    assert (assigned.status, assigned.assignee_id) == (pb.ASSIGNED, crew[0].id)
    p.refused(INVALID, "AssignReport", pb.AssignReportRequest(report_id=report.id,
                                                              staff_id="crew-2"),
              token=token(lead), field="staff_id")
    started = p.call("StartWork", ref(report), token=token(crew))
    assert started.status == pb.IN_PROGRESS

    after = p.upload(encoded(photo(seed=7), "JPEG"), token(crew))
    p.refused(INVALID, "ResolveReport", pb.ResolveReportRequest(
        report_id=report.id, note=""), token=token(crew), field="note")
    resolved = p.call("ResolveReport", pb.ResolveReportRequest(
        report_id=report.id, note="Đã vá bằng bê tông nhựa", media=[after.sha256]),
        token=token(crew))
    assert (resolved.status, list(resolved.resolution_media)) == (pb.RESOLVED, [after.sha256])

    p.refused(DENIED, "RateReport", pb.RateReportRequest(report_id=report.id, rating=1),
              token=supporter_session.access_token)
    p.refused(INVALID, "RateReport", pb.RateReportRequest(report_id=report.id, rating=6),
              token=reporter_session.access_token, field="rating")
    closed = p.call("RateReport", pb.RateReportRequest(report_id=report.id, rating=5,
                                                        comment="Nhanh, cảm ơn"),
                    token=reporter_session.access_token)
    assert (closed.status, closed.rating, closed.supporters) == (pb.CLOSED, 5, 1)

    seen = p.call("GetReport", ref(report), token=reporter_session.access_token)
    assert [entry.event for entry in seen.timeline] == [
        "Filed", "Supported", "Accepted", "Assigned", "WorkStarted", "Resolved", "Rated"]
    assert seen.resolution_note == "Đã vá bằng bê tông nhựa"

    [filed] = event_tap.events_of(report.id, events.ReportFiled, 1)
    assert (filed.reporter_id, filed.category, filed.unit_code) == (
        reporter.id, categories.pothole.code, PHAN_DINH_PHUNG)
    changes = event_tap.events_of(report.id, events.ReportStatusChanged, 5)
    assert [(c.previous_status, c.status) for c in changes] == [
        ("submitted", "accepted"), ("accepted", "assigned"), ("assigned", "in_progress"),
        ("in_progress", "resolved"), ("resolved", "closed")]
    assert [c.actor_id for c in changes] == [lead[0].id, lead[0].id, crew[0].id, crew[0].id,
                                             reporter.id]
    assert {(c.reporter_id, tuple(c.supporter_ids)) for c in changes} == {
        (reporter.id, (supporter.id,))}
    assert changes[3].note == "Đã vá bằng bê tông nhựa" and changes[4].note == "Nhanh, cảm ơn"


def test_staff_act_only_for_their_agency_and_commune_operators_everywhere(
        reports_platform, categories, people):
    p = reports_platform
    _, citizen = p.citizen()
    report = p.file(citizen.access_token, categories.pothole.code, CENTRE_OF[PHAN_DINH_PHUNG],
                    answers=DEPTH_15)
    accept = pb.AcceptReportRequest(report_id=report.id)
    for outsider in (people.environment, people.roads_elsewhere, (None, citizen)):
        p.refused(DENIED, "AcceptReport", accept, token=token(outsider))
        p.refused(DENIED, "AddInternalNote", pb.AddInternalNoteRequest(
            report_id=report.id, note="xem"), token=token(outsider))
    p.refused(UNAUTHENTICATED, "AcceptReport", accept)
    assert p.call("GetReport", ref(report), token=token(people.roads)).status == pb.SUBMITTED

    # province-wide roads staff reach every commune; routing moves the report elsewhere
    routed = p.call("AcceptReport", pb.AcceptReportRequest(
        report_id=report.id, agency=ENVIRONMENT, unit_code=GIA_SANG),
        token=token(people.roads_province))
    assert (routed.agency, routed.unit_code) == (ENVIRONMENT, GIA_SANG)
    p.refused(DENIED, "ResolveReport", pb.ResolveReportRequest(report_id=report.id, note="x"),
              token=token(people.roads))                  # no longer theirs
    resolved = p.call("ResolveReport", pb.ResolveReportRequest(report_id=report.id,
                                                               note="Đã khơi thông"),
                      token=token(people.operator))
    assert resolved.status == pb.RESOLVED

    other = p.file(citizen.access_token, categories.flooding.code, CENTRE_OF[GIA_SANG],
                   description="Ngập")
    p.refused(INVALID, "AcceptReport", pb.AcceptReportRequest(report_id=other.id,
                                                              unit_code="08707"),
              token=token(people.operator), field="unit_code")    # a commune of another province
    assert p.call("AcceptReport", pb.AcceptReportRequest(report_id=other.id),
                  token=token(people.operator)).status == pb.ACCEPTED
    p.refused(INVALID, "AcceptReport", pb.AcceptReportRequest(report_id="nope"),
              token=token(people.operator), field="report_id")
    p.refused(NOT_FOUND, "AcceptReport", pb.AcceptReportRequest(report_id=str(uuid.uuid4())),
              token=token(people.operator), field="report_id")


def test_a_rejected_report_stays_rejected(reports_platform, categories, people, event_tap):
    p = reports_platform
    reporter, session = p.citizen()
    report = p.file(session.access_token, categories.streetlight.code, CENTRE_OF[PHAN_DINH_PHUNG],
                    description="Đèn đường hỏng")
    due = datetime.fromtimestamp(seconds(report.deadline), VIETNAM)
    assert due.time() == dt_time(17, 0)             # the end of the third working day
    assert 2 * 86400 < seconds(report.deadline) - seconds(report.filed_at) < 12 * 86400
    p.refused(INVALID, "RejectReport", pb.ReasonRequest(report_id=report.id, reason=" "),
              token=token(people.roads), field="reason")
    p.refused(DENIED, "RejectReport", pb.ReasonRequest(report_id=report.id, reason="x"),
              token=token(people.environment))
    rejected = p.call("RejectReport", pb.ReasonRequest(
        report_id=report.id, reason="Đèn thuộc khu đô thị tư nhân quản lý"),
        token=token(people.roads))
    assert rejected.status == pb.REJECTED
    p.refused(PRECONDITION, "AcceptReport", pb.AcceptReportRequest(report_id=report.id),
              token=token(people.roads))
    p.refused(PRECONDITION, "RateReport", pb.RateReportRequest(report_id=report.id, rating=3),
              token=session.access_token)
    p.refused(PRECONDITION, "ReopenReport", pb.ReasonRequest(report_id=report.id, reason="?"),
              token=session.access_token)

    public = p.call("GetReport", ref(report))
    assert [(t.event, t.detail) for t in public.timeline][-1] == (
        "Rejected", "Đèn thuộc khu đô thị tư nhân quản lý")
    [change] = event_tap.events_of(report.id, events.ReportStatusChanged, 1)
    assert (change.status, change.note, change.reporter_id) == (
        "rejected", "Đèn thuộc khu đô thị tư nhân quản lý", reporter.id)


def test_the_reporter_reopens_a_resolved_report(reports_platform, categories, people,
                                                event_tap):
    p = reports_platform
    _, session = p.citizen()
    _, stranger = p.citizen()
    report = p.file(session.access_token, categories.pothole.code, CENTRE_OF[PHAN_DINH_PHUNG],
                    answers=DEPTH_15)
    p.refused(PRECONDITION, "ReopenReport", pb.ReasonRequest(report_id=report.id, reason="?"),
              token=session.access_token)                # not resolved yet
    p.call("AcceptReport", pb.AcceptReportRequest(report_id=report.id), token=token(people.roads))
    p.call("AssignReport", pb.AssignReportRequest(report_id=report.id, staff_id=people.crew[0].id),
           token=token(people.roads))
    p.call("ResolveReport", pb.ResolveReportRequest(report_id=report.id, note="Đã vá"),
           token=token(people.crew))

    reason = pb.ReasonRequest(report_id=report.id, reason="Vẫn còn ổ gà")
    p.refused(DENIED, "ReopenReport", reason, token=stranger.access_token)
    p.refused(INVALID, "ReopenReport", pb.ReasonRequest(report_id=report.id),
              token=session.access_token, field="reason")
    reopened = p.call("ReopenReport", reason, token=session.access_token)
    assert (reopened.status, reopened.assignee_id, reopened.resolution_note) == (
        pb.ASSIGNED, "", "")                            # the assignee is for staff's eyes
    assert p.call("GetReport", ref(report), token=token(people.roads)).assignee_id == \
        people.crew[0].id                               # back to whoever had it
    change = event_tap.events_of(report.id, events.ReportStatusChanged, 4)[-1]
    assert (change.previous_status, change.status, change.note, change.actor_role) == (
        "resolved", "assigned", "Vẫn còn ổ gà", "citizen")


def test_three_supporters_reopen_a_resolved_report(reports_platform, categories, people,
                                                  event_tap):
    p = reports_platform
    _, session = p.citizen()
    report = p.file(session.access_token, categories.pothole.code, CENTRE_OF[PHAN_DINH_PHUNG],
                    answers=DEPTH_15)
    supporters = [p.citizen() for _ in range(3)]
    for supporter in supporters:
        p.call("SupportReport", ref(report), token=token(supporter))
    p.call("AcceptReport", pb.AcceptReportRequest(report_id=report.id), token=token(people.roads))
    p.call("ResolveReport", pb.ResolveReportRequest(report_id=report.id, note="Đã vá"),
           token=token(people.roads))

    reason = pb.ReasonRequest(report_id=report.id, reason="Vá xong lại vỡ")
    for supporter in supporters[:2]:
        assert p.call("ReopenReport", reason, token=token(supporter)).status == pb.RESOLVED
    p.refused(grpc.StatusCode.ALREADY_EXISTS, "ReopenReport", reason,
              token=token(supporters[0]), field="report_id")
    assert p.call("ReopenReport", reason, token=token(supporters[2])).status == pb.ACCEPTED
    change = event_tap.events_of(report.id, events.ReportStatusChanged, 3)[-1]
    assert (change.status, change.actor_role) == ("accepted", "supporters")
    assert sorted(change.supporter_ids) == sorted(person.id for person, _ in supporters)


def test_staff_merge_a_duplicate_into_its_original(reports_platform, categories, people,
                                                   event_tap):
    p = reports_platform
    first, first_session = p.citizen()
    second, second_session = p.citizen()
    place = offset(CENTRE_OF[PHAN_DINH_PHUNG], north_m=120)
    original = p.file(first_session.access_token, categories.pothole.code, place,
                      answers=DEPTH_15)
    duplicate = p.file(second_session.access_token, categories.pothole.code,
                       offset(place, east_m=10), answers=DEPTH_15)
    other_kind = p.file(second_session.access_token, categories.streetlight.code, place)

    def merge(into):
        return pb.MergeReportRequest(report_id=duplicate.id, into_report_id=into)

    p.refused(PRECONDITION, "MergeReport", merge(other_kind.id), token=token(people.roads),
              field="into_report_id")
    p.refused(PRECONDITION, "MergeReport", merge(duplicate.id), token=token(people.roads),
              field="into_report_id")
    p.refused(INVALID, "MergeReport", merge("original"), token=token(people.roads),
              field="into_report_id")
    p.refused(DENIED, "MergeReport", merge(original.id), token=token(people.environment))
    merged = p.call("MergeReport", merge(original.id), token=token(people.roads))
    assert (merged.status, merged.merged_into) == (pb.MERGED, original.id)
    assert p.call("GetReport", ref(original)).supporters == 1   # the duplicate's reporter

    [change] = event_tap.events_of(duplicate.id, events.ReportStatusChanged, 1)
    assert (change.status, change.reporter_id) == ("merged", second.id)
    [told] = event_tap.events_of(duplicate.id, events.ReportMerged, 1)
    assert (told.into_report_id, told.reporter_id) == (original.id, second.id)
    p.refused(PRECONDITION, "SupportReport", ref(duplicate), token=first_session.access_token)


# Who sees what ---------------------------------------------------------------------
def public_row(p, category, report_id):
    """The report's row in the public feed of its category, or None."""
    feed = p.call("ListPublicReports", pb.ListPublicReportsRequest(category=category))
    return next((row for row in feed.reports if row.id == report_id), None)


def test_moderation_and_internal_notes(reports_platform, people):
    p = reports_platform
    category = p.define(unique("dumping"), hours=48)
    _, session = p.citizen()
    _, neighbour = p.citizen()
    original_text = "Bãi rác trước nhà ông Nguyễn Văn B, số điện thoại 0912345678"
    redacted_text = "Bãi rác trước một nhà dân"
    report = p.file(session.access_token, category.code, CENTRE_OF[PHAN_DINH_PHUNG],
                    description=original_text)
    staff = token(people.roads)

    p.refused(DENIED, "ModerateReport", pb.ModerateReportRequest(
        report_id=report.id, redacted_description="x", reason="x"), token=neighbour.access_token)
    p.refused(INVALID, "ModerateReport", pb.ModerateReportRequest(
        report_id=report.id, redacted_description="x"), token=staff, field="reason")
    p.call("ModerateReport", pb.ModerateReportRequest(
        report_id=report.id, redacted_description=redacted_text, reason="thông tin cá nhân"),
        token=staff)
    p.call("AddInternalNote", pb.AddInternalNoteRequest(
        report_id=report.id, note="Đội 2 xử lý tuần sau"), token=staff)

    def seen_by(viewer):
        return p.call("GetReport", ref(report), token=viewer)

    for public in (None, neighbour.access_token):
        assert seen_by(public).description == redacted_text
        assert {t.event for t in seen_by(public).timeline} == {"Filed"}
    assert seen_by(session.access_token).description == original_text
    assert [t.event for t in seen_by(session.access_token).timeline] == ["Filed", "Moderated"]
    staff_view = seen_by(staff)
    assert staff_view.description == original_text
    note = staff_view.timeline[-1]
    assert (note.event, note.detail, note.internal, note.actor) == (
        "InternalNoteAdded", "Đội 2 xử lý tuần sau", True, people.roads[0].id)
    p.projected(lambda: getattr(public_row(p, category.code, report.id), "description", "")
                == redacted_text, "the feed to show the redacted text")

    p.call("ModerateReport", pb.ModerateReportRequest(
        report_id=report.id, hidden=True, reason="trùng lặp, lăng mạ"), token=staff)
    p.refused(NOT_FOUND, "GetReport", ref(report))
    p.refused(NOT_FOUND, "GetReport", ref(report), token=neighbour.access_token)
    assert seen_by(session.access_token).hidden and seen_by(staff).hidden
    p.projected(lambda: public_row(p, category.code, report.id) is None,
                "the feed to drop the hidden report")
    assert p.http_json(f"/open311/v2/requests/{report.id}.json")[0] == 404
    assert not p.call("FindNearby", pb.FindNearbyRequest(
        category=category.code, location=report.location)).reports

    p.call("ModerateReport", pb.ModerateReportRequest(report_id=report.id, reason="đã xem lại"),
           token=staff)
    assert seen_by(None).description == redacted_text      # unhidden, still redacted
    p.projected(lambda: public_row(p, category.code, report.id) is not None,
                "the feed to show the report again")


def test_staff_see_the_reporters_name(reports_platform, categories, people):
    p = reports_platform
    reporter, session = p.citizen()
    report = p.file(session.access_token, categories.pothole.code, CENTRE_OF[PHAN_DINH_PHUNG],
                    answers=DEPTH_15, anonymous=True)
    staff_view = p.call("GetReport", ref(report), token=token(people.roads))
    assert staff_view.reporter_name == reporter.full_name


def test_an_anonymous_reporter_is_hidden_from_the_public_only(reports_platform):
    p = reports_platform
    agency = f"Công an phường {uuid.uuid4().hex[:6]}"
    category = p.define(unique("noise"), agency=agency, hours=24)
    staff = token(p.staff(agency, PHAN_DINH_PHUNG))
    reporter, session = p.citizen()
    _, neighbour = p.citizen()
    report = p.file(session.access_token, category.code, CENTRE_OF[PHAN_DINH_PHUNG],
                    description="Karaoke sau 23 giờ", anonymous=True)
    named = p.file(session.access_token, category.code, CENTRE_OF[PHAN_DINH_PHUNG],
                   description="Karaoke lúc 2 giờ sáng")

    for public in (None, neighbour.access_token):
        seen = p.call("GetReport", ref(report), token=public)
        assert (seen.reporter_id, seen.timeline[0].actor) == ("", "")
        assert p.call("GetReport", ref(named), token=public).reporter_id == reporter.id
    for insider in (session.access_token, staff):
        assert p.call("GetReport", ref(report), token=insider).reporter_id == reporter.id

    row = p.projected(lambda: public_row(p, category.code, report.id))
    assert row.reporter_id == ""
    queue = p.projected(lambda: p.call("ListStaffQueue", pb.ListStaffQueueRequest(),
                                       token=staff).reports)
    assert {(r.id, r.reporter_id) for r in queue} == {(report.id, reporter.id),
                                                      (named.id, reporter.id)}
    mine = p.call("ListMyReports", pb.ListMyReportsRequest(), token=session.access_token)
    assert {r.reporter_id for r in mine.reports} == {reporter.id}


# Supporters and duplicates ---------------------------------------------------------
def test_supporting_asks_identity_for_the_current_assurance_level(reports_platform, categories,
                                                                   event_tap):
    p = reports_platform
    _, reporter = p.citizen()
    supporter, supporter_session = p.citizen()
    report = p.file(reporter.access_token, categories.pothole.code, CENTRE_OF[PHAN_DINH_PHUNG],
                    answers=DEPTH_15)

    supported = p.call("SupportReport", ref(report), token=supporter_session.access_token)
    assert supported.supporters == 1
    p.refused(grpc.StatusCode.ALREADY_EXISTS, "SupportReport", ref(report),
              token=supporter_session.access_token, field="report_id")
    p.refused(PRECONDITION, "SupportReport", ref(report), token=reporter.access_token,
              field="report_id")
    p.refused(NOT_FOUND, "SupportReport", pb.ReportRef(report_id=str(uuid.uuid4())),
              token=supporter_session.access_token)

    # A token from before the phone was confirmed says level 0; identity's answer counts.
    newcomer = unconfirmed_session(p)
    p.refused(DENIED, "SupportReport", ref(report), token=newcomer.access_token)
    p.identity.sign_in_with_otp(newcomer.phone)
    assert p.call("SupportReport", ref(report), token=newcomer.access_token).supporters == 2

    counts = [e.supporters for e in event_tap.events_of(report.id, events.ReportSupported, 2)]
    assert counts == [1, 2]


def test_simultaneous_supports_all_count(reports_platform, categories):
    p = reports_platform
    _, reporter = p.citizen()
    report = p.file(reporter.access_token, categories.pothole.code, CENTRE_OF[PHAN_DINH_PHUNG],
                    answers=DEPTH_15)
    supporters = [p.citizen() for _ in range(8)]
    with ThreadPoolExecutor(len(supporters)) as pool:       # they race for the same version
        list(pool.map(lambda supporter: p.call("SupportReport", ref(report),
                                               token=token(supporter)), supporters))
    assert p.call("GetReport", ref(report)).supporters == len(supporters)


def test_find_nearby_offers_open_reports_of_the_category_within_50_m(reports_platform, people):
    p = reports_platform
    category = p.define(unique("sinkhole"), hours=24)
    other_category = p.define(unique("manhole"), hours=24)
    _, session = p.citizen()
    here = offset(CENTRE_OF[GIA_SANG], north_m=400)
    near = p.file(session.access_token, category.code, here)
    far = p.file(session.access_token, category.code, offset(here, east_m=200))
    other_kind = p.file(session.access_token, other_category.code, here)
    rejected = p.file(session.access_token, category.code, offset(here, north_m=5))
    p.call("RejectReport", pb.ReasonRequest(report_id=rejected.id, reason="trùng"),
           token=token(people.operator))

    def nearby(category_code, point):
        request = pb.FindNearbyRequest(category=category_code, location=pb.GeoPoint(
            latitude=point[0], longitude=point[1]))
        return [r.id for r in p.call("FindNearby", request).reports]

    # every report projected (the rejection too) before asking what is near
    p.projected(lambda: nearby(category.code, offset(here, east_m=200)) == [far.id]
                and nearby(other_category.code, here) == [other_kind.id]
                and public_row(p, category.code, rejected.id).status == pb.REJECTED)
    assert nearby(category.code, offset(here, north_m=30)) == [near.id]
    assert nearby(category.code, offset(here, north_m=-45, east_m=10)) == [near.id]
    assert nearby(category.code, offset(here, east_m=100)) == []


# Read side ------------------------------------------------------------------------
def all_pages(p, method, request, token_=None):
    """Every row of a paged list, page by page, and the pages' sizes."""
    rows, sizes = [], []
    while True:
        page = p.call(method, request, token=token_)
        rows += page.reports
        sizes.append(len(page.reports))
        if not page.next_page_token:
            return rows, sizes
        request.page_token = page.next_page_token


def test_my_reports_and_the_public_feed(reports_platform, people):
    p = reports_platform
    category = p.define(unique("graffiti"), hours=24)
    _, session = p.citizen()
    _, neighbour = p.citizen()
    west = offset(CENTRE_OF[QUYET_THANG], east_m=-600)
    first = p.file(session.access_token, category.code, west)
    second = p.file(session.access_token, category.code, offset(west, north_m=100))
    third = p.file(session.access_token, category.code, CENTRE_OF[QUYET_THANG])
    theirs = p.file(neighbour.access_token, category.code, offset(west, north_m=50))
    p.call("AcceptReport", pb.AcceptReportRequest(report_id=first.id),
           token=token(people.operator))

    mine = pb.ListMyReportsRequest(page_size=2)
    p.projected(lambda: len(p.call("ListMyReports", pb.ListMyReportsRequest(),
                                   token=session.access_token).reports) == 3)
    rows, sizes = all_pages(p, "ListMyReports", mine, session.access_token)
    assert [r.id for r in rows] == [third.id, second.id, first.id] and sizes == [2, 1]
    p.refused(UNAUTHENTICATED, "ListMyReports", pb.ListMyReportsRequest())

    p.projected(lambda: public_row(p, category.code, first.id).status == pb.ACCEPTED)
    feed, sizes = all_pages(p, "ListPublicReports", pb.ListPublicReportsRequest(
        category=category.code, page_size=3))
    assert [r.id for r in feed] == [theirs.id, third.id, second.id, first.id]
    assert sizes == [3, 1]

    south_west, north_east = offset(west, -200, -200), offset(west, 200, 200)
    boxed = p.call("ListPublicReports", pb.ListPublicReportsRequest(
        category=category.code,
        south_west=pb.GeoPoint(latitude=south_west[0], longitude=south_west[1]),
        north_east=pb.GeoPoint(latitude=north_east[0], longitude=north_east[1])))
    assert [r.id for r in boxed.reports] == [theirs.id, second.id, first.id]
    accepted = p.call("ListPublicReports", pb.ListPublicReportsRequest(
        category=category.code, status=pb.ACCEPTED))
    assert [r.id for r in accepted.reports] == [first.id]

    p.refused(INVALID, "ListPublicReports", pb.ListPublicReportsRequest(page_token="garbage"),
              field="page_token")
    p.refused(INVALID, "ListPublicReports", pb.ListPublicReportsRequest(
        south_west=pb.GeoPoint(latitude=north_east[0], longitude=north_east[1]),
        north_east=pb.GeoPoint(latitude=south_west[0], longitude=south_west[1])),
        field="south_west")
    p.refused(INVALID, "ListPublicReports", pb.ListPublicReportsRequest(page_size=-1),
              field="page_size")


def test_the_staff_queue_comes_in_deadline_order_within_scope(reports_platform):
    p = reports_platform
    agency = f"Đội quản lý trật tự đô thị {uuid.uuid4().hex[:6]}"
    slow = p.define(unique("stall"), agency=agency, hours=48)
    weekly = p.define(unique("signboard"), agency=agency, hours=168)
    urgent = p.define(unique("blocked_road"), agency=agency, hours=1)
    _, session = p.citizen()
    here = CENTRE_OF[PHAN_DINH_PHUNG]
    filed = {name: p.file(session.access_token, category.code, here)
             for name, category in (("slow", slow), ("weekly", weekly), ("urgent", urgent))}
    elsewhere = p.file(session.access_token, urgent.code, CENTRE_OF[GIA_SANG])
    local_staff = token(p.staff(agency, PHAN_DINH_PHUNG))
    province_staff = token(p.staff(agency, PROVINCE))

    def queue(viewer, **fields):
        return p.call("ListStaffQueue", pb.ListStaffQueueRequest(**fields), token=viewer)

    p.projected(lambda: len(queue(province_staff).reports) == 4)
    expected = [filed["urgent"].id, filed["slow"].id, filed["weekly"].id]
    assert [r.id for r in queue(local_staff).reports] == expected
    everywhere, sizes = all_pages(p, "ListStaffQueue", pb.ListStaffQueueRequest(page_size=3),
                                  province_staff)
    assert sizes == [3, 1]
    assert {r.id for r in everywhere[:2]} == {filed["urgent"].id, elsewhere.id}
    deadlines = [seconds(r.deadline) for r in everywhere]
    assert deadlines == sorted(deadlines) and not any(r.overdue for r in everywhere)
    assert [r.id for r in queue(province_staff, unit_code=GIA_SANG).reports] == [elsewhere.id]

    p.call("AcceptReport", pb.AcceptReportRequest(report_id=filed["slow"].id), token=local_staff)
    p.projected(lambda: [r.id for r in queue(local_staff, status=pb.ACCEPTED).reports]
                == [filed["slow"].id])
    operator = token(p.operator())
    assert len(queue(operator, agency=agency, page_size=100).reports) == 4
    roads_queue = queue(token(p.staff(ROADS, PHAN_DINH_PHUNG)), page_size=100).reports
    assert not {r.id for r in roads_queue} & {*expected, elsewhere.id}

    _, citizen = p.citizen()
    p.refused(DENIED, "ListStaffQueue", pb.ListStaffQueueRequest(), token=citizen.access_token)
    p.refused(NOT_FOUND, "ListStaffQueue", pb.ListStaffQueueRequest(unit_code="99999"),
              token=operator, field="unit_code")


def test_statistics_for_a_commune(reports_platform):
    p = reports_platform
    category = p.define(unique("pavement"), hours=48)
    other = p.define(unique("drain"), hours=48)
    _, session = p.citizen()
    operator = token(p.operator())
    here = CENTRE_OF[QUYET_THANG]
    fixed = p.file(session.access_token, category.code, offset(here, north_m=-700))
    refused = p.file(session.access_token, category.code, offset(here, north_m=-710))
    p.file(session.access_token, other.code, offset(here, north_m=-720))
    p.call("AcceptReport", pb.AcceptReportRequest(report_id=fixed.id), token=operator)
    p.call("ResolveReport", pb.ResolveReportRequest(report_id=fixed.id, note="Đã lát lại"),
           token=operator)
    p.call("RejectReport", pb.ReasonRequest(report_id=refused.id, reason="Không thuộc phạm vi"),
           token=operator)

    def commune(**fields):
        return p.call("GetStatistics", pb.GetStatisticsRequest(unit_code=QUYET_THANG, **fields),
                      token=operator)

    mine = {category.code, other.code}

    def counted():
        stats = commune()
        projected = {c.key for c in stats.by_category} >= mine and any(
            c.key == "rejected" for c in stats.by_status)
        return stats if projected else None

    stats = p.projected(counted, "the statistics to count every report")
    by_category = {c.key: c.count for c in stats.by_category if c.key in mine}
    assert by_category == {category.code: 2, other.code: 1}
    assert {c.key for c in stats.by_commune} == {QUYET_THANG}
    assert 0 < stats.median_hours_to_resolve < 0.1
    assert stats.share_resolved_on_time == 1.0 and stats.overdue == 0
    later = Timestamp(seconds=int(time.time()) + HOUR)
    assert commune(since=later).total == 0
    province = p.call("GetStatistics", pb.GetStatisticsRequest(), token=operator)
    assert province.total >= stats.total

    _, citizen = p.citizen()
    p.refused(DENIED, "GetStatistics", pb.GetStatisticsRequest(), token=citizen.access_token)
    p.refused(NOT_FOUND, "GetStatistics", pb.GetStatisticsRequest(unit_code="99999"),
              token=operator, field="unit_code")


# Media ------------------------------------------------------------------------------
def test_a_photo_loses_its_location_in_the_public_copy(reports_platform, categories):
    p = reports_platform
    _, session = p.citizen()
    original = jpeg_with_gps(seed=3)
    assert opened(original).getexif().get_ifd(GPS_IFD), "the test photo carries GPS"
    media = p.upload(original, session.access_token, filename="IMG_0001.JPG", chunk_bytes=1000)
    assert (media.content_type, media.size, media.location_stripped) == (
        "image/jpeg", len(original), True)

    status, headers, body = p.http(f"/media/{media.sha256}")
    assert status == 200 and headers["Content-Type"].startswith("image/jpeg")
    public = opened(body)
    assert public.getexif().get_ifd(GPS_IFD) == {} and GPS_IFD not in public.getexif()
    assert public.tobytes() == opened(original).tobytes()       # the same pixels
    assert p.upload(original, session.access_token).sha256 == media.sha256   # stored once

    report = p.file(session.access_token, categories.pothole.code, CENTRE_OF[PHAN_DINH_PHUNG],
                    answers=DEPTH_15, media=[media.sha256])
    assert list(report.media) == [media.sha256]
    assert p.http(f"/media/{NOT_UPLOADED}")[0] == 404


def test_media_types_and_limits_are_read_from_the_content(reports_platform):
    p = reports_platform
    _, session = p.citizen()
    png = encoded(photo(size=(40, 30)), "PNG")
    media = p.upload(png, session.access_token, filename="map.png")
    assert (media.content_type, media.location_stripped) == ("image/png", False)
    assert opened(p.http(f"/media/{media.sha256}")[2]).tobytes() == opened(png).tobytes()

    noise = photo(size=(400, 400))
    noise.putdata([tuple(b for b in uuid.uuid4().bytes[:3]) for _ in range(400 * 400)])
    oversized = encoded(noise, "PNG")
    for data, filename in ((oversized, "big.png"), (b"khong phai anh\n" * 10, "note.jpg"),
                           (b"\xff\xd8\xff\xe0" + b"\x00" * 40, "broken.jpg")):
        before = p.log_position()
        with pytest.raises(grpc.RpcError) as refused:
            p.upload(data, session.access_token, filename=filename)
        assert refused.value.code() == INVALID, (filename, refused.value.details())
        assert [f for f, _ in field_violations(refused.value)] == ["data"], filename
        assert p.log_position() == before
    with pytest.raises(grpc.RpcError) as anonymous:
        p.upload(png, None)
    assert anonymous.value.code() == UNAUTHENTICATED


# Open311 ------------------------------------------------------------------------------
def test_open311_services_and_requests(reports_platform, categories, people):
    p = reports_platform
    _, session = p.citizen()
    pothole = categories.pothole.code
    filed = p.file(session.access_token, pothole, CENTRE_OF[PHAN_DINH_PHUNG], answers=DEPTH_15,
                   address="45 Lương Ngọc Quyến")
    resolved = p.file(session.access_token, pothole, CENTRE_OF[PHAN_DINH_PHUNG],
                      answers=DEPTH_15)
    p.call("AcceptReport", pb.AcceptReportRequest(report_id=resolved.id),
           token=token(people.roads))
    p.call("ResolveReport", pb.ResolveReportRequest(report_id=resolved.id, note="Đã vá"),
           token=token(people.roads))

    def services():
        status, document = p.http_json("/open311/v2/services.json")
        return {s["service_code"]: s for s in document} if status == 200 else {}

    listed = p.projected(lambda: services().get(categories.flooding.code) and services())
    assert listed[pothole]["metadata"] is True and listed[pothole]["group"] == "roads"
    status, definition = p.http_json(f"/open311/v2/services/{pothole}.json")
    assert status == 200 and definition["attributes"] == [{
        "variable": True, "code": "depth_cm", "datatype": "number", "required": True,
        "datatype_description": "Một số / a number", "order": 1,
        "description": "Độ sâu (cm) / Depth (cm)"}]
    assert p.http_json("/open311/v2/services/no_such_service.json")[0] == 404

    def requests(query):
        status, document = p.http_json(f"/open311/v2/requests.json?{query}")
        assert status == 200, document
        return {r["service_request_id"]: r for r in document}

    p.projected(lambda: requests(f"service_code={pothole}&status=closed").get(resolved.id))
    still_open = requests(f"service_code={pothole}&status=open")
    assert filed.id in still_open and resolved.id not in still_open
    described = still_open[filed.id]
    assert (described["address"], described["agency_responsible"], described["lat"]) == (
        "45 Lương Ngọc Quyến", ROADS, CENTRE_OF[PHAN_DINH_PHUNG][0])
    assert requests(f"service_code={pothole}&status=closed")[resolved.id]["status_notes"] == \
        "Đã vá"
    status, [one] = p.http_json(f"/open311/v2/requests/{filed.id}.json")
    assert status == 200 and one["service_request_id"] == filed.id
    assert p.http_json(f"/open311/v2/requests/{uuid.uuid4()}.json")[0] == 404
    assert p.http_json("/open311/v2/requests.json?status=pending")[0] == 400
    assert p.http_json("/open311/v2/services.xml")[0] == 400


def test_open311_files_a_report_with_a_citizens_access_token(reports_platform, categories):
    p = reports_platform
    citizen, session = p.citizen()
    lat, lon = CENTRE_OF[PHAN_DINH_PHUNG]
    form = {"api_key": session.access_token, "service_code": categories.pothole.code,
            "lat": str(lat), "long": str(lon), "address_string": "3 Bến Oánh",
            "description": "Ổ gà trước cổng trường", "attribute[depth_cm]": "12"}
    status, [created] = p.http_json("/open311/v2/requests.json", form)
    assert status == 201 and created["service_notice"] == ""
    report = p.call("GetReport", pb.ReportRef(report_id=created["service_request_id"]),
                    token=session.access_token)
    assert (report.reporter_id, report.address, report.unit_code) == (
        citizen.id, "3 Bến Oánh", PHAN_DINH_PHUNG)
    assert [(a.question, a.value) for a in report.answers] == [("depth_cm", "12")]
    p.projected(lambda: report.id in [r.id for r in p.call(
        "ListMyReports", pb.ListMyReportsRequest(), token=session.access_token).reports])

    photo_sha = p.upload(jpeg_with_gps(seed=11), session.access_token).sha256
    with_photo = dict(form, media_url=f"{p.http_base}/media/{photo_sha}.jpg")
    status, [pictured] = p.http_json("/open311/v2/requests.json", with_photo)
    assert status == 201
    assert list(p.call("GetReport", pb.ReportRef(report_id=pictured["service_request_id"])).media) \
        == [photo_sha]

    flood = dict(form, service_code=categories.flooding.code)
    del flood["attribute[depth_cm]"]
    status, [emergency] = p.http_json("/open311/v2/requests.json", flood)
    assert status == 201 and "112" in emergency["service_notice"]

    for change, status, named in [
            (dict(api_key=None), 403, "api_key"),
            (dict(api_key="not-a-token"), 403, ""),
            (dict(lat="abc"), 400, "lat"),
            (dict(lat="95"), 400, "lat"),
            (dict(lat="21.0285", long="105.8542"), 400, "lat"),       # Hà Nội
            (dict(service_code="no_such_service"), 400, "service_code"),
            (dict({"attribute[depth_cm]": None}), 400, "attribute[depth_cm]"),
            (dict(description=""), 400, "description")]:
        bad = {k: v for k, v in {**form, **change}.items() if v is not None}
        before = p.log_position()
        answered, document = p.http_json("/open311/v2/requests.json", bad)
        assert answered == status, (change, document)
        assert document[0]["description"].startswith(named), (change, document)
        assert p.log_position() == before, change


def test_open311_requests_link_their_photo(reports_platform, categories):
    p = reports_platform
    _, session = p.citizen()
    sha = p.upload(jpeg_with_gps(seed=12), session.access_token).sha256
    report = p.file(session.access_token, categories.pothole.code, CENTRE_OF[PHAN_DINH_PHUNG],
                    answers=DEPTH_15, media=[sha])
    path = f"/open311/v2/requests/{report.id}.json"
    p.projected(lambda: p.http_json(path)[0] == 200)
    [described] = p.http_json(path)[1]
    assert described["media_url"].endswith(sha) or f"/media/{sha}" in described["media_url"]
