"""Emergency response, on an SQLite event store in tmp_path: no broker, no network."""
import uuid

import pytest

from alerts.emergency import EmergencyCommands
from alerts.integration import translate
from kit import geography
from kit.auth import Principal, RoleGrant
from kit.errors import (
    FailedPrecondition, InvalidArgument, NotFound, PermissionDenied, Unauthenticated,
)
from kit.eventstore import EventSourcedApplication, persistence_env
from smartcity.events.v1 import alerts_pb2 as events

T0 = 1_767_000_000.0
PHAN_DINH_PHUNG = ("05443", 21.5887, 105.834)      # a ward of Thái Nguyên city
PHO_YEN = ("05860", 21.4265, 105.867)
HANOI = (21.0285, 105.8542)                         # outside the province
UNIT = "PCCC Thái Nguyên - xe 03"


class Clock:
    def __init__(self):
        self.now = T0

    def __call__(self):
        return self.now


class EmergencyApp(EmergencyCommands, EventSourcedApplication):
    def __init__(self, env, clock):
        super().__init__(env)
        self.clock = clock
        self.communes = geography.Locator.load()


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def app(tmp_path, monkeypatch, clock):
    monkeypatch.setenv("EVENT_STORE_URL", f"sqlite:///{tmp_path / 'alerts.db'}")
    monkeypatch.delenv("EVENT_STORE_CIPHER_KEY", raising=False)
    return EmergencyApp(persistence_env("alerts"), clock)


def person(*grants):
    return Principal(subject=str(uuid.uuid4()), kind="person",
                     roles=(RoleGrant("citizen"), *grants), assurance_level=1)


CITIZEN = person()
OPERATOR = person(RoleGrant("ioc_operator"))
ADMIN = person(RoleGrant("administrator"))
FIRE_STAFF = person(RoleGrant("agency_staff", "Cảnh sát PCCC", "19"))
MACHINE = Principal(subject="sensors", kind="machine", roles=(RoleGrant("machine"),))


def sos(app, caller=CITIZEN, kind="fire", place=PHAN_DINH_PHUNG[1:], note="Cháy nhà"):
    return app.send_sos(caller, kind, *place, note=note)


def cid(case):
    return str(case.id)


def steps(case):
    return [(s["step"], s["actor"], s["detail"]) for s in case.steps]


def run_to_scene(app, clock, case):
    for step in (lambda: app.acknowledge_case(OPERATOR, cid(case)),
                 lambda: app.dispatch_unit(OPERATOR, cid(case), UNIT),
                 lambda: app.advance_case(OPERATOR, cid(case), "en_route"),
                 lambda: app.advance_case(OPERATOR, cid(case), "on_scene", "Đã đến nơi")):
        clock.now += 30
        case = step()
    return case


# The lifecycle -----------------------------------------------------------------------
def test_a_case_runs_from_sos_to_closing_with_every_step_and_actor(app, clock):
    case = sos(app)
    assert (case.kind, case.caller_id, case.status, case.unit_code, case.opened_at) == (
        "fire", CITIZEN.subject, "open", PHAN_DINH_PHUNG[0], T0)
    case = run_to_scene(app, clock, case)
    clock.now += 600
    case = app.advance_case(OPERATOR, cid(case), "closed", "Đã dập tắt")
    assert (case.status, case.unit, case.escalated) == ("closed", UNIT, False)
    assert steps(case) == [
        ("opened", CITIZEN.subject, "Cháy nhà"),
        ("acknowledged", OPERATOR.subject, ""),
        ("dispatched", OPERATOR.subject, UNIT),
        ("en_route", OPERATOR.subject, ""),
        ("on_scene", OPERATOR.subject, "Đã đến nơi"),
        ("closed", OPERATOR.subject, "Đã dập tắt"),
    ]
    assert [s["at"] for s in case.steps] == [T0, T0 + 30, T0 + 60, T0 + 90, T0 + 120, T0 + 720]
    assert app.get_case(CITIZEN, cid(case)).status == "closed"


def test_a_case_may_close_from_any_status_but_not_twice(app):
    case = sos(app)
    closed = app.advance_case(ADMIN, cid(case), "closed", "Báo nhầm")
    assert steps(closed)[-1] == ("closed", ADMIN.subject, "Báo nhầm")
    with pytest.raises(FailedPrecondition) as refused:
        app.advance_case(OPERATOR, cid(case), "closed")
    assert refused.value.field == "case_id"


@pytest.mark.parametrize("command", [
    lambda app, case: app.dispatch_unit(OPERATOR, case, UNIT),
    lambda app, case: app.advance_case(OPERATOR, case, "en_route"),
    lambda app, case: app.advance_case(OPERATOR, case, "on_scene"),
])
def test_steps_out_of_order_are_refused(app, command):
    case = cid(sos(app))
    with pytest.raises(FailedPrecondition):
        command(app, case)
    assert app.get_case(OPERATOR, case).status == "open"


def test_nothing_moves_a_case_twice_or_after_it_closed(app, clock):
    case = cid(sos(app))
    app.acknowledge_case(OPERATOR, case)
    with pytest.raises(FailedPrecondition):
        app.acknowledge_case(OPERATOR, case)
    app.dispatch_unit(OPERATOR, case, UNIT)
    with pytest.raises(FailedPrecondition):
        app.advance_case(OPERATOR, case, "on_scene")
    app.advance_case(OPERATOR, case, "closed")
    for command in (lambda: app.acknowledge_case(OPERATOR, case),
                    lambda: app.dispatch_unit(OPERATOR, case, UNIT),
                    lambda: app.advance_case(OPERATOR, case, "en_route"),
                    lambda: app.update_sos_location(CITIZEN, case, *PHO_YEN[1:])):
        with pytest.raises(FailedPrecondition):
            command()


def test_bad_requests_name_their_field(app):
    case = cid(sos(app))
    for command, field in [
        (lambda: sos(app, kind="earthquake"), "kind"),
        (lambda: sos(app, place=(91.0, 105.0)), "location.latitude"),
        (lambda: sos(app, place=(21.0, float("nan"))), "location.longitude"),
        (lambda: sos(app, note="x" * 1001), "note"),
        (lambda: app.dispatch_unit(OPERATOR, case, "  "), "unit"),
        (lambda: app.advance_case(OPERATOR, case, "acknowledged"), "step"),
        (lambda: app.get_case(OPERATOR, "not-an-id"), "case_id"),
    ]:
        with pytest.raises(InvalidArgument) as refused:
            command()
        assert refused.value.field == field
    with pytest.raises(NotFound):
        app.get_case(OPERATOR, str(uuid.uuid4()))


# Where ---------------------------------------------------------------------------------
def test_an_sos_outside_the_province_is_accepted_without_a_commune(app):
    case = sos(app, place=HANOI)
    assert (case.status, case.unit_code, case.latitude) == ("open", "", HANOI[0])


def test_the_caller_moves_the_case_and_its_commune_follows(app, clock):
    case = sos(app)
    clock.now += 20
    moved = app.update_sos_location(CITIZEN, cid(case), *PHO_YEN[1:])
    assert (moved.latitude, moved.longitude, moved.unit_code) == (*PHO_YEN[1:], PHO_YEN[0])
    assert steps(moved)[-1] == ("location_updated", CITIZEN.subject, "21.426500, 105.867000")
    moved = app.update_sos_location(CITIZEN, cid(case), *HANOI)
    assert moved.unit_code == ""
    same = app.update_sos_location(CITIZEN, cid(case), *HANOI)
    assert same.version == moved.version


def test_only_the_caller_moves_the_case_even_while_a_crew_is_on_its_way(app, clock):
    case = run_to_scene(app, clock, sos(app))
    for someone in (OPERATOR, person()):
        with pytest.raises(PermissionDenied):
            app.update_sos_location(someone, cid(case), *PHO_YEN[1:])
    assert app.update_sos_location(CITIZEN, cid(case), *PHO_YEN[1:]).status == "on_scene"


# Repeated SOS ------------------------------------------------------------------------
def test_a_repeated_sos_returns_the_open_case_moved_to_where_the_caller_is(app, clock):
    case = sos(app)
    clock.now += 5
    again = sos(app, place=PHO_YEN[1:], note="Cháy to hơn")
    assert again.id == case.id
    assert (again.unit_code, again.note) == (PHO_YEN[0], "Cháy nhà")
    assert sos(app, place=PHO_YEN[1:]).version == again.version   # nothing new to record


def test_two_replicas_racing_on_one_sos_open_one_case(app, clock):
    other_replica = EmergencyApp(persistence_env("alerts"), clock)
    theirs = []
    looked = app.open_case_on

    def raced(line):
        if not theirs:   # the other replica's SOS lands between our read and our write
            theirs.append(other_replica.send_sos(CITIZEN, "fire", *PHAN_DINH_PHUNG[1:]))
        return looked(line)

    app.open_case_on = raced
    assert sos(app).id == theirs[0].id   # our write lost, and the retry found their case


def test_another_kind_or_a_closed_case_opens_a_new_one(app):
    fire = sos(app)
    medical = sos(app, kind="medical", note="Có người bị bỏng")
    assert medical.id != fire.id
    assert sos(app, caller=person()).id != fire.id
    app.advance_case(OPERATOR, cid(fire), "closed")
    assert sos(app).id not in (fire.id, medical.id)


# Escalation ----------------------------------------------------------------------------
def test_a_case_unacknowledged_for_60_seconds_is_escalated_once(app, clock):
    case = sos(app)
    assert app.escalate_unacknowledged(T0 + 59, [cid(case)]) == []
    [escalated] = app.escalate_unacknowledged(T0 + 61, [cid(case)])
    assert (escalated.escalated, escalated.status) == (True, "open")
    assert steps(escalated)[-1] == ("escalated", "system", "not acknowledged in 61 s")
    assert app.escalate_unacknowledged(T0 + 120, [cid(case)]) == []
    assert app.acknowledge_case(OPERATOR, cid(case)).status == "acknowledged"


def test_acknowledged_or_closed_cases_are_not_escalated(app, clock):
    acknowledged, closed, waiting = sos(app), sos(app, kind="flood"), sos(app, kind="crime")
    app.acknowledge_case(OPERATOR, cid(acknowledged))
    app.advance_case(OPERATOR, cid(closed), "closed")
    escalated = app.escalate_unacknowledged(T0 + 60, map(cid, (acknowledged, closed, waiting)))
    assert [case.id for case in escalated] == [waiting.id]


def test_the_escalation_delay_is_the_applications_to_set(app):
    app.escalate_after_seconds = 30
    case = sos(app)
    assert [c.id for c in app.escalate_unacknowledged(T0 + 30, [cid(case)])] == [case.id]


# Who may do what -----------------------------------------------------------------------
def test_any_signed_in_person_may_send_an_sos_and_machines_may_not(app):
    unverified = Principal(subject=str(uuid.uuid4()), kind="person",
                           roles=(RoleGrant("citizen"),), assurance_level=0)
    assert sos(app, caller=unverified).caller_id == unverified.subject
    with pytest.raises(PermissionDenied):
        sos(app, caller=MACHINE)
    with pytest.raises(Unauthenticated):
        sos(app, caller=None)


@pytest.mark.parametrize("responder", [CITIZEN, FIRE_STAFF, MACHINE])
def test_only_operators_and_administrators_respond(app, responder):
    case = cid(sos(app))
    for command in (lambda: app.acknowledge_case(responder, case),
                    lambda: app.dispatch_unit(responder, case, UNIT),
                    lambda: app.advance_case(responder, case, "closed")):
        with pytest.raises(PermissionDenied):
            command()
    assert app.acknowledge_case(ADMIN, case).status == "acknowledged"


def test_a_case_is_seen_by_its_caller_and_operators_only(app):
    case = cid(sos(app))
    for viewer in (CITIZEN, OPERATOR, ADMIN):
        assert str(app.get_case(viewer, case).id) == case
    for stranger in (person(), FIRE_STAFF):
        with pytest.raises(PermissionDenied):
            app.get_case(stranger, case)
    with pytest.raises(Unauthenticated):
        app.get_case(None, case)


# What leaves the service ---------------------------------------------------------------
def test_every_step_but_a_move_is_published(app, clock):
    case = sos(app)
    app.update_sos_location(CITIZEN, cid(case), *PHO_YEN[1:])
    clock.now = T0 + 75
    app.escalate_unacknowledged(clock.now, [cid(case)])
    run_to_scene(app, clock, case)
    app.advance_case(OPERATOR, cid(case), "closed")

    def load(aggregate_id, version):
        return app.repository.get(aggregate_id, version=version)

    published = [translate(e, load) for e in app.events.get(case.id)]
    case_id = cid(case)
    assert published == [
        events.EmergencyCaseOpened(case_id=case_id, kind="fire", latitude=PHAN_DINH_PHUNG[1],
                                   longitude=PHAN_DINH_PHUNG[2], unit_code=PHAN_DINH_PHUNG[0]),
        None,
        events.EmergencyCaseEscalated(case_id=case_id, unacknowledged_seconds=75),
        *(events.EmergencyCaseChanged(case_id=case_id, status=status, actor_id=OPERATOR.subject,
                                      unit=UNIT if status != "acknowledged" else "")
          for status in ("acknowledged", "dispatched", "en_route", "on_scene", "closed")),
    ]
