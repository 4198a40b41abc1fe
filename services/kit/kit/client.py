"""grpcio helpers for programs that are not nameko services: the CLI, sensor
gateways, tests and load generators. Never import this inside a nameko
process (grpcio calls freeze under eventlet)."""
import uuid

import grpc

from kit.context import CORRELATION_HEADER


def channel(target: str) -> grpc.Channel:
    # grpcio's default reconnect back-off grows to 120 s: a service back after
    # a long outage would wait up to that long to be used again.
    return grpc.insecure_channel(target, options=[("grpc.enable_retries", 1),
                                                  ("grpc.max_reconnect_backoff_ms", 5000)])


def metadata(token: str | None = None, correlation_id: str | None = None):
    """Call metadata: the bearer token and a correlation id for the logs."""
    pairs = [(CORRELATION_HEADER, correlation_id or uuid.uuid4().hex)]
    if token:
        pairs.append(("authorization", f"Bearer {token}"))
    return pairs


def field_violations(error: grpc.RpcError) -> list[tuple[str, str]]:
    """The (field, description) pairs of an INVALID_ARGUMENT's BadRequest details."""
    from google.rpc import error_details_pb2, status_pb2

    for key, value in error.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            status = status_pb2.Status.FromString(value)
            violations = []
            for detail in status.details:
                bad_request = error_details_pb2.BadRequest()
                if detail.Unpack(bad_request):
                    violations += [(v.field, v.description) for v in bad_request.field_violations]
            return violations
    return []
