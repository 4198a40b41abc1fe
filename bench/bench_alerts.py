"""Alerts delivery: one warning fanned out to 10,000 subscriptions on open
streams, and sensor events on RabbitMQ → warnings on subscribers' streams.

    .venv/bin/python bench/bench_alerts.py [--subscribers N] [--processes P] [--quick]

Starts identity and ONE alerts service process (MAX_WORKERS=12000) on a
throw-away PostgreSQL database and RabbitMQ vhost, then:

1. subscribers: N citizens (default 10,000), one place each, spread over the
   province's 92 communes: a home commune, a current location or a drawn
   circle, in turn. Their access tokens are signed by this process with
   identity's own key ring (the JWT_SIGNING_KEYS_FILE it gives identity), for
   person ids identity never registered: the alerts service verifies tokens
   locally with identity's published public keys, so it cannot tell, and
   10,000 registrations with OTP sign-in would take most of the run. The
   places go in through the Subscribe RPC. P load processes (grpc.aio, default
   4) subscribe their share, then open one FollowWarnings stream per citizen,
   OPENS_PER_SECOND in all, at most STREAMS_PER_CONNECTION per HTTP/2
   connection (the server's h2 allows 100 concurrent streams on one). The
   streams carry no deadline, as an app's long-lived subscription would not:
   with one, each holds a server-side watcher that wakes every 50 ms
   (kit.grpc.patch), and 10,000 of those saturate the service.
2. fan-out: marker warnings until every stream has received one (so every
   stream is open), then ROUNDS warnings covering the province ("19"),
   drafted and approved by two IOC operators (real identity sessions). Per
   subscriber: ApproveWarning sent → the warning read from the stream.
3. sensor events: ThresholdBreached and ThresholdCleared envelopes as the
   sensors service publishes them (exchange sensors.events, routing key = type
   name), RATE a second, a breach and then its clear for one sensor after
   another, each sensor of its own at a commune centre, on the shipped
   flood-cau-gia-bay mapping (a circle around the sensor). Per delivery:
   publish → the warning (published, then ended) read from every stream whose
   place the circle touches, computed with the service's own geometry
   (alerts.cap) to know who must receive it.

Times are CLOCK_MONOTONIC, one clock for every process on the machine; a
receipt is stamped when the load process's event loop reads the message, so
the load processes' own queueing is inside the figures.
"""
import argparse
import asyncio
import collections
import contextlib
import math
import multiprocessing
import queue
import random
import sys
import threading
import time
import traceback
import uuid
from dataclasses import dataclass, field

import grpc
import grpc.aio
from kombu import Connection, Exchange, Producer

from _common import (IDENTITY, cpu_seconds, harness, infrastructure, machine_busy_seconds,
                     percentile, rss_mib, running)
from alerts import cap
from alerts.warnings import load_warning_rules
from google.protobuf.timestamp_pb2 import Timestamp
from kit import envelopes
from kit.adminunits import AdministrativeUnits
from kit.auth import KeyRing, Kind, Principal, Role, RoleGrant, issue_access_token
from kit.client import channel, metadata
from kit.geography import Locator
from smartcity.alerts.v1 import alerts_pb2 as pb
from smartcity.alerts.v1 import alerts_pb2_grpc
from smartcity.events.v1 import envelope_pb2
from smartcity.events.v1 import sensors_pb2 as sensor_events
from smartcity.identity.v1 import identity_pb2 as ipb

ALERTS = "alerts.service:AlertsService"
PROVINCE = "19"
FLOOD_MAPPING, FLOOD_RULE = "flood-cau-gia-bay", "flood-stage-cau-gia-bay"
CHEAP_HASH = {"PASSWORD_HASH_MEMORY_KIB": "1024", "PASSWORD_HASH_TIME_COST": "1"}
LOOPBACK = {"GRPC_BIND_HOST": "127.0.0.1"}

DEFAULT_SUBSCRIBERS, QUICK_SUBSCRIBERS = 10_000, 1_000
DEFAULT_PROCESSES, QUICK_PROCESSES = 4, 2
DEFAULT_ROUNDS, QUICK_ROUNDS = 3, 2
DEFAULT_SENSOR_SECONDS, QUICK_SENSOR_SECONDS = 30, 10
RATE = 1.0                       # sensor events a second
STREAMS_PER_CONNECTION = 90
SUBSCRIBE_CONCURRENCY = 16       # Subscribe calls in flight per load process
OPENS_PER_SECOND = 500           # streams opened, all load processes together
FLUSH_SECONDS = 0.05             # load processes report receipts this often
SETUP_TIMEOUT = 600              # subscribing and opening every stream
MARKERS = 8                      # at most, while waiting for every stream to open
MARKER_WAIT = 30                 # seconds for each marker to reach every stream
ROUND_TIMEOUT = 60
OPERATOR_TIMEOUT = 120           # an operator's call to a busy service
DRAIN_SECONDS = 20               # after the last sensor event
IDLE_SECONDS = 5                 # measuring the service holding its streams, idle
PLACE_KINDS = ("home_commune", "current_location", "area")
FIRST_PHONE = 912_100_000

TARGET_FAN_OUT_P99 = 1.0
TARGET_SENSOR_P99 = 2.0


# Subscribers -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Subscriber:
    index: int
    token: str
    request: dict        # SubscribeRequest fields
    place: dict          # the place as the alerts service keeps it


def subscriber_place(index: int, communes: list) -> tuple[dict, dict]:
    """(SubscribeRequest fields, the place as stored) of subscriber `index`."""
    commune = communes[index % len(communes)]
    jitter = random.Random(index)
    latitude = commune.latitude + jitter.uniform(-0.01, 0.01)
    longitude = commune.longitude + jitter.uniform(-0.01, 0.01)
    kind = PLACE_KINDS[index % len(PLACE_KINDS)]
    if kind == "home_commune":
        return {"kind": kind, "unit_code": commune.code}, {"kind": kind,
                                                            "unit_code": commune.code}
    if kind == "current_location":
        return ({"kind": kind, "location": {"latitude": latitude, "longitude": longitude}},
                {"kind": kind, "point": (latitude, longitude)})
    circle = {"latitude": latitude, "longitude": longitude, "radius_km": 1.0}
    return {"kind": kind, "circle": circle}, {"kind": kind, "circle": circle}


def citizen_token(ring: KeyRing) -> str:
    """A citizen's access token for a person id identity never registered."""
    return issue_access_token(ring, Principal(
        subject=str(uuid.uuid4()), kind=Kind.PERSON, roles=(RoleGrant(Role.CITIZEN),),
        assurance_level=1))


def planned_subscribers(count: int, keys_file: str, communes: list) -> list[Subscriber]:
    with open(keys_file, encoding="utf-8") as file:
        ring = KeyRing.loads(file.read())
    return [Subscriber(index, citizen_token(ring), *subscriber_place(index, communes))
            for index in range(count)]


# The load processes (grpc.aio) ---------------------------------------------------------------
class StreamHolder:
    """One load process: subscribes its citizens, then holds one FollowWarnings
    stream each, reporting every receipt (subscriber, warning id, state,
    source, time) to the bench in batches."""

    def __init__(self, target, subscribers, outbox, commands, opens_per_second):
        self.target = target
        self.subscribers = subscribers
        self.opens_per_second = opens_per_second
        self.outbox = outbox
        self.commands = commands
        self.receipts = []
        self.channels = []

    def stub(self, position: int):
        return alerts_pb2_grpc.AlertsStub(self.channels[position // STREAMS_PER_CONNECTION])

    async def run(self):
        # aio channels belong to the loop they were made in: asyncio.run's
        self.channels = [grpc.aio.insecure_channel(self.target, options=[
            ("grpc.use_local_subchannel_pool", 1)])
            for _ in range(math.ceil(len(self.subscribers) / STREAMS_PER_CONNECTION))]
        subscribed = await self.subscribe_all()
        self.outbox.put(("subscribed", subscribed))
        flusher = asyncio.create_task(self.flush_every(FLUSH_SECONDS))
        streams = await self.open_streams()
        self.outbox.put(("streaming", len(streams)))
        await asyncio.get_running_loop().run_in_executor(None, self.commands.get)
        for task in (*streams, flusher):
            task.cancel()
        await asyncio.gather(*streams, flusher, return_exceptions=True)
        self.flush()
        for open_channel in self.channels:
            await open_channel.close()

    async def subscribe_all(self) -> dict:
        gate = asyncio.Semaphore(SUBSCRIBE_CONCURRENCY)
        failures, started = [], time.monotonic()

        async def subscribe(position, subscriber):
            async with gate:
                try:
                    await self.stub(position).Subscribe(
                        pb.SubscribeRequest(**subscriber.request),
                        metadata=metadata(subscriber.token), timeout=60)
                except grpc.aio.AioRpcError as error:
                    failures.append(f"{error.code().name}: {error.details()}")

        await asyncio.gather(*(subscribe(position, subscriber)
                               for position, subscriber in enumerate(self.subscribers)))
        return {"count": len(self.subscribers) - len(failures), "failures": failures[:5],
                "failed": len(failures), "seconds": time.monotonic() - started}

    async def open_streams(self) -> list:
        """One stream per subscriber, opened at a steady pace as clients would come."""
        streams, start = [], time.monotonic()
        for position, subscriber in enumerate(self.subscribers):
            await asyncio.sleep(max(start + position / self.opens_per_second
                                    - time.monotonic(), 0))
            streams.append(asyncio.create_task(self.follow(position, subscriber)))
        return streams

    async def follow(self, position, subscriber):
        # no deadline, as an app's long-lived subscription: on the server each call
        # with one holds a watcher waking every 50 ms (kit.grpc.patch)
        call = self.stub(position).FollowWarnings(pb.FollowRequest(),
                                                  metadata=metadata(subscriber.token))
        try:
            async for delivery in call:
                self.receipts.append((subscriber.index, delivery.warning.id,
                                      delivery.warning.state, delivery.warning.source,
                                      time.monotonic()))
        except grpc.aio.AioRpcError as error:
            self.outbox.put(("ended", subscriber.index, error.code().name, error.details()))

    async def flush_every(self, seconds):
        while True:
            await asyncio.sleep(seconds)
            self.flush()

    def flush(self):
        if self.receipts:
            batch, self.receipts = self.receipts, []
            self.outbox.put(("receipts", batch))


def hold_streams(target, subscribers, outbox, commands, opens_per_second):
    try:
        asyncio.run(StreamHolder(target, subscribers, outbox, commands, opens_per_second).run())
    except BaseException:
        outbox.put(("failed", traceback.format_exc()))


@dataclass
class Receipts:
    """What the load processes report, gathered by a thread of this process."""
    times: dict = field(default_factory=dict)       # (warning id, state) → {subscriber: time}
    sources: dict = field(default_factory=dict)     # warning id → its source
    duplicates: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, batch):
        with self.lock:
            for index, warning_id, state, source, moment in batch:
                arrivals = self.times.setdefault((warning_id, state), {})
                self.duplicates += index in arrivals
                arrivals.setdefault(index, moment)
                self.sources[warning_id] = source

    def of(self, warning_id: str, state: str) -> dict:
        with self.lock:
            return dict(self.times.get((warning_id, state), {}))

    def warning_of(self, source: str) -> str | None:
        with self.lock:
            return next((w for w, s in self.sources.items() if s == source), None)

    def wait(self, warning_id: str, state: str, expected: set, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not expected <= self.of(warning_id, state).keys():
            time.sleep(0.05)
        return self.of(warning_id, state)


class LoadProcesses:
    """P spawned processes (grpcio does not survive fork) sharing the subscribers."""

    def __init__(self, target: str, subscribers: list[Subscriber], count: int):
        context = multiprocessing.get_context("spawn")
        self.outbox = context.Queue()
        self.commands = [context.Queue() for _ in range(count)]
        self.processes = [context.Process(target=hold_streams, daemon=True, args=(
            target, subscribers[index::count], self.outbox, self.commands[index],
            OPENS_PER_SECOND / count)) for index in range(count)]
        self.receipts = Receipts()
        self.ended = []          # (subscriber, code, details) of streams the service ended
        self.reports = []        # (kind, payload) of the processes' other reports
        self.collector = threading.Thread(target=self.collect, daemon=True)
        self.stopping = threading.Event()

    def start(self):
        for process in self.processes:
            process.start()
        self.collector.start()

    def collect(self):
        while not self.stopping.is_set():
            try:
                kind, *payload = self.outbox.get(timeout=0.2)
            except queue.Empty:
                continue
            if kind == "receipts":
                self.receipts.add(payload[0])
            elif kind == "ended":
                self.ended.append(tuple(payload))
            else:
                self.reports.append((kind, payload))

    def reported(self, kind: str, timeout: float) -> list:
        """Every process's report of this kind, waiting for them."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            failed = [p for k, p in self.reports if k == "failed"]
            if failed:
                raise SystemExit(f"a load process failed:\n{failed[0][0]}")
            found = [p[0] for k, p in self.reports if k == kind]
            if len(found) == len(self.processes):
                return found
            time.sleep(0.1)
        raise SystemExit(f"load processes: not every '{kind}' report within {timeout:.0f} s")

    def stop(self):
        for commands in self.commands:
            commands.put("stop")
        for process in self.processes:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
                process.join()
        self.stopping.set()


@contextlib.contextmanager
def load_processes(target: str, subscribers: list[Subscriber], count: int):
    load = LoadProcesses(target, subscribers, count)
    try:
        load.start()
        yield load
    finally:
        load.stop()


# The platform ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Platform:
    alerts: harness.ServiceProcess
    keys_file: str
    operators: tuple     # two operators' access tokens


def operator_token(identity: harness.IdentityClient, admin_token: str, number: int) -> str:
    """An IOC operator registered, granted the role and signed in through identity."""
    phone, cccd = f"0{FIRST_PHONE + number}", f"00109099{number:04d}"
    person = identity.register(phone, cccd)
    identity.call("GrantRole", ipb.RoleRequest(person_id=person.id, grant=ipb.RoleGrant(
        role="ioc_operator")), token=admin_token)
    identity.call("RequestOtp", ipb.RequestOtpRequest(phone=phone))
    return identity.sign_in_with_otp(phone).access_token


@contextlib.contextmanager
def platform(infra):
    with contextlib.ExitStack() as stack:
        identity_env = infra.identity_env("identity", BOOTSTRAP_ADMIN_PHONE=harness.ADMIN_PHONE,
                                          **CHEAP_HASH, **LOOPBACK)
        identity = stack.enter_context(running(harness.ServiceProcess(
            IDENTITY, identity_env, infra.log_path("identity"))))
        client = harness.IdentityClient(identity, identity_env["OTP_OUTBOX_FILE"])
        stack.callback(client.close)
        admin_token = client.admin_session().access_token
        operators = tuple(operator_token(client, admin_token, n) for n in (1, 2))
        alerts_env = infra.service_env("alerts", IDENTITY_GRPC_TARGET=identity.target,
                                       MAX_WORKERS="12000", **LOOPBACK)
        alerts = stack.enter_context(running(harness.ServiceProcess(
            ALERTS, alerts_env, infra.log_path("alerts"))))
        yield Platform(alerts, identity_env["JWT_SIGNING_KEYS_FILE"], operators)


# Measuring -------------------------------------------------------------------------------
class CpuWindow:
    """Cores the service and the whole machine kept busy since it was made."""

    def __init__(self, pid: int):
        self.pid = pid
        self.service, self.machine = cpu_seconds(pid), machine_busy_seconds()
        self.started = time.monotonic()

    def cores(self) -> str:
        wall = time.monotonic() - self.started
        return (f"service {(cpu_seconds(self.pid) - self.service) / wall:.2f} cores, machine "
                f"{(machine_busy_seconds() - self.machine) / wall:.2f} of 2")


# Fan-out ---------------------------------------------------------------------------------
def province_infos(headline: str) -> list[pb.Info]:
    expires = Timestamp()
    expires.FromSeconds(int(time.time()) + 6 * 3600)
    common = dict(categories=["Met"], response_types=["Prepare"], urgency="Immediate",
                  severity="Severe", certainty="Observed", expires=expires,
                  areas=[pb.Area(description="Toàn tỉnh Thái Nguyên", unit_codes=[PROVINCE])])
    return [pb.Info(language="vi-VN", event="Bão", headline=headline,
                    description="Bão đổ bộ vào tỉnh.", **common),
            pb.Info(language="en-US", event="Storm", headline=headline,
                    description="A storm reaches the province.", **common)]


class Operators:
    """Two operators on one channel: one drafts, the other approves."""

    def __init__(self, target: str, tokens: tuple):
        self.channel = channel(target)
        self.stub = alerts_pb2_grpc.AlertsStub(self.channel)
        self.drafter, self.approver = tokens

    def publish(self, headline: str) -> tuple[str, float, float]:
        """(warning id, when ApproveWarning was sent, how long it took)."""
        draft = self.stub.DraftWarning(pb.DraftWarningRequest(
            status="Exercise", msg_type="Alert", scope="Public",
            infos=province_infos(headline)), metadata=metadata(self.drafter),
            timeout=OPERATOR_TIMEOUT)
        sent = time.monotonic()
        self.stub.ApproveWarning(pb.WarningRef(warning_id=draft.id),
                                 metadata=metadata(self.approver), timeout=OPERATOR_TIMEOUT)
        return draft.id, sent, time.monotonic() - sent

    def close(self):
        self.channel.close()


def wait_until_every_stream_is_open(operators: Operators, receipts: Receipts,
                                    everyone: set) -> tuple[int, set]:
    """Publishes markers until each stream has received one: (markers, streams reached)."""
    reached = set()
    for number in range(1, MARKERS + 1):
        warning_id, _, _ = operators.publish(f"Đánh dấu {number}")
        reached |= receipts.wait(warning_id, "published", everyone - reached,
                                 MARKER_WAIT).keys()
        if reached >= everyone:
            return number, reached
    return MARKERS, reached


@dataclass
class Round:
    delays: list         # seconds, approval sent → receipt, per subscriber reached
    expected: int
    approve_seconds: float
    cpu: str             # cores busy meanwhile


def fan_out_round(operators: Operators, receipts: Receipts, everyone: set, number: int,
                  service_pid: int) -> Round:
    window = CpuWindow(service_pid)
    warning_id, sent, approve_seconds = operators.publish(f"Bão số {number}")
    arrivals = receipts.wait(warning_id, "published", everyone, ROUND_TIMEOUT)
    return Round([arrivals[i] - sent for i in everyone if i in arrivals], len(everyone),
                 approve_seconds, window.cores())


# Sensor events -----------------------------------------------------------------------------
@dataclass(frozen=True)
class SensorEvent:
    sensor_id: str
    location: sensor_events.SensorLocation
    breach: bool

    @property
    def state(self) -> str:
        return "published" if self.breach else "ended"

    def payload(self):
        if self.breach:
            return sensor_events.ThresholdBreached(
                sensor=self.location, kind="water_level", rule=FLOOD_RULE, level="báo động I",
                severity=2, value=25.2, threshold=25.0)
        return sensor_events.ThresholdCleared(sensor=self.location, kind="water_level",
                                              rule=FLOOD_RULE, value=24.8)


def planned_sensor_events(count: int, communes: list) -> list[SensorEvent]:
    """A breach then its clear, for one sensor after another, each at a commune centre."""
    events = []
    for number in range(math.ceil(count / 2)):
        commune = communes[number * 7 % len(communes)]
        location = sensor_events.SensorLocation(
            sensor_id=f"bench-wl-{number:03d}", latitude=commune.latitude,
            longitude=commune.longitude, unit_code=commune.code)
        events += [SensorEvent(location.sensor_id, location, breach) for breach in (True, False)]
    return events[:count]


def envelope(payload, source="sensors", event_id=None) -> bytes:
    """An integration event as `source`'s outbox relay publishes it."""
    occurred_at = Timestamp()
    occurred_at.GetCurrentTime()
    message = envelope_pb2.Envelope(
        event_id=event_id or str(uuid.uuid4()), event_type=payload.DESCRIPTOR.full_name,
        source=source,
        aggregate_id=str(uuid.uuid4()), aggregate_version=1, occurred_at=occurred_at)
    message.payload.Pack(payload, type_url_prefix="type.smartcity.vn/")
    return envelopes.encode(message)


def covered(event: SensorEvent, subscribers: list[Subscriber], radius_km: float, units,
            communes) -> set:
    """The subscribers whose place the warning's circle touches, as the service decides."""
    area = {"description": "", "polygons": [], "unit_codes": [], "circles": [{
        "latitude": event.location.latitude, "longitude": event.location.longitude,
        "radius_km": radius_km}]}
    prepared = cap.prepare_area(area, units, communes)
    return {s.index for s in subscribers
            if cap.area_touches(prepared, s.place, units, communes)}


def publish_sensor_events(amqp_uri: str, events: list[SensorEvent]) -> list[float]:
    """Publishes at RATE a second; when each was published."""
    exchange = Exchange("sensors.events", type="topic", durable=True)
    published = []
    with Connection(amqp_uri) as connection:
        producer = Producer(connection)
        start = time.monotonic()
        for number, event in enumerate(events):
            time.sleep(max(start + number / RATE - time.monotonic(), 0))
            body = envelope(event.payload())
            published.append(time.monotonic())
            producer.publish(body, exchange=exchange, routing_key=type(event.payload()).__name__,
                             content_type=envelopes.CONTENT_TYPE, content_encoding="binary",
                             delivery_mode=2, declare=[])
    return published


@dataclass
class SensorRun:
    delays: list          # per delivery, publish → receipt
    first: list           # per event, publish → its first receipt
    received: int
    expected: int


def sensor_run(amqp_uri: str, receipts: Receipts, listening: list[Subscriber],
               seconds: float) -> SensorRun:
    """`listening`: the subscribers whose streams are open."""
    units, communes = AdministrativeUnits.load(), Locator.load()
    events = planned_sensor_events(int(seconds * RATE), communes.communes)
    radius = next(m.radius_km for m in load_warning_rules().mappings if m.name == FLOOD_MAPPING)
    audiences = [covered(event, listening, radius, units, communes) for event in events]
    published = publish_sensor_events(amqp_uri, events)
    deadline = time.monotonic() + DRAIN_SECONDS
    while time.monotonic() < deadline and not all(
            audience <= sensor_arrivals(receipts, event).keys()
            for event, audience in zip(events, audiences)):
        time.sleep(0.2)
    delays, first = [], []
    for event, audience, sent in zip(events, audiences, published):
        arrivals = sensor_arrivals(receipts, event)
        times = [arrivals[i] - sent for i in audience if i in arrivals]
        delays += times
        first += [min(times)] if times else []
    return SensorRun(delays, first, len(delays), sum(len(a) for a in audiences))


def sensor_arrivals(receipts: Receipts, event: SensorEvent) -> dict:
    warning_id = receipts.warning_of(f"{FLOOD_MAPPING}@{event.sensor_id}")
    return receipts.of(warning_id, event.state) if warning_id else {}


# Reporting -------------------------------------------------------------------------------------
def seconds_summary(values: list[float]) -> str:
    if not values:
        return "nothing arrived"
    ordered = sorted(values)
    return (f"p50 {percentile(ordered, 0.5):.3f} s, p99 {percentile(ordered, 0.99):.3f} s, "
            f"max {ordered[-1]:.3f} s")


def p99(values: list[float]) -> float:
    return percentile(sorted(values), 0.99) if values else math.inf


def report_subscribed(subscribed: list[dict], count: int):
    ok, failed = sum(s["count"] for s in subscribed), sum(s["failed"] for s in subscribed)
    seconds = max(s["seconds"] for s in subscribed)
    print(f"  subscribed {ok:,} of {count:,} through the Subscribe RPC in {seconds:.1f} s "
          f"({ok / seconds:,.0f}/s)"
          + (f"; {failed} failed, e.g. {subscribed[0]['failures'][:1]}" if failed else ""))


def report_round(number: int, result: Round):
    print(f"  round {number}: {len(result.delays):,} of {result.expected:,} received; "
          f"approval → receipt {seconds_summary(result.delays)}; ApproveWarning took "
          f"{result.approve_seconds * 1e3:.0f} ms; {result.cpu}")


def report_ended(ended: list):
    if ended:
        codes = {}
        for _, code, details in ended:
            codes.setdefault(code, details)
        print(f"  streams that ended early: {len(ended):,} {codes}")


def summary(rounds: list[Round], sensors: SensorRun | None, count: int):
    delays = [d for r in rounds for d in r.delays]
    received = min((len(r.delays) for r in rounds), default=0)
    sensor_delays = sensors.delays if sensors else []
    rows = [
        (f"fan-out p99 ({count:,} streams)", f"{p99(delays):.3f} s",
         f"<= {TARGET_FAN_OUT_P99:g} s", p99(delays) <= TARGET_FAN_OUT_P99),
        ("fan-out receipts, worst round", f"{received:,}/{count:,}", "all",
         received == count),
        ("sensor event → stream p99", f"{p99(sensor_delays):.3f} s",
         f"<= {TARGET_SENSOR_P99:g} s", p99(sensor_delays) <= TARGET_SENSOR_P99),
        ("sensor deliveries", f"{sensors.received:,}/{sensors.expected:,}" if sensors
         else "not run", "all", bool(sensors) and sensors.received == sensors.expected),
    ]
    print(f"\n{'measure':<34} {'figure':>14}  {'target':<10} verdict")
    for name, figure, target, passed in rows:
        print(f"{name:<34} {figure:>14}  {target:<10} {'PASS' if passed else 'BELOW'}")


# The run -----------------------------------------------------------------------------------
class Phases:
    """The bench's phases against one platform; a phase the service fails is
    reported with what broke, and the phases after it are skipped."""

    def __init__(self, p: Platform, load: LoadProcesses, operators: Operators,
                 subscribers: list[Subscriber]):
        self.p, self.load, self.operators = p, load, operators
        self.subscribers = subscribers
        self.pid = p.alerts.process.pid
        self.reached = set()
        self.rounds = []
        self.sensors = None

    def streams(self):
        report_subscribed(self.load.reported("subscribed", SETUP_TIMEOUT), len(self.subscribers))
        started = time.monotonic()
        requested = sum(self.load.reported("streaming", SETUP_TIMEOUT))
        markers, self.reached = wait_until_every_stream_is_open(
            self.operators, self.load.receipts, {s.index for s in self.subscribers})
        print(f"  {requested:,} FollowWarnings streams requested at {OPENS_PER_SECOND}/s; "
              f"{len(self.reached):,} proven open by {markers} marker warning(s), "
              f"{time.monotonic() - started:.0f} s after the last Subscribe")
        idle = CpuWindow(self.pid)
        time.sleep(IDLE_SECONDS)
        print(f"  holding {len(self.reached):,} idle streams: {idle.cores()}; service RSS "
              f"{rss_mib(self.pid):.0f} MiB")

    def fan_out(self, rounds: int):
        print("\nfan-out: a warning over the whole province, drafted and approved by two "
              "operators, to every open stream")
        for number in range(1, rounds + 1):
            self.rounds.append(fan_out_round(self.operators, self.load.receipts, self.reached,
                                             number, self.pid))
            report_round(number, self.rounds[-1])

    def sensor_events(self, amqp_uri: str, seconds: float):
        print(f"\nsensor events: {RATE:g}/s for {seconds:g} s on sensors.events, alternately "
              "a breach and its clear, a sensor of its own each")
        listening = [s for s in self.subscribers if s.index in self.reached]
        window = CpuWindow(self.pid)
        self.sensors = sensor_run(amqp_uri, self.load.receipts, listening, seconds)
        print(f"  {self.sensors.received:,} of {self.sensors.expected:,} deliveries; publish → "
              f"receipt {seconds_summary(self.sensors.delays)}; {window.cores()}")
        print(f"  publish → first subscriber, per event: {seconds_summary(self.sensors.first)}")

    def run(self, *phases):
        for phase, *args in phases:
            try:
                phase(*args)
            except grpc.RpcError as error:
                print(f"  THE SERVICE FAILED: {error.code().name}: {error.details()}; "
                      f"service RSS {rss_mib(self.pid):.0f} MiB; the phases after are skipped")
                return
        print(f"  deliveries received twice: {self.load.receipts.duplicates}")

    def report_service(self):
        report_ended(self.load.ended)
        problems = collections.Counter(
            record.get("msg", "") for record in self.p.alerts.log_records()
            if record.get("level") in ("WARNING", "ERROR", "CRITICAL"))
        if problems:
            print(f"  the service logged: {dict(problems.most_common(5))}")
        if self.p.alerts.process.poll() is not None:
            print(f"  the alerts service died:\n{self.p.alerts.log_tail()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=DEFAULT_SUBSCRIBERS)
    parser.add_argument("--processes", type=int, default=DEFAULT_PROCESSES,
                        help="load processes holding the streams")
    parser.add_argument("--quick", action="store_true",
                        help=f"{QUICK_SUBSCRIBERS:,} subscribers, {QUICK_ROUNDS} rounds, "
                             f"{QUICK_SENSOR_SECONDS} s of sensor events")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)      # progress shows while it runs
    count, processes, rounds, sensor_seconds = (
        (QUICK_SUBSCRIBERS, QUICK_PROCESSES, QUICK_ROUNDS, QUICK_SENSOR_SECONDS) if args.quick
        else (args.subscribers, args.processes, DEFAULT_ROUNDS, DEFAULT_SENSOR_SECONDS))

    with infrastructure() as infra, platform(infra) as p:
        print(f"Alerts delivery: {count:,} subscribers on {processes} grpc.aio load processes "
              f"→ 1 alerts service process (pid {p.alerts.process.pid}, MAX_WORKERS=12000)")
        print("  citizens' tokens signed by the bench with identity's key ring (no identity "
              "accounts); operators: real identity sessions")
        subscribers = planned_subscribers(count, p.keys_file, Locator.load().communes)
        operators = Operators(p.alerts.target, p.operators)
        with load_processes(p.alerts.target, subscribers, processes) as load:
            phases = Phases(p, load, operators, subscribers)
            phases.run((phases.streams,), (phases.fan_out, rounds),
                       (phases.sensor_events, infra.amqp_uri, sensor_seconds))
        operators.close()
        phases.report_service()
    summary(phases.rounds, phases.sensors, count)


if __name__ == "__main__":
    main()
