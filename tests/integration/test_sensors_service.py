"""The sensors service over real sockets, with real InfluxDB, RabbitMQ and
PostgreSQL: registry, ingestion, reads, rules to events, live view."""
import math
import queue
import threading
import time
import uuid

import grpc
import pytest
from kombu import Connection, Exchange, Queue

import harness
from kit import envelopes
from kit.client import channel, metadata
from smartcity.events.v1 import sensors_pb2 as sensor_events
from smartcity.sensors.v1 import sensors_pb2 as pb
from smartcity.sensors.v1 import sensors_pb2_grpc

pytestmark = pytest.mark.timeout(180)

NOW = time.time()


def ts(seconds):
    reading_time = pb.Reading().time
    reading_time.FromNanoseconds(int(seconds * 1e9))
    return reading_time


def reading(seq, sensor_id, kind, value, unit, at=None, label=""):
    return pb.Reading(seq=seq, sensor_id=sensor_id, kind=kind, value=value, unit=unit,
                      time=ts(at if at is not None else time.time()), label=label)


def stream(platform, batches, token=None):
    """Sends the batches on one Ingest stream; returns the acks."""
    token = token or platform.gateway_token()
    requests = iter([pb.ReadingBatch(readings=b) for b in batches])
    return list(platform.stub.Ingest(requests, metadata=metadata(token), timeout=20))


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


class EventTap:
    """A queue bound to the sensors service's event exchange."""

    def __init__(self, vhost):
        self.connection = Connection(harness.amqp_uri(vhost))
        self.queue = Queue(f"tap-{uuid.uuid4().hex[:8]}", exchange=Exchange(
            "sensors.events", type="topic", durable=True), routing_key="#", auto_delete=True)
        self.queue(self.connection.default_channel).declare()

    def next_event(self, *types, timeout=15):
        """The next event of one of these types (others are skipped)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            message = self.queue(self.connection.default_channel).get(no_ack=True)
            if message is None:
                time.sleep(0.05)
                continue
            envelope = envelopes.decode(message.body)
            if envelope.event_type.rsplit(".", 1)[-1] in types:
                return envelope
        raise AssertionError(f"no {types} event arrived")

    def close(self):
        self.connection.release()


def test_registry_permissions_and_bad_input(sensors_platform):
    p = sensors_platform
    station = p.register(unique("tn-aq"), pb.ENVIRONMENTAL, ["pm25", "pm10"], name="Trạm Phan Đình Phùng",
                         calibration_offsets={"pm25": -1.5})
    assert station.gateway_id == p.gateway_id and list(station.kinds) == ["pm25", "pm10"]
    _, citizen = p.identity.citizen(f"0916{uuid.uuid4().int % 10**6:06d}", f"001090{uuid.uuid4().int % 10**6:06d}")
    with pytest.raises(grpc.RpcError) as denied:
        p.call("RegisterSensor", pb.RegisterSensorRequest(id=unique("x"), family=pb.ENVIRONMENTAL),
               token=citizen.access_token)
    assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED

    good = dict(id=unique("tn-aq"), family=pb.ENVIRONMENTAL, kinds=["pm25"], latitude=21.59,
                longitude=105.84, unit_code="05443", gateway_id=p.gateway_id)
    for field, value in [("id", "A B"), ("family", pb.FAMILY_UNSPECIFIED), ("kinds", ["vehicle_count"]),
                         ("latitude", 95.0), ("longitude", math.nan), ("unit_code", "19"),
                         ("gateway_id", ""), ("stream_url", "ftp://x"),
                         ("calibration_offsets", {"pm10": 1.0})]:
        with pytest.raises(grpc.RpcError) as bad:
            p.call("RegisterSensor", pb.RegisterSensorRequest(**{**good, field: value}),
                   token=p.admin.access_token)
        assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT, field
        assert field in bad.value.details()
    with pytest.raises(grpc.RpcError) as duplicate:
        p.call("RegisterSensor", pb.RegisterSensorRequest(**{**good, "id": station.id}),
               token=p.admin.access_token)
    assert duplicate.value.code() == grpc.StatusCode.ALREADY_EXISTS

    moved = p.call("UpdateSensor", pb.UpdateSensorRequest(id=station.id, update_mask=["latitude"],
                                                         latitude=21.6), token=p.admin.access_token)
    assert moved.latitude == 21.6 and moved.longitude == station.longitude
    listed = p.call("ListSensors", pb.ListSensorsRequest(unit_code="19", gateway_id=p.gateway_id))
    assert station.id in [s.id for s in listed.sensors]
    with pytest.raises(grpc.RpcError) as missing:
        p.call("GetSensor", pb.GetSensorRequest(id="nope-nope"))
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND


def ingest_and_read(p):
    station = p.register(unique("tn-aq"), pb.ENVIRONMENTAL, ["pm25", "temperature"],
                         calibration_offsets={"pm25": 2.0}).id
    camera = p.register(unique("tn-cam"), pb.CAMERA, ["vehicle_count", "incident"],
                        stream_url="https://camera.example/tn-01.m3u8").id
    other_gateway = p.register(unique("tn-aq"), pb.ENVIRONMENTAL, ["pm25"], gateway_id="someone-else").id
    base = time.time() - 600
    good = [reading(i + 1, station, "pm25", 30.0 + i, "µg/m³", at=base + i * 60) for i in range(5)]
    good += [reading(6, camera, "vehicle_count", 42, "vehicles", at=base, label="motorbike"),
             reading(7, station, "temperature", 31.5, "°C", at=base)]
    bad = [
        reading(8, "nobody", "pm25", 1, "µg/m³"),                      # unknown_sensor
        reading(9, other_gateway, "pm25", 1, "µg/m³"),                 # not_this_gateways_sensor
        reading(10, station, "noise", 50, "dB(A)"),                    # unknown_kind
        reading(11, station, "pm25", 1, "ppm"),                        # wrong_unit
        reading(12, station, "pm25", 5000, "µg/m³"),                   # out_of_range
        reading(13, station, "pm25", math.nan, "µg/m³"),               # not_a_number
        reading(14, station, "pm25", 1, "µg/m³", at=time.time() + 3600),   # too_far_in_future
        reading(15, station, "pm25", 1, "µg/m³", at=time.time() - 30 * 86400),  # too_old
        reading(16, camera, "vehicle_count", 3, "vehicles", label="elephant"),  # bad_label
    ]
    acks = stream(p, [good, bad])
    assert [a.acked_seq for a in acks] == [7, 16]
    assert acks[0].accepted == 7 and not acks[0].rejected
    assert dict(acks[1].rejected) == {
        "unknown_sensor": 1, "not_this_gateways_sensor": 1, "unknown_kind": 1, "wrong_unit": 1,
        "out_of_range": 1, "not_a_number": 1, "too_far_in_future": 1, "too_old": 1, "bad_label": 1}

    replay = stream(p, [good + bad])                                   # after a reconnect
    assert (replay[0].acked_seq, replay[0].accepted, dict(replay[0].rejected)) == (16, 0, {})
    position = p.call("GetIngestPosition", pb.GetIngestPositionRequest(), token=p.gateway_token())
    assert position.acked_seq == 16

    latest = p.call("GetLatest", pb.GetLatestRequest(sensor_ids=[station], kind="pm25")).values
    assert [(v.kind, v.value) for v in latest] == [("pm25", 36.0)]     # 34 + calibration 2
    buckets = p.call("GetRange", pb.GetRangeRequest(
        sensor_id=station, kind="pm25", start=ts(base - 1), end=ts(base + 600), interval_seconds=120))
    assert sum(b.count for b in buckets.points) == 5                   # nothing counted twice
    assert [round(b.mean, 1) for b in buckets.points][:1] in ([32.5], [32.0])
    areas = p.call("GetAreaAggregates", pb.GetAreaAggregatesRequest(
        kind="pm25", unit_code="19", start=ts(base - 1), end=ts(base + 600)))
    row = next(a for a in areas.areas if a.unit_code == "05443")
    assert row.count >= 5 and row.sensors >= 1


def test_ingestion_on_influxdb(sensors_platform):
    ingest_and_read(sensors_platform)


def test_ingestion_on_the_embedded_store(embedded_sensors_platform):
    ingest_and_read(embedded_sensors_platform)


def test_only_gateways_stream(sensors_platform):
    with pytest.raises(grpc.RpcError) as denied:
        stream(sensors_platform, [[]], token=sensors_platform.admin.access_token)
    assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED


def water_levels(p, sensor_id, first_seq, values, start, step=60):
    return [reading(first_seq + i, sensor_id, "water_level", v, "m", at=start + i * step)
            for i, v in enumerate(values)]


def test_flood_stage_breach_and_clear_become_events_and_survive_a_restart(sensors_platform, vhost):
    p = sensors_platform
    gauge = "tn-wl-gia-bay"                       # the shipped flood rule names this gauge
    p.register(gauge, pb.ENVIRONMENTAL, ["water_level"], name="Cầu river at Gia Bảy")
    tap = EventTap(vhost)
    start = time.time() - 3 * 3600
    # above stage I for 14 minutes (the rule wants 10), then noise inside the hysteresis band
    rising = [24.0, 24.5] + [25.2, 25.1, 25.3, 25.05, 25.2] * 3 + [24.95, 25.1, 24.92, 25.0]
    acks = stream(p, [water_levels(p, gauge, 1, rising, start)])
    assert acks[-1].accepted == len(rising)
    breached = tap.next_event("ThresholdBreached", "ThresholdCleared")
    assert breached.event_type == "smartcity.events.v1.ThresholdBreached"
    payload = envelopes.unpack(breached, sensor_events.ThresholdBreached)
    assert (payload.sensor.sensor_id, payload.level, payload.severity) == (gauge, "báo động I", 2)

    p.service.stop()                              # rule state must survive this
    p.service.start()
    falling = [24.5, 24.6, 24.4] * 5
    stream(p, [water_levels(p, gauge, len(rising) + 1, falling, start + len(rising) * 60)])
    cleared = tap.next_event("ThresholdBreached", "ThresholdCleared")
    assert cleared.event_type == "smartcity.events.v1.ThresholdCleared"   # not a second breach
    tap.close()


def watch(stub, sensor_ids, token):
    """A Watch call followed in a thread: (the call, a queue of what it sends)."""
    received = queue.Queue()
    call = stub.Watch(pb.WatchRequest(sensor_ids=sensor_ids), metadata=metadata(token), timeout=30)

    def follow():
        try:
            for live in call:
                received.put(live)
        except grpc.RpcError:
            pass

    threading.Thread(target=follow, daemon=True).start()
    return call, received


def test_live_view_follows_chosen_sensors(sensors_platform):
    p = sensors_platform
    watched = p.register(unique("tn-aq"), pb.ENVIRONMENTAL, ["pm25"]).id
    other = p.register(unique("tn-aq"), pb.ENVIRONMENTAL, ["pm25"]).id
    call, received = watch(p.stub, [watched], p.admin.access_token)
    time.sleep(0.5)
    stream(p, [[reading(1, other, "pm25", 10, "µg/m³"), reading(2, watched, "pm25", 20, "µg/m³")]])
    live = received.get(timeout=10)
    assert (live.sensor_id, live.value) == (watched, 20)
    call.cancel()
    assert received.empty()


def test_live_view_follows_readings_arriving_at_another_replica(sensors_platform, start_service):
    p = sensors_platform
    replica = start_service("sensors.service:SensorsService",
                            {**p.service.env, "GRPC_PORT": str(harness.free_port())}, name="replica")
    watched = p.register(unique("tn-aq"), pb.ENVIRONMENTAL, ["pm25"]).id
    call, received = watch(sensors_pb2_grpc.SensorsStub(channel(replica.target)), [watched],
                           p.admin.access_token)
    time.sleep(0.5)    # the replica's watcher is announced to the other
    stream(p, [[reading(1, watched, "pm25", 20, "µg/m³")]])    # to the first replica
    live = received.get(timeout=10)
    assert (live.sensor_id, live.value) == (watched, 20)
    call.cancel()


def test_influxdb_outage_spools_and_loses_nothing(sensors_platform, influxdb):
    p = sensors_platform
    station = p.register(unique("tn-aq"), pb.ENVIRONMENTAL, ["pm25"]).id
    base = time.time() - 300
    influxdb.stop()
    try:
        acks = stream(p, [[reading(i + 1, station, "pm25", 10 + i, "µg/m³", at=base + i) for i in range(50)]])
        assert acks[0].acked_seq == 50 and acks[0].accepted == 50     # acknowledged from the spool
    finally:
        influxdb.start()

    def stored():
        rows = influxdb.select(f"SELECT count(value) FROM reading WHERE sensor_id = '{station}'",
                               p.influx_database)
        return rows and rows[0]["values"][0][1] == 50

    harness.wait_for(stored, timeout=30, message="the spool flushed to InfluxDB")


def test_a_stopping_service_ends_open_streams_after_answering(sensors_platform):
    p = sensors_platform
    station = p.register(unique("tn-aq"), pb.ENVIRONMENTAL, ["pm25"]).id
    hold = threading.Event()

    def batches():
        yield pb.ReadingBatch(readings=[reading(1, station, "pm25", 12, "µg/m³")])
        hold.wait(30)                              # the gateway keeps the stream open

    call = p.stub.Ingest(batches(), metadata=metadata(p.gateway_token()), timeout=30)
    assert next(call).acked_seq == 1
    started = time.monotonic()
    p.service.process.terminate()                  # SIGTERM, as Kubernetes stops a pod
    with pytest.raises(grpc.RpcError) as ended:
        next(call)
    assert ended.value.code() == grpc.StatusCode.UNAVAILABLE
    assert p.service.process.wait(timeout=10) == 0 and time.monotonic() - started < 10
    hold.set()
