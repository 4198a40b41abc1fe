"""Every identity RPC through a plain grpcio client in this (separate) process,
against the service process over TCP, with PostgreSQL and RabbitMQ.

Bad input of every kind gets a clear status naming the field, and changes
nothing: the event store's log does not move.
"""
import random

import grpc
import psycopg
import pytest

import harness
from kit.client import field_violations
from smartcity.identity.v1 import identity_pb2 as pb

pytestmark = pytest.mark.timeout(120)


def unique_phone():
    return f"0912{random.randint(0, 999999):06d}"


def unique_cccd():
    return f"001090{random.randint(0, 999999):06d}"


def log_position(identity):
    """How many events the identity store holds (its notification log's end)."""
    url = identity.service.env["EVENT_STORE_URL"]
    dsn, schema = url.split("?schema=")
    with psycopg.connect(dsn) as conn:
        return conn.execute(f'SELECT count(*) FROM "{schema}".identityapplication_events').fetchone()[0]


def expect_error(identity, code, method, request, token=None, field=None):
    before = log_position(identity)
    with pytest.raises(grpc.RpcError) as error:
        identity.call(method, request, token=token)
    assert error.value.code() == code, error.value.details()
    if field:
        assert field in error.value.details()
        if code == grpc.StatusCode.INVALID_ARGUMENT:
            assert field in [f for f, _ in field_violations(error.value)]
    assert log_position(identity) == before, "a refused request changed the store"
    return error.value


def test_register_confirm_sign_in_refresh_sign_out(identity):
    phone, cccd = unique_phone(), unique_cccd()
    person = identity.register(phone, cccd)
    assert person.assurance_level == 0 and person.phone.startswith("+84")
    session = identity.sign_in_with_otp(phone)
    me = identity.call("WhoAmI", pb.WhoAmIRequest(), token=session.access_token)
    assert me.id == person.id and me.assurance_level == 1
    assert me.national_id == cccd                      # the person sees their own CCCD

    by_password = identity.call("SignInWithPassword",
                                pb.SignInWithPasswordRequest(phone=phone, password="matkhau123"))
    refreshed = identity.call("RefreshSession",
                              pb.RefreshSessionRequest(refresh_token=by_password.refresh_token))
    assert refreshed.refresh_token != by_password.refresh_token
    identity.call("SignOut", pb.SignOutRequest(refresh_token=refreshed.refresh_token))
    expect_error(identity, grpc.StatusCode.UNAUTHENTICATED, "RefreshSession",
                 pb.RefreshSessionRequest(refresh_token=refreshed.refresh_token))


def test_reused_refresh_token_revokes_the_family(identity):
    phone = unique_phone()
    identity.register(phone, unique_cccd())
    first = identity.sign_in_with_otp(phone)
    second = identity.call("RefreshSession", pb.RefreshSessionRequest(refresh_token=first.refresh_token))
    with pytest.raises(grpc.RpcError) as reuse:
        identity.call("RefreshSession", pb.RefreshSessionRequest(refresh_token=first.refresh_token))
    assert "reused" in reuse.value.details()
    # the legitimate holder's newer token is dead too
    expect_error(identity, grpc.StatusCode.UNAUTHENTICATED, "RefreshSession",
                 pb.RefreshSessionRequest(refresh_token=second.refresh_token))


def test_duplicate_phone_or_cccd_is_refused(identity):
    phone, cccd = unique_phone(), unique_cccd()
    identity.register(phone, cccd)
    expect_error(identity, grpc.StatusCode.ALREADY_EXISTS, "RegisterCitizen", pb.RegisterCitizenRequest(
        full_name="Trần Thị Bình", phone=phone, national_id=unique_cccd(), date_of_birth="1990-01-01",
        sex="male", home_address="5 Lương Ngọc Quyến", home_unit_code="05443"), field="phone")
    expect_error(identity, grpc.StatusCode.ALREADY_EXISTS, "RegisterCitizen", pb.RegisterCitizenRequest(
        full_name="Trần Thị Bình", phone=unique_phone(), national_id=cccd, date_of_birth="1990-01-01",
        sex="male", home_address="5 Lương Ngọc Quyến", home_unit_code="05443"), field="national_id")


GOOD = dict(full_name="Lê Văn Cường", date_of_birth="1990-05-17", sex="male",
            home_address="12 Hoàng Văn Thụ", home_unit_code="05443", password="matkhau123")


@pytest.mark.parametrize("field, value", [
    ("full_name", ""), ("full_name", "X"), ("full_name", "Robert'); DROP TABLE--"),
    ("phone", ""), ("phone", "123"), ("phone", "0212345678"), ("phone", "+14155550100"),
    ("national_id", ""), ("national_id", "12345"), ("national_id", "999090123456"),
    ("national_id", "001190123456"), ("national_id", "001099123456"),
    ("date_of_birth", "17/05/1990"), ("date_of_birth", "2999-01-01"),
    ("sex", "x"), ("home_address", ""), ("home_unit_code", "99999"), ("home_unit_code", "19"),
    ("password", "short"),
])
def test_registration_bad_input(identity, field, value):
    fields = dict(GOOD, phone=unique_phone(), national_id=unique_cccd())
    fields[field] = value
    expect_error(identity, grpc.StatusCode.INVALID_ARGUMENT, "RegisterCitizen",
                 pb.RegisterCitizenRequest(**fields), field=field)


def test_otp_is_single_use_expiring_and_rate_limited(identity):
    phone = unique_phone()
    identity.register(phone, unique_cccd())                     # sends code 1
    code = identity.last_otp(harness_phone(phone))
    identity.call("SignInWithOtp", pb.SignInWithOtpRequest(phone=phone, code=code))
    with pytest.raises(grpc.RpcError) as reused:
        identity.call("SignInWithOtp", pb.SignInWithOtpRequest(phone=phone, code=code))
    assert reused.value.code() == grpc.StatusCode.UNAUTHENTICATED
    identity.call("RequestOtp", pb.RequestOtpRequest(phone=phone))   # code 2
    identity.call("RequestOtp", pb.RequestOtpRequest(phone=phone))   # code 3 (limit 3 per window)
    expect_error(identity, grpc.StatusCode.RESOURCE_EXHAUSTED, "RequestOtp",
                 pb.RequestOtpRequest(phone=phone), field="phone")
    expect_error(identity, grpc.StatusCode.INVALID_ARGUMENT, "SignInWithOtp",
                 pb.SignInWithOtpRequest(phone=phone, code="12ab"), field="code")
    expect_error(identity, grpc.StatusCode.NOT_FOUND, "RequestOtp",
                 pb.RequestOtpRequest(phone=unique_phone()), field="phone")


def test_lock_out_after_repeated_failures(identity):
    phone = unique_phone()
    identity.register(phone, unique_cccd())
    for _ in range(5):
        with pytest.raises(grpc.RpcError) as wrong:
            identity.call("SignInWithPassword", pb.SignInWithPasswordRequest(phone=phone, password="sai12345"))
        assert wrong.value.code() == grpc.StatusCode.UNAUTHENTICATED
    with pytest.raises(grpc.RpcError) as locked:
        identity.call("SignInWithPassword", pb.SignInWithPasswordRequest(phone=phone, password="matkhau123"))
    assert "locked" in locked.value.details()


def test_roles_verification_audit_and_lookup(identity):
    admin = identity.admin_session()
    official, official_session = identity.citizen(unique_phone(), unique_cccd())
    citizen_cccd = unique_cccd()
    citizen, _ = identity.citizen(unique_phone(), citizen_cccd)
    outsider, outsider_session = identity.citizen(unique_phone(), unique_cccd())

    grant = pb.RoleGrant(role="agency_staff", agency="UBND phường Phan Đình Phùng", jurisdiction="05443")
    identity.call("GrantRole", pb.RoleRequest(person_id=official.id, grant=grant), token=admin.access_token)
    identity.call("RequestOtp", pb.RequestOtpRequest(phone=official.phone))
    staff_session = identity.sign_in_with_otp(official.phone)      # token now carries the role

    expect_error(identity, grpc.StatusCode.PERMISSION_DENIED, "VerifyPerson",
                 pb.VerifyPersonRequest(person_id=citizen.id, evidence="CCCD seen"),
                 token=outsider_session.access_token)
    verified = identity.call("VerifyPerson", pb.VerifyPersonRequest(person_id=citizen.id, evidence="CCCD seen"),
                             token=staff_session.access_token)
    assert verified.assurance_level == 2
    assert verified.national_id == citizen_cccd[:3] + "******" + citizen_cccd[-3:]   # masked for staff

    trail = identity.call("GetAuditTrail", pb.GetAuditTrailRequest(person_id=official.id),
                          token=admin.access_token)
    assert [e.event for e in trail.entries if e.event == "RoleGranted"] == ["RoleGranted"]
    expect_error(identity, grpc.StatusCode.PERMISSION_DENIED, "GetAuditTrail",
                 pb.GetAuditTrailRequest(person_id=official.id), token=outsider_session.access_token)

    found = identity.call("LookupPerson", pb.LookupPersonRequest(phone=citizen.phone),
                          token=staff_session.access_token)
    assert found.id == citizen.id and found.assurance_level == 2
    expect_error(identity, grpc.StatusCode.PERMISSION_DENIED, "LookupPerson",
                 pb.LookupPersonRequest(person_id=citizen.id), token=outsider_session.access_token)

    identity.call("RevokeRole", pb.RoleRequest(person_id=official.id, grant=grant), token=admin.access_token)
    expect_error(identity, grpc.StatusCode.FAILED_PRECONDITION, "RevokeRole",
                 pb.RoleRequest(person_id=official.id, grant=grant), token=admin.access_token)
    expect_error(identity, grpc.StatusCode.PERMISSION_DENIED, "GrantRole",
                 pb.RoleRequest(person_id=outsider.id, grant=grant), token=official_session.access_token)
    expect_error(identity, grpc.StatusCode.INVALID_ARGUMENT, "GrantRole",
                 pb.RoleRequest(person_id=outsider.id, grant=pb.RoleGrant(role="emperor")),
                 token=admin.access_token, field="grant.role")
    expect_error(identity, grpc.StatusCode.INVALID_ARGUMENT, "GrantRole",
                 pb.RoleRequest(person_id=outsider.id, grant=pb.RoleGrant(
                     role="agency_staff", agency="X", jurisdiction="00000")),
                 token=admin.access_token, field="grant.jurisdiction")
    expect_error(identity, grpc.StatusCode.NOT_FOUND, "GrantRole",
                 pb.RoleRequest(person_id="6f1c1c4e-1111-4b1b-9a9a-123456789abc",
                                grant=pb.RoleGrant(role="ioc_operator")),
                 token=admin.access_token, field="person_id")
    expect_error(identity, grpc.StatusCode.INVALID_ARGUMENT, "GetPerson",
                 pb.GetPersonRequest(person_id="not-a-uuid"), token=admin.access_token, field="person_id")


def test_organisations(identity):
    admin = identity.admin_session()
    owner, owner_session = identity.citizen(unique_phone(), unique_cccd())
    member, member_session = identity.citizen(unique_phone(), unique_cccd())
    tax_code = "0100109106"
    organisation = identity.call("RegisterOrganisation", pb.RegisterOrganisationRequest(
        name="HTX Chè La Bằng", tax_code=tax_code, kind="cooperative", unit_code="05443",
        address="Xóm Đồng Kiệm"), token=owner_session.access_token)
    assert organisation.owner_id == owner.id and not organisation.verified
    expect_error(identity, grpc.StatusCode.ALREADY_EXISTS, "RegisterOrganisation",
                 pb.RegisterOrganisationRequest(name="Khác", tax_code=tax_code, kind="business",
                                                unit_code="05443"),
                 token=member_session.access_token, field="tax_code")
    expect_error(identity, grpc.StatusCode.INVALID_ARGUMENT, "RegisterOrganisation",
                 pb.RegisterOrganisationRequest(name="HTX", tax_code="0100109107", kind="cooperative",
                                                unit_code="05443"),
                 token=member_session.access_token, field="tax_code")
    expect_error(identity, grpc.StatusCode.UNAUTHENTICATED, "RegisterOrganisation",
                 pb.RegisterOrganisationRequest(name="HTX", tax_code="0101248141", kind="cooperative",
                                                unit_code="05443"))
    request = pb.OrganisationMemberRequest(organisation_id=organisation.id, person_id=member.id)
    expect_error(identity, grpc.StatusCode.PERMISSION_DENIED, "AddOrganisationMember", request,
                 token=member_session.access_token)
    with_member = identity.call("AddOrganisationMember", request, token=owner_session.access_token)
    assert member.id in with_member.member_ids
    verified = identity.call("VerifyOrganisation", pb.VerifyOrganisationRequest(organisation_id=organisation.id),
                             token=admin.access_token)
    assert verified.verified
    expect_error(identity, grpc.StatusCode.FAILED_PRECONDITION, "VerifyOrganisation",
                 pb.VerifyOrganisationRequest(organisation_id=organisation.id), token=admin.access_token)
    without = identity.call("RemoveOrganisationMember", request, token=owner_session.access_token)
    assert member.id not in without.member_ids
    shown = identity.call("GetOrganisation", pb.GetOrganisationRequest(organisation_id=organisation.id),
                          token=member_session.access_token)
    assert shown.verified and shown.name == "HTX Chè La Bằng"


def test_machines_keys_and_units(identity):
    admin = identity.admin_session()
    credentials = identity.call("RegisterMachine", pb.RegisterMachineRequest(
        name="gateway-thai-nguyen-01", kind="gateway"), token=admin.access_token)
    session = identity.call("IssueMachineToken", pb.IssueMachineTokenRequest(
        client_id=credentials.client_id, client_secret=credentials.client_secret))
    assert session.access_token and not session.refresh_token
    expect_error(identity, grpc.StatusCode.UNAUTHENTICATED, "IssueMachineToken", pb.IssueMachineTokenRequest(
        client_id=credentials.client_id, client_secret="wrong"))
    expect_error(identity, grpc.StatusCode.INVALID_ARGUMENT, "RegisterMachine", pb.RegisterMachineRequest(
        name="gw", kind="toaster"), token=admin.access_token, field="name")
    expect_error(identity, grpc.StatusCode.FAILED_PRECONDITION, "WhoAmI", pb.WhoAmIRequest(),
                 token=session.access_token)

    keys = identity.call("GetPublicKeys", pb.GetPublicKeysRequest())
    assert keys.keys and keys.keys[0].crv == "Ed25519"
    province = identity.call("GetAdministrativeUnit", pb.GetAdministrativeUnitRequest(code="19"))
    assert province.level == "province"
    communes = identity.call("ListAdministrativeUnits", pb.ListAdministrativeUnitsRequest(parent_code="19"))
    assert "05443" in [u.code for u in communes.units]
    expect_error(identity, grpc.StatusCode.NOT_FOUND, "GetAdministrativeUnit",
                 pb.GetAdministrativeUnitRequest(code="77777"))
    expect_error(identity, grpc.StatusCode.NOT_FOUND, "ListAdministrativeUnits",
                 pb.ListAdministrativeUnitsRequest(parent_code="77777"), field="parent_code")


def test_tokens_are_checked(identity):
    for token in ("garbage", "a.b.c"):
        expect_error(identity, grpc.StatusCode.UNAUTHENTICATED, "WhoAmI", pb.WhoAmIRequest(), token=token)
    expect_error(identity, grpc.StatusCode.UNAUTHENTICATED, "WhoAmI", pb.WhoAmIRequest())


def test_deadline_is_honoured(identity):
    with pytest.raises(grpc.RpcError) as error:
        identity.call("GetPublicKeys", pb.GetPublicKeysRequest(), timeout=0.000001)
    assert error.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert harness.health_status(identity.service.target) == 1   # still serving


def harness_phone(phone):
    return "+84" + phone.removeprefix("0")
