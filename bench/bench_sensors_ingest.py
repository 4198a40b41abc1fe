"""Sensor readings ingestion: gateways → one sensors service → InfluxDB, and
threshold rules → RabbitMQ.

    .venv/bin/python bench/bench_sensors_ingest.py [--gateways G] [--seconds S] [--quick]

Starts influxd (Debian's InfluxDB 1.6) behind the test suite's write bridge,
identity, and ONE sensors service process (PostgreSQL event stores and a
RabbitMQ vhost, all throw-away), and registers 200 stations × 5 kinds spread
over G gateways (default 2), plus one river gauge per gateway. Then:

1. baseline: ONE writer process (as there is one service process) posts the
   same series as line protocol, gzipped at level 1 as the service does,
   straight to influxd's /write, 1,000 points per request, one at a time;
2. service: G gateway processes (grpcio) each stream 1,000-reading batches
   on Ingest, at most IN_FLIGHT_BATCHES unacknowledged, for S seconds
   (default 25) after a warm-up. Only acknowledged readings count: an ack
   means "stored in InfluxDB". Every SAMPLE_EVERY-th batch carries a gauge
   reading that alternately crosses and leaves a threshold rule
   (min_duration_seconds 0); this process times when it answers an InfluxQL
   query and when its ThresholdBreached/Cleared event reaches a queue bound
   to sensors.events.

Prints readings/s, the service/raw ratio, both latencies, the service's RSS,
the CPU each party used, and a summary against the targets.
"""
import argparse
import dataclasses
import collections
import contextlib
import gzip
import http.client
import json
import math
import multiprocessing
import os
import pathlib
import queue
import socket
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import grpc
from kombu import Connection, Queue
from nameko.standalone.events import get_event_exchange

from _common import (CpuMeter, IDENTITY, harness, infrastructure, percentile, pids_of, rss_mib, running)
from harness import ADMIN_PHONE, IdentityClient
from integration.conftest import Bridge, InfluxServer      # tests/integration/conftest.py
from kit import envelopes
from kit.client import channel, metadata
from sensors.timeseries import Point, line
from smartcity.events.v1 import sensors_pb2 as sensor_events
from smartcity.identity.v1 import identity_pb2 as ipb
from smartcity.sensors.v1 import sensors_pb2 as pb
from smartcity.sensors.v1 import sensors_pb2_grpc

SENSORS = "sensors.service:SensorsService"
STATIONS = 200
MEASURED = (("pm25", "µg/m³", 35.0), ("pm10", "µg/m³", 60.0), ("temperature", "°C", 28.0),
            ("humidity", "%", 75.0), ("noise", "dB(A)", 62.0))   # kind, unit, typical value
UNIT_CODE = "05443"
BATCH = 1_000
IN_FLIGHT_BATCHES = 4     # per gateway, as the real gateway streams (sensors/gateway/client.py)
SAMPLE_EVERY = 5          # batches per gauge sample: a few rule events a second
RISE_AT, CLEAR_BELOW = 10.0, 9.0                    # the gauges' rule, metres
CHEAP_HASH = {"PASSWORD_HASH_MEMORY_KIB": "1024", "PASSWORD_HASH_TIME_COST": "1"}
LOOPBACK = {"GRPC_BIND_HOST": "127.0.0.1"}
SERVICE_DATABASE, RAW_DATABASE = "sensors", "raw"

DEFAULT_SECONDS, WARM_UP_SECONDS, RAW_SECONDS = 25, 3, 8
QUICK_SECONDS, QUICK_WARM_UP_SECONDS, QUICK_RAW_SECONDS = 6, 2, 4
READY_TIMEOUT = 60        # load processes importing grpcio and connecting
ACK_TIMEOUT = 30          # a gateway gives up on an unanswered window
DRAIN_SECONDS = 10        # after the load, for the last samples' rows and events
POLL_SECONDS = 0.05       # InfluxQL polls for the gauges' readings
RSS_SAMPLE_SECONDS = 0.2
LOAD_NICENESS = 10

TARGET_READINGS_PER_SECOND = 20_000
TARGET_RATIO = 0.5
TARGET_QUERYABLE_P99 = 2.0
TARGET_EVENT_P99 = 0.5


# What the load processes send ----------------------------------------------------------
@dataclass(frozen=True)
class Share:
    """One gateway's sensors: what its load process sends, in either run."""
    gateway_id: str
    token: str
    stations: tuple[str, ...]
    gauge: str


@dataclass(frozen=True)
class Schedule:
    # time.monotonic() is CLOCK_MONOTONIC: one clock for every process on the machine
    start_at: float
    warm_up: float
    seconds: float

    @property
    def measured_from(self) -> float:
        return self.start_at + self.warm_up

    @property
    def ends_at(self) -> float:
        return self.measured_from + self.seconds

    def measures(self, moment: float) -> bool:
        return self.measured_from <= moment < self.ends_at


class SeriesCycle:
    """The stations' series in turn, values wandering around the typical one.
    A batch's readings are stamped with the batch's time plus their place in
    it, so no two readings of a series share a timestamp (InfluxDB would keep
    only one)."""

    def __init__(self, stations):
        self.series = [(station, kind, unit, typical) for station in stations
                       for kind, unit, typical in MEASURED]
        self.turn = 0
        self.last_batch_ns = 0

    def batch_ns(self) -> int:
        self.last_batch_ns = max(time.time_ns(), self.last_batch_ns + BATCH)
        return self.last_batch_ns

    def take(self, count: int, batch_ns: int) -> list[tuple]:
        """(sensor id, kind, unit, value, time ns) of the next `count` series."""
        taken = []
        for place in range(count):
            station, kind, unit, typical = self.series[self.turn % len(self.series)]
            taken.append((station, kind, unit, typical + self.turn % 7 - 3, batch_ns + place))
            self.turn += 1
        return taken


def gauge_value(sample: int) -> float:
    """Samples alternate above RISE_AT and below CLEAR_BELOW, each value
    unique, so an event names the sample that caused it."""
    return RISE_AT + sample * 1e-4 if sample % 2 == 0 else CLEAR_BELOW - 1 - sample * 1e-4


class GatewayStream:
    """One gateway's Ingest stream: batches while the schedule runs, never
    more than IN_FLIGHT_BATCHES unacknowledged."""

    def __init__(self, share: Share, schedule: Schedule):
        self.share = share
        self.schedule = schedule
        self.cycle = SeriesCycle(share.stations)
        self.window = threading.Semaphore(IN_FLIGHT_BATCHES)
        self.unacknowledged = collections.deque()   # send times, oldest first
        self.acks = []       # (arrival, accepted, rejected, seconds since its batch was sent)
        self.samples = []    # (gauge, time ns, value, sent)
        self.seq = 0

    def batches(self):
        """Runs in grpcio's request thread."""
        number = 0
        while self.window.acquire(timeout=ACK_TIMEOUT):
            if time.monotonic() >= self.schedule.ends_at:
                return
            batch, sample = self.batch(number)
            sent = time.monotonic()
            self.unacknowledged.append(sent)
            if sample:
                self.samples.append((*sample, sent))
            yield batch
            number += 1

    def batch(self, number: int):
        batch_ns = self.cycle.batch_ns()
        readings = self.cycle.take(BATCH, batch_ns)
        sample = None
        if number % SAMPLE_EVERY == 0:
            sample = (self.share.gauge, batch_ns + BATCH - 1, gauge_value(number // SAMPLE_EVERY))
            readings[-1] = (sample[0], "water_level", "m", sample[2], sample[1])
        return pb.ReadingBatch(readings=[self.reading(*r) for r in readings]), sample

    def reading(self, sensor_id, kind, unit, value, time_ns) -> pb.Reading:
        self.seq += 1
        return pb.Reading(seq=self.seq, sensor_id=sensor_id, kind=kind, value=value, unit=unit,
                          time={"seconds": time_ns // 10 ** 9, "nanos": time_ns % 10 ** 9})

    def acknowledged(self, ack: pb.IngestAck):
        arrival = time.monotonic()
        self.acks.append((arrival, ack.accepted, sum(ack.rejected.values()),
                          arrival - self.unacknowledged.popleft()))
        self.window.release()


def stream_gateway(target: str, share: Share, start) -> dict:
    with channel(target) as ingest_channel:
        grpc.channel_ready_future(ingest_channel).result(timeout=10)
        stub = sensors_pb2_grpc.SensorsStub(ingest_channel)
        schedule = start()
        stream = GatewayStream(share, schedule)
        deadline = schedule.ends_at + ACK_TIMEOUT - time.monotonic()
        for ack in stub.Ingest(stream.batches(), metadata=metadata(share.token),
                               timeout=deadline):
            stream.acknowledged(ack)
    return {"acks": stream.acks, "samples": stream.samples}


def write_raw(port: int, share: Share, start) -> dict:
    """Line protocol straight to influxd's 1.x /write, gzipped at level 1 like
    the service's writes: the same bytes on the wire, without the service."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    path = f"/write?db={RAW_DATABASE}&precision=n"
    headers = {"Content-Encoding": "gzip", "Content-Type": "text/plain; charset=utf-8"}
    cycle = SeriesCycle(share.stations)
    acks = []
    schedule = start()
    while time.monotonic() < schedule.ends_at:
        points = [Point(sensor_id=s, kind=k, value=v, time_ns=t, unit_code=UNIT_CODE)
                  for s, k, _, v, t in cycle.take(BATCH, cycle.batch_ns())]
        sent = time.monotonic()
        connection.request("POST", path, gzip.compress("\n".join(map(line, points)).encode(), 1),
                           headers)
        response = connection.getresponse()
        body = response.read()
        if response.status != 204:
            raise RuntimeError(f"influxd answered {response.status}: {body[:300]!r}")
        done = time.monotonic()
        acks.append((done, BATCH, 0, done - sent))
    connection.close()
    return {"acks": acks, "samples": []}


# Running load processes ------------------------------------------------------------------
def load_process(work, args, index, timing, reports, go, start_at):
    """A load process: `work(*args, start)` connects, calls start() to wait
    for the common start line, runs, and returns its figures. It runs niced:
    gateways and writers live on other machines, here they share 2 cores
    with the server side, whose time they must not take (in either run)."""
    os.nice(LOAD_NICENESS)

    def start() -> Schedule:
        reports.put(("ready", index, None))
        if not go.wait(READY_TIMEOUT):
            raise RuntimeError("no start signal")
        return Schedule(start_at.value, *timing)

    try:
        reports.put(("done", index, work(*args, start)))
    except BaseException:
        reports.put(("failed", index, traceback.format_exc()))


class LoadProcesses:
    """Load generators in processes of their own (spawned: grpcio does not
    survive fork), started together; their CPU stays out of this process."""

    def __init__(self, work, args_per_process, warm_up: float, seconds: float):
        context = multiprocessing.get_context("spawn")
        self.reports, self.go = context.Queue(), context.Event()
        self.start_at = context.Value("d", 0.0)
        self.warm_up, self.seconds = warm_up, seconds
        self.processes = [
            context.Process(target=load_process, daemon=True, args=(
                work, args, index, (warm_up, seconds), self.reports, self.go, self.start_at))
            for index, args in enumerate(args_per_process)]

    def start(self):
        for process in self.processes:
            process.start()
        self.expect("ready", READY_TIMEOUT)
        self.start_at.value = time.monotonic() + 0.2
        self.go.set()

    def stop(self):
        for process in self.processes:
            if process.pid is not None:
                process.join(timeout=10)
                if process.is_alive():
                    process.kill()
                    process.join()

    @property
    def schedule(self) -> Schedule:
        return Schedule(self.start_at.value, self.warm_up, self.seconds)

    @property
    def pids(self) -> list[int]:
        return [process.pid for process in self.processes]

    def results(self) -> list[dict]:
        return self.expect("done", self.schedule.ends_at - time.monotonic() + 2 * ACK_TIMEOUT)

    def expect(self, kind: str, timeout: float) -> list:
        received = {}
        deadline = time.monotonic() + timeout
        while len(received) < len(self.processes):
            try:
                report, index, payload = self.reports.get(
                    timeout=max(deadline - time.monotonic(), 0.01))
            except queue.Empty:
                raise SystemExit(f"load processes: not all '{kind}' within {timeout:.0f} s")
            if report == "failed":
                raise SystemExit(f"load process {index} failed:\n{payload}")
            received[index] = payload
        return [received[index] for index in sorted(received)]


@contextlib.contextmanager
def load_processes(work, args_per_process, warm_up: float, seconds: float):
    load = LoadProcesses(work, args_per_process, warm_up, seconds)
    try:
        load.start()
        yield load
    finally:
        load.stop()


# Observers in this process ---------------------------------------------------------------
class Poller(threading.Thread):
    """Calls `poll()` every `interval` seconds until stopped."""

    def __init__(self, interval: float):
        super().__init__(daemon=True)
        self.interval = interval
        self.stopping = threading.Event()

    def run(self):
        while not self.stopping.wait(self.interval):
            self.poll()

    def stop(self):
        self.stopping.set()
        self.join()


class GaugeWatcher(Poller):
    """When each gauge reading first answers an InfluxQL query, asked of
    influxd directly: the query GetLatest would make, without loading the
    service. A gauge's readings become visible in time order (its gateway's
    batches are stored one after another), so each poll asks only for what is
    newer than the least advanced gauge's last reading."""

    def __init__(self, influx: InfluxServer, gauges: list[str]):
        super().__init__(POLL_SECONDS)
        self.influx = influx
        self.latest_ns = {gauge: time.time_ns() for gauge in gauges}
        self.first_seen = {}   # (gauge, time ns) → when a query first returned it

    def poll(self):
        since = min(self.latest_ns.values())
        result = self.influx.query(f"SELECT value FROM reading WHERE kind = 'water_level' "
                                   f"AND time > {since} GROUP BY sensor_id", SERVICE_DATABASE)
        answered = time.monotonic()
        for series in result.get("series", []):
            gauge = series["tags"]["sensor_id"]
            for time_ns, _ in series["values"]:
                self.first_seen.setdefault((gauge, time_ns), answered)
                self.latest_ns[gauge] = max(self.latest_ns[gauge], time_ns)


class EventTap(threading.Thread):
    """A durable queue bound to sensors.events with routing key #, as a
    consuming service's queue would be; notes when each message arrives."""

    def __init__(self, amqp_uri: str):
        super().__init__(daemon=True)
        self.connection = Connection(amqp_uri)
        self.queue = Queue("bench-sensors-events", exchange=get_event_exchange("sensors"),
                           routing_key="#", durable=True, auto_delete=True)
        self.queue(self.connection.default_channel).declare()
        self.arrivals = []     # (arrival, body)
        self.stopping = threading.Event()

    def run(self):
        with self.connection.Consumer(self.queue, on_message=self.on_message, no_ack=True):
            while not self.stopping.is_set():
                with contextlib.suppress(socket.timeout):
                    self.connection.drain_events(timeout=0.2)

    def on_message(self, message):
        self.arrivals.append((time.monotonic(), message.body))

    def stop(self):
        self.stopping.set()
        self.join()
        self.connection.release()

    def crossings(self) -> dict:
        """(sensor id, value) → arrival of its ThresholdBreached/Cleared event."""
        types = {"ThresholdBreached": sensor_events.ThresholdBreached,
                 "ThresholdCleared": sensor_events.ThresholdCleared}
        arrivals = {}
        for arrival, body in list(self.arrivals):
            envelope = envelopes.decode(body)
            payload_type = types.get(envelopes.routing_key(envelope))
            if payload_type:
                payload = envelopes.unpack(envelope, payload_type)
                arrivals.setdefault((payload.sensor.sensor_id, payload.value), arrival)
        return arrivals


class RssSampler(Poller):
    def __init__(self, pid: int):
        super().__init__(RSS_SAMPLE_SECONDS)
        self.pid = pid
        self.peak = rss_mib(pid)

    def poll(self):
        self.peak = max(self.peak, rss_mib(self.pid))


# The platform ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Platform:
    influx: InfluxServer
    identity: harness.ServiceProcess
    sensors: harness.ServiceProcess
    shares: list[Share]


@contextlib.contextmanager
def influxdb(scratch: str):
    """influxd under the scratch folder, and the suite's write bridge to it."""
    root = pathlib.Path(scratch, "influxdb")
    root.mkdir()
    server = InfluxServer(root)
    try:
        server.start()
        bridge = Bridge(server.port)
        try:
            for database in (SERVICE_DATABASE, RAW_DATABASE):
                server.query(f'CREATE DATABASE "{database}"')
            yield server, bridge
        finally:
            bridge.close()
    finally:
        server.stop()


def rules_file(scratch: str, gauges: list[str]) -> str:
    path = os.path.join(scratch, "rules.json")
    rule = {"name": "bench-gauge-stage", "kind": "water_level", "sensor_ids": gauges,
            "min_duration_seconds": 0,
            "levels": [{"name": "bench stage", "severity": 2, "rise_at": RISE_AT,
                        "clear_below": CLEAR_BELOW}]}
    with open(path, "w", encoding="utf-8") as file:
        json.dump({"rules": [rule]}, file)
    return path


def gateway_credentials(identity: IdentityClient, admin_token: str, index: int) -> tuple:
    """(gateway id, access token) of a newly registered gateway machine."""
    machine = identity.call("RegisterMachine", ipb.RegisterMachineRequest(
        name=f"bench-gateway-{index}", kind="gateway"), token=admin_token)
    session = identity.call("IssueMachineToken", ipb.IssueMachineTokenRequest(
        client_id=machine.client_id, client_secret=machine.client_secret))
    return machine.client_id, session.access_token


def planned_shares(credentials: list[tuple]) -> list[Share]:
    stations = [f"bench-aq-{number:03d}" for number in range(STATIONS)]
    count = len(credentials)
    return [Share(gateway_id, token, tuple(stations[index::count]), f"bench-wl-{index}")
            for index, (gateway_id, token) in enumerate(credentials)]


def registrations(shares: list[Share]) -> list[pb.RegisterSensorRequest]:
    station_kinds = [kind for kind, _, _ in MEASURED]
    sensors = [(share, station, station_kinds) for share in shares for station in share.stations]
    sensors += [(share, share.gauge, ["water_level"]) for share in shares]
    return [pb.RegisterSensorRequest(
        id=sensor_id, family=pb.ENVIRONMENTAL, kinds=kinds, latitude=21.59, longitude=105.84,
        unit_code=UNIT_CODE, gateway_id=share.gateway_id, name=sensor_id)
        for share, sensor_id, kinds in sensors]


def register_sensors(target: str, admin_token: str, shares: list[Share]):
    with channel(target) as registry_channel:
        stub = sensors_pb2_grpc.SensorsStub(registry_channel)
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda request: stub.RegisterSensor(
                request, metadata=metadata(admin_token), timeout=30), registrations(shares)))


@contextlib.contextmanager
def platform(infra, gateways: int):
    with contextlib.ExitStack() as stack:
        influx, bridge = stack.enter_context(influxdb(infra.scratch))
        identity_env = infra.identity_env("identity", BOOTSTRAP_ADMIN_PHONE=ADMIN_PHONE,
                                          **CHEAP_HASH, **LOOPBACK)
        identity = stack.enter_context(running(harness.ServiceProcess(
            IDENTITY, identity_env, infra.log_path("identity"))))
        identity_client = IdentityClient(identity, identity_env["OTP_OUTBOX_FILE"])
        stack.callback(identity_client.close)
        admin_token = identity_client.admin_session().access_token
        shares = planned_shares([gateway_credentials(identity_client, admin_token, index)
                                 for index in range(gateways)])
        sensors_env = infra.service_env(
            "sensors", IDENTITY_GRPC_TARGET=identity.target, INFLUX_URL=bridge.url,
            INFLUX_BUCKET=SERVICE_DATABASE,
            SENSORS_SPOOL_FILE=os.path.join(infra.scratch, "sensors-spool.db"),
            SENSOR_RULES_FILE=rules_file(infra.scratch, [share.gauge for share in shares]),
            **LOOPBACK)
        sensors = stack.enter_context(running(harness.ServiceProcess(
            SENSORS, sensors_env, infra.log_path("sensors"))))
        register_sensors(sensors.target, admin_token, shares)
        yield Platform(influx, identity, sensors, shares)


# The runs ------------------------------------------------------------------------------------
@dataclass
class Throughput:
    per_second: float
    accepted: int          # over the whole run, warm-up included
    rejected: int
    batch_seconds: list    # send → ack (or 204) of the measured batches


def throughput(results: list[dict], schedule: Schedule) -> Throughput:
    acks = [ack for result in results for ack in result["acks"]]
    measured = [ack for ack in acks if schedule.measures(ack[0])]
    return Throughput(sum(ack[1] for ack in measured) / schedule.seconds,
                      sum(ack[1] for ack in acks), sum(ack[2] for ack in acks),
                      [ack[3] for ack in measured])


def raw_run(p: Platform, database: str, warm_up: float, seconds: float) -> tuple:
    """(Throughput, cores used) of the baseline writers."""
    # one writer process against one service process: the same CPU to spend
    everything = dataclasses.replace(p.shares[0], stations=tuple(
        station for share in p.shares for station in share.stations))
    with load_processes(write_raw, [(p.influx.port, everything)], warm_up, seconds) as load:
        cpu = measured_cpu(p, database, load)
        return throughput(load.results(), load.schedule), cpu


@dataclass
class ServiceRun:
    throughput: Throughput
    queryable: list        # seconds per measured sample; math.inf: never seen
    evented: list
    rss: tuple             # MiB at start, peak, end
    cpu: dict              # cores per group of processes
    stored: int            # points InfluxDB holds for the service


def service_run(p: Platform, infra, warm_up: float, seconds: float) -> ServiceRun:
    service_pid = p.sensors.process.pid
    rss_at_start = rss_mib(service_pid)
    watcher = GaugeWatcher(p.influx, [share.gauge for share in p.shares])
    tap, rss = EventTap(infra.amqp_uri), RssSampler(service_pid)
    for observer in (watcher, tap, rss):
        observer.start()
    try:
        with load_processes(stream_gateway, [(p.sensors.target, share) for share in p.shares],
                            warm_up, seconds) as load:
            cpu = measured_cpu(p, infra.database, load)
            results = load.results()
        samples = [sample for result in results for sample in result["samples"]
                   if load.schedule.measures(sample[3])]
        wait_for_samples(samples, watcher, tap)
    finally:
        for observer in (watcher, tap, rss):
            observer.stop()
    return ServiceRun(throughput(results, load.schedule),
                      delays(samples, watcher.first_seen, lambda s: (s[0], s[1])),
                      delays(samples, tap.crossings(), lambda s: (s[0], s[2])),
                      (rss_at_start, rss.peak, rss_mib(service_pid)), cpu,
                      stored_points(p.influx))


def measured_cpu(p: Platform, database: str, load: LoadProcesses) -> dict:
    meter = CpuMeter({"service": [p.sensors.process.pid], "influxd": [p.influx.process.pid],
                      "rabbitmq": pids_of("beam.smp"), "postgres": pids_of("postgres", database),
                      "clients": load.pids, "bench": [os.getpid()],
                      "identity": [p.identity.process.pid]})
    sleep_until(load.schedule.measured_from)
    begin = meter.mark()
    sleep_until(load.schedule.ends_at)
    return CpuMeter.cores(begin, meter.mark())


def sleep_until(moment: float):
    time.sleep(max(moment - time.monotonic(), 0))


def wait_for_samples(samples, watcher: GaugeWatcher, tap: EventTap):
    deadline = time.monotonic() + DRAIN_SECONDS
    while time.monotonic() < deadline:
        crossings = tap.crossings()
        if all((s[0], s[1]) in watcher.first_seen and (s[0], s[2]) in crossings
               for s in samples):
            return
        time.sleep(0.2)


def delays(samples, arrivals: dict, key) -> list[float]:
    return [arrivals[key(s)] - s[3] if key(s) in arrivals else math.inf for s in samples]


def stored_points(influx: InfluxServer) -> int:
    series = influx.query('SELECT count("value") FROM reading', SERVICE_DATABASE).get("series")
    return series[0]["values"][0][1] if series else 0


def spooled_batches(service: harness.ServiceProcess) -> int:
    """Batches the service had to spool because InfluxDB failed (it logs each)."""
    return sum("spooling" in entry for entry in service.log_lines())


# Reporting -----------------------------------------------------------------------------------
def p99(values: list[float]) -> float:
    return percentile(sorted(values), 0.99) if values else math.inf


def seconds_summary(values: list[float]) -> str:
    if not values:
        return "no samples"
    ordered = sorted(values)
    missing = sum(math.isinf(value) for value in values)
    return (f"p50 {percentile(ordered, 0.5):.3f} s, p99 {p99(values):.3f} s, "
            f"max {ordered[-1]:.3f} s over {len(values)} samples"
            + (f", {missing} never arrived" if missing else ""))


def millis_summary(seconds: list[float]) -> str:
    if not seconds:
        return "none"
    ordered = sorted(seconds)
    return (f"p50 {percentile(ordered, 0.5) * 1e3:.0f} ms, "
            f"p99 {percentile(ordered, 0.99) * 1e3:.0f} ms")


def describe(p: Platform, warm_up: float, seconds: float):
    print(f"Sensors ingestion: {len(p.shares)} gateway processes (grpcio) → 1 sensors service "
          f"process → InfluxDB 1.6 (influxd)")
    print(f"  {STATIONS} stations × {len(MEASURED)} kinds + {len(p.shares)} river gauges, "
          f"batches of {BATCH:,}, ≤ {IN_FLIGHT_BATCHES} unacknowledged per gateway, "
          f"{warm_up:g} s warm-up + {seconds:g} s measured")
    print("  write path: service → influxdb-client POST /api/v2/write → the test suite's "
          "bridge → influxd /write.\n  The bridge is a thread in this process: InfluxDB 1.6 "
          "has no v2 write API, so it rewrites the path\n  to 1.x /write and forwards the "
          "gzipped body unchanged, on a new upstream connection per request.")
    print("  2 cores shared by the load processes, the sensors and identity services, RabbitMQ, "
          "PostgreSQL,\n  influxd and this process (bridge, InfluxQL poller, event tap).")


def report_raw(raw: Throughput, cpu: dict, writers: int, seconds: float):
    print(f"\nbaseline: {writers} processes, line protocol, gzip, straight to influxd /write "
          f"(no service, no bridge)")
    print(f"  {raw.per_second:,.0f} readings/s over {seconds:g} s; 1,000-point write: "
          f"{millis_summary(raw.batch_seconds)}")
    print(f"  CPU, cores of 2: machine {cpu['machine']:.2f} = influxd {cpu['influxd']:.2f} + "
          f"writers {cpu['clients']:.2f} + the rest (kernel, other users' processes) "
          f"{unaccounted(cpu, 'influxd', 'clients'):.2f}")


def report_service(run: ServiceRun, seconds: float, spooled: int):
    t = run.throughput
    print("\nservice: Ingest → durable InfluxDB write (acknowledged readings only)")
    print(f"  {t.per_second:,.0f} readings/s over {seconds:g} s; batch send → ack: "
          f"{millis_summary(t.batch_seconds)}")
    print(f"  accepted {t.accepted:,} in all, rejected {t.rejected:,}; InfluxDB holds "
          f"{run.stored:,} points{'' if run.stored == t.accepted else ' (MISMATCH)'}; "
          f"batches spooled instead of written: {spooled}")
    print(f"  send → queryable (InfluxQL polled every {POLL_SECONDS * 1e3:.0f} ms): "
          f"{seconds_summary(run.queryable)}")
    print(f"  send → rule event on a queue bound to sensors.events: "
          f"{seconds_summary(run.evented)}")
    start, peak, end = run.rss
    print(f"  service RSS: {start:.0f} MiB at start, {peak:.0f} MiB peak, {end:.0f} MiB at end")
    cpu = run.cpu
    rest = unaccounted(cpu, *(name for name in cpu if name != "machine"))
    print(f"  CPU, cores of 2: machine {cpu['machine']:.2f} = service {cpu['service']:.2f} + "
          f"influxd {cpu['influxd']:.2f} + RabbitMQ {cpu['rabbitmq']:.2f}\n    + PostgreSQL "
          f"(this database's backends) {cpu['postgres']:.2f} + load processes "
          f"{cpu['clients']:.2f} + this process {cpu['bench']:.2f}\n    + identity "
          f"{cpu['identity']:.2f} + the rest (kernel, other users' processes) {rest:.2f}")


def unaccounted(cpu: dict, *names: str) -> float:
    return cpu["machine"] - sum(cpu[name] for name in names)


def summary(run: ServiceRun, raw: Throughput):
    service = run.throughput.per_second
    ratio = service / raw.per_second if raw.per_second else 0.0
    rows = [
        ("sustained readings/s, service", f"{service:,.0f}",
         f">= {TARGET_READINGS_PER_SECOND:,}", service >= TARGET_READINGS_PER_SECOND),
        ("raw /write readings/s", f"{raw.per_second:,.0f}", "baseline", None),
        ("service / raw", f"{ratio:.2f}", f">= {TARGET_RATIO}", ratio >= TARGET_RATIO),
        ("p99 send → queryable", f"{p99(run.queryable):.3f} s", f"<= {TARGET_QUERYABLE_P99} s",
         p99(run.queryable) <= TARGET_QUERYABLE_P99),
        ("p99 send → rule event", f"{p99(run.evented):.3f} s", f"<= {TARGET_EVENT_P99} s",
         p99(run.evented) <= TARGET_EVENT_P99),
        ("service RSS start/peak/end", "/".join(f"{v:.0f}" for v in run.rss) + " MiB", "", None),
    ]
    print(f"\n{'measure':<32} {'figure':>16}  {'target':<12} verdict")
    for name, figure, target, passed in rows:
        verdict = "" if passed is None else ("PASS" if passed else "BELOW")
        print(f"{name:<32} {figure:>16}  {target:<12} {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gateways", type=int, default=2,
                        help="gateway processes (default 2)")
    parser.add_argument("--seconds", type=float, default=DEFAULT_SECONDS,
                        help=f"measured seconds of the service run (default {DEFAULT_SECONDS})")
    parser.add_argument("--quick", action="store_true",
                        help=f"{QUICK_SECONDS} s measured, {QUICK_RAW_SECONDS} s baseline")
    args = parser.parse_args()
    seconds, warm_up, raw_seconds = ((QUICK_SECONDS, QUICK_WARM_UP_SECONDS, QUICK_RAW_SECONDS)
                                     if args.quick else
                                     (args.seconds, WARM_UP_SECONDS, RAW_SECONDS))

    with infrastructure() as infra, platform(infra, args.gateways) as p:
        describe(p, warm_up, seconds)
        raw, raw_cpu = raw_run(p, infra.database, warm_up, raw_seconds)
        report_raw(raw, raw_cpu, 1, raw_seconds)
        run = service_run(p, infra, warm_up, seconds)
        report_service(run, seconds, spooled_batches(p.sensors))
    summary(run, raw)


if __name__ == "__main__":
    main()
