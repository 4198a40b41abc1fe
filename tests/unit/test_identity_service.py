"""IdentityService's entrypoints with nameko's worker_factory: the adapter
passes request fields to the application and shapes its answers."""
from unittest import mock

from nameko.testing.services import worker_factory

from identity.application import Session
from identity.domainmodel import Organisation, Person
from identity.service import IdentityService
from kit.auth import Principal
from smartcity.identity.v1 import identity_pb2 as pb

CALLER = Principal(subject="admin-id", kind="person", roles=())


def person():
    return Person(full_name="Nguyễn Văn An", phone="+84912345678", national_id="001090123456",
                  date_of_birth="1990-05-17", sex="male", home_address="12 Hoàng Văn Thụ",
                  home_unit_code="05443", password_hash="x", registered_at=0.0)


def service(**app_results):
    caller = mock.Mock()
    caller.require.return_value = CALLER
    app = mock.Mock(**{f"{name}.return_value": value for name, value in app_results.items()})
    return worker_factory(IdentityService, app=app, caller=caller)


def test_register_passes_every_field_and_masks_the_answer():
    worker = service(register_citizen=person())
    request = pb.RegisterCitizenRequest(full_name="Nguyễn Văn An", phone="0912345678",
                                        national_id="001090123456", date_of_birth="1990-05-17",
                                        sex="male", home_address="12 Hoàng Văn Thụ",
                                        home_unit_code="05443", password="matkhau123")
    answer = worker.RegisterCitizen(request, None)
    worker.app.register_citizen.assert_called_once_with(
        full_name="Nguyễn Văn An", phone="0912345678", national_id="001090123456",
        date_of_birth="1990-05-17", sex="male", home_address="12 Hoàng Văn Thụ",
        home_unit_code="05443", password="matkhau123")
    assert answer.national_id == "001******456" and answer.has_password


def test_sign_in_returns_a_bearer_session():
    worker = service(sign_in_with_otp=Session("access", 900, "refresh", "subject"))
    answer = worker.SignInWithOtp(pb.SignInWithOtpRequest(phone="0912345678", code="123456"), None)
    worker.app.sign_in_with_otp.assert_called_once_with("0912345678", "123456")
    assert (answer.access_token, answer.token_type, answer.expires_in_seconds) == ("access", "Bearer", 900)


def test_grant_role_passes_the_verified_caller():
    worker = service(grant_role=person())
    grant = pb.RoleGrant(role="agency_staff", agency="UBND", jurisdiction="05443")
    worker.GrantRole(pb.RoleRequest(person_id="p", grant=grant), None)
    worker.app.grant_role.assert_called_once_with(CALLER, "p", "agency_staff", "UBND", "05443")


def test_verify_organisation_answers_with_the_organisation():
    organisation = Organisation(name="HTX Chè", tax_code="0100109106", kind="cooperative",
                                unit_code="05443", address="", owner_id="o")
    organisation.verify("admin-id")
    worker = service(verify_organisation=organisation)
    answer = worker.VerifyOrganisation(pb.VerifyOrganisationRequest(organisation_id="org"), None)
    assert answer.verified and answer.verified_by == "admin-id" and answer.member_ids == ["o"]
