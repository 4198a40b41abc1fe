"""Server side: entrypoints that map domain errors to gRPC statuses, and the
standard grpc.health.v1.Health service every smartcity service offers.
"""
import logging
import sys

import eventlet
from google.protobuf import any_pb2
from google.rpc import error_details_pb2, status_pb2
from grpc import StatusCode
from grpc_health.v1 import health_pb2, health_pb2_grpc
from nameko_grpc.entrypoint import Grpc
from nameko_grpc.errors import GrpcError

from kit import errors

log = logging.getLogger(__name__)

STATUS_OF = {
    errors.InvalidArgument: StatusCode.INVALID_ARGUMENT,
    errors.NotFound: StatusCode.NOT_FOUND,
    errors.AlreadyExists: StatusCode.ALREADY_EXISTS,
    errors.FailedPrecondition: StatusCode.FAILED_PRECONDITION,
    errors.PermissionDenied: StatusCode.PERMISSION_DENIED,
    errors.Unauthenticated: StatusCode.UNAUTHENTICATED,
    errors.ResourceExhausted: StatusCode.RESOURCE_EXHAUSTED,
    errors.Aborted: StatusCode.ABORTED,
}


def grpc_error(exc: errors.DomainError) -> GrpcError:
    """The status for a domain error; bad fields also go in a google.rpc.BadRequest."""
    code = next(status for cls, status in STATUS_OF.items() if isinstance(exc, cls))
    status = status_pb2.Status(code=code.value[0], message=str(exc))
    if exc.field:
        detail = any_pb2.Any()
        detail.Pack(error_details_pb2.BadRequest(field_violations=[
            error_details_pb2.BadRequest.FieldViolation(field=exc.field, description=exc.message)
        ]))
        status.details.append(detail)
    return GrpcError(code=code, message=str(exc), status=status)


def as_grpc_error(exc_info) -> GrpcError:
    exc = exc_info[1]
    if isinstance(exc, GrpcError):
        return exc
    if isinstance(exc, errors.DomainError):
        return grpc_error(exc)
    return GrpcError(code=StatusCode.INTERNAL, message="internal error")


class RpcEntrypoint(Grpc):
    """nameko-grpc's entrypoint, answering domain errors with their status.

    Domain errors are expected answers, not faults: nameko logs them at
    WARNING (hidden by kit.logs); anything else it logs at ERROR.
    """

    def __init__(self, stub, expected_exceptions=(errors.DomainError,), **kwargs):
        super().__init__(stub, expected_exceptions=expected_exceptions, **kwargs)
        self.open_streams = {}   # response stream → request stream, of streaming calls

    def handle_request(self, request_stream, response_stream):
        if self.cardinality.name != "UNARY_UNARY":
            self.open_streams[response_stream] = request_stream
        super().handle_request(request_stream, response_stream)

    def stop(self):
        """Ends open streams so a graceful stop does not wait on clients.

        A client-streaming call (a gateway's Ingest) finishes the message in
        hand, answers it, then ends with UNAVAILABLE; a server stream ends
        at once. Clients reconnect to another replica and resume.
        """
        leaving = GrpcError(code=StatusCode.UNAVAILABLE, message="server stopping: reconnect")
        for response_stream, request_stream in list(self.open_streams.items()):
            if self.cardinality.name.startswith("STREAM_"):
                request_stream.close(leaving)
            else:
                response_stream.close(leaving)
        super().stop()

    def handle_result(self, response_stream, worker_ctx, result, exc_info):
        try:
            return self.respond(response_stream, worker_ctx, result, exc_info)
        finally:
            self.open_streams.pop(response_stream, None)

    def respond(self, response_stream, worker_ctx, result, exc_info):
        if exc_info is not None:
            response_stream.close(as_grpc_error(exc_info))
            return result, exc_info
        if self.cardinality.name.endswith("_STREAM"):
            result = self.guard_stream(result, response_stream)
        return super().handle_result(response_stream, worker_ctx, result, exc_info)

    @staticmethod
    def guard_stream(messages, response_stream):
        """Ends a failing server stream with its status, after what it yielded."""
        try:
            yield from messages
        except Exception as exc:
            if not isinstance(exc, (errors.DomainError, GrpcError)):
                log.error("server stream failed", exc_info=True)
            # close() queues the error behind the messages already queued
            response_stream.close(as_grpc_error(sys.exc_info()))


rpc = RpcEntrypoint.implementing


class StreamSender:
    """The send side of a server stream, for pushing messages to it from
    another greenthread while the call's own generator waits: a fan-out to
    thousands of streams then costs a queue put per stream, not a switch
    into each stream's greenthread and through its generators. Messages
    pushed follow whatever the generator yielded before."""
    MAX_BACKLOG_MESSAGES = 10_000
    MAX_BACKLOG_BYTES = 8 * 1024 * 1024

    def __init__(self, context):
        self.stream = context.response_stream

    @property
    def closed(self) -> bool:
        return self.stream.closed

    @property
    def backlogged(self) -> bool:
        """The client reads far behind what is pushed (kit.grpc.patch's send queue)."""
        return (len(self.stream.queue.items) >= self.MAX_BACKLOG_MESSAGES
                or len(self.stream.buffer) >= self.MAX_BACKLOG_BYTES)

    def push(self, message):
        self.stream.queue.put(message)


HEALTH_POLL_SECONDS = 5.0
SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING
health = rpc(health_pb2_grpc.HealthStub)


class HealthMixin:
    """grpc.health.v1.Health for Kubernetes probes.

    Service "liveness" answers SERVING while the process serves requests;
    any other name (readiness, "" or the service's own) also needs the event
    store to answer.
    """

    def health_status(self, service_name):
        if service_name == "liveness":
            return SERVING
        try:
            self.app.recorder.max_notification_id()
            return SERVING
        except Exception:
            log.warning("event store unreachable", exc_info=True)
            return NOT_SERVING

    @health
    def Check(self, request, context):
        return health_pb2.HealthCheckResponse(status=self.health_status(request.service))

    @health
    def Watch(self, request, context):
        last = None
        while True:
            status = self.health_status(request.service)
            if status != last:
                yield health_pb2.HealthCheckResponse(status=status)
                last = status
            eventlet.sleep(HEALTH_POLL_SECONDS)
