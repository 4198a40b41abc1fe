"""Who may do what: role, jurisdiction, ownership and assurance checks.

Each check returns the principal so calls can be chained, and raises
Unauthenticated when there is no principal or PermissionDenied when there is
one that may not act.
"""

from typing import Protocol

from kit.auth.tokens import Principal, Role, RoleGrant
from kit.errors import PermissionDenied, Unauthenticated

# Roles that act province-wide, whatever the administrative unit.
_PROVINCE_WIDE_ROLES = (Role.ADMINISTRATOR, Role.IOC_OPERATOR)


class UnitTree(Protocol):
    """What require_jurisdiction needs of the administrative-unit tree."""

    def contains(self, ancestor: str, code: str) -> bool: ...


def require_authenticated(principal: Principal | None) -> Principal:
    if principal is None:
        raise Unauthenticated("sign-in required")
    return principal


def require_role(principal: Principal | None, *roles: str) -> Principal:
    principal = require_authenticated(principal)
    if not any(principal.has_role(role) for role in roles):
        raise PermissionDenied(f"requires role {_either(roles)}")
    return principal


def require_jurisdiction(
    principal: Principal | None,
    unit_code: str,
    units: UnitTree,
    roles: tuple[str, ...] = (Role.AGENCY_STAFF,),
    agency: str | None = None,
) -> Principal:
    """Administrators and IOC operators pass everywhere; others need a grant of
    one of roles (for agency, when given) whose jurisdiction contains unit_code.

    A grant with no jurisdiction covers nothing: province-wide staff are granted
    the province's own code.
    """
    principal = require_authenticated(principal)
    if any(principal.has_role(role) for role in _PROVINCE_WIDE_ROLES):
        return principal
    if any(_covers(grant, unit_code, units) for grant in _matching_grants(principal, roles, agency)):
        return principal
    for_agency = f" of agency {agency}" if agency is not None else ""
    raise PermissionDenied(
        f"requires role {_either(roles)}{for_agency} with jurisdiction over unit {unit_code}"
    )


def require_self_or_role(principal: Principal | None, subject_id: str, *roles: str) -> Principal:
    principal = require_authenticated(principal)
    if principal.subject == subject_id or any(principal.has_role(role) for role in roles):
        return principal
    others = f" or role {_either(roles)}" if roles else ""
    raise PermissionDenied(f"only the subject themselves{others} may do this")


def require_assurance(principal: Principal | None, level: int) -> Principal:
    principal = require_authenticated(principal)
    if principal.assurance_level < level:
        raise PermissionDenied(
            f"requires assurance level {level} (signed in at level {principal.assurance_level}); "
            "sign in again with stronger verification"
        )
    return principal


def _matching_grants(principal: Principal, roles: tuple[str, ...], agency: str | None):
    return (
        grant
        for grant in principal.roles
        if grant.role in roles and (agency is None or grant.agency == agency)
    )


def _covers(grant: RoleGrant, unit_code: str, units: UnitTree) -> bool:
    if not grant.jurisdiction or not unit_code:
        return False
    # Equality is checked here so the result does not hinge on whether the
    # tree counts a unit as containing itself.
    return grant.jurisdiction == unit_code or units.contains(grant.jurisdiction, unit_code)


def _either(roles) -> str:
    return " or ".join(str(role) for role in roles) or "(none given)"
