"""The reports read model on real PostgreSQL and SQLite: every query, keyset
paging, and the same answers after a rebuild from the events."""
import dataclasses
import time
import uuid
from datetime import datetime, timezone

import pytest

import harness
from kit.adminunits import AdministrativeUnits
from kit.errors import InvalidArgument
from kit.eventstore import EventSourcedApplication, persistence_env
from kit.projections import ReadModel
from reports.domainmodel import Actor, Category, Report, moment
from reports.readmodel import ReportsProjection, ReportsQueries, haversine_m

HOUR, DAY = 3600, 86400
ROADS, ENVIRONMENT = "Sở Xây dựng", "Sở Nông nghiệp và Môi trường"
PHAN_DINH_PHUNG, QUYET_THANG, GIA_SANG = "05443", "05455", "05467"   # Thái Nguyên (19)
TICH_SON = "08707"                                                   # under district 243
CENTRE = (21.5928, 105.8442)
STAFF = Actor("staff-1", "agency_staff")
MODERATOR = Actor("admin-1", "administrator")


class ReportsApplication(EventSourcedApplication):
    pass


def metres_north(lat, lon, metres):
    return lat + metres / 111_320.0, lon


def metres_east(lat, lon, metres):
    return lat, lon + metres / (111_320.0 * 0.93)       # cos(21.6°) ≈ 0.93


class World:
    """An application, its read model and queries, and a clock for the events
    (the domain takes every event's time as an argument)."""

    def __init__(self, app):
        self.app = app
        self.model = ReadModel(app, ReportsProjection())
        self.queries = ReportsQueries(self.model, AdministrativeUnits.load())
        self.start = float(int(time.time()) - 30 * DAY)
        self.now = self.start

    def sync(self):
        while self.model.catch_up():
            pass

    def save(self, *aggregates):
        self.app.save(*aggregates)
        return aggregates[0]

    def file(self, category="pothole", at=CENTRE, unit=PHAN_DINH_PHUNG, reporter="citizen-1",
             agency=ROADS, deadline_hours=48, anonymous=False,
             description="Ổ gà sâu giữa đường", reporter_name="Nguyễn Văn An"):
        return self.save(Report(
            category=category, description=description, latitude=at[0], longitude=at[1],
            address="12 Hoàng Văn Thụ", unit_code=unit, answers={"depth_cm": "15"},
            media=["ab" * 32], anonymous=anonymous, reporter_id=reporter,
            reporter_name=reporter_name, emergency=False, agency=agency,
            deadline=self.now + deadline_hours * HOUR, timestamp=moment(self.now)))

    def accept(self, report, agency=ROADS, unit=PHAN_DINH_PHUNG):
        report.accept(agency, unit, STAFF, self.now)
        return self.save(report)

    def resolve(self, report):
        if report.status == "submitted":
            report.accept(report.agency, report.unit_code, STAFF, self.now)
        report.resolve("Đã vá", [], STAFF, self.now)
        return self.save(report)

    def hide(self, report, hidden=True, redacted=""):
        report.moderate(hidden, redacted, "vi phạm", MODERATOR, self.now)
        return self.save(report)


@pytest.fixture(params=["postgres", "sqlite"])
def store_url(request, postgres_db, tmp_path):
    if request.param == "postgres":
        return f"{harness.POSTGRES_ADMIN_URL}/{postgres_db}?schema=rm_{uuid.uuid4().hex[:8]}"
    return f"sqlite:///{tmp_path}/reports.db"


@pytest.fixture
def world(monkeypatch, store_url):
    monkeypatch.setenv("EVENT_STORE_URL", store_url)
    return World(ReportsApplication(persistence_env("reports")))


def all_pages(fetch, page_size):
    """Every page of a list: (reports in order, number of pages)."""
    reports, token, pages = [], "", 0
    while True:
        page = fetch(page_size=page_size, page_token=token)
        reports += page.reports
        pages += 1
        token = page.next_page_token
        if not token:
            return reports, pages


def ids(reports):
    return [str(report.id) for report in reports]


def newest_first(reports):
    """Ids in the feed's order: filed_at descending, then id descending."""
    return ids(sorted(reports, key=lambda r: (r.filed_at, str(r.id)), reverse=True))


# The public feed ----------------------------------------------------------------
def test_the_public_feed_pages_newest_first_without_gaps_or_repeats(world):
    filed = []
    for number in range(25):
        if number % 5 == 0:          # groups of five filed in the same second:
            world.now += 60          # the id breaks the tie
        filed.append(world.file(description=f"phản ánh {number}"))
    hidden = world.hide(filed[3])
    world.sync()

    shown, pages = all_pages(world.queries.public_feed, page_size=7)
    assert ids(shown) == newest_first([r for r in filed if r is not hidden]) and pages == 4
    assert len(set(ids(shown))) == 24 and str(hidden.id) not in ids(shown)
    first = world.queries.public_feed()
    assert len(first.reports) == 20 and first.next_page_token


def test_the_public_feed_filters_by_category_and_status(world):
    potholes = [world.file() for _ in range(3)]
    flooding = [world.file(category="flooding", agency=ENVIRONMENT) for _ in range(2)]
    world.accept(potholes[0])
    world.accept(flooding[1], agency=ENVIRONMENT)
    world.sync()

    feed = world.queries.public_feed
    assert set(ids(feed(category="flooding").reports)) == set(ids(flooding))
    assert set(ids(feed(status="accepted").reports)) == set(ids([potholes[0], flooding[1]]))
    assert ids(feed(category="pothole", status="accepted").reports) == ids(potholes[:1])
    assert ids(feed(category="pothole", status="submitted", page_size=1).reports) \
        == newest_first(potholes[1:])[:1]
    assert feed(category="streetlight").reports == []
    with pytest.raises(InvalidArgument) as error:
        feed(status="open")
    assert error.value.field == "status"


def test_the_map_box_shows_only_reports_inside_it(world):
    inside = [world.file(at=metres_east(*metres_north(*CENTRE, 100 * n), 50 * n))
              for n in range(5)]
    outside = [world.file(at=metres_north(*CENTRE, 2_000)),
               world.file(at=metres_east(*CENTRE, -900))]
    world.sync()
    south_west = metres_east(*CENTRE, -10)
    north_east = metres_east(*metres_north(*CENTRE, 450), 300)
    box = (*south_west, *north_east)

    shown, pages = all_pages(lambda **paging: world.queries.public_feed(box=box, **paging), 2)
    assert ids(shown) == newest_first(inside) and pages == 3
    assert not set(ids(shown)) & set(ids(outside))
    with pytest.raises(InvalidArgument) as error:
        world.queries.public_feed(box=(*north_east, *south_west))
    assert error.value.field == "south_west"


def test_the_public_sees_published_text_and_no_anonymous_reporter(world):
    anonymous = world.file(anonymous=True, reporter="citizen-9", reporter_name="Trần Thị Bình")
    redacted = world.file(description="Số điện thoại 0912345678, ổ gà")
    world.hide(redacted, hidden=False, redacted="Số điện thoại [đã ẩn], ổ gà")
    world.sync()

    public = {r.id: r for r in world.queries.public_feed().reports}
    assert public[str(anonymous.id)].reporter_id == "" == public[str(anonymous.id)].reporter_name
    assert public[str(redacted.id)].description == "Số điện thoại [đã ẩn], ổ gà"
    assert public[str(redacted.id)].reporter_name == "Nguyễn Văn An"
    own = world.queries.my_reports("citizen-9").reports[0]
    assert (own.reporter_id, own.reporter_name, own.anonymous) == ("citizen-9", "Trần Thị Bình",
                                                                   True)
    assert world.queries.report(str(anonymous.id)).reporter_name == "Trần Thị Bình"
    assert world.queries.report(str(uuid.uuid4())) is None


# My reports ---------------------------------------------------------------------
def test_my_reports_are_mine_newest_first_hidden_ones_included(world):
    mine = []
    for number in range(7):
        world.now += 60 * (number % 2)
        mine.append(world.file(reporter="citizen-1"))
        world.file(reporter="citizen-2")
    world.hide(mine[2])
    world.sync()

    shown, pages = all_pages(lambda **p: world.queries.my_reports("citizen-1", **p), 3)
    assert ids(shown) == newest_first(mine) and pages == 3
    assert world.queries.my_reports("nobody").reports == []


# The staff queue ----------------------------------------------------------------
def test_the_staff_queue_puts_overdue_first_then_the_earliest_deadline(world):
    late_one = world.file(deadline_hours=10)
    soon = world.file(deadline_hours=5)
    later = world.file(deadline_hours=72)
    late_two = world.accept(world.file(deadline_hours=24))
    tied = [world.file(deadline_hours=30) for _ in range(2)]
    done = world.resolve(world.file(deadline_hours=1))
    world.now += 25 * HOUR           # the overdue timer has run for two of them
    late_two.mark_overdue(world.now, escalated_to="19")
    late_one.mark_overdue(world.now, escalated_to="")
    world.save(late_two, late_one)
    world.sync()

    expected = [late_one, late_two, soon, *sorted(tied, key=lambda r: str(r.id)), later]
    scope = [(ROADS, [PHAN_DINH_PHUNG])]
    shown, pages = all_pages(lambda **p: world.queries.staff_queue(scope, **p), 2)
    assert ids(shown) == ids(expected) and pages == 3
    assert [r.overdue for r in shown] == [True, True, False, False, False, False]
    assert shown[1].escalated and not shown[0].escalated
    assert ids(world.queries.staff_queue(scope, status="resolved").reports) == ids([done])


def test_the_staff_queue_keeps_to_the_agency_and_jurisdiction(world):
    here = world.file(unit=PHAN_DINH_PHUNG)
    next_door = world.file(unit=QUYET_THANG)
    other_agency = world.file(category="flooding", agency=ENVIRONMENT, unit=PHAN_DINH_PHUNG)
    in_district = world.file(unit=TICH_SON)
    moved = world.accept(world.file(unit=GIA_SANG), agency=ENVIRONMENT, unit=QUYET_THANG)
    world.sync()

    def queue(scopes):
        return set(ids(world.queries.staff_queue(scopes).reports))

    assert queue([(ROADS, [PHAN_DINH_PHUNG])]) == set(ids([here]))
    assert queue([(ROADS, ["19"])]) == set(ids([here, next_door]))         # the province
    assert queue([(ROADS, ["243"])]) == set(ids([in_district]))             # a district
    assert queue([(ENVIRONMENT, None)]) == set(ids([other_agency, moved]))
    assert queue([(None, [QUYET_THANG])]) == set(ids([next_door, moved]))
    assert queue([(ROADS, [QUYET_THANG]), (ENVIRONMENT, [PHAN_DINH_PHUNG])]) \
        == set(ids([next_door, other_agency]))
    assert len(queue([(None, None)])) == 5
    assert queue([]) == set() == queue([(ROADS, [])])


# Duplicates ---------------------------------------------------------------------
def test_nearby_open_reports_are_the_same_category_within_50_m_and_14_days(world):
    world.now = time.time() - 20 * DAY
    world.file(at=metres_north(*CENTRE, 5))                                # too old
    world.now = time.time() - 13 * DAY
    close = world.file(at=metres_north(*CENTRE, 10))
    closer = world.accept(world.file(at=metres_east(*CENTRE, 4)))
    edge = world.file(at=metres_east(*CENTRE, -45))
    world.file(at=metres_north(*CENTRE, 60))                               # too far
    world.file(at=metres_east(*CENTRE, 55))                                # too far
    world.file(category="flooding", agency=ENVIRONMENT)                    # another category
    world.resolve(world.file())                                            # no longer open
    world.hide(world.file())                                               # not public
    rejected = world.file()
    rejected.reject("không thuộc thẩm quyền", STAFF, world.now)
    world.save(rejected)
    world.sync()

    found = world.queries.nearby_open("pothole", *CENTRE)
    assert ids(found) == ids([closer, close, edge])
    assert all(haversine_m(*CENTRE, r.latitude, r.longitude) <= 50 for r in found)
    assert ids(world.queries.nearby_open("pothole", *CENTRE, radius_m=8)) == ids([closer])
    assert world.queries.nearby_open("pothole", *CENTRE, days=1) == []


def test_supports_merges_reopening_and_notes_show_in_the_row(world):
    original = world.accept(world.file(reporter="citizen-1"))
    duplicate = world.file(reporter="citizen-2")
    for supporter in ("citizen-3", "citizen-4"):
        original.support(supporter, world.now)
    duplicate.support("citizen-4", world.now)      # backs both: counted once
    duplicate.support("citizen-5", world.now)
    world.now += HOUR
    duplicate.merge_into(original, STAFF, world.now)
    original.assign("staff-7", STAFF, world.now)
    original.resolve("Đã vá", [], STAFF, world.now)
    original.reopen("vẫn còn ổ gà", Actor("citizen-1", "citizen"), world.now)
    changed_at = world.now
    world.now += HOUR
    original.add_internal_note("chỉ nhân viên thấy", STAFF, world.now)   # not a public change
    world.save(original, duplicate)
    world.sync()

    row = world.queries.report(str(original.id))
    assert (row.status, row.assignee_id, row.supporters) == ("assigned", "staff-7", 4)
    assert (row.resolved_at, row.status_note) == (None, "vẫn còn ổ gà")
    assert row.last_changed_at == moment(changed_at)
    merged = world.queries.report(str(duplicate.id))
    assert (merged.status, merged.merged_into) == ("merged", str(original.id))


# Statistics ---------------------------------------------------------------------
def test_statistics_agree_with_a_hand_count(world):
    quick, late, rated, slow = (world.file(deadline_hours=48) for _ in range(4))
    overdue = world.file(deadline_hours=1, category="flooding", agency=ENVIRONMENT)
    rejected = world.file()
    elsewhere = world.file(unit=QUYET_THANG)

    def resolve_after(report, hours):
        world.now = world.start + hours * HOUR
        world.resolve(report)

    resolve_after(quick, 10)
    resolve_after(rated, 20)
    rated.rate(5, "Cảm ơn", "citizen-1", world.now)
    resolve_after(late, 30)
    late.reopen("vẫn còn", Actor("citizen-1", "citizen"), world.now)
    resolve_after(slow, 40)
    resolve_after(late, 60)                                       # past its 48 h
    overdue.mark_overdue(world.now, "19")
    rejected.reject("trùng", STAFF, world.now)
    world.save(rated, overdue, rejected)
    world.sync()

    stats = world.queries.statistics()
    assert stats.by_status == {"closed": 1, "rejected": 1, "resolved": 3, "submitted": 2}
    assert stats.by_category == {"flooding": 1, "pothole": 6}
    assert stats.by_commune == {PHAN_DINH_PHUNG: 6, QUYET_THANG: 1}
    assert stats.median_hours_to_resolve == pytest.approx(30.0)     # of 10, 20, 40, 60
    assert stats.share_resolved_on_time == pytest.approx(0.75)      # all but the 60 h one
    assert (stats.total, stats.overdue) == (7, 1)

    one_commune = world.queries.statistics(unit_codes=[QUYET_THANG])
    assert (one_commune.total, one_commune.by_commune) == (1, {QUYET_THANG: 1})
    assert one_commune.median_hours_to_resolve == 0.0 == one_commune.share_resolved_on_time
    assert world.queries.statistics(unit_codes=["19"]).total == 7
    assert world.queries.statistics(since=moment(world.start + 1)).total == 0
    resolve_after(elsewhere, 60)
    world.sync()
    assert world.queries.statistics(unit_codes=[QUYET_THANG]).median_hours_to_resolve \
        == pytest.approx(60.0)
    assert world.queries.statistics().median_hours_to_resolve == pytest.approx(40.0)


# The timers' queries ------------------------------------------------------------
def test_the_timers_find_open_deadlines_and_long_resolved_reports(world):
    first = world.file(deadline_hours=5)
    second = world.file(deadline_hours=2)
    overdue = world.file(deadline_hours=1)
    world.now = world.start + DAY
    overdue.mark_overdue(world.now, "19")
    world.save(overdue)
    resolved_early = world.resolve(world.file())
    world.now = world.start + 3 * DAY
    resolved_late = world.resolve(world.file())
    closed = world.resolve(world.file())
    world.now = world.start + 10 * DAY
    closed.auto_close(world.now)
    world.save(closed)
    world.sync()

    deadlines = world.queries.open_deadlines(moment(world.start + DAY))
    assert deadlines == [(str(second.id), moment(world.start + 2 * HOUR)),
                         (str(first.id), moment(world.start + 5 * HOUR))]   # not the overdue one
    assert world.queries.open_deadlines(moment(world.start + 3 * HOUR)) == deadlines[:1]
    assert world.queries.resolved_before(moment(world.start + 2 * DAY)) == ids([resolved_early])
    assert world.queries.resolved_before(moment(world.start + 4 * DAY)) \
        == ids([resolved_early, resolved_late])


# Categories ---------------------------------------------------------------------
POTHOLE = dict(code="pothole", name_vi="Ổ gà", name_en="Pothole", group="roads",
               questions=[{"code": "depth_cm", "label_vi": "Độ sâu (cm)", "label_en": "Depth",
                           "type": "number", "required": True, "choices": []}],
               agency=ROADS, deadline_hours=48, deadline_working_days=0, emergency=False,
               active=True)


def define(world, **fields):
    return world.save(Category(**{**POTHOLE, **fields}, defined_by="admin-1",
                               timestamp=moment(world.now)))


def test_categories_are_defined_redefined_and_listed(world):
    pothole = define(world)
    define(world, code="fire", name_en="Fire", group="safety", questions=[], emergency=True)
    pothole.redefine({**POTHOLE, "name_en": "Road pothole", "active": False}, "admin-1",
                     world.now)
    world.save(pothole)
    world.sync()

    assert [c.code for c in world.queries.categories()] == ["fire"]
    everything = world.queries.categories(include_inactive=True)
    assert [c.code for c in everything] == ["pothole", "fire"]          # by group: roads, safety
    redefined = world.queries.category("pothole")
    assert (redefined.name_en, redefined.active) == ("Road pothole", False)
    assert redefined.questions == POTHOLE["questions"] and world.queries.category("x") is None


# Paging errors ------------------------------------------------------------------
def test_bad_page_tokens_and_sizes_are_refused(world):
    for _ in range(3):
        world.file()
    world.sync()
    queue_token = world.queries.staff_queue([(None, None)], page_size=1).next_page_token
    for token in ("garbage!", "bm90IGpzb24", queue_token, "WyJuZXdlc3QiLCJ4IiwieSJd"):
        with pytest.raises(InvalidArgument) as error:
            world.queries.public_feed(page_token=token)
        assert error.value.field == "page_token"
    with pytest.raises(InvalidArgument) as error:
        world.queries.my_reports("citizen-1", page_size=-1)
    assert error.value.field == "page_size"
    assert len(world.queries.public_feed(page_size=1000).reports) == 3


# Rebuilding ---------------------------------------------------------------------
def every_answer(queries: ReportsQueries, box, report_ids) -> dict:
    def paged(fetch):
        return [dataclasses.astuple(r) for r in all_pages(fetch, 3)[0]]

    return {
        "feed": paged(queries.public_feed),
        "box": paged(lambda **p: queries.public_feed(box=box, **p)),
        "category": paged(lambda **p: queries.public_feed(category="pothole", status="accepted",
                                                          **p)),
        "mine": paged(lambda **p: queries.my_reports("citizen-1", **p)),
        "queue": paged(lambda **p: queries.staff_queue([(ROADS, ["19"])], **p)),
        "closed": paged(lambda **p: queries.staff_queue([(None, None)], status="closed", **p)),
        "nearby": queries.nearby_open("pothole", *CENTRE, radius_m=500, days=60),
        "statistics": queries.statistics(),
        "deadlines": queries.open_deadlines(datetime.now(timezone.utc)),
        "resolved": queries.resolved_before(datetime.now(timezone.utc)),
        "categories": queries.categories(include_inactive=True),
        "reports": [queries.report(i) for i in report_ids],
        "published": queries.published_reports(statuses=["submitted", "accepted", "closed"]),
    }


def a_month_of_reports(world) -> list:
    """Thirty reports through every kind of event, filed and handled over a month."""
    define(world)
    world.now = time.time() - 30 * DAY
    reports, units = [], [PHAN_DINH_PHUNG, QUYET_THANG] * 15
    for number in range(30):
        world.now += 7 * 60 * (number % 3)
        at = metres_east(*metres_north(*CENTRE, 20 * number), -15 * number)
        reports.append(world.file(at=at, unit=units[number], reporter=f"citizen-{number % 3}",
                                  anonymous=number % 4 == 0, deadline_hours=6 + number))
    for number, report in enumerate(reports):
        world.now += HOUR
        handle(world, report, number, units[number])
        world.save(report)
    duplicate, original = reports[25], reports[26]
    duplicate.merge_into(original, STAFF, world.now)
    world.save(duplicate, original)
    return reports


def handle(world, report, number, unit):
    """Takes report `number` a different way along its lifecycle."""
    now = world.now
    if number % 10 == 7:
        report.reject("không rõ vị trí", STAFF, now)
        return
    report.accept(ROADS, unit, STAFF, now)
    if number % 5 == 0:
        report.support(f"supporter-{number}", now)
        report.add_internal_note("gọi lại cho người dân", STAFF, now)
    if number % 7 == 0:
        report.mark_overdue(now + 40 * HOUR, "19" if number % 2 else "")
    if number % 2:
        report.assign("staff-7", STAFF, now)
        report.start_work(STAFF, now)
    if number % 3 == 0:
        report.resolve("đã xử lý", ["cd" * 32], STAFF, now + HOUR)
        if number % 5 == 0:
            report.request_reopen(f"supporter-{number}", "vẫn hỏng", 1, now + 2 * HOUR)
        elif number % 6 == 0:
            report.rate(4, "tốt", report.reporter_id, now + 2 * HOUR)
        elif number % 9 == 0:
            report.auto_close(now + 8 * DAY)
    if number % 8 == 0:
        report.moderate(number % 16 == 0, "đã biên tập", "PII", MODERATOR, now)


def test_a_rebuild_from_scratch_gives_the_same_answers(world):
    reports = a_month_of_reports(world)
    world.sync()
    box = (*metres_east(*CENTRE, -200), *metres_east(*metres_north(*CENTRE, 300), 100))
    report_ids = ids(reports)

    before = every_answer(world.queries, box, report_ids)
    world.model.rebuild()
    assert every_answer(world.queries, box, report_ids) == before
    statuses = set(before["statistics"].by_status)
    assert statuses == {"accepted", "assigned", "in_progress", "resolved", "closed",
                        "rejected", "merged"}
    assert before["statistics"].total == 30 and before["statistics"].overdue
    assert all(before[name] for name in before)
