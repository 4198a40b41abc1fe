"""Domain errors. Plain Python: the gRPC adapter maps each to a status code.

Every error says which request field is at fault when one is, so a client can
point at it without parsing prose.
"""


class DomainError(Exception):
    """Base of every error a command or query may refuse with."""

    def __init__(self, message, field=""):
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self):
        return f"{self.field}: {self.message}" if self.field else self.message


class InvalidArgument(DomainError):
    """The request is malformed: a field has a bad value."""


class NotFound(DomainError):
    """The thing asked for does not exist."""


class AlreadyExists(DomainError):
    """Creating something that exists already (same phone, same CCCD...)."""


class FailedPrecondition(DomainError):
    """The request is valid but the current state does not allow it."""


class PermissionDenied(DomainError):
    """The caller is known but may not do this."""


class Unauthenticated(DomainError):
    """The caller did not prove who they are (no, bad or expired token)."""


class ResourceExhausted(DomainError):
    """A rate limit or quota was hit; try again later."""


class Aborted(DomainError):
    """A concurrent change won; the command may be retried."""


def check_keys(entry, allowed: set, required: set, field: str):
    """A JSON object of a configuration file has the keys it must, and no others."""
    if not isinstance(entry, dict):
        raise InvalidArgument("must be an object", field=field)
    missing, unknown = sorted(required - entry.keys()), sorted(entry.keys() - allowed)
    if missing:
        raise InvalidArgument(f"missing {missing}", field=field)
    if unknown:
        raise InvalidArgument(f"unknown keys {unknown}", field=field)
