"""Identity's aggregates and their events. Plain Python: times are passed in.

Methods decorated with @event run both when the event happens and when the
aggregate is replayed, so they only apply state; the checks that decide
whether the event may happen sit in the undecorated methods around them.
"""
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from kit.auth import Role, RoleGrant
from kit.errors import FailedPrecondition, InvalidArgument, ResourceExhausted, Unauthenticated

ASSURANCE_REGISTERED = 0
ASSURANCE_PHONE_CONFIRMED = 1
ASSURANCE_VERIFIED = 2

# Roles held by membership or by being a person, not granted by administrators.
IMPLICIT_ROLES = {Role.CITIZEN.value, Role.ORGANISATION_MEMBER.value, Role.MACHINE.value}


class Person(Aggregate):
    """A citizen, official or operator: one identity for every service."""

    @event("Registered")
    def __init__(self, full_name: str, phone: str, national_id: str, date_of_birth: str,
                 sex: str, home_address: str, home_unit_code: str, password_hash: str,
                 registered_at: float):
        self.full_name = full_name
        self.phone = phone
        self.national_id = national_id
        self.date_of_birth = date_of_birth
        self.sex = sex
        self.home_address = home_address
        self.home_unit_code = home_unit_code
        self.password_hash = password_hash
        self.registered_at = registered_at
        self.assurance_level = ASSURANCE_REGISTERED
        self.grants: list[list[str]] = []
        self.organisation_ids: list[str] = []
        self.failed_sign_ins = 0
        self.locked_until = 0.0

    # Assurance ---------------------------------------------------------------
    def confirm_phone(self):
        if self.assurance_level < ASSURANCE_PHONE_CONFIRMED:
            self._phone_confirmed()

    @event("PhoneConfirmed")
    def _phone_confirmed(self):
        self.assurance_level = ASSURANCE_PHONE_CONFIRMED

    def verify(self, official_id: str, evidence: str):
        if self.assurance_level >= ASSURANCE_VERIFIED:
            raise FailedPrecondition("the person is verified already", field="person_id")
        if self.assurance_level < ASSURANCE_PHONE_CONFIRMED:
            raise FailedPrecondition("the person must confirm their phone first",
                                     field="person_id")
        self._verified(official_id=official_id, evidence=evidence)

    @event("VerifiedByOfficial")
    def _verified(self, official_id: str, evidence: str):
        self.assurance_level = ASSURANCE_VERIFIED

    # Sign-in -----------------------------------------------------------------
    def check_not_locked(self, now: float):
        if now < self.locked_until:
            raise Unauthenticated(
                f"too many failed sign-ins: locked for {int(self.locked_until - now) + 1} s")

    def record_failed_sign_in(self, now: float, max_failures: int, lockout_seconds: float):
        self._sign_in_failed(at=now)
        if self.failed_sign_ins >= max_failures:
            self._locked(until=now + lockout_seconds)

    @event("SignInFailed")
    def _sign_in_failed(self, at: float):
        self.failed_sign_ins += 1

    @event("Locked")
    def _locked(self, until: float):
        self.locked_until = until
        self.failed_sign_ins = 0

    def record_sign_in(self, now: float):
        if self.failed_sign_ins:
            self._failures_cleared(at=now)

    @event("FailedSignInsCleared")
    def _failures_cleared(self, at: float):
        self.failed_sign_ins = 0

    # Roles -------------------------------------------------------------------
    @property
    def roles(self) -> tuple[RoleGrant, ...]:
        implicit = [RoleGrant(Role.CITIZEN.value)]
        if self.organisation_ids:
            implicit.append(RoleGrant(Role.ORGANISATION_MEMBER.value))
        return tuple(implicit + [RoleGrant(*grant) for grant in self.grants])

    def grant_role(self, grant: RoleGrant, granted_by: str):
        if grant.role in IMPLICIT_ROLES:
            raise InvalidArgument(f"{grant.role} is not granted: it follows from the person's "
                                  "identity or memberships", field="grant.role")
        if self.holds(grant):
            raise FailedPrecondition("the person holds this role already", field="grant")
        self._role_granted(role=grant.role, agency=grant.agency,
                           jurisdiction=grant.jurisdiction, granted_by=granted_by)

    @event("RoleGranted")
    def _role_granted(self, role: str, agency: str, jurisdiction: str, granted_by: str):
        self.grants.append([role, agency, jurisdiction])

    def revoke_role(self, grant: RoleGrant, revoked_by: str):
        if not self.holds(grant):
            raise FailedPrecondition("the person does not hold this role", field="grant")
        self._role_revoked(role=grant.role, agency=grant.agency,
                           jurisdiction=grant.jurisdiction, revoked_by=revoked_by)

    @event("RoleRevoked")
    def _role_revoked(self, role: str, agency: str, jurisdiction: str, revoked_by: str):
        self.grants.remove([role, agency, jurisdiction])

    def holds(self, grant: RoleGrant) -> bool:
        return [grant.role, grant.agency, grant.jurisdiction] in self.grants

    # Organisations -----------------------------------------------------------
    def join(self, organisation_id: str):
        if organisation_id not in self.organisation_ids:
            self._joined(organisation_id=organisation_id)

    @event("JoinedOrganisation")
    def _joined(self, organisation_id: str):
        self.organisation_ids.append(organisation_id)

    def leave(self, organisation_id: str):
        if organisation_id in self.organisation_ids:
            self._left(organisation_id=organisation_id)

    @event("LeftOrganisation")
    def _left(self, organisation_id: str):
        self.organisation_ids.remove(organisation_id)


class UniqueKey(Aggregate):
    """Claims a unique value (a phone, a CCCD, a tax code) for one owner.

    Its id is a keyed hash of the value, so claiming a taken value collides
    on the event store's primary key inside the same transaction as the
    owner's creation, and the value itself is not readable from the id.
    """

    @staticmethod
    def create_id(key_id: UUID, owner_id: UUID) -> UUID:
        return key_id

    @event("Claimed")
    def __init__(self, key_id: UUID, owner_id: UUID):
        self.owner_id = owner_id


class OtpChallenge(Aggregate):
    """One-time codes sent to one phone: expiring, single-use, rate-limited."""

    MAX_ATTEMPTS = 5

    @staticmethod
    def create_id(challenge_id: UUID) -> UUID:
        return challenge_id

    @event("Opened")
    def __init__(self, challenge_id: UUID):
        self.code_hash = ""
        self.expires_at = 0.0
        self.attempts_left = 0
        self.issued: list[float] = []

    def issue(self, code_hash: str, now: float, ttl: float, max_per_window: int, window: float):
        recent = [t for t in self.issued if now - t < window]
        if len(recent) >= max_per_window:
            retry_in = int(window - (now - recent[0])) + 1
            raise ResourceExhausted(f"too many codes requested: try again in {retry_in} s",
                                    field="phone")
        self._issued(code_hash=code_hash, at=now, expires_at=now + ttl, window=window)

    @event("CodeIssued")
    def _issued(self, code_hash: str, at: float, expires_at: float, window: float):
        self.code_hash = code_hash
        self.expires_at = expires_at
        self.attempts_left = self.MAX_ATTEMPTS
        self.issued = [t for t in self.issued if at - t < window] + [at]

    def redeem(self, code_hash: str, now: float) -> bool:
        """Uses the code if it matches; a wrong guess spends an attempt."""
        if not self.code_hash or now >= self.expires_at or self.attempts_left <= 0:
            return False
        if code_hash != self.code_hash:
            self._attempt_failed()
            return False
        self._used()
        return True

    @event("AttemptFailed")
    def _attempt_failed(self):
        self.attempts_left -= 1

    @event("CodeUsed")
    def _used(self):
        self.code_hash = ""


class SessionFamily(Aggregate):
    """A sign-in's chain of refresh tokens.

    Each refresh replaces the token with the next generation. Presenting an
    older generation means a token was copied: the whole family is revoked.
    """

    @event("Started")
    def __init__(self, subject: str, secret_hash: str, expires_at: float):
        self.subject = subject
        self.secret_hash = secret_hash
        self.generation = 0
        self.expires_at = expires_at
        self.revoked = False

    def rotate(self, generation: int, secret_matches, new_secret_hash: str, now: float):
        """Checks a presented token and moves the family to the next generation."""
        if self.revoked:
            raise Unauthenticated("this session was signed out")
        if now >= self.expires_at:
            raise Unauthenticated("the refresh token expired: sign in again")
        if generation < self.generation:
            self._revoked(reason="reuse")
            return False
        if generation != self.generation or not secret_matches(self.secret_hash):
            raise Unauthenticated("invalid refresh token")
        self._rotated(secret_hash=new_secret_hash)
        return True

    @event("Rotated")
    def _rotated(self, secret_hash: str):
        self.secret_hash = secret_hash
        self.generation += 1

    def revoke(self, reason: str):
        if not self.revoked:
            self._revoked(reason=reason)

    @event("Revoked")
    def _revoked(self, reason: str):
        self.revoked = True


ORGANISATION_KINDS = ("business", "cooperative")


class Organisation(Aggregate):
    """A business or cooperative (HTX) that may sell once verified."""

    @event("Registered")
    def __init__(self, name: str, tax_code: str, kind: str, unit_code: str, address: str,
                 owner_id: str):
        self.name = name
        self.tax_code = tax_code
        self.kind = kind
        self.unit_code = unit_code
        self.address = address
        self.owner_id = owner_id
        self.member_ids = [owner_id]
        self.verified_by = ""

    @property
    def verified(self) -> bool:
        return bool(self.verified_by)

    def add_member(self, person_id: str, added_by: str):
        if person_id in self.member_ids:
            raise FailedPrecondition("already a member", field="person_id")
        self._member_added(person_id=person_id, added_by=added_by)

    @event("MemberAdded")
    def _member_added(self, person_id: str, added_by: str):
        self.member_ids.append(person_id)

    def remove_member(self, person_id: str, removed_by: str):
        if person_id == self.owner_id:
            raise FailedPrecondition("the owner cannot be removed", field="person_id")
        if person_id not in self.member_ids:
            raise FailedPrecondition("not a member", field="person_id")
        self._member_removed(person_id=person_id, removed_by=removed_by)

    @event("MemberRemoved")
    def _member_removed(self, person_id: str, removed_by: str):
        self.member_ids.remove(person_id)

    def verify(self, official_id: str):
        if self.verified:
            raise FailedPrecondition("the organisation is verified already",
                                     field="organisation_id")
        self._verified(official_id=official_id)

    @event("Verified")
    def _verified(self, official_id: str):
        self.verified_by = official_id


MACHINE_KINDS = ("gateway", "service")


class Machine(Aggregate):
    """A sensor gateway or a service, signing in with a client secret.

    Configured service machines may also hold person-like roles (e.g. the
    local fleet loader is an IOC operator); registered gateways hold none.
    """

    @staticmethod
    def create_id(machine_id: UUID) -> UUID:
        return machine_id

    @event("Registered")
    def __init__(self, machine_id: UUID, name: str, kind: str, secret_hash: str,
                 registered_by: str, roles: list):
        self.name = name
        self.kind = kind
        self.secret_hash = secret_hash
        self.roles = roles

    def reconfigure(self, secret_hash: str, roles: list):
        if (secret_hash, roles) != (self.secret_hash, self.roles):
            self._reconfigured(secret_hash=secret_hash, roles=roles)

    @event("Reconfigured")
    def _reconfigured(self, secret_hash: str, roles: list):
        self.secret_hash = secret_hash
        self.roles = roles
