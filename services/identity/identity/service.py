"""The identity nameko service: thin gRPC entrypoints over IdentityApplication."""
from smartcity.identity.v1 import identity_pb2 as pb
from smartcity.identity.v1 import identity_pb2_grpc

from identity import integration, schemas
from identity.dependencies import build_application, signing_keys
from kit.dependencies import EventStore
from kit.errors import NotFound
from kit.grpc.clients import Auth
from kit.grpc.server import HealthMixin, rpc

identity = rpc(identity_pb2_grpc.IdentityStub)


class IdentityService(HealthMixin):
    name = "identity"

    app = EventStore(build_application, translate=integration.translate)
    caller = Auth(jwks=lambda: signing_keys().public_jwks())

    # Citizens ------------------------------------------------------------------
    @identity
    def RegisterCitizen(self, request, context):
        person = self.app.register_citizen(
            full_name=request.full_name, phone=request.phone, national_id=request.national_id,
            date_of_birth=request.date_of_birth, sex=request.sex,
            home_address=request.home_address, home_unit_code=request.home_unit_code,
            password=request.password)
        return schemas.person(person, None)

    @identity
    def RequestOtp(self, request, context):
        expires_in, resend_after = self.app.request_otp(request.phone)
        return pb.RequestOtpResponse(expires_in_seconds=expires_in,
                                     resend_after_seconds=resend_after)

    @identity
    def VerifyPerson(self, request, context):
        official = self.caller.require()
        person = self.app.verify_person(official, request.person_id, request.evidence)
        return schemas.person(person, official)

    # Sessions ------------------------------------------------------------------
    @identity
    def SignInWithPassword(self, request, context):
        return schemas.session(self.app.sign_in_with_password(request.phone, request.password))

    @identity
    def SignInWithOtp(self, request, context):
        return schemas.session(self.app.sign_in_with_otp(request.phone, request.code))

    @identity
    def RefreshSession(self, request, context):
        return schemas.session(self.app.refresh_session(request.refresh_token))

    @identity
    def SignOut(self, request, context):
        self.app.sign_out(request.refresh_token)
        return pb.SignOutResponse()

    @identity
    def WhoAmI(self, request, context):
        caller = self.caller.require()
        return schemas.person(self.app.who_am_i(caller), caller)

    # Read side -----------------------------------------------------------------
    @identity
    def GetPerson(self, request, context):
        caller = self.caller.require()
        return schemas.person(self.app.get_person(caller, request.person_id), caller)

    @identity
    def LookupPerson(self, request, context):
        person = self.app.lookup_person(self.caller.require(), person_id=request.person_id,
                                        phone=request.phone)
        return schemas.person_summary(person)

    @identity
    def GetAuditTrail(self, request, context):
        events = self.app.audit_trail(self.caller.require(), request.person_id)
        return pb.AuditTrail(person_id=request.person_id,
                             entries=[schemas.audit_entry(e) for e in events])

    # Organisations ---------------------------------------------------------------
    @identity
    def RegisterOrganisation(self, request, context):
        organisation = self.app.register_organisation(
            self.caller.require(), name=request.name, tax_code=request.tax_code,
            kind=request.kind, unit_code=request.unit_code, address=request.address)
        return schemas.organisation(organisation)

    @identity
    def AddOrganisationMember(self, request, context):
        return schemas.organisation(self.app.add_member(
            self.caller.require(), request.organisation_id, request.person_id))

    @identity
    def RemoveOrganisationMember(self, request, context):
        return schemas.organisation(self.app.remove_member(
            self.caller.require(), request.organisation_id, request.person_id))

    @identity
    def VerifyOrganisation(self, request, context):
        return schemas.organisation(self.app.verify_organisation(
            self.caller.require(), request.organisation_id))

    @identity
    def GetOrganisation(self, request, context):
        return schemas.organisation(self.app.get_organisation(
            self.caller.require(), request.organisation_id))

    # Roles ---------------------------------------------------------------------
    @identity
    def GrantRole(self, request, context):
        return self.change_role(self.app.grant_role, request)

    @identity
    def RevokeRole(self, request, context):
        return self.change_role(self.app.revoke_role, request)

    def change_role(self, command, request):
        caller = self.caller.require()
        grant = request.grant
        person = command(caller, request.person_id, grant.role, grant.agency, grant.jurisdiction)
        return schemas.person(person, caller)

    # Machines ------------------------------------------------------------------
    @identity
    def RegisterMachine(self, request, context):
        client_id, secret = self.app.register_machine(self.caller.require(), request.name,
                                                      request.kind)
        return pb.MachineCredentials(client_id=client_id, client_secret=secret)

    @identity
    def IssueMachineToken(self, request, context):
        return schemas.session(self.app.issue_machine_token(request.client_id,
                                                            request.client_secret))

    # Keys and administrative units ----------------------------------------------
    @identity
    def GetPublicKeys(self, request, context):
        return pb.PublicKeys(keys=[schemas.public_key(k) for k in signing_keys().public_jwks()])

    @identity
    def GetAdministrativeUnit(self, request, context):
        return schemas.administrative_unit(self.app.units.get(request.code))

    @identity
    def ListAdministrativeUnits(self, request, context):
        units = self.app.units
        if request.parent_code and request.parent_code not in units:
            raise NotFound("no such administrative unit", field="parent_code")
        children = units.children(request.parent_code) if request.parent_code else units.roots()
        return pb.ListAdministrativeUnitsResponse(
            units=[schemas.administrative_unit(u) for u in children])
