"""Per-request context: the correlation id that follows a request through
gRPC calls, stored events and integration events.

Context variables are per greenlet under eventlet, so each nameko worker
sees its own values.
"""
import uuid
from contextvars import ContextVar

CORRELATION_HEADER = "x-correlation-id"

_correlation_id: ContextVar[str] = ContextVar("correlation_id", default="")


def correlation_id() -> str:
    return _correlation_id.get()


def set_correlation_id(value: str | None) -> str:
    """Adopts the caller's id, or starts a new one."""
    value = (value or "")[:64] or uuid.uuid4().hex
    _correlation_id.set(value)
    return value
