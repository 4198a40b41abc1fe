"""The sensor gateway over real sockets: its sender against a stand-in for the
sensors service's ingestion (until the real service can run here), a real
identity service for its tokens, and its MQTT bridge against real Mosquitto
brokers. Services, the gateway and brokers are stopped and restarted mid-stream:
no reading may be lost, and none the service acknowledged may be sent again."""
import hashlib
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from concurrent import futures
from datetime import datetime, timezone

import grpc
import paho.mqtt.publish as mqtt_publish
import pytest
from smartcity.sensors.v1 import sensors_pb2 as pb
from smartcity.sensors.v1 import sensors_pb2_grpc

import harness
from gateway.client import Backoff, Sender
from gateway.mqtt_bridge import MqttBridge
from gateway.simulator import ICT, CitySimulator, fleet_definition, produce
from gateway.spool import Spool

pytestmark = pytest.mark.timeout(180)

MOSQUITTO = ("127.0.0.1", 1883)
JULY = datetime(2026, 7, 1, tzinfo=ICT)   # the rainy season: rain, rivers, flooding
FAST = dict(batch_size=200, flush_seconds=0.05)
GATEWAY_ID, GATEWAY_SECRET = "gateway-test", "gateway-test-secret"


class StandInSensorsServer(sensors_pb2_grpc.SensorsServicer):
    """TEMPORARY: stands in for the sensors service's ingestion until the real
    service runs in these tests. It stores readings in memory, which outlives
    its restarts like a durable store; a stopped server stores nothing more."""

    def __init__(self):
        self.port = harness.free_port()
        self.stored: dict[int, pb.Reading] = {}
        self.acked_seq = 0
        self.replayed = 0          # readings sent again at or below the position
        self.tokens: list[str] = []
        self.silent = False        # takes batches and never answers, like a dead connection
        self.streams = 0
        self.lock = threading.Lock()
        self.generation = 0
        self.server = None

    @property
    def target(self):
        return f"127.0.0.1:{self.port}"

    def start(self):
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
        sensors_pb2_grpc.add_SensorsServicer_to_server(self, self.server)
        self.server.add_insecure_port(self.target)
        self.server.start()
        return self

    def stop(self):
        """Stops at once, mid-stream, like a crash."""
        with self.lock:
            self.generation += 1
        self.server.stop(grace=None).wait()

    def authenticate(self, context):
        token = dict(context.invocation_metadata()).get("authorization", "")
        if not token.startswith("Bearer "):
            context.abort(grpc.StatusCode.UNAUTHENTICATED, "no bearer token")
        self.tokens.append(token.removeprefix("Bearer "))

    def GetIngestPosition(self, request, context):
        self.authenticate(context)
        with self.lock:
            return pb.IngestAck(acked_seq=self.acked_seq)

    def Ingest(self, request_iterator, context):
        self.authenticate(context)
        generation = self.generation
        self.streams += 1
        for batch in request_iterator:
            with self.lock:
                if generation != self.generation:
                    return
                if self.silent:
                    continue
                fresh = [r for r in batch.readings if r.seq > self.acked_seq]
                self.replayed += len(batch.readings) - len(fresh)
                self.stored.update((r.seq, r) for r in fresh)
                self.acked_seq = max([self.acked_seq] + [r.seq for r in fresh])
                ack = pb.IngestAck(acked_seq=self.acked_seq, accepted=len(fresh))
            yield ack


class FixedToken:
    """Tokens for tests that are not about tokens."""

    def get(self):
        return "test-token"

    def renewal_due(self):
        return False

    def forget(self):
        pass


class RecordingSpool(Spool):
    """Remembers every reading it numbered, to compare with what the service stored."""

    def __init__(self, path, produced: dict):
        super().__init__(str(path))
        self.produced = produced

    def append(self, readings, checkpoint=None):
        seqs = super().append(readings, checkpoint)
        self.produced.update(zip(seqs, readings))
        return seqs


class InProcessGateway:
    """The simulator and the sender around one spool, as `python -m gateway` runs them."""

    def __init__(self, spool_path, target, produced):
        self.spool_path, self.target, self.produced = spool_path, target, produced

    def start(self):
        self.spool = RecordingSpool(self.spool_path, self.produced)
        resume = self.spool.checkpoint
        simulator = CitySimulator(fleet_definition(3, 2), seed=7, interval_seconds=60,
                                  start=datetime.fromisoformat(resume) if resume else JULY)
        self.sender = Sender(self.spool, self.target, FixedToken(), **FAST,
                             backoff=Backoff(first=0.05, cap=0.5))
        self.producing, self.sending = threading.Event(), threading.Event()
        self.producer = threading.Thread(target=produce, args=(simulator, self.spool, 3600,
                                                               self.producing))
        self.sender_thread = threading.Thread(target=self.sender.run, args=(self.sending,))
        self.producer.start()
        self.sender_thread.start()
        return self

    def stop_producing(self):
        self.producing.set()
        self.producer.join(10)

    def crash(self):
        """Stops without waiting for acknowledgements; the spool file stays."""
        self.stop_producing()
        self.sending.set()
        self.sender.cancel()
        self.sender_thread.join(10)
        self.sender.close()
        self.spool.close()


def wait_acked(server, at_least, timeout=30):
    harness.wait_for(lambda: server.acked_seq >= at_least, timeout=timeout,
                     message=f"the service's position to reach {at_least}")


def assert_stored_exactly(server, produced):
    assert server.replayed == 0
    assert sorted(server.stored) == sorted(produced) == list(range(1, len(produced) + 1))
    for seq, reading in produced.items():
        stored = server.stored[seq]
        assert (stored.sensor_id, stored.kind, stored.value, stored.unit, stored.label) == (
            reading.sensor_id, reading.kind, reading.value, reading.unit, reading.label)
        assert stored.time.ToDatetime(tzinfo=timezone.utc) == reading.time


def test_no_reading_lost_or_resent_across_service_and_gateway_restarts(tmp_path):
    server = StandInSensorsServer().start()
    produced = {}
    gateway = InProcessGateway(tmp_path / "spool.db", server.target, produced).start()
    wait_acked(server, 2000)

    server.stop()                         # the service dies mid-stream
    time.sleep(0.5)                       # readings keep being spooled meanwhile
    server.start()
    wait_acked(server, server.acked_seq + 2000)

    gateway.crash()                       # the gateway dies with batches in flight
    gateway.start()                       # and comes back on the same spool
    wait_acked(server, server.acked_seq + 2000)

    server.stop()                         # both down at once
    gateway.crash()
    gateway.start()
    time.sleep(0.5)
    assert gateway.spool.count() > 0      # spooled while the service is down
    server.start()

    gateway.stop_producing()
    wait_acked(server, len(produced))
    assert gateway.spool.count() == 0
    assert gateway.spool.last_seq == len(produced)
    gateway.crash()
    server.stop()
    assert_stored_exactly(server, produced)


def test_a_fresh_spool_numbers_after_the_services_position(tmp_path):
    """A gateway whose spool was lost must not reuse numbers the service has seen."""
    server = StandInSensorsServer().start()
    server.acked_seq = 5000
    spool = Spool(str(tmp_path / "spool.db"))
    simulator = CitySimulator(fleet_definition(1, 1), seed=3, start=JULY)
    spool.append(simulator.step())
    sender = Sender(spool, server.target, FixedToken(), **FAST)
    stop = threading.Event()
    thread = threading.Thread(target=sender.run, args=(stop,))
    thread.start()
    harness.wait_for(lambda: spool.count() == 0, message="the readings acknowledged")
    stop.set()
    thread.join(10)
    assert min(server.stored) == 5001 and spool.last_seq == max(server.stored)
    assert server.replayed == 0
    spool.close()
    server.stop()


def test_a_stream_whose_acks_stop_coming_is_abandoned_and_resumed(tmp_path):
    server = StandInSensorsServer().start()
    server.silent = True
    spool = Spool(str(tmp_path / "spool.db"))
    spool.append(CitySimulator(fleet_definition(2, 1), seed=5, start=JULY).step())
    sender = Sender(spool, server.target, FixedToken(), **FAST, ack_timeout=1.0,
                    backoff=Backoff(first=0.05, cap=0.5))
    stop = threading.Event()
    thread = threading.Thread(target=sender.run, args=(stop,))
    thread.start()
    harness.wait_for(lambda: server.streams >= 2, message="a second stream")
    server.silent = False
    wait_acked(server, spool.last_seq)
    stop.set()
    thread.join(10)
    assert sorted(server.stored) == list(range(1, spool.last_seq + 1))
    spool.close()
    server.stop()


# The command line, with a real identity service -------------------------------------------
def start_gateway_process(tmp_path, sensors_target, identity_target):
    env = {**os.environ, "GATEWAY_CLIENT_SECRET": GATEWAY_SECRET, "LOG_LEVEL": "INFO"}
    with open(tmp_path / "gateway.log", "ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "gateway", "simulate", "--sensors-target", sensors_target,
             "--identity-target", identity_target, "--client-id", GATEWAY_ID, "--stations", "3",
             "--cameras", "2", "--speed", "3600", "--start", JULY.isoformat(), "--spool",
             str(tmp_path / "spool.db"), "--flush-seconds", "0.05", "--batch-size", "200",
             "--fault", "tn-aq-002:stuck:30:60"],
            env=env, stdout=log, stderr=subprocess.STDOUT)


def test_the_gateway_process_survives_restarts_of_itself_identity_and_the_service(
        tmp_path, service_env, start_service):
    credentials = f"{GATEWAY_ID}={hashlib.sha256(GATEWAY_SECRET.encode()).hexdigest()}"
    identity = start_service("identity.service:IdentityService", service_env(
        "identity", ACCESS_TOKEN_TTL_SECONDS="4", MACHINE_CREDENTIALS=credentials))
    server = StandInSensorsServer().start()
    gateway = start_gateway_process(tmp_path, server.target, identity.target)
    try:
        wait_acked(server, 3000)
        gateway.kill()                    # a crash: SIGKILL, batches in flight
        gateway.wait()
        gateway = start_gateway_process(tmp_path, server.target, identity.target)
        wait_acked(server, server.acked_seq + 3000)

        identity.stop()                   # no token renewal for a while
        server.stop()
        time.sleep(3)
        identity.start()
        server.start()
        wait_acked(server, server.acked_seq + 3000, timeout=60)
    finally:
        gateway.send_signal(signal.SIGTERM)
        status = gateway.wait(20)
    assert status == 0                    # a clean shutdown
    spool = Spool(str(tmp_path / "spool.db"))
    assert spool.count() == 0 or spool.pending(0, 1)[0].seq == server.acked_seq + 1
    assert sorted(server.stored) == list(range(1, server.acked_seq + 1))
    assert server.replayed == 0
    assert len(set(server.tokens)) >= 3   # renewed every 2 s, the stream following
    spool.close()
    server.stop()


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


def test_mqtt_readings_reach_the_service(tmp_path):
    gateway_id, prefix = unique_gateway()
    server = StandInSensorsServer().start()
    spool = Spool(str(tmp_path / "spool.db"))
    bridge = start_bridge(spool, gateway_id, prefix)
    sender = Sender(spool, server.target, FixedToken(), **FAST)
    stop = threading.Event()
    thread = threading.Thread(target=sender.run, args=(stop,))
    thread.start()
    publish([(f"{prefix}/{gateway_id}/tn-aq-{n:03d}",
              f'{{"kind": "pm10", "value": {n}, "time": 1795312800}}') for n in range(1, 51)])
    wait_acked(server, 50)
    stop.set()
    thread.join(10)
    bridge.stop()
    assert sorted(r.value for r in server.stored.values()) == list(range(1, 51))
    assert spool.count() == 0
    spool.close()
    server.stop()
