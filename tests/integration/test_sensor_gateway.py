"""The sensor gateway over real sockets: `python -m gateway` processes against
the real identity and sensors services and a real InfluxDB, and its MQTT
bridge against real Mosquitto brokers. The service, InfluxDB, identity,
brokers and the gateway itself are stopped or killed mid-stream: every reading
the simulator produced must be in InfluxDB exactly once, with its value.

A small stand-in for the sensors service remains for the one thing a real one
will not do on request: take batches and never answer."""
import contextlib
import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from concurrent import futures
from dataclasses import dataclass
from datetime import datetime, timedelta

import grpc
import paho.mqtt.publish as mqtt_publish
import pytest
from smartcity.sensors.v1 import sensors_pb2 as pb
from smartcity.sensors.v1 import sensors_pb2_grpc

import harness
from gateway.client import Backoff, Sender
from gateway.mqtt_bridge import MqttBridge
from gateway.simulator import ICT, CitySimulator, fleet_definition
from gateway.spool import EPOCH, MICROSECOND, Spool

pytestmark = pytest.mark.timeout(240)

MOSQUITTO = ("127.0.0.1", 1883)
STATIONS, CAMERAS, SEED = 3, 2, 7     # about 45 readings a simulated minute
SPEED = 900                           # 15 simulated minutes a second
FINISH_TIMEOUT_SECONDS = 150


# A gateway process and what it must have delivered ------------------------------------------
def simulated_window(minutes: int, hours_ago: float = 6) -> tuple[datetime, datetime]:
    """A stretch of simulated time in the service's accepted past, on whole minutes."""
    start = (datetime.now(ICT) - timedelta(hours=hours_ago)).replace(second=0, microsecond=0)
    return start, start + timedelta(minutes=minutes)


@dataclass(frozen=True)
class Endpoints:
    """Where a gateway sends, and as which machine."""
    sensors: str
    identity: str
    client_id: str
    secret: str


def platform_endpoints(platform) -> Endpoints:
    return Endpoints(platform.service.target, platform.identity.service.target,
                     platform.gateway_id, platform.gateway_secret)


def simulation(start: datetime, until: datetime) -> list[str]:
    """`simulate` options: the test fleet from start to until, registering it first."""
    return ["simulate", "--stations", str(STATIONS), "--cameras", str(CAMERAS), "--seed",
            str(SEED), "--speed", str(SPEED), "--start", start.isoformat(), "--until",
            until.isoformat(), "--register-fleet"]


class GatewayProcess:
    """`python -m gateway COMMAND ...` on one spool, killable and restartable."""

    def __init__(self, tmp_path, command: list[str], endpoints: Endpoints,
                 spool_name="spool.db", **env):
        self.spool_path = tmp_path / spool_name
        self.log_path = tmp_path / "gateway.log"
        self.argv = [sys.executable, "-m", "gateway", *command,
                     "--sensors-target", endpoints.sensors, "--identity-target", endpoints.identity,
                     "--client-id", endpoints.client_id, "--spool", str(self.spool_path),
                     "--batch-size", "200", "--flush-seconds", "0.05"]
        self.env = {**os.environ, "GATEWAY_CLIENT_SECRET": endpoints.secret, "LOG_LEVEL": "INFO",
                    **env}
        self.process = None

    def start(self):
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(self.argv, env=self.env, stdout=log,
                                            stderr=subprocess.STDOUT)
        return self

    def kill(self):
        """A crash: SIGKILL with batches in flight; the spool file stays."""
        self.process.kill()
        self.process.wait()

    def wait_finished(self):
        """--until reached and everything acknowledged: it exits 0 by itself."""
        try:
            status = self.process.wait(FINISH_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            self.stop()
            raise AssertionError(f"the gateway did not finish:\n{self.log_tail()}") from None
        assert status == 0, self.log_tail()

    def stop(self) -> int | None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.process and self.process.returncode

    def spool_state(self, name: str):
        """The spool's last_seq or checkpoint, read without the gateway's help
        (None before the gateway first writes it)."""
        return self.spool_query("SELECT value FROM state WHERE name = ?", name)

    def pending(self) -> int:
        return self.spool_query("SELECT COUNT(*) FROM readings")

    def produced(self) -> int:
        """Readings numbered so far; 0 before the spool or its counter exists."""
        with contextlib.suppress(sqlite3.OperationalError):
            return self.spool_state("last_seq") or 0
        return 0

    def spool_query(self, statement, *parameters):
        with contextlib.closing(sqlite3.connect(f"file:{self.spool_path}?mode=ro",
                                                uri=True)) as db:
            row = db.execute(statement, parameters).fetchone()
            return row[0] if row else None

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def log_tail(self, lines=40):
        return "\n".join(self.log_text().splitlines()[-lines:])


@pytest.fixture
def gateways():
    """Gateways started by a test, stopped after it whatever happens."""
    started = []
    yield started
    for gateway in started:
        gateway.stop()


def platform_gateway(platform, tmp_path, start, until, spool_name="spool.db") -> GatewayProcess:
    """A simulating gateway for the platform's machine, registering its fleet as
    the administrator."""
    return GatewayProcess(tmp_path, simulation(start, until), platform_endpoints(platform),
                          spool_name, OPERATOR_TOKEN=platform.admin.access_token)


def simulated_readings(start: datetime, until: datetime, resumed_at=()) -> list:
    """What the gateway's simulator produces from start to until; a gateway
    restarted at a checkpoint begins a new simulation there (resumed_at)."""
    fleet = fleet_definition(STATIONS, CAMERAS)
    starts = [start, *resumed_at]
    readings = []
    for begin, end in zip(starts, [*starts[1:], until]):
        simulator = CitySimulator(fleet, SEED, begin, interval_seconds=60)
        while simulator.now < end:
            readings += simulator.step()
    return readings


def point_key(sensor_id, kind, label, time_ns, value):
    return sensor_id, kind, label or "", int(time_ns), round(float(value), 9)


def expected_points(readings) -> Counter:
    return Counter(point_key(r.sensor_id, r.kind, r.label, (r.time - EPOCH) // MICROSECOND * 1000,
                             r.value) for r in readings)


def stored_points(influxdb, database) -> Counter:
    """Every point in InfluxDB, straight from the server, sensor by sensor."""
    points = Counter()
    for sensor in fleet_definition(STATIONS, CAMERAS):
        for series in influxdb.select(
                f"SELECT value, kind, label FROM reading WHERE sensor_id = '{sensor.id}'",
                database):
            points.update(point_key(sensor.id, kind, label, time_ns, value)
                          for time_ns, value, kind, label in series["values"])
    return points


def difference(expected: Counter, stored: Counter) -> str:
    """What stored lacks and what it has in excess, briefly; empty when they match."""
    missing, extra = expected - stored, stored - expected
    if not (missing or extra):
        return ""
    return (f"{sum(missing.values())} missing, e.g. {list(missing)[:3]}; "
            f"{sum(extra.values())} extra, e.g. {list(extra)[:3]}")


def assert_stored_exactly(influxdb, database, readings):
    """Each produced reading stored once with its value, nothing else; waits a
    little for the service's spool to drain into InfluxDB."""
    expected = expected_points(readings)
    assert sum(expected.values()) == len(expected), "the simulation repeats itself"
    stored = Counter()

    def complete():
        nonlocal stored
        stored = stored_points(influxdb, database)
        return sum(stored.values()) >= len(expected)

    with contextlib.suppress(AssertionError):     # a shortfall is reported below, in detail
        harness.wait_for(complete, timeout=30, interval=1, message="every reading in InfluxDB")
    problems = difference(expected, stored)
    if problems:
        pytest.fail(problems)


def ingest_position(platform) -> int:
    """The service's position for the platform's gateway; 0 while it is down."""
    try:
        return platform.call("GetIngestPosition", pb.GetIngestPositionRequest(
            gateway_id=platform.gateway_id), token=platform.admin.access_token, timeout=2).acked_seq
    except grpc.RpcError:
        return 0


def wait_position(platform, at_least, timeout=60):
    harness.wait_for(lambda: ingest_position(platform) >= at_least, timeout=timeout,
                     interval=0.2, message=f"the service's position to reach {at_least}")
    return ingest_position(platform)


def assert_delivered(platform, influxdb, gateway, readings):
    """Numbered once each (the spool's counter), acknowledged, stored once each."""
    assert gateway.spool_state("last_seq") == len(readings) and gateway.pending() == 0
    assert ingest_position(platform) == len(readings)
    assert_stored_exactly(influxdb, platform.influx_database, readings)


# Failures mid-stream -----------------------------------------------------------------------
def test_a_service_crashed_and_stopped_mid_stream_loses_and_doubles_nothing(
        sensors_platform, influxdb, tmp_path, gateways):
    service = sensors_platform.service
    start, until = simulated_window(minutes=360)
    gateway = platform_gateway(sensors_platform, tmp_path, start, until).start()
    gateways.append(gateway)
    position = wait_position(sensors_platform, 2500)
    service.kill()                             # a crash, batches in flight
    service.start()                            # on the same port and store
    wait_position(sensors_platform, position + 2500)
    service.stop()     # SIGTERM: it serves the open stream on, until killed after 15 s
    service.start()
    gateway.wait_finished()
    assert "ingestion interrupted" in gateway.log_text()
    assert_delivered(sensors_platform, influxdb, gateway, simulated_readings(start, until))


def test_an_influxdb_outage_mid_stream_is_spooled_by_the_service_and_loses_nothing(
        sensors_platform, influxdb, tmp_path, gateways):
    start, until = simulated_window(minutes=240)
    gateway = platform_gateway(sensors_platform, tmp_path, start, until).start()
    gateways.append(gateway)
    position = wait_position(sensors_platform, 2500)
    influxdb.stop()
    try:
        # acknowledged while InfluxDB is down: durably in the service's spool
        wait_position(sensors_platform, position + 2500)
        assert not influxdb.running
    finally:
        influxdb.start()
    gateway.wait_finished()
    assert_delivered(sensors_platform, influxdb, gateway, simulated_readings(start, until))
    service_log = "\n".join(sensors_platform.service.log_lines())
    assert "unavailable: spooling" in service_log and "spooled points flushed" in service_log


def test_a_gateway_killed_mid_stream_resumes_from_its_spool_and_checkpoint(
        sensors_platform, influxdb, tmp_path, gateways):
    start, until = simulated_window(minutes=240)
    gateway = platform_gateway(sensors_platform, tmp_path, start, until)
    gateways.append(gateway)
    resumed_at = []
    for produced in (2000, 5000):             # of about 10,800
        gateway.start()
        harness.wait_for(lambda: gateway.produced() >= produced, timeout=60,
                         message=f"{produced} readings produced")
        gateway.kill()
        resumed_at.append(datetime.fromisoformat(gateway.spool_state("checkpoint")))
    gateway.start()
    gateway.wait_finished()
    assert_delivered(sensors_platform, influxdb, gateway,
                     simulated_readings(start, until, resumed_at))


def test_a_gateway_whose_spool_was_lost_numbers_after_the_services_position(
        sensors_platform, influxdb, tmp_path, gateways):
    """Reusing numbers the service has seen would have them skipped as replays."""
    first_start, first_until = simulated_window(minutes=20, hours_ago=5)
    second_start, second_until = first_until, first_until + timedelta(minutes=20)
    first = platform_gateway(sensors_platform, tmp_path, first_start, first_until).start()
    gateways.append(first)
    first.wait_finished()
    second = platform_gateway(sensors_platform, tmp_path, second_start, second_until,
                              spool_name="replacement-spool.db").start()
    gateways.append(second)
    second.wait_finished()
    readings = (simulated_readings(first_start, first_until)
                + simulated_readings(second_start, second_until))
    assert second.spool_state("last_seq") == len(readings) and second.pending() == 0
    assert ingest_position(sensors_platform) == len(readings)
    assert_stored_exactly(influxdb, sensors_platform.influx_database, readings)


def test_tokens_are_renewed_and_identity_and_service_outages_are_outlived(
        service_env, start_service, influxdb, tmp_path, gateways):
    """Tokens last 4 s; the fleet is registered by a configured operator machine."""
    secrets = {"gateway-test": "gateway-secret", "fleet-loader": "loader-secret"}
    digests = {name: hashlib.sha256(secret.encode()).hexdigest()
               for name, secret in secrets.items()}
    identity = start_service("identity.service:IdentityService", service_env(
        "identity", ACCESS_TOKEN_TTL_SECONDS="4", MACHINE_CREDENTIALS=(
            f"gateway-test={digests['gateway-test']},"
            f"fleet-loader={digests['fleet-loader']}+ioc_operator")))
    database = influxdb.create_database()
    service = start_service("sensors.service:SensorsService", service_env(
        "sensors", IDENTITY_GRPC_TARGET=identity.target, INFLUX_URL=influxdb.url,
        INFLUX_BUCKET=database, SENSORS_SPOOL_FILE=str(tmp_path / "sensors-spool.db")))
    start, until = simulated_window(minutes=180)
    gateway = GatewayProcess(tmp_path, simulation(start, until), Endpoints(
        service.target, identity.target, "gateway-test", secrets["gateway-test"]),
        OPERATOR_CLIENT_ID="fleet-loader", OPERATOR_CLIENT_SECRET=secrets["fleet-loader"]).start()
    gateways.append(gateway)
    time.sleep(6)                              # a token renewal or two, streaming
    identity.stop()                            # no renewal for a while
    service.stop()
    time.sleep(4)                              # the last token expires meanwhile
    identity.start()
    service.start()
    gateway.wait_finished()
    readings = simulated_readings(start, until)
    assert gateway.spool_state("last_seq") == len(readings) and gateway.pending() == 0
    assert_stored_exactly(influxdb, database, readings)
    # streams end for each renewal: a stale token would have been refused at the next one
    assert "UNAUTHENTICATED" not in gateway.log_text()


# The one misbehaviour a real service will not show on request ------------------------------
class SilentSensorsService(sensors_pb2_grpc.SensorsServicer):
    """Takes batches and answers none while silent, like a connection that died
    without a reset; answers like the real service once it is not."""

    def __init__(self):
        self.silent = True
        self.streams = 0
        self.acked_seq = 0
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        sensors_pb2_grpc.add_SensorsServicer_to_server(self, self.server)
        self.target = f"127.0.0.1:{self.server.add_insecure_port('127.0.0.1:0')}"
        self.server.start()

    def GetIngestPosition(self, request, context):
        return pb.IngestAck(acked_seq=self.acked_seq)

    def Ingest(self, batches, context):
        self.streams += 1
        for batch in batches:
            if not self.silent:
                self.acked_seq = max([self.acked_seq] + [r.seq for r in batch.readings])
                yield pb.IngestAck(acked_seq=self.acked_seq, accepted=len(batch.readings))


class FixedToken:
    def get(self):
        return "test-token"

    def renewal_due(self):
        return False

    def forget(self):
        pass


def test_a_stream_whose_acks_stop_coming_is_abandoned_and_resumed(tmp_path):
    service = SilentSensorsService()
    spool = Spool(str(tmp_path / "spool.db"))
    start, _ = simulated_window(minutes=1)
    spool.append(CitySimulator(fleet_definition(2, 1), seed=5, start=start).step())
    sender = Sender(spool, service.target, FixedToken(), batch_size=200, flush_seconds=0.05,
                    ack_timeout=1.0, backoff=Backoff(first=0.05, cap=0.5))
    stop = threading.Event()
    thread = threading.Thread(target=sender.run, args=(stop,))
    thread.start()
    harness.wait_for(lambda: service.streams >= 2, message="a second stream")
    service.silent = False
    harness.wait_for(lambda: spool.count() == 0, message="the readings acknowledged")
    stop.set()
    thread.join(10)
    assert service.acked_seq == spool.last_seq
    spool.close()
    service.server.stop(grace=None)


# MQTT -------------------------------------------------------------------------------------
def unique_gateway():
    return f"gw-{uuid.uuid4().hex[:8]}", f"test-{uuid.uuid4().hex[:8]}/city"


def start_bridge(spool, gateway_id, prefix, port=MOSQUITTO[1]):
    bridge = MqttBridge(spool, gateway_id, MOSQUITTO[0], port, prefix,
                        session_expiry_seconds=60)
    bridge.start()
    assert bridge.subscribed.wait(10), "the bridge did not subscribe"
    return bridge


def publish(messages, port=MOSQUITTO[1]):
    """(topic, payload) pairs, QoS 1: returns once the broker has them."""
    mqtt_publish.multiple([{"topic": topic, "payload": payload, "qos": 1}
                           for topic, payload in messages], hostname=MOSQUITTO[0], port=port)


def test_the_bridge_spools_readings_and_counts_malformed_ones(tmp_path):
    gateway_id, prefix = unique_gateway()
    spool = Spool(str(tmp_path / "spool.db"))
    bridge = start_bridge(spool, gateway_id, prefix)
    topic = f"{prefix}/{gateway_id}"
    publish([
        (f"{topic}/tn-aq-001", '{"kind": "pm25", "value": 35.2, "unit": "µg/m³", '
                               '"time": "2026-11-22T09:00:00+07:00", "label": ""}'),
        (f"{topic}/tn-cam-001", '[{"kind": "vehicle_count", "value": 212, "time": 1795312800, '
                                '"label": "motorbike"}, {"kind": "mean_speed", "value": 31.5, '
                                '"time": 1795312800000}]'),
        (f"{topic}/tn-aq-001", "{not json"),
        (f"{topic}/tn-aq-001", '{"kind": "pm25", "value": "high", "time": 1795312800}'),
        (f"{prefix}/another-gateway/tn-aq-009", '{"kind": "pm25", "value": 1, "time": 1}'),
    ])
    harness.wait_for(lambda: bridge.stats["messages"] == 4, message="four messages")
    bridge.stop()
    readings = [item.reading for item in spool.pending(0, 100)]
    assert [(r.sensor_id, r.kind, r.value, r.label) for r in readings] == [
        ("tn-aq-001", "pm25", 35.2, ""), ("tn-cam-001", "vehicle_count", 212, "motorbike"),
        ("tn-cam-001", "mean_speed", 31.5, "")]
    assert readings[0].time == datetime(2026, 11, 22, 9, tzinfo=ICT)
    assert readings[1].time == readings[2].time == datetime(2026, 11, 22, 9, tzinfo=ICT)
    assert readings[2].unit == "km/h"
    assert bridge.stats["malformed"] == 2
    spool.close()


def test_the_bridge_receives_what_was_published_while_it_was_away(tmp_path):
    gateway_id, prefix = unique_gateway()
    spool = Spool(str(tmp_path / "spool.db"))
    start_bridge(spool, gateway_id, prefix).stop()
    publish([(f"{prefix}/{gateway_id}/tn-aq-001",
              f'{{"kind": "noise", "value": {60 + n}, "time": 1795312800}}') for n in range(5)])
    bridge = start_bridge(spool, gateway_id, prefix)
    harness.wait_for(lambda: spool.count() == 5, message="the five queued readings")
    assert [item.reading.value for item in spool.pending(0, 10)] == [60, 61, 62, 63, 64]
    bridge.stop()
    spool.close()


@pytest.fixture
def private_broker(tmp_path):
    """A Mosquitto of this test's own, which it may stop and start."""
    port = harness.free_port()
    config = tmp_path / "mosquitto.conf"
    config.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\n")
    broker = {"port": port}

    def start():
        broker["process"] = subprocess.Popen(["mosquitto", "-c", str(config)],
                                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        harness.wait_for(lambda: broker_answers(port), message="mosquitto listening")

    broker["start"] = start
    start()
    yield broker
    broker["process"].terminate()
    broker["process"].wait()


def broker_answers(port):
    try:
        mqtt_publish.single("ping", "", hostname="127.0.0.1", port=port)
        return True
    except OSError:
        return False


def test_the_bridge_survives_a_broker_restart(tmp_path, private_broker):
    gateway_id, prefix = unique_gateway()
    port = private_broker["port"]
    spool = Spool(str(tmp_path / "spool.db"))
    bridge = start_bridge(spool, gateway_id, prefix, port)
    topic = f"{prefix}/{gateway_id}/tn-aq-001"
    publish([(topic, '{"kind": "o3", "value": 80, "time": 1795312800}')], port)
    harness.wait_for(lambda: spool.count() == 1, message="the first reading")

    private_broker["process"].terminate()
    private_broker["process"].wait()
    harness.wait_for(lambda: not bridge.subscribed.is_set(), message="the bridge to notice")
    private_broker["start"]()
    assert bridge.subscribed.wait(40), "the bridge did not come back"
    publish([(topic, '{"kind": "o3", "value": 81, "time": 1795312860}')], port)
    harness.wait_for(lambda: spool.count() == 2, message="the reading after the restart")
    bridge.stop()
    spool.close()


def timestamp(seconds):
    moment = pb.GetRangeRequest().start
    moment.FromSeconds(seconds)
    return moment


def test_mqtt_readings_reach_the_service_and_influxdb(sensors_platform, influxdb, tmp_path,
                                                      gateways):
    platform = sensors_platform
    stations = ["tn-aq-101", "tn-aq-102"]
    for station in stations:
        platform.register(station, pb.ENVIRONMENTAL, ["pm10"])
    _, prefix = unique_gateway()
    gateway = GatewayProcess(tmp_path, ["mqtt", "--topic-prefix", prefix],
                             platform_endpoints(platform)).start()
    gateways.append(gateway)
    harness.wait_for(lambda: "subscribed to" in gateway.log_text(), message="the bridge subscribed")
    first = int(time.time()) // 60 * 60 - 3600
    publish([(f"{prefix}/{platform.gateway_id}/{station}",
              f'{{"kind": "pm10", "value": {n}, "time": {first + n * 60}}}')
             for station in stations for n in range(1, 26)])

    def counts():
        return [sum(bucket.count for bucket in platform.call("GetRange", pb.GetRangeRequest(
            sensor_id=station, kind="pm10", start=timestamp(first), end=timestamp(first + 3600),
            interval_seconds=600)).points) for station in stations]

    harness.wait_for(lambda: counts() == [25, 25], timeout=30, message="50 readings stored")
    assert gateway.stop() == 0
    assert gateway.spool_state("last_seq") == 50 and gateway.pending() == 0
    [series] = influxdb.select("SELECT value, sensor_id FROM reading", platform.influx_database)
    assert sorted((sensor, value) for _, value, sensor in series["values"]) == [
        (station, float(n)) for station in stations for n in range(1, 26)]
