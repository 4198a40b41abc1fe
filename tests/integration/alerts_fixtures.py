"""Fixtures for the alerts service's end-to-end tests: the alerts service as a
process beside the real identity and reports services (reports_fixtures), the
sensors service on InfluxDB and the marketplace when a test needs their events, clients of the
server streams, and a tap on the alerts service's event exchange.

One platform serves the whole module, on a RabbitMQ vhost of its own: the
alerts service's durable queues (`evt-sensors--alerts`, ...) must not collect
other modules' sensor and report events, and no other alerts process may
compete with this one for them.
"""
import contextlib
import os
import queue
import threading
import time
import uuid
from datetime import datetime, timezone

import grpc
import psycopg
import pytest
from kombu import Connection, Exchange, Queue

import harness
from kit import envelopes
from kit.client import channel, field_violations, metadata
from marketplace_fixtures import start_marketplace
from reports_fixtures import base_env, root_conftest, start, token
from smartcity.alerts.v1 import alerts_pb2 as pb
from smartcity.alerts.v1 import alerts_pb2_grpc
from smartcity.identity.v1 import identity_pb2 as ipb

ESCALATE_SECONDS = 2            # CASE_ESCALATE_SECONDS of the alerts process
STREAM_DEADLINE = 180           # seconds a test's stream may stay open
# A server stream gives the client no sign that it is open until its first
# item: tests wait this long after opening one before causing what it should see.
STREAM_SETTLE_SECONDS = 1.0
HOUR = 3600


@pytest.fixture(scope="module")
def vhost():
    """Overrides the session's vhost for this module (see the module's docstring)."""
    name = harness.create_vhost()
    yield name
    harness.delete_vhost(name)


# Streams --------------------------------------------------------------------------
class Stream:
    """One server-streaming call, read in a thread: items in arrival order."""

    def __init__(self, call):
        self.call = call
        self.arrived = queue.Queue()
        self.received = []          # every item taken so far
        self.ended = None           # the RpcError that ended the call, if any
        self.read_done = threading.Event()
        threading.Thread(target=self.read, daemon=True).start()

    def read(self):
        try:
            for item in self.call:
                self.arrived.put(item)
        except grpc.RpcError as error:
            self.ended = error
        finally:
            self.read_done.set()

    def next(self, timeout=30):
        try:
            item = self.arrived.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"nothing arrived on the stream in {timeout} s "
                                 f"(ended: {self.ended})") from None
        self.received.append(item)
        return item

    def take(self, count, timeout=30):
        deadline = time.monotonic() + timeout
        return [self.next(max(deadline - time.monotonic(), 0.01)) for _ in range(count)]

    def until(self, predicate, timeout=30):
        """Items up to and including the first one the predicate accepts."""
        deadline = time.monotonic() + timeout
        taken = [self.next(max(deadline - time.monotonic(), 0.01))]
        while not predicate(taken[-1]):
            taken.append(self.next(max(deadline - time.monotonic(), 0.01)))
        return taken

    def quiet_for(self, seconds) -> bool:
        """Whether nothing arrives for that long."""
        try:
            self.received.append(self.arrived.get(timeout=seconds))
            return False
        except queue.Empty:
            return True

    @property
    def last_token(self) -> str:
        return self.received[-1].resume_token

    def cancel(self):
        self.call.cancel()


# The platform ---------------------------------------------------------------------
class AlertsPlatform:
    """The alerts service running beside identity and reports (`reports`)."""

    def __init__(self, reports, service):
        self.reports = reports
        self.identity = reports.identity
        self.service = service
        self.admin = reports.admin
        self.channel = channel(service.target)
        self.stub = alerts_pb2_grpc.AlertsStub(self.channel)

    def close(self):
        self.channel.close()

    def call(self, method, request, token=None, timeout=10):
        return getattr(self.stub, method)(request, metadata=metadata(token), timeout=timeout)

    def follow(self, method, token, resume_token="", settle=True) -> Stream:
        """A FollowWarnings, FollowNotifications or FollowCases stream."""
        stream = Stream(getattr(self.stub, method)(
            pb.FollowRequest(resume_token=resume_token), metadata=metadata(token),
            timeout=STREAM_DEADLINE))
        if settle:
            time.sleep(STREAM_SETTLE_SECONDS)
        return stream

    def refused(self, code, method, request, token=None, field=None) -> grpc.RpcError:
        """Calls and expects `code` (naming `field`), with the event store unchanged."""
        before = self.log_position()
        with pytest.raises(grpc.RpcError) as error:
            self.call(method, request, token=token)
        assert error.value.code() == code, (method, error.value.code(), error.value.details())
        if field is not None:
            assert field in error.value.details(), error.value.details()
            if code == grpc.StatusCode.INVALID_ARGUMENT:
                assert field in [name for name, _ in field_violations(error.value)], \
                    field_violations(error.value)
        assert self.log_position() == before, f"a refused {method} changed the store"
        return error.value

    def log_position(self) -> int:
        """How many events the alerts store holds."""
        dsn, schema = self.service.env["EVENT_STORE_URL"].split("?schema=")
        with psycopg.connect(dsn) as conn:
            return conn.execute(
                f'SELECT count(*) FROM "{schema}".alertsapplication_events').fetchone()[0]

    def eventually(self, predicate, message="the read model to catch up", timeout=20):
        return harness.wait_for(predicate, timeout=timeout, interval=0.1, message=message)

    # People ------------------------------------------------------------------------
    def citizen(self):
        return self.reports.citizen()

    def operator(self):
        return self.reports.operator()

    def subscribe(self, token, **place) -> pb.Subscription:
        return self.call("Subscribe", pb.SubscribeRequest(**place), token=token)

    # Warnings ----------------------------------------------------------------------
    def publish(self, drafter, approver, infos, **fields) -> pb.Warning:
        """An operator's Alert, drafted by one operator and approved by another."""
        draft = self.call("DraftWarning", pb.DraftWarningRequest(
            status=fields.get("status", "Actual"), msg_type="Alert",
            scope=fields.get("scope", "Public"), infos=infos), token=token(drafter))
        return self.approve(approver, draft)

    def approve(self, approver, warning) -> pb.Warning:
        return self.call("ApproveWarning", ref(warning), token=token(approver))


def ref(warning) -> pb.WarningRef:
    return pb.WarningRef(warning_id=warning.id)


def timestamp(epoch_seconds: float):
    moment = pb.Info().expires
    moment.FromDatetime(datetime.fromtimestamp(epoch_seconds, timezone.utc))
    return moment


def circle(latitude, longitude, radius_km) -> pb.Circle:
    return pb.Circle(latitude=latitude, longitude=longitude, radius_km=radius_km)


def area(description="Khu vực cảnh báo", **shapes) -> pb.Area:
    return pb.Area(description=description, **shapes)


def infos(headline="Lũ trên sông Cầu", severity="Severe", areas=None, hours=12) -> list:
    """A Vietnamese and an English info block over the same areas."""
    areas = areas or [area(unit_codes=["19"])]
    common = dict(categories=["Met"], response_types=["Prepare"], urgency="Immediate",
                  severity=severity, certainty="Observed", expires=timestamp(
                      time.time() + hours * HOUR), areas=areas)
    return [pb.Info(language="vi-VN", event="Lũ", headline=headline,
                    description="Mực nước sông Cầu lên nhanh.", **common),
            pb.Info(language="en-US", event="Flood", headline=f"{headline} (en)",
                    description="The Cau river is rising fast.", **common)]


@pytest.fixture(scope="module")
def alerts_platform(request, reports_platform, tmp_path_factory, postgres_db, vhost):
    conftest = root_conftest(request.config)
    scratch = tmp_path_factory.mktemp("alerts-platform")
    env = base_env(conftest, scratch, postgres_db, vhost, "alerts",
                   IDENTITY_GRPC_TARGET=reports_platform.identity.service.target,
                   CASE_ESCALATE_SECONDS=str(ESCALATE_SECONDS))
    with contextlib.ExitStack() as stack:
        service = start(env, stack, "alerts.service:AlertsService", scratch / "alerts.log")
        platform = AlertsPlatform(reports_platform, service)
        stack.callback(platform.close)
        yield platform


@pytest.fixture(scope="module")
def market(request, alerts_platform, tmp_path_factory, postgres_db, vhost):
    """The marketplace on the alerts platform's identity, publishing on its vhost."""
    scratch = tmp_path_factory.mktemp("alerts-marketplace")
    with contextlib.ExitStack() as stack:
        yield start_marketplace(root_conftest(request.config), scratch, postgres_db, vhost,
                                alerts_platform.identity, stack)


# The sensors service ------------------------------------------------------------------
def integration_conftest(config):
    """tests/integration/conftest.py as pytest loaded it (SensorsPlatform lives there)."""
    path = os.path.join(harness.ROOT, "tests", "integration", "conftest.py")
    return next(plugin for plugin in config.pluginmanager.get_plugins()
                if getattr(plugin, "__file__", None) == path)


@pytest.fixture(scope="module")
def sensors_service(request, alerts_platform, influxdb, tmp_path_factory, postgres_db, vhost):
    """The sensors service on InfluxDB, trusting the alerts platform's identity, with
    one gateway machine: tests/integration/conftest.py's sensors_platform, but for
    the whole module and this identity."""
    scratch = tmp_path_factory.mktemp("alerts-sensors")
    identity, admin = alerts_platform.identity, alerts_platform.admin
    gateway = identity.call("RegisterMachine", ipb.RegisterMachineRequest(
        name=f"gateway-{uuid.uuid4().hex[:6]}", kind="gateway"), token=admin.access_token)
    database = influxdb.create_database()
    env = base_env(root_conftest(request.config), scratch, postgres_db, vhost, "sensors",
                   IDENTITY_GRPC_TARGET=identity.service.target, INFLUX_URL=influxdb.url,
                   INFLUX_BUCKET=database, SENSORS_SPOOL_FILE=str(scratch / "spool.db"))
    with contextlib.ExitStack() as stack:
        service = start(env, stack, "sensors.service:SensorsService", scratch / "sensors.log")
        yield integration_conftest(request.config).SensorsPlatform(
            identity, service, admin, (gateway.client_id, gateway.client_secret), database)


# The alerts service's integration events -------------------------------------------------
class EventTap:
    """A queue bound to alerts.events, every routing key."""

    def __init__(self, vhost):
        self.connection = Connection(harness.amqp_uri(vhost))
        self.queue = Queue(f"tap-{uuid.uuid4().hex[:8]}", exchange=Exchange(
            "alerts.events", type="topic", durable=True), routing_key="#", auto_delete=True)
        self.queue(self.connection.default_channel).declare()
        self.seen = []          # every envelope received so far

    def payload(self, message_class, accept, timeout=30):
        """The first payload of this type that accept(payload) takes."""
        deadline = time.monotonic() + timeout
        while True:
            for envelope in self.seen:
                if envelope.event_type == message_class.DESCRIPTOR.full_name:
                    payload = envelopes.unpack(envelope, message_class)
                    if accept(payload):
                        return payload
            if time.monotonic() > deadline:
                raise AssertionError(f"no matching {message_class.DESCRIPTOR.name} on "
                                     "alerts.events")
            message = self.queue(self.connection.default_channel).get(no_ack=True)
            if message is None:
                time.sleep(0.05)
            else:
                self.seen.append(envelopes.decode(message.body))

    def close(self):
        self.connection.release()


@pytest.fixture
def alerts_tap(vhost):
    tap = EventTap(vhost)
    yield tap
    tap.close()
