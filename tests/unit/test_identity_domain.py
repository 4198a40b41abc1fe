"""Identity's aggregates and application, in memory: no database, no network."""
import uuid

import pytest

from identity.application import IdentityApplication
from identity.domainmodel import OtpChallenge, Organisation, Person, SessionFamily
from kit.adminunits import AdministrativeUnits
from kit.auth import KeyRing, Role, RoleGrant, SigningKey, TokenVerifier
from kit.errors import (
    AlreadyExists, FailedPrecondition, InvalidArgument, NotFound, PermissionDenied,
    ResourceExhausted, Unauthenticated,
)


class RecordingSender:
    def __init__(self):
        self.sent = []

    def send(self, phone, code, ttl_seconds):
        self.sent.append((phone, code))

    def last(self, phone):
        return [code for p, code in self.sent if p == phone][-1]


class Clock:
    def __init__(self, now=1_767_225_600.0):   # 2026-01-01
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def sender():
    return RecordingSender()


@pytest.fixture
def app(clock, sender, monkeypatch):
    monkeypatch.setenv("PASSWORD_HASH_MEMORY_KIB", "1024")
    monkeypatch.setenv("PASSWORD_HASH_TIME_COST", "1")
    monkeypatch.setenv("BOOTSTRAP_ADMIN_PHONE", "0912000001")
    return IdentityApplication({"PERSISTENCE_MODULE": "eventsourcing.popo"},
                               units=AdministrativeUnits.load(), keyring=KeyRing.loads(RING),
                               otp_sender=sender, index_key=b"test", clock=clock)


RING = KeyRing([SigningKey.generate()]).dumps()


def register(app, phone="0912345678", cccd="001090123456", password="matkhau123"):
    return app.register_citizen(full_name="Nguyễn Văn An", phone=phone, national_id=cccd,
                                date_of_birth="1990-05-17", sex="male",
                                home_address="12 Hoàng Văn Thụ", home_unit_code="05443",
                                password=password)


def confirmed(app, sender, phone="0912345678", cccd="001090123456"):
    person = register(app, phone, cccd)
    session = app.sign_in_with_otp(phone, sender.last(person.phone))
    return app.repository.get(person.id), session


def principal(app, person):
    return app.principal_of(app.repository.get(person.id))


def test_registration_sends_an_otp_and_otp_sign_in_confirms_the_phone(app, sender):
    person = register(app)
    assert person.assurance_level == 0 and sender.sent[0][0] == "+84912345678"
    session = app.sign_in_with_otp("0912345678", sender.last("+84912345678"))
    claims = TokenVerifier(lambda: app.keyring.public_jwks(), clock=app.clock).verify(session.access_token)
    assert claims.subject == str(person.id) and claims.assurance_level == 1


def test_same_phone_or_cccd_is_refused(app):
    register(app)
    with pytest.raises(AlreadyExists) as phone:
        register(app, cccd="001090654321")
    assert phone.value.field == "phone"
    with pytest.raises(AlreadyExists) as cccd:
        register(app, phone="0987654321")
    assert cccd.value.field == "national_id"


def test_home_unit_must_be_a_commune(app):
    with pytest.raises(InvalidArgument) as error:
        app.register_citizen(full_name="Nguyễn Văn An", phone="0912345678", national_id="001090123456",
                             date_of_birth="1990-05-17", sex="male", home_address="12 Hoàng Văn Thụ",
                             home_unit_code="19")
    assert error.value.field == "home_unit_code"


def test_otp_expires(app, sender, clock):
    person = register(app)
    clock.now += 301
    with pytest.raises(Unauthenticated):
        app.sign_in_with_otp("0912345678", sender.last(person.phone))


def test_otp_rate_limit_opens_again_after_the_window(app, clock):
    register(app)                           # first code
    app.request_otp("0912345678")
    app.request_otp("0912345678")
    with pytest.raises(ResourceExhausted):
        app.request_otp("0912345678")
    clock.now += 901
    app.request_otp("0912345678")


def test_otp_wrong_guesses_are_limited():
    challenge = OtpChallenge(challenge_id=uuid.uuid4())
    challenge.issue("right", now=0, ttl=300, max_per_window=3, window=900)
    for _ in range(OtpChallenge.MAX_ATTEMPTS):
        assert not challenge.redeem("wrong", now=1)
    assert not challenge.redeem("right", now=2)      # spent: even the right code fails


def test_password_lock_out_and_unlock(app, clock):
    register(app)
    for _ in range(5):
        with pytest.raises(Unauthenticated):
            app.sign_in_with_password("0912345678", "wrong1234")
    with pytest.raises(Unauthenticated, match="locked"):
        app.sign_in_with_password("0912345678", "matkhau123")
    clock.now += 901
    assert app.sign_in_with_password("0912345678", "matkhau123").access_token


def test_refresh_rotation_and_reuse_detection(app, sender):
    _, session = confirmed(app, sender)
    rotated = app.refresh_session(session.refresh_token)
    with pytest.raises(Unauthenticated, match="reused"):
        app.refresh_session(session.refresh_token)
    with pytest.raises(Unauthenticated, match="signed out"):
        app.refresh_session(rotated.refresh_token)


def test_sign_out_ends_the_family(app, sender):
    _, session = confirmed(app, sender)
    app.sign_out(session.refresh_token)
    with pytest.raises(Unauthenticated):
        app.refresh_session(session.refresh_token)


def test_bootstrap_admin_grants_roles_and_only_once(app, sender):
    admin, _ = confirmed(app, sender, phone="0912000001", cccd="001090000001")
    assert admin.holds(RoleGrant(Role.ADMINISTRATOR.value))
    staff, _ = confirmed(app, sender)
    person = app.grant_role(principal(app, admin), str(staff.id), "agency_staff", "UBND", "05443")
    assert RoleGrant("agency_staff", "UBND", "05443") in person.roles
    with pytest.raises(PermissionDenied):
        app.grant_role(principal(app, staff), str(admin.id), "ioc_operator", "", "")
    with pytest.raises(InvalidArgument):
        app.grant_role(principal(app, admin), str(staff.id), "citizen", "", "")


def test_verification_needs_jurisdiction(app, sender):
    admin, _ = confirmed(app, sender, phone="0912000001", cccd="001090000001")
    citizen, _ = confirmed(app, sender)
    outside_staff, _ = confirmed(app, sender, phone="0987654321", cccd="001090654321")
    app.grant_role(principal(app, admin), str(outside_staff.id), "agency_staff", "UBND Hà Nội", "01")
    with pytest.raises(PermissionDenied):
        app.verify_person(principal(app, outside_staff), str(citizen.id), "CCCD seen")
    verified = app.verify_person(principal(app, admin), str(citizen.id), "CCCD seen")
    assert verified.assurance_level == 2
    with pytest.raises(FailedPrecondition):
        app.verify_person(principal(app, admin), str(citizen.id), "again")


def test_organisation_membership_follows_into_tokens(app, sender):
    owner, _ = confirmed(app, sender)
    organisation = app.register_organisation(principal(app, owner), name="HTX Chè La Bằng",
                                             tax_code="0100109106", kind="cooperative",
                                             unit_code="05443", address="Đồng Kiệm")
    claims = principal(app, owner)
    assert claims.organisations == (str(organisation.id),)
    assert claims.has_role(Role.ORGANISATION_MEMBER.value)
    with pytest.raises(FailedPrecondition):
        organisation.remove_member(organisation.owner_id, removed_by="x")


def test_audit_trail_is_the_event_history(app, sender):
    admin, _ = confirmed(app, sender, phone="0912000001", cccd="001090000001")
    events = app.audit_trail(principal(app, admin), str(admin.id))
    assert [type(e).__name__ for e in events] == [
        "Registered", "PhoneConfirmed", "RoleGranted"]


def test_machines_sign_in_with_their_secret(app, sender):
    admin, _ = confirmed(app, sender, phone="0912000001", cccd="001090000001")
    client_id, secret = app.register_machine(principal(app, admin), "gateway-01", "gateway")
    session = app.issue_machine_token(client_id, secret)
    machine = TokenVerifier(lambda: app.keyring.public_jwks(), clock=app.clock).verify(session.access_token)
    assert machine.kind == "machine" and machine.has_role(Role.MACHINE.value)
    with pytest.raises(Unauthenticated):
        app.issue_machine_token(client_id, "wrong")


def test_unknown_person_is_not_found(app, sender):
    admin, _ = confirmed(app, sender, phone="0912000001", cccd="001090000001")
    with pytest.raises(NotFound):
        app.get_person(principal(app, admin), "6f1c1c4e-1111-4b1b-9a9a-123456789abc")


def test_person_role_events_replay_to_the_same_state():
    person = Person(full_name="A B", phone="+84912345678", national_id="001090123456",
                    date_of_birth="1990-05-17", sex="male", home_address="x", home_unit_code="05443",
                    password_hash="", registered_at=0.0)
    person.grant_role(RoleGrant("ioc_operator"), granted_by="admin")
    person.revoke_role(RoleGrant("ioc_operator"), revoked_by="admin")
    replayed = None
    for event in person.collect_events():
        replayed = event.mutate(replayed)
    assert replayed.grants == [] and replayed.version == 3


def test_session_family_rejects_a_forged_current_token():
    family = SessionFamily(subject="s", secret_hash="h", expires_at=100.0)
    with pytest.raises(Unauthenticated):
        family.rotate(0, lambda h: False, "h2", now=1.0)
    assert not family.revoked


def test_organisation_cannot_be_verified_twice():
    organisation = Organisation(name="X", tax_code="0100109106", kind="business", unit_code="05443",
                                address="", owner_id="o")
    organisation.verify("official")
    with pytest.raises(FailedPrecondition):
        organisation.verify("official")


def test_configured_service_machines_may_hold_roles(app):
    from kit.auth import hash_secret

    app.provision_service_machine("fleet-loader", hash_secret("s3cret"), ["ioc_operator"])
    token = app.issue_machine_token("fleet-loader", "s3cret").access_token
    machine = TokenVerifier(lambda: app.keyring.public_jwks(), clock=app.clock).verify(token)
    assert machine.has_role(Role.IOC_OPERATOR.value) and machine.has_role(Role.MACHINE.value)
    app.provision_service_machine("fleet-loader", hash_secret("s3cret"), [])     # reconfigured
    token = app.issue_machine_token("fleet-loader", "s3cret").access_token
    assert not TokenVerifier(lambda: app.keyring.public_jwks(), clock=app.clock).verify(
        token).has_role(Role.IOC_OPERATOR.value)
    with pytest.raises(InvalidArgument):
        app.provision_service_machine("sneaky", hash_secret("x"), ["citizen"])
