"""`smartcity`: the command-line client for people (`.venv/bin/smartcity --help`).

It talks to the identity and sensors services with grpcio. Signing in keeps
the session in ~/.config/smartcity/session.json (or $SMARTCITY_SESSION_FILE),
readable by its owner only; an expired access token is renewed with the
refresh token.
"""
import argparse
import getpass
import json
import os
import sys
import time
from dataclasses import dataclass
from datetime import timezone
from pathlib import Path

import grpc
from google.protobuf.json_format import MessageToJson
from google.protobuf.message import Message
from grpc_health.v1 import health_pb2, health_pb2_grpc
from smartcity.identity.v1 import identity_pb2 as pb
from smartcity.identity.v1 import identity_pb2_grpc
from smartcity.sensors.v1 import sensors_pb2, sensors_pb2_grpc

from kit.client import channel, field_violations, metadata

# where `make run` puts them (PORT_OFFSETS in deploy/local/run.py)
IDENTITY_TARGET = "127.0.0.1:50051"
SENSORS_TARGET = "127.0.0.1:50053"
CALL_TIMEOUT_SECONDS = 10
RENEW_MARGIN_SECONDS = 30   # renew a little early: the token must outlive the call
StatusCode = grpc.StatusCode
CLIENT_ERRORS = {StatusCode.INVALID_ARGUMENT, StatusCode.NOT_FOUND, StatusCode.ALREADY_EXISTS,
                 StatusCode.FAILED_PRECONDITION, StatusCode.PERMISSION_DENIED,
                 StatusCode.UNAUTHENTICATED, StatusCode.RESOURCE_EXHAUSTED,
                 StatusCode.OUT_OF_RANGE}
SIGN_IN_HINT = "sign in with `smartcity signin-otp PHONE CODE` or `smartcity signin PHONE`"


class UsageError(Exception):
    """The person asked for something this client cannot do as things are (exit 2)."""


@dataclass
class Result:
    """What a command prints: the message with --json, else the text (or a description)."""
    message: Message
    text: str | None = None
    ok: bool = True


# The session file --------------------------------------------------------------------
def session_path() -> Path:
    default = Path.home() / ".config" / "smartcity" / "session.json"
    return Path(os.environ.get("SMARTCITY_SESSION_FILE") or default)


class SessionFile:
    def __init__(self, path: Path):
        self.path = path

    def load(self) -> dict | None:
        return json.loads(self.path.read_text()) if self.path.exists() else None

    def save(self, session: pb.Session):
        stored = {"subject": session.subject, "access_token": session.access_token,
                  "refresh_token": session.refresh_token,
                  "expires_at": time.time() + session.expires_in_seconds}
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        temporary = self.path.with_name(self.path.name + ".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as file:
            json.dump(stored, file)
        os.replace(temporary, self.path)

    def delete(self):
        self.path.unlink(missing_ok=True)


# The identity service ------------------------------------------------------------------
class Identity:
    """The identity service, called anonymously or as the signed-in person."""

    def __init__(self, target: str, sessions: SessionFile):
        self.channel = channel(target)
        self.stub = identity_pb2_grpc.IdentityStub(self.channel)
        self.sessions = sessions

    def call(self, method: str, request, token: str | None = None):
        return getattr(self.stub, method)(request, metadata=metadata(token),
                                          timeout=CALL_TIMEOUT_SECONDS)

    def call_signed_in(self, method: str, request):
        """Renews the access token first when it has expired, or once when it is refused."""
        session = self.signed_in()
        token, renewed = self.current_token(session)
        try:
            return self.call(method, request, token)
        except grpc.RpcError as error:
            if renewed or error.code() != StatusCode.UNAUTHENTICATED:
                raise
        return self.call(method, request, self.refresh(session).access_token)

    def current_token(self, session: dict) -> tuple[str, bool]:
        """The session's access token, renewed first when it has expired; whether it was."""
        if time.time() >= session["expires_at"] - RENEW_MARGIN_SECONDS:
            return self.refresh(session).access_token, True
        return session["access_token"], False

    def signed_in(self) -> dict:
        session = self.sessions.load()
        if session is None:
            raise UsageError(f"not signed in: {SIGN_IN_HINT}")
        return session

    def refresh(self, session: dict) -> pb.Session:
        """A new access token (and refresh token), saved; a dead session is forgotten."""
        try:
            renewed = self.call("RefreshSession",
                                pb.RefreshSessionRequest(refresh_token=session["refresh_token"]))
        except grpc.RpcError as error:
            if error.code() != StatusCode.UNAUTHENTICATED:
                raise
            self.sessions.delete()
            raise UsageError(f"the session has ended ({error.details()}): {SIGN_IN_HINT}") from None
        self.sessions.save(renewed)
        return renewed

    def health(self, service: str):
        return health_pb2_grpc.HealthStub(self.channel).Check(
            health_pb2.HealthCheckRequest(service=service), timeout=CALL_TIMEOUT_SECONDS)


# Human-readable output -------------------------------------------------------------------
def is_role_grant(field) -> bool:
    return field.message_type == pb.RoleGrant.DESCRIPTOR


def inline(message) -> str:
    """A small message on one line: "agency_staff (agency=Sở Y tế, jurisdiction=19)"."""
    (_, first), *rest = message.ListFields()
    details = ", ".join(f"{field.name}={value}" for field, value in rest)
    return f"{first} ({details})" if details else str(first)


def value_text(field, value) -> str:
    if is_role_grant(field):
        return "; ".join(inline(grant) for grant in value)
    if field.is_repeated:
        return ", ".join(str(item) for item in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if field.enum_type:
        return field.enum_type.values_by_number[value].name.lower()
    if field.message_type and field.message_type.full_name == "google.protobuf.Timestamp":
        return value.ToDatetime(timezone.utc).astimezone().isoformat(timespec="seconds")
    return str(value)


def table(messages, columns=()) -> str:
    """Messages of one type as aligned columns: these, else the fields any of them has."""
    present = {field.name for message in messages for field, _ in message.ListFields()}
    fields = [field for field in messages[0].DESCRIPTOR.fields
              if field.name in (columns or present)]
    rows = [[f.name for f in fields]] + [[value_text(f, getattr(m, f.name)) for f in fields]
                                         for m in messages]
    widths = [max(len(row[i]) for row in rows) for i in range(len(fields))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip()
                     for row in rows)


def describe(message) -> str:
    """Set fields as aligned "name  value" lines, lists of records as a table below."""
    lines, tables = [], []
    for field, value in message.ListFields():
        if field.message_type and field.is_repeated and not is_role_grant(field):
            tables.append(table(list(value)))
        else:
            lines.append((field.name, value_text(field, value)))
    if not lines and not tables:
        return "(none)"
    width = max((len(name) for name, _ in lines), default=0)
    return "\n".join([f"{name.ljust(width)}  {text}" for name, text in lines] + tables)


# Commands -----------------------------------------------------------------------------------
def register(identity: Identity, args) -> Result:
    password = "" if args.no_password else args.password
    if password is None:
        password = getpass.getpass("Password (8+ characters; empty: sign in with OTP only): ")
    person = identity.call("RegisterCitizen", pb.RegisterCitizenRequest(
        full_name=args.full_name, phone=args.phone, national_id=args.national_id,
        date_of_birth=args.date_of_birth, sex=args.sex, home_address=args.home_address,
        home_unit_code=args.home_unit_code, password=password))
    return Result(person, f"{describe(person)}\n\nA code was sent to {person.phone}: "
                          f"sign in with `smartcity signin-otp {args.phone} CODE`.")


def request_otp(identity: Identity, args) -> Result:
    reply = identity.call("RequestOtp", pb.RequestOtpRequest(phone=args.phone))
    return Result(reply, f"code sent to {args.phone}: valid {reply.expires_in_seconds} s, "
                         f"another after {reply.resend_after_seconds} s")


def signed_in(identity: Identity, session: pb.Session) -> Result:
    identity.sessions.save(session)
    return Result(session, f"signed in as {session.subject} "
                           f"(session saved in {identity.sessions.path})")


def sign_in_with_otp(identity: Identity, args) -> Result:
    return signed_in(identity, identity.call(
        "SignInWithOtp", pb.SignInWithOtpRequest(phone=args.phone, code=args.code)))


def sign_in_with_password(identity: Identity, args) -> Result:
    password = args.password if args.password is not None else getpass.getpass("Password: ")
    return signed_in(identity, identity.call(
        "SignInWithPassword", pb.SignInWithPasswordRequest(phone=args.phone, password=password)))


def refresh(identity: Identity, args) -> Result:
    session = identity.refresh(identity.signed_in())
    return Result(session, f"session renewed for {session.subject}: access token valid "
                           f"{session.expires_in_seconds} s")


def sign_out(identity: Identity, args) -> Result:
    session = identity.sessions.load()
    if session is None:
        return Result(pb.SignOutResponse(), "not signed in")
    reply = identity.call("SignOut", pb.SignOutRequest(refresh_token=session["refresh_token"]))
    identity.sessions.delete()
    return Result(reply, "signed out")


def who_am_i(identity: Identity, args) -> Result:
    return Result(identity.call_signed_in("WhoAmI", pb.WhoAmIRequest()))


def get_person(identity: Identity, args) -> Result:
    return Result(identity.call_signed_in("GetPerson", pb.GetPersonRequest(person_id=args.id)))


def lookup_person(identity: Identity, args) -> Result:
    request = (pb.LookupPersonRequest(person_id=args.id) if args.id
               else pb.LookupPersonRequest(phone=args.phone))
    return Result(identity.call_signed_in("LookupPerson", request))


def audit_trail(identity: Identity, args) -> Result:
    return Result(identity.call_signed_in("GetAuditTrail",
                                          pb.GetAuditTrailRequest(person_id=args.id)))


def verify_person(identity: Identity, args) -> Result:
    return Result(identity.call_signed_in("VerifyPerson", pb.VerifyPersonRequest(
        person_id=args.id, evidence=args.evidence)))


def register_organisation(identity: Identity, args) -> Result:
    return Result(identity.call_signed_in("RegisterOrganisation", pb.RegisterOrganisationRequest(
        name=args.name, tax_code=args.tax_code, kind=args.kind, unit_code=args.unit_code,
        address=args.address)))


def organisation_member(method: str):
    def change(identity: Identity, args) -> Result:
        return Result(identity.call_signed_in(method, pb.OrganisationMemberRequest(
            organisation_id=args.organisation, person_id=args.person)))
    return change


def verify_organisation(identity: Identity, args) -> Result:
    return Result(identity.call_signed_in("VerifyOrganisation", pb.VerifyOrganisationRequest(
        organisation_id=args.organisation)))


def show_organisation(identity: Identity, args) -> Result:
    return Result(identity.call_signed_in("GetOrganisation", pb.GetOrganisationRequest(
        organisation_id=args.organisation)))


def role_change(method: str):
    def change(identity: Identity, args) -> Result:
        grant = pb.RoleGrant(role=args.role, agency=args.agency, jurisdiction=args.jurisdiction)
        return Result(identity.call_signed_in(method, pb.RoleRequest(person_id=args.person,
                                                                     grant=grant)))
    return change


def register_machine(identity: Identity, args) -> Result:
    credentials = identity.call_signed_in("RegisterMachine", pb.RegisterMachineRequest(
        name=args.name, kind=args.kind))
    return Result(credentials, f"{describe(credentials)}\n\n"
                               "The secret is shown this once: store it now.")


def machine_token(identity: Identity, args) -> Result:
    session = identity.call("IssueMachineToken", pb.IssueMachineTokenRequest(
        client_id=args.client_id, client_secret=args.secret))
    return Result(session, f"access token for {session.subject}, valid "
                           f"{session.expires_in_seconds} s:\n{session.access_token}")


def public_keys(identity: Identity, args) -> Result:
    return Result(identity.call("GetPublicKeys", pb.GetPublicKeysRequest()))


def list_units(identity: Identity, args) -> Result:
    return Result(identity.call("ListAdministrativeUnits",
                                pb.ListAdministrativeUnitsRequest(parent_code=args.parent)))


def get_unit(identity: Identity, args) -> Result:
    return Result(identity.call("GetAdministrativeUnit",
                                pb.GetAdministrativeUnitRequest(code=args.code)))


def health(identity: Identity, args) -> Result:
    reply = identity.health(args.service)
    status = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
    return Result(reply, status, ok=reply.status == health_pb2.HealthCheckResponse.SERVING)


# The sensors service ---------------------------------------------------------------------
SENSOR_COLUMNS = ("id", "family", "unit_code", "online", "name")


def call_sensors(args, method: str, request):
    with channel(args.sensors) as sensors:
        return getattr(sensors_pb2_grpc.SensorsStub(sensors), method)(
            request, metadata=metadata(), timeout=CALL_TIMEOUT_SECONDS)


def list_sensors(identity: Identity, args) -> Result:
    reply = call_sensors(args, "ListSensors", sensors_pb2.ListSensorsRequest(
        unit_code=args.unit, gateway_id=args.gateway))
    return Result(reply, table(reply.sensors, SENSOR_COLUMNS) if reply.sensors else "(none)")


def latest_readings(identity: Identity, args) -> Result:
    sensor_ids = args.sensor_ids or [sensor.id for sensor in call_sensors(
        args, "ListSensors", sensors_pb2.ListSensorsRequest()).sensors]
    if not sensor_ids:
        return Result(sensors_pb2.GetLatestResponse(), "(no sensors)")
    reply = call_sensors(args, "GetLatest", sensors_pb2.GetLatestRequest(
        sensor_ids=sensor_ids, kind=args.kind))
    return Result(reply, table(reply.values) if reply.values else "(no readings yet)")


def reading_line(reading: sensors_pb2.Reading) -> str:
    time_field = reading.DESCRIPTOR.fields_by_name["time"]
    return " ".join(filter(None, [value_text(time_field, reading.time), reading.sensor_id,
                                  reading.kind, f"{reading.value:.10g}", reading.unit,
                                  reading.label]))


def watch_readings(identity: Identity, args) -> None:
    """Prints readings as the service accepts them, until Ctrl-C or --count."""
    token, _ = identity.current_token(identity.signed_in())
    with channel(args.sensors) as sensors:
        readings = sensors_pb2_grpc.SensorsStub(sensors).Watch(sensors_pb2.WatchRequest(
            sensor_ids=args.sensor_ids, unit_code=args.unit, kinds=args.kind),
            metadata=metadata(token))
        for number, reading in enumerate(readings, 1):
            print(MessageToJson(reading, ensure_ascii=False, indent=None) if args.json
                  else reading_line(reading), flush=True)
            if number == args.count:
                readings.cancel()
                return


# Arguments ---------------------------------------------------------------------------------
def global_options(defaults: bool) -> argparse.ArgumentParser:
    """--identity, --sensors and --json, accepted before or after the command."""
    parser = argparse.ArgumentParser(add_help=False)
    for service, variable, target in (("identity", "IDENTITY_GRPC_TARGET", IDENTITY_TARGET),
                                      ("sensors", "SENSORS_GRPC_TARGET", SENSORS_TARGET)):
        default = os.environ.get(variable) or target
        parser.add_argument(f"--{service}", metavar="HOST:PORT",
                            default=default if defaults else argparse.SUPPRESS,
                            help=f"the {service} service (default: {default})")
    parser.add_argument("--json", action="store_true",
                        default=False if defaults else argparse.SUPPRESS,
                        help="print the reply as JSON")
    return parser


def add_commands(commands, common, specs):
    for name, handler, help_text, arguments in specs:
        command = commands.add_parser(name, parents=[common], help=help_text,
                                      description=help_text)
        for argument in arguments:
            argument(command)
        command.set_defaults(handler=handler)


def arg(*flags, **options):
    """One argparse argument, declared in the command table."""
    return lambda parser: parser.add_argument(*flags, **options)


def one_of(*arguments):
    """Exactly one of these arguments."""
    def add(parser):
        group = parser.add_mutually_exclusive_group(required=True)
        for argument in arguments:
            argument(group)
    return add


def role_arguments():
    return [arg("person", help="the person's id"), arg("role"),
            arg("--agency", default="", help="agency staff: their agency"),
            arg("--jurisdiction", default="", help="agency staff: an administrative unit code")]


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="smartcity", parents=[global_options(defaults=True)],
                                   description="The smartcity command-line client.")
    common = global_options(defaults=False)
    commands = root.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_commands(commands, common, [
        ("register", register, "register as a citizen (a code is sent to the phone)", [
            arg("--full-name", required=True), arg("--phone", required=True),
            arg("--national-id", required=True, help="the 12-digit CCCD number"),
            arg("--date-of-birth", required=True, metavar="YYYY-MM-DD"),
            arg("--sex", required=True, choices=("male", "female")),
            arg("--home-address", required=True),
            arg("--home-unit-code", required=True, help="the commune's code, e.g. 05443"),
            arg("--password", help="prompted for when not given"),
            arg("--no-password", action="store_true", help="no password: sign in with OTP only")]),
        ("otp", request_otp, "send a sign-in code to a registered phone", [arg("phone")]),
        ("signin-otp", sign_in_with_otp, "sign in with the code sent to the phone",
         [arg("phone"), arg("code")]),
        ("signin", sign_in_with_password, "sign in with a password",
         [arg("phone"), arg("--password", help="prompted for when not given")]),
        ("refresh", refresh, "renew the session's access token", []),
        ("signout", sign_out, "sign out and forget the session", []),
        ("whoami", who_am_i, "the signed-in person's profile", []),
        ("person", get_person, "a person's profile", [arg("id")]),
        ("lookup", lookup_person, "find a person by id or phone", [
            one_of(arg("--id"), arg("--phone"))]),
        ("audit", audit_trail, "a person's audit trail", [arg("id")]),
        ("verify-person", verify_person, "confirm a person in person (officials)", [
            arg("id"), arg("--evidence", required=True, help="what was checked")]),
        ("grant", role_change("GrantRole"), "grant a role (administrators)", role_arguments()),
        ("revoke", role_change("RevokeRole"), "revoke a role (administrators)", role_arguments()),
        ("keys", public_keys, "the public keys tokens are verified with", []),
        ("units", list_units, "administrative units under a parent (none: the provinces)", [
            arg("parent", nargs="?", default="")]),
        ("unit", get_unit, "one administrative unit", [arg("code")]),
        ("health", health, "the identity service's health", [
            arg("--service", default="", help='health service name, e.g. "liveness"')]),
    ])
    organisations = commands.add_parser("org", help="organisations: businesses, cooperatives")
    add_commands(organisations.add_subparsers(dest="org_command", required=True,
                                              metavar="COMMAND"), common, [
        ("register", register_organisation, "register an organisation you own", [
            arg("--name", required=True), arg("--tax-code", required=True),
            arg("--kind", required=True, choices=("business", "cooperative")),
            arg("--unit-code", required=True), arg("--address", required=True)]),
        ("add-member", organisation_member("AddOrganisationMember"), "add a member",
         [arg("organisation"), arg("person")]),
        ("remove-member", organisation_member("RemoveOrganisationMember"), "remove a member",
         [arg("organisation"), arg("person")]),
        ("verify", verify_organisation, "verify an organisation (officials)",
         [arg("organisation")]),
        ("show", show_organisation, "an organisation", [arg("organisation")]),
    ])
    machines = commands.add_parser("machine", help="machine credentials: gateways, services")
    add_commands(machines.add_subparsers(dest="machine_command", required=True,
                                         metavar="COMMAND"), common, [
        ("register", register_machine, "register a machine (administrators)", [
            arg("name"), arg("--kind", required=True, choices=("gateway", "service"))]),
        ("token", machine_token, "an access token for a machine",
         [arg("client_id"), arg("secret")]),
    ])
    sensors = commands.add_parser("sensors", help="stations and cameras, and their readings")
    add_commands(sensors.add_subparsers(dest="sensors_command", required=True,
                                        metavar="COMMAND"), common, [
        ("list", list_sensors, "the registered sensors", [
            arg("--unit", default="", help="only inside this administrative unit, e.g. 19"),
            arg("--gateway", default="", help="only this gateway's")]),
        ("latest", latest_readings, "the latest reading of each kind (no ids: every sensor)", [
            arg("sensor_ids", nargs="*", metavar="SENSOR"), arg("--kind", default="")]),
        ("watch", watch_readings, "readings as they arrive, until Ctrl-C "
                                  "(IOC operators, administrators, agency staff)", [
            arg("sensor_ids", nargs="*", metavar="SENSOR"),
            arg("--unit", default="", help="or every sensor inside this administrative unit"),
            arg("--kind", action="append", default=[], help="only this kind; repeatable"),
            arg("--count", type=int, default=0, help="stop after this many readings")]),
    ])
    return root


# Running ------------------------------------------------------------------------------------
def print_result(result: Result, as_json: bool):
    print(MessageToJson(result.message, ensure_ascii=False) if as_json
          else result.text or describe(result.message))


def report_error(error: grpc.RpcError, service: str, target: str) -> int:
    code = error.code()
    fields = "".join(f" (field: {field})" for field, _ in field_violations(error))
    print(f"error: {code.name}: {error.details()}{fields}", file=sys.stderr)
    if code == StatusCode.UNAVAILABLE:
        print(f"hint: is the {service} service running at {target}? "
              "`make run` starts every service.", file=sys.stderr)
    return 2 if code in CLIENT_ERRORS else 1


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    identity = Identity(args.identity, SessionFile(session_path()))
    service = "sensors" if args.command == "sensors" else "identity"
    try:
        result = args.handler(identity, args)
    except grpc.RpcError as error:
        return report_error(error, service, getattr(args, service))
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    finally:
        identity.channel.close()
    if result is None:      # a stream, printed as it came
        return 0
    print_result(result, args.json)
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
