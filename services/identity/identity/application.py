"""Identity's commands and queries. No gRPC or nameko here: the service
adapter passes in plain values and the caller's Principal."""
import datetime
import hashlib
import hmac
import logging
import secrets
import time
import uuid
from dataclasses import dataclass

from eventsourcing.application import AggregateNotFoundError

from identity import rules
from identity.domainmodel import (
    ASSURANCE_PHONE_CONFIRMED, MACHINE_KINDS, ORGANISATION_KINDS, Machine, Organisation,
    OtpChallenge, Person, SessionFamily, UniqueKey,
)
from kit import settings
from kit.auth import (
    Kind, Principal, Role, RoleGrant, hash_password, hash_secret, issue_access_token, new_secret,
    require_assurance, require_authenticated, require_jurisdiction, require_role,
    require_self_or_role, secret_matches, verify_password,
)
from kit.errors import (
    AlreadyExists, FailedPrecondition, InvalidArgument, NotFound, PermissionDenied,
    Unauthenticated,
)
from kit.eventstore import EventSourcedApplication, retry_on_conflict

log = logging.getLogger(__name__)

MACHINE_NAMESPACE = uuid.UUID("0b6f3c1e-6a51-4c0e-9a7e-3f1d2c4b5a69")
GRANTABLE_ROLES = {Role.AGENCY_STAFF.value, Role.IOC_OPERATOR.value, Role.ADMINISTRATOR.value}
OFFICIAL_ROLES = (Role.ADMINISTRATOR, Role.IOC_OPERATOR)


@dataclass(frozen=True)
class Session:
    access_token: str
    expires_in_seconds: int
    refresh_token: str
    subject: str


def service_machine_id(name: str) -> uuid.UUID:
    return uuid.uuid5(MACHINE_NAMESPACE, f"service:{name}")


def parse_uuid(value: str, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        raise InvalidArgument("not a valid id", field=field) from None


class IdentityApplication(EventSourcedApplication):
    snapshotted = (Person, OtpChallenge, Organisation)

    def __init__(self, env=None, *, units, keyring, otp_sender, index_key: bytes,
                 clock=time.time, offload=lambda work, *args: work(*args)):
        super().__init__(env)
        # Password hashing takes ~20 ms of CPU: the service runs it off its
        # event loop (eventlet's thread pool) so other requests go on.
        self.offload = offload
        self.units = units
        self.keyring = keyring
        self.otp_sender = otp_sender
        self.index_key = index_key
        self.clock = clock
        self.access_ttl = min(settings.get_int("ACCESS_TOKEN_TTL_SECONDS"), 900)
        self.refresh_ttl = settings.get_int("REFRESH_TOKEN_TTL_SECONDS")

    # Keys and hashes -----------------------------------------------------------
    def key_id(self, kind: str, value: str) -> uuid.UUID:
        """Pseudonymous, stable id for a unique value (keyed, so not reversible)."""
        digest = hmac.new(self.index_key, f"{kind}:{value}".encode(), hashlib.sha256).digest()
        return uuid.UUID(bytes=digest[:16], version=4)

    def code_hash(self, phone: str, code: str) -> str:
        return hmac.new(self.index_key, f"otp:{phone}:{code}".encode(), hashlib.sha256).hexdigest()

    def owner_of(self, kind: str, value: str) -> uuid.UUID | None:
        try:
            return self.repository.get(self.key_id(kind, value)).owner_id
        except AggregateNotFoundError:
            return None

    def get(self, aggregate_id: uuid.UUID, cls, field: str):
        try:
            aggregate = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            aggregate = None
        if not isinstance(aggregate, cls):
            raise NotFound(f"no such {cls.__name__.lower()}", field=field)
        return aggregate

    def person(self, person_id: str, field: str = "person_id") -> Person:
        return self.get(parse_uuid(person_id, field), Person, field)

    def organisation(self, organisation_id: str) -> Organisation:
        return self.get(parse_uuid(organisation_id, "organisation_id"), Organisation,
                        "organisation_id")

    # Citizens ------------------------------------------------------------------
    @retry_on_conflict
    def register_citizen(self, *, full_name, phone, national_id, date_of_birth, sex,
                         home_address, home_unit_code, password="") -> Person:
        today = datetime.date.fromtimestamp(self.clock())
        full_name = rules.validate_full_name(full_name)
        phone = rules.normalize_phone(phone)
        born = self.parse_date(date_of_birth)
        rules.validate_date_of_birth(born, today)
        if sex not in ("male", "female"):
            raise InvalidArgument("must be male or female", field="sex")
        national_id = rules.validate_cccd(national_id, born, sex)
        home_address = home_address.strip()
        if not 5 <= len(home_address) <= 300:
            raise InvalidArgument("must be 5 to 300 characters", field="home_address")
        self.require_commune(home_unit_code, "home_unit_code")
        if password:
            rules.validate_password(password)
        if self.owner_of("phone", phone):
            raise AlreadyExists("this phone is registered already", field="phone")
        if self.owner_of("cccd", national_id):
            raise AlreadyExists("this national ID is registered already", field="national_id")
        password_hash = self.offload(hash_password, password) if password else ""
        person = Person(
            full_name=full_name, phone=phone, national_id=national_id,
            date_of_birth=born.isoformat(), sex=sex, home_address=home_address,
            home_unit_code=home_unit_code, password_hash=password_hash, registered_at=self.clock(),
        )
        self.save(person, UniqueKey(key_id=self.key_id("phone", phone), owner_id=person.id),
                  UniqueKey(key_id=self.key_id("cccd", national_id), owner_id=person.id))
        self.request_otp(phone)
        return person

    @staticmethod
    def parse_date(value: str) -> datetime.date:
        try:
            return datetime.date.fromisoformat(value)
        except (TypeError, ValueError):
            raise InvalidArgument("must be a date YYYY-MM-DD", field="date_of_birth") from None

    def require_commune(self, code: str, field: str):
        if code not in self.units or not self.units.is_commune(code):
            raise InvalidArgument(f"{code!r} is not a known commune code", field=field)

    @retry_on_conflict
    def request_otp(self, phone: str) -> tuple[int, int]:
        """Sends a code to a registered phone. Returns (expires_in, resend_after)."""
        phone = rules.normalize_phone(phone)
        if not self.owner_of("phone", phone):
            raise NotFound("no account with this phone", field="phone")
        challenge = self.challenge(phone)
        code = f"{secrets.randbelow(10 ** 6):06d}"
        ttl = settings.get_int("OTP_TTL_SECONDS")
        window = settings.get_int("OTP_WINDOW_SECONDS")
        challenge.issue(self.code_hash(phone, code), self.clock(), ttl,
                        settings.get_int("OTP_MAX_PER_WINDOW"), window)
        self.save(challenge)
        self.otp_sender.send(phone, code, ttl)
        return ttl, window // settings.get_int("OTP_MAX_PER_WINDOW")

    def challenge(self, phone: str) -> OtpChallenge:
        challenge_id = self.key_id("otp", phone)
        try:
            return self.repository.get(challenge_id)
        except AggregateNotFoundError:
            return OtpChallenge(challenge_id=challenge_id)

    @retry_on_conflict
    def verify_person(self, official: Principal, person_id: str, evidence: str) -> Person:
        person = self.person(person_id)
        require_jurisdiction(official, person.home_unit_code, self.units, roles=(Role.AGENCY_STAFF,))
        if not evidence.strip():
            raise InvalidArgument("say what was checked", field="evidence")
        person.verify(official.subject, evidence.strip()[:500])
        self.save(person)
        return person

    # Sessions ------------------------------------------------------------------
    @retry_on_conflict
    def sign_in_with_password(self, phone: str, password: str) -> Session:
        phone = rules.normalize_phone(phone)
        if not password:
            raise InvalidArgument("required", field="password")
        person = self.person_by_phone(phone)
        now = self.clock()
        person.check_not_locked(now)
        if not person.password_hash or not self.offload(verify_password, person.password_hash,
                                                          password):
            person.record_failed_sign_in(now, settings.get_int("SIGNIN_MAX_FAILURES"),
                                         settings.get_int("SIGNIN_LOCKOUT_SECONDS"))
            self.save(person)
            raise Unauthenticated("wrong phone or password")
        person.record_sign_in(now)
        return self.start_session(person)

    @retry_on_conflict
    def sign_in_with_otp(self, phone: str, code: str) -> Session:
        phone = rules.normalize_phone(phone)
        if not (code.isdigit() and len(code) == 6):
            raise InvalidArgument("must be the 6-digit code", field="code")
        person = self.person_by_phone(phone)
        now = self.clock()
        person.check_not_locked(now)
        challenge = self.challenge(phone)
        if not challenge.redeem(self.code_hash(phone, code), now):
            self.save(challenge)
            raise Unauthenticated("wrong or expired code")
        person.confirm_phone()
        person.record_sign_in(now)
        self.save(challenge, *self.bootstrap_admin(person))
        return self.start_session(person)

    def bootstrap_admin(self, person: Person) -> list:
        """The configured first administrator gets the role on confirming their phone."""
        bootstrap_phone = settings.get("BOOTSTRAP_ADMIN_PHONE")
        if not bootstrap_phone or rules.normalize_phone(bootstrap_phone) != person.phone:
            return [person]
        admin = RoleGrant(Role.ADMINISTRATOR.value)
        if not person.holds(admin) and not self.owner_of("role", Role.ADMINISTRATOR.value):
            person.grant_role(admin, granted_by="bootstrap")
            return [person, UniqueKey(key_id=self.key_id("role", Role.ADMINISTRATOR.value),
                                      owner_id=person.id)]
        return [person]

    def person_by_phone(self, phone: str) -> Person:
        owner = self.owner_of("phone", phone)
        if owner is None:
            raise Unauthenticated("wrong phone or password")
        return self.repository.get(owner)

    def principal_of(self, person: Person) -> Principal:
        return Principal(subject=str(person.id), kind=Kind.PERSON.value, roles=person.roles,
                         assurance_level=person.assurance_level,
                         organisations=tuple(person.organisation_ids))

    def start_session(self, person: Person) -> Session:
        secret = new_secret()
        family = SessionFamily(subject=str(person.id), secret_hash=hash_secret(secret),
                               expires_at=self.clock() + self.refresh_ttl)
        self.save(person, family)
        return self.session(person, family, secret)

    def session(self, person, family, secret) -> Session:
        return Session(
            access_token=issue_access_token(self.keyring, self.principal_of(person),
                                            ttl_seconds=self.access_ttl, now=self.clock()),
            expires_in_seconds=self.access_ttl,
            refresh_token=f"{family.id}.{family.generation}.{secret}",
            subject=str(person.id),
        )

    def family_of(self, refresh_token: str) -> tuple[SessionFamily, int, str]:
        try:
            family_id, generation, secret = refresh_token.split(".", 2)
            family = self.repository.get(uuid.UUID(family_id))
            generation = int(generation)
        except (ValueError, AggregateNotFoundError):
            raise Unauthenticated("invalid refresh token") from None
        if not isinstance(family, SessionFamily):
            raise Unauthenticated("invalid refresh token")
        return family, generation, secret

    @retry_on_conflict
    def refresh_session(self, refresh_token: str) -> Session:
        family, generation, secret = self.family_of(refresh_token)
        new = new_secret()
        rotated = family.rotate(generation, lambda h: secret_matches(h, secret),
                                hash_secret(new), self.clock())
        self.save(family)
        if not rotated:
            log.warning("refresh token reused: session family revoked",
                        extra={"fields": {"family": str(family.id)}})
            raise Unauthenticated("refresh token reused: the session was signed out")
        person = self.repository.get(uuid.UUID(family.subject))
        return self.session(person, family, new)

    @retry_on_conflict
    def sign_out(self, refresh_token: str):
        family, generation, secret = self.family_of(refresh_token)
        if generation != family.generation or not secret_matches(family.secret_hash, secret):
            raise Unauthenticated("invalid refresh token")
        family.revoke("sign-out")
        self.save(family)

    # Read side -----------------------------------------------------------------
    def who_am_i(self, caller: Principal) -> Person:
        caller = require_authenticated(caller)
        if caller.kind != Kind.PERSON.value:
            raise FailedPrecondition("machines have no person profile")
        return self.person(caller.subject, field="authorization")

    def get_person(self, caller: Principal, person_id: str) -> Person:
        require_authenticated(caller)
        person = self.person(person_id)
        if caller.subject == str(person.id) or caller.has_role(Role.MACHINE.value):
            return person
        if any(caller.has_role(role.value) for role in OFFICIAL_ROLES):
            return person
        require_jurisdiction(caller, person.home_unit_code, self.units)
        return person

    def lookup_person(self, caller: Principal, person_id: str = "", phone: str = "") -> Person:
        require_role(caller, Role.MACHINE, Role.AGENCY_STAFF, *OFFICIAL_ROLES)
        if phone:
            owner = self.owner_of("phone", rules.normalize_phone(phone))
            if owner is None:
                raise NotFound("no person with this phone", field="phone")
            return self.repository.get(owner)
        if not person_id:
            raise InvalidArgument("give a person_id or a phone", field="key")
        return self.person(person_id)

    def audit_trail(self, caller: Principal, person_id: str) -> list:
        require_self_or_role(caller, person_id, Role.ADMINISTRATOR)
        person = self.person(person_id)
        return list(self.events.get(person.id))

    # Organisations ---------------------------------------------------------------
    @retry_on_conflict
    def register_organisation(self, caller: Principal, *, name, tax_code, kind, unit_code,
                              address) -> Organisation:
        require_authenticated(caller)
        require_assurance(caller, ASSURANCE_PHONE_CONFIRMED)
        name = " ".join(name.split())
        if not 2 <= len(name) <= 200:
            raise InvalidArgument("must be 2 to 200 characters", field="name")
        tax_code = rules.validate_tax_code(tax_code)
        if kind not in ORGANISATION_KINDS:
            raise InvalidArgument(f"must be one of {', '.join(ORGANISATION_KINDS)}", field="kind")
        self.require_commune(unit_code, "unit_code")
        if self.owner_of("tax", tax_code):
            raise AlreadyExists("an organisation with this tax code exists", field="tax_code")
        owner = self.person(caller.subject, field="authorization")
        organisation = Organisation(name=name, tax_code=tax_code, kind=kind, unit_code=unit_code,
                                    address=address.strip()[:300], owner_id=str(owner.id))
        owner.join(str(organisation.id))
        self.save(organisation, owner,
                  UniqueKey(key_id=self.key_id("tax", tax_code), owner_id=organisation.id))
        return organisation

    def require_owner_or_admin(self, caller: Principal, organisation: Organisation):
        require_authenticated(caller)
        if caller.subject != organisation.owner_id and not caller.has_role(Role.ADMINISTRATOR.value):
            raise PermissionDenied("only the owner or an administrator may change members")

    @retry_on_conflict
    def add_member(self, caller: Principal, organisation_id: str, person_id: str) -> Organisation:
        organisation = self.organisation(organisation_id)
        self.require_owner_or_admin(caller, organisation)
        person = self.person(person_id)
        organisation.add_member(str(person.id), added_by=caller.subject)
        person.join(str(organisation.id))
        self.save(organisation, person)
        return organisation

    @retry_on_conflict
    def remove_member(self, caller: Principal, organisation_id: str, person_id: str) -> Organisation:
        organisation = self.organisation(organisation_id)
        self.require_owner_or_admin(caller, organisation)
        person = self.person(person_id)
        organisation.remove_member(str(person.id), removed_by=caller.subject)
        person.leave(str(organisation.id))
        self.save(organisation, person)
        return organisation

    @retry_on_conflict
    def verify_organisation(self, official: Principal, organisation_id: str) -> Organisation:
        organisation = self.organisation(organisation_id)
        require_jurisdiction(official, organisation.unit_code, self.units)
        organisation.verify(official.subject)
        self.save(organisation)
        return organisation

    def get_organisation(self, caller: Principal, organisation_id: str) -> Organisation:
        require_authenticated(caller)
        return self.organisation(organisation_id)

    # Roles ---------------------------------------------------------------------
    def checked_grant(self, role: str, agency: str, jurisdiction: str) -> RoleGrant:
        if role not in GRANTABLE_ROLES:
            raise InvalidArgument(f"must be one of {', '.join(sorted(GRANTABLE_ROLES))}",
                                  field="grant.role")
        agency = agency.strip()
        if role == Role.AGENCY_STAFF.value and not agency:
            raise InvalidArgument("agency staff need an agency", field="grant.agency")
        if role == Role.AGENCY_STAFF.value and jurisdiction not in self.units:
            raise InvalidArgument(f"{jurisdiction!r} is not a known administrative unit",
                                  field="grant.jurisdiction")
        if role != Role.AGENCY_STAFF.value and (agency or jurisdiction):
            raise InvalidArgument("only agency staff have an agency and jurisdiction",
                                  field="grant")
        return RoleGrant(role, agency, jurisdiction)

    def grant_role(self, caller: Principal, person_id: str, role, agency, jurisdiction) -> Person:
        return self.change_role(caller, person_id, lambda person: person.grant_role(
            self.checked_grant(role, agency, jurisdiction), granted_by=caller.subject))

    def revoke_role(self, caller: Principal, person_id: str, role, agency, jurisdiction) -> Person:
        return self.change_role(caller, person_id, lambda person: person.revoke_role(
            RoleGrant(role, agency.strip(), jurisdiction), revoked_by=caller.subject))

    @retry_on_conflict
    def change_role(self, caller: Principal, person_id: str, change) -> Person:
        require_role(caller, Role.ADMINISTRATOR)
        person = self.person(person_id)
        change(person)
        self.save(person)
        return person

    # Machines --------------------------------------------------------------------
    @retry_on_conflict
    def register_machine(self, caller: Principal, name: str, kind: str) -> tuple[str, str]:
        require_role(caller, Role.ADMINISTRATOR)
        name = name.strip()
        if not 3 <= len(name) <= 100:
            raise InvalidArgument("must be 3 to 100 characters", field="name")
        if kind not in MACHINE_KINDS:
            raise InvalidArgument(f"must be one of {', '.join(MACHINE_KINDS)}", field="kind")
        secret = new_secret()
        machine = Machine(machine_id=uuid.uuid4(), name=name, kind=kind,
                          secret_hash=hash_secret(secret), registered_by=caller.subject, roles=[])
        self.save(machine)
        return str(machine.id), secret

    @retry_on_conflict
    def provision_service_machine(self, name: str, secret_hash: str, roles=()):
        """Creates or updates a service's machine from MACHINE_CREDENTIALS."""
        roles = sorted(roles)
        wrong = [role for role in roles if role not in GRANTABLE_ROLES]
        if wrong:
            raise InvalidArgument(f"machine {name}: roles {wrong} cannot be given",
                                  field="MACHINE_CREDENTIALS")
        machine_id = service_machine_id(name)
        try:
            machine = self.repository.get(machine_id)
            machine.reconfigure(secret_hash, roles)
        except AggregateNotFoundError:
            machine = Machine(machine_id=machine_id, name=name, kind="service",
                              secret_hash=secret_hash, registered_by="configuration", roles=roles)
        self.save(machine)

    def issue_machine_token(self, client_id: str, client_secret: str) -> Session:
        if not client_id or not client_secret:
            raise Unauthenticated("client_id and client_secret are required")
        try:
            machine_id = uuid.UUID(client_id)
        except ValueError:
            machine_id = service_machine_id(client_id)
        try:
            machine = self.repository.get(machine_id)
        except AggregateNotFoundError:
            machine = None
        if not isinstance(machine, Machine) or not secret_matches(machine.secret_hash,
                                                                   client_secret):
            raise Unauthenticated("unknown machine or wrong secret")
        roles = (RoleGrant(Role.MACHINE.value, agency=machine.kind),
                 *(RoleGrant(role) for role in machine.roles))
        principal = Principal(subject=client_id, kind=Kind.MACHINE.value, roles=roles)
        token = issue_access_token(self.keyring, principal, ttl_seconds=self.access_ttl,
                                   now=self.clock())
        return Session(access_token=token, expires_in_seconds=self.access_ttl,
                       refresh_token="", subject=client_id)
