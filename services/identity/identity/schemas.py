"""Conversions between identity's domain objects and its protobuf messages."""
import datetime

from smartcity.identity.v1 import identity_pb2 as pb

from kit.auth import Role


def rfc3339(epoch_seconds: float) -> str:
    return datetime.datetime.fromtimestamp(epoch_seconds, datetime.timezone.utc).isoformat()


def role_grant(grant) -> pb.RoleGrant:
    return pb.RoleGrant(role=grant.role, agency=grant.agency, jurisdiction=grant.jurisdiction)


def masked(national_id: str) -> str:
    return national_id[:3] + "*" * 6 + national_id[-3:]


def person(p, caller) -> pb.Person:
    """The full profile; the CCCD is masked except for the person and administrators."""
    sees_national_id = caller is not None and (
        caller.subject == str(p.id) or caller.has_role(Role.ADMINISTRATOR.value))
    return pb.Person(
        id=str(p.id), full_name=p.full_name, phone=p.phone,
        national_id=p.national_id if sees_national_id else masked(p.national_id),
        date_of_birth=p.date_of_birth, sex=p.sex, home_address=p.home_address,
        home_unit_code=p.home_unit_code, assurance_level=p.assurance_level,
        roles=[role_grant(g) for g in p.roles], organisation_ids=p.organisation_ids,
        has_password=bool(p.password_hash), registered_at=rfc3339(p.registered_at),
    )


def person_summary(p) -> pb.PersonSummary:
    return pb.PersonSummary(id=str(p.id), full_name=p.full_name,
                            assurance_level=p.assurance_level, home_unit_code=p.home_unit_code,
                            roles=[role_grant(g) for g in p.roles])


def session(s) -> pb.Session:
    return pb.Session(access_token=s.access_token, expires_in_seconds=s.expires_in_seconds,
                      refresh_token=s.refresh_token, token_type="Bearer", subject=s.subject)


def organisation(o) -> pb.Organisation:
    return pb.Organisation(id=str(o.id), name=o.name, tax_code=o.tax_code, kind=o.kind,
                           unit_code=o.unit_code, address=o.address, owner_id=o.owner_id,
                           member_ids=o.member_ids, verified=o.verified,
                           verified_by=o.verified_by)


ACTOR_FIELDS = ("granted_by", "revoked_by", "official_id")
DETAIL_FIELDS = ("role", "agency", "jurisdiction", "organisation_id", "evidence", "until")


def audit_entry(event) -> pb.AuditEntry:
    state = vars(event)
    actor = next((state[f] for f in ACTOR_FIELDS if state.get(f)), "")
    detail = ", ".join(f"{f}={state[f]}" for f in DETAIL_FIELDS if state.get(f))
    return pb.AuditEntry(version=event.originator_version, event=type(event).__name__,
                         at=event.timestamp.isoformat(), actor=actor, detail=detail)


def administrative_unit(unit) -> pb.AdministrativeUnit:
    return pb.AdministrativeUnit(code=unit.code, name=unit.name, name_en=unit.name_en,
                                 level=unit.level, parent_code=unit.parent_code or "")


def public_key(jwk: dict) -> pb.PublicKey:
    return pb.PublicKey(**{k: jwk.get(k, "") for k in ("kid", "kty", "crv", "x", "alg", "use")})
