"""The sender: streams the spool to the sensors service and forgets what the
service acknowledges.

A session is: an access token, GetIngestPosition, then one Ingest stream of
the readings after that position, in batches, each acknowledged with the
highest sequence number the service has stored. Any failure ends the session;
the next starts, after a bounded and jittered back-off, from the service's
position again, so nothing acknowledged is sent twice and nothing
unacknowledged is lost. A session also ends, cleanly, when the token is due
for renewal: the next stream carries the new token.
"""
import logging
import random
import threading
import time
from collections import Counter

import grpc
from google.protobuf.timestamp_pb2 import Timestamp
from smartcity.identity.v1 import identity_pb2, identity_pb2_grpc
from smartcity.sensors.v1 import sensors_pb2 as pb
from smartcity.sensors.v1 import sensors_pb2_grpc

from gateway.simulator import CAMERA, SensorSpec
from gateway.spool import Spool, Spooled
from kit.client import metadata

log = logging.getLogger(__name__)

CALL_TIMEOUT_SECONDS = 10
RENEW_MARGIN_SECONDS = 60        # renew this long before expiry (half the lifetime at most)
RENEW_RETRY_SECONDS = 15         # identity unreachable: try again after this, token permitting
WAKE_SECONDS = 0.25              # how often a waiting stream checks whether it should end
ACK_TIMEOUT_SECONDS = 60         # a batch unacknowledged this long: the connection is dead
# grpc's own reconnection backs off up to 120 s, failing calls at once meanwhile: after a
# long outage the gateway would ignore a service that is back for minutes (measured).
CHANNEL_OPTIONS = [("grpc.enable_retries", 1), ("grpc.max_reconnect_backoff_ms", 5000)]


def channel(target: str) -> grpc.Channel:
    return grpc.insecure_channel(target, options=CHANNEL_OPTIONS)


class TokenUnavailable(Exception):
    """No valid access token: identity refused or could not be reached."""


class StreamEnded(Exception):
    """The service ended the stream unasked."""


class MachineToken:
    """The gateway's access token (Identity.IssueMachineToken), renewed before it
    expires. While identity cannot be reached the current token is used as long
    as it is valid."""

    def __init__(self, identity_target: str, client_id: str, client_secret: str,
                 clock=time.monotonic):
        self.client_id = client_id
        self._secret = client_secret
        self._clock = clock
        self._channel = channel(identity_target)
        self._stub = identity_pb2_grpc.IdentityStub(self._channel)
        self._lock = threading.Lock()
        self._token: str | None = None
        self._renew_at = self._expires_at = 0.0

    def get(self) -> str:
        with self._lock:
            if self._token is None or self._clock() >= self._renew_at:
                self._renew()
            return self._token

    def renewal_due(self) -> bool:
        return self._clock() >= self._renew_at

    def forget(self):
        """The service refused the token: get() asks for another."""
        with self._lock:
            self._token = None

    def close(self):
        self._channel.close()

    def _renew(self):
        asked_at = self._clock()
        try:
            session = self._stub.IssueMachineToken(identity_pb2.IssueMachineTokenRequest(
                client_id=self.client_id, client_secret=self._secret), metadata=metadata(),
                timeout=CALL_TIMEOUT_SECONDS)
        except grpc.RpcError as error:
            self._keep_current(asked_at, error)
            return
        lifetime = session.expires_in_seconds
        self._token = session.access_token
        self._expires_at = asked_at + lifetime
        self._renew_at = asked_at + max(lifetime - RENEW_MARGIN_SECONDS, lifetime / 2)

    def _keep_current(self, now: float, error: grpc.RpcError):
        left = self._expires_at - now
        if self._token is None or left < CALL_TIMEOUT_SECONDS:
            raise TokenUnavailable(f"{error.code().name}: {error.details()}") from None
        self._renew_at = now + min(RENEW_RETRY_SECONDS, left / 2)
        log.warning("could not renew the access token (%s: %s); the current one lasts "
                    "%.0f s more", error.code().name, error.details(), left)


class Backoff:
    """Bounded exponential back-off with jitter, so that gateways do not all
    reconnect at the same moment after an outage."""

    def __init__(self, first: float = 0.5, cap: float = 30.0, rng=random.random):
        self.first, self.cap, self.rng = first, cap, rng
        self.failures = 0

    def next_delay(self) -> float:
        ceiling = min(self.cap, self.first * 2 ** self.failures)
        self.failures += 1
        return ceiling / 2 + self.rng() * ceiling / 2

    def reset(self):
        self.failures = 0


def to_proto(item: Spooled) -> pb.Reading:
    reading = item.reading
    stamp = Timestamp()
    stamp.FromDatetime(reading.time)
    return pb.Reading(seq=item.seq, sensor_id=reading.sensor_id, kind=reading.kind,
                      value=reading.value, unit=reading.unit, time=stamp, label=reading.label)


class BatchStream:
    """The Ingest request stream: pending readings in batches of batch_size, or
    fewer once flush_seconds have passed, with at most max_in_flight batches
    unacknowledged. grpcio pulls it from a thread of its own."""

    def __init__(self, spool: Spool, position: int, batch_size: int, flush_seconds: float,
                 max_in_flight: int, should_end):
        self.spool = spool
        self.sent_up_to = position
        self.batch_size, self.flush_seconds, self.max_in_flight = (
            batch_size, flush_seconds, max_in_flight)
        self.should_end = should_end
        self._in_flight = 0
        self._progress_at = time.monotonic()   # the latest ack, or the send that ended a lull
        self._closed = False
        self._changed = threading.Condition()

    def __iter__(self):
        while self._window_open():
            readings = self._collect()
            if not readings:
                return
            self.sent_up_to = readings[-1].seq
            with self._changed:
                if not self._in_flight:
                    self._progress_at = time.monotonic()
                self._in_flight += 1
            yield pb.ReadingBatch(readings=[to_proto(item) for item in readings])

    def acknowledged(self):
        with self._changed:
            self._in_flight -= 1
            self._progress_at = time.monotonic()
            self._changed.notify_all()

    def wait_stalled(self, ack_timeout: float) -> bool:
        """Waits until the stream closes (False) or its oldest unacknowledged
        batch has waited ack_timeout (True): a connection can die silently."""
        with self._changed:
            while not self._closed:
                if self._in_flight and time.monotonic() - self._progress_at > ack_timeout:
                    return True
                self._changed.wait(1.0)
        return False

    def close(self):
        with self._changed:
            self._closed = True
            self._changed.notify_all()

    def _ended(self) -> bool:
        return self._closed or self.should_end()

    def _window_open(self) -> bool:
        with self._changed:
            while self._in_flight >= self.max_in_flight and not self._ended():
                self._changed.wait(WAKE_SECONDS)
        return not self._ended()

    def _collect(self) -> list[Spooled]:
        """A full batch at once, or what is pending once flush_seconds have passed."""
        flush_at = None
        while not self._ended():
            ready = self.spool.pending(self.sent_up_to, self.batch_size)
            now = time.monotonic()
            if ready and flush_at is None:
                flush_at = now + self.flush_seconds
            if len(ready) == self.batch_size or (ready and now >= flush_at):
                return ready
            wait = WAKE_SECONDS if flush_at is None else min(WAKE_SECONDS, flush_at - now)
            self.spool.wait_for_pending(self.sent_up_to, self.batch_size, wait)
        return []


class Sender:
    """Streams the spool to the sensors service until stopped, through any
    failure of the service or of identity."""

    def __init__(self, spool: Spool, sensors_target: str, tokens: MachineToken,
                 batch_size: int = 500, flush_seconds: float = 1.0, max_in_flight: int = 4,
                 ack_timeout: float = ACK_TIMEOUT_SECONDS, backoff: Backoff | None = None):
        self.spool = spool
        self.tokens = tokens
        self.batch_size, self.flush_seconds, self.max_in_flight = (
            batch_size, flush_seconds, max_in_flight)
        self.ack_timeout = ack_timeout
        self.backoff = backoff or Backoff()
        self._channel = channel(sensors_target)
        self._stub = sensors_pb2_grpc.SensorsStub(self._channel)
        self._call = None
        self._call_lock = threading.Lock()
        self.acked_seq = 0              # the service's position, as last heard
        self.accepted = 0
        self.rejected = Counter()       # reason → readings

    def run(self, stop: threading.Event):
        while not stop.is_set():
            try:
                self._session(stop)
            except Exception as error:  # the sender must outlive any failure
                self._failed(error, stop)

    def cancel(self):
        """Abandons the current stream: for a shutdown that cannot wait for acks."""
        with self._call_lock:
            if self._call is not None:
                self._call.cancel()

    def close(self):
        self._channel.close()

    def _session(self, stop: threading.Event):
        token = self.tokens.get()
        position = self._stub.GetIngestPosition(pb.GetIngestPositionRequest(),
                                                metadata=metadata(token),
                                                timeout=CALL_TIMEOUT_SECONDS).acked_seq
        self.acked_seq = position
        self.spool.align(position)
        stream = BatchStream(self.spool, position, self.batch_size, self.flush_seconds,
                             self.max_in_flight,
                             should_end=lambda: stop.is_set() or self.tokens.renewal_due())
        with self._call_lock:
            self._call = call = self._stub.Ingest(iter(stream), metadata=metadata(token))
        threading.Thread(target=self._watch, args=(stream, call), name="ack-watchdog",
                         daemon=True).start()
        try:
            for ack in call:
                stream.acknowledged()
                self._apply(ack)
        finally:
            stream.close()
            with self._call_lock:
                self._call = None
        if not (stop.is_set() or self.tokens.renewal_due()):
            raise StreamEnded("the service ended the stream")

    def _watch(self, stream: BatchStream, call):
        if stream.wait_stalled(self.ack_timeout):
            log.warning("no acknowledgement for %.0f s: abandoning the stream", self.ack_timeout)
            call.cancel()

    def _apply(self, ack: pb.IngestAck):
        self.spool.acknowledge(ack.acked_seq)
        self.acked_seq = ack.acked_seq
        self.accepted += ack.accepted
        if ack.rejected:
            self.rejected.update(dict(ack.rejected))
            log.warning("the service rejected readings up to seq %d: %s", ack.acked_seq,
                        dict(ack.rejected))
        self.backoff.reset()

    def _failed(self, error: Exception, stop: threading.Event):
        delay = self.backoff.next_delay()
        if isinstance(error, grpc.RpcError):
            if error.code() == grpc.StatusCode.UNAUTHENTICATED:
                self.tokens.forget()
            log.warning("ingestion interrupted (%s: %s); again in %.1f s",
                        error.code().name, error.details(), delay)
        elif isinstance(error, TokenUnavailable):
            log.warning("no access token (%s); again in %.1f s", error, delay)
        elif isinstance(error, StreamEnded):
            log.warning("%s; again in %.1f s", error, delay)
        else:
            log.exception("ingestion failed; again in %.1f s", delay)
        stop.wait(delay)


# Registry -------------------------------------------------------------------------------
def register_request(spec: SensorSpec, gateway_id: str) -> pb.RegisterSensorRequest:
    family = pb.CAMERA if spec.family == CAMERA else pb.ENVIRONMENTAL
    return pb.RegisterSensorRequest(
        id=spec.id, family=family, kinds=spec.kinds, latitude=spec.latitude,
        longitude=spec.longitude, unit_code=spec.unit_code, gateway_id=gateway_id,
        name=spec.name)


def register_fleet(sensors_target: str, operator_token: str, gateway_id: str,
                   fleet: list[SensorSpec]) -> int:
    """Registers the fleet's sensors for this gateway; how many were new (those
    registered already are left as they are)."""
    with channel(sensors_target) as sensors:
        stub = sensors_pb2_grpc.SensorsStub(sensors)
        new = 0
        for spec in fleet:
            try:
                stub.RegisterSensor(register_request(spec, gateway_id),
                                    metadata=metadata(operator_token),
                                    timeout=CALL_TIMEOUT_SECONDS)
                new += 1
            except grpc.RpcError as error:
                if error.code() != grpc.StatusCode.ALREADY_EXISTS:
                    raise
    return new
