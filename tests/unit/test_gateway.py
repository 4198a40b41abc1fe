"""The sensor gateway's parts on their own: the spool, the simulated city,
MQTT payloads, the sender's batching, back-off and tokens, the command line."""
import logging
import math
import statistics
import threading
from collections import defaultdict
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import grpc
import pytest

import harness
from gateway.__main__ import parser
from gateway.client import Backoff, BatchStream, MachineToken, TokenUnavailable, to_proto
from gateway.mqtt_bridge import MqttBridge, parse_payload
from gateway.readings import UNITS, Reading
from gateway.simulator import (
    CAMERA, ICT, CitySimulator, Fault, fleet_definition, local_hour, parse_fault, produce)
from gateway.spool import Spool, Spooled
from kit.adminunits import AdministrativeUnits

NOVEMBER = datetime(2026, 11, 16, tzinfo=ICT)   # a Monday in the dry season
JULY = datetime(2026, 7, 1, tzinfo=ICT)         # the rainy season


def reading(value=1.0, sensor_id="tn-aq-001", kind="pm25", label=""):
    return Reading(sensor_id, kind, value, UNITS[kind], datetime(2026, 11, 22, 9, tzinfo=ICT),
                   label)


@pytest.fixture
def spool(tmp_path):
    spool = Spool(str(tmp_path / "spool.db"))
    yield spool
    spool.close()


# The spool ----------------------------------------------------------------------------------
def test_readings_come_back_as_they_went_in(spool):
    sent = [reading(35.2), reading(212, "tn-cam-001", "vehicle_count", "motorbike")]
    assert spool.append(sent) == [1, 2]
    assert [(item.seq, item.reading) for item in spool.pending()] == [(1, sent[0]), (2, sent[1])]


def test_sequence_numbers_survive_reopening_even_when_all_were_acknowledged(tmp_path):
    path = str(tmp_path / "spool.db")
    first = Spool(path)
    first.append([reading(), reading(), reading()])
    first.acknowledge(3)
    first.close()
    reopened = Spool(path)
    assert reopened.append([reading()]) == [4]
    assert reopened.count() == 1
    reopened.close()


def test_pending_is_oldest_first_after_a_position(spool):
    spool.append([reading(n) for n in range(10)])
    assert [item.seq for item in spool.pending(after_seq=4, limit=3)] == [5, 6, 7]
    assert [item.reading.value for item in spool.pending(after_seq=8)] == [8, 9]


def test_acknowledge_forgets_readings_up_to_the_position(spool):
    spool.append([reading(n) for n in range(5)])
    assert spool.acknowledge(3) == 3
    assert [item.seq for item in spool.pending()] == [4, 5]
    assert spool.count() == 2


def test_a_full_spool_drops_its_oldest_readings_counts_and_says_so(tmp_path, caplog):
    spool = Spool(str(tmp_path / "spool.db"), capacity=5)
    spool.append([reading(n) for n in range(3)])
    with caplog.at_level(logging.WARNING):
        spool.append([reading(n) for n in range(3, 8)])
    assert [item.seq for item in spool.pending()] == [4, 5, 6, 7, 8]
    assert spool.dropped == 3
    assert "dropped the 3 oldest" in caplog.text
    spool.close()


def test_a_position_beyond_the_counter_renumbers_pending_readings(spool):
    """A spool that was lost and started again must not reuse the service's numbers."""
    spool.append([reading(n) for n in range(3)])
    spool.align(5000)
    assert [(item.seq, item.reading.value) for item in spool.pending()] == [
        (5001, 0), (5002, 1), (5003, 2)]
    assert spool.append([reading(3)]) == [5004]


def test_aligning_with_a_known_position_acknowledges_up_to_it(spool):
    spool.append([reading(n) for n in range(4)])
    spool.align(2)
    assert [item.seq for item in spool.pending()] == [3, 4]
    assert spool.last_seq == 4


def test_the_checkpoint_is_kept_with_the_readings(tmp_path):
    path = str(tmp_path / "spool.db")
    spool = Spool(path)
    spool.append([reading()], checkpoint="2026-07-01T01:00:00+07:00")
    spool.close()
    assert Spool(path).checkpoint == "2026-07-01T01:00:00+07:00"


def test_waiting_for_pending_readings_wakes_on_append(spool):
    threading.Timer(0.05, spool.append, [[reading(), reading()]]).start()
    assert spool.wait_for_pending(after_seq=0, count=2, timeout=5)
    assert not spool.wait_for_pending(after_seq=2, count=1, timeout=0.05)


# The fleet ----------------------------------------------------------------------------------
def test_the_fleet_stands_in_thai_nguyen_communes():
    units = AdministrativeUnits.load()
    fleet = fleet_definition(stations=8, cameras=5)
    assert [s.id for s in fleet][:2] == ["tn-aq-001", "tn-aq-002"]
    assert fleet[-1].id == "tn-cam-005" and fleet[-1].family == CAMERA
    for sensor in fleet:
        assert units.is_commune(sensor.unit_code)
        assert units.province_of(sensor.unit_code).code == "19"
        assert 21.5 < sensor.latitude < 21.7 and 105.7 < sensor.longitude < 105.95
        assert set(sensor.kinds) <= set(UNITS)
    assert any("water_level" in sensor.kinds for sensor in fleet)
    assert fleet_definition(8, 5) == fleet


def simulate(start, days, stations=2, cameras=2, seed=1, interval=300, faults=()):
    simulator = CitySimulator(fleet_definition(stations, cameras), seed, start, interval, faults)
    return [r for _ in range(round(days * 86400 / interval)) for r in simulator.step()]


def hourly_means(readings, kind, label=""):
    by_hour = defaultdict(list)
    for r in readings:
        if r.kind == kind and r.label == label:
            by_hour[int(local_hour(r.time))].append(r.value)
    return {hour: statistics.mean(values) for hour, values in by_hour.items()}


@pytest.fixture(scope="module")
def november_week():
    return simulate(NOVEMBER, days=5)   # Monday to Friday


def test_readings_use_the_contracts_units_and_labels(november_week):
    kinds = {sensor.id: sensor.kinds for sensor in fleet_definition(2, 2)}
    for r in november_week:
        assert r.unit == UNITS[r.kind] and r.kind in kinds[r.sensor_id]
        assert math.isfinite(r.value) and r.value >= 0
    assert {r.label for r in november_week if r.kind == "vehicle_count"} == {
        "motorbike", "car", "truck", "bus"}


def test_rush_hours_bring_more_vehicles_slower_speeds_and_congestion(november_week):
    motorbikes = hourly_means(november_week, "vehicle_count", "motorbike")
    cars = hourly_means(november_week, "vehicle_count", "car")
    speed, occupancy = hourly_means(november_week, "mean_speed"), hourly_means(
        november_week, "occupancy")
    congestion = hourly_means(november_week, "congestion_level")
    for rush in (8, 17):
        assert motorbikes[rush] > 5 * motorbikes[3]
        assert speed[rush] < speed[3] and occupancy[rush] > 3 * occupancy[3]
        assert congestion[rush] > congestion[3]
        assert motorbikes[rush] > 4 * cars[rush]          # motorbikes dominate
    assert motorbikes[8] > motorbikes[12] < motorbikes[17]


def test_pm25_builds_up_at_night_and_clears_in_the_afternoon(november_week):
    pm25, pm10 = hourly_means(november_week, "pm25"), hourly_means(november_week, "pm10")
    night = statistics.mean(pm25[h] for h in (0, 1, 2, 3, 4, 5))
    afternoon = statistics.mean(pm25[h] for h in (13, 14, 15, 16))
    assert night > 1.5 * afternoon
    assert all(1.4 < pm10[h] / pm25[h] < 2.1 for h in pm25)


def test_o3_peaks_mid_afternoon_and_the_day_warms_and_dries(november_week):
    o3 = hourly_means(november_week, "o3")
    assert max(o3, key=o3.get) in (13, 14, 15)
    temperature = hourly_means(november_week, "temperature")
    humidity = hourly_means(november_week, "humidity")
    assert temperature[14] > temperature[4] + 5
    assert humidity[14] < humidity[4] - 15
    no2, noise = hourly_means(november_week, "no2"), hourly_means(november_week, "noise")
    assert no2[8] > 2 * no2[3] and noise[8] > noise[3] + 10


def test_rain_raises_the_river_hours_later():
    readings = [r for r in simulate(JULY, days=14, stations=1, cameras=0, interval=600)
                if r.kind in ("rainfall", "water_level")]
    rain = [r.value for r in readings if r.kind == "rainfall"]
    level = [r.value for r in readings if r.kind == "water_level"]
    wettest = max(range(len(rain)), key=rain.__getitem__)
    assert rain[wettest] > 2
    after = level[wettest:wettest + 6 * 12]               # the next 12 hours
    peak = wettest + after.index(max(after))
    assert max(after) > level[wettest] + 0.2               # the river rises...
    assert peak - wettest >= 6                             # ...an hour or more later
    assert min(rain) == 0 and min(level) > 0


def test_cameras_see_incidents_now_and_then():
    incidents = [r for r in simulate(JULY, days=30, stations=0, cameras=4, interval=600)
                 if r.kind == "incident"]
    assert 0 < len(incidents) < 100
    assert {r.label for r in incidents} <= {"accident", "flooding", "stopped_vehicle"}
    assert all(r.value == 1 for r in incidents)


def test_the_same_seed_gives_the_same_city():
    assert simulate(NOVEMBER, days=0.5, seed=4) == simulate(NOVEMBER, days=0.5, seed=4)
    assert simulate(NOVEMBER, days=0.5, seed=4) != simulate(NOVEMBER, days=0.5, seed=5)


# Faults -------------------------------------------------------------------------------------
def fault(kind, amount=0.0, sensor_id="tn-aq-001"):
    return Fault(sensor_id, kind, NOVEMBER + timedelta(hours=2), NOVEMBER + timedelta(hours=3),
                 amount)


def split(readings, sensor_id="tn-aq-001"):
    """The sensor's readings during the fault window, and the others."""
    inside = lambda r: NOVEMBER + timedelta(hours=2) <= r.time < NOVEMBER + timedelta(hours=3)
    mine = [r for r in readings if r.sensor_id == sensor_id]
    return [r for r in mine if inside(r)], [r for r in mine if not inside(r)]


def test_a_dropout_silences_the_sensor_for_a_while():
    clean, faulty = simulate(NOVEMBER, 0.25), simulate(NOVEMBER, 0.25, faults=(fault("dropout"),))
    during, outside = split(faulty)
    assert during == [] and outside == split(clean)[1]
    assert split(faulty, "tn-aq-002") == split(clean, "tn-aq-002")


def test_a_spike_multiplies_values():
    clean = simulate(NOVEMBER, 0.25)
    faulty = simulate(NOVEMBER, 0.25, faults=(fault("spike", 10),))
    assert [r.value for r in split(faulty)[0]] == pytest.approx(
        [r.value * 10 for r in split(clean)[0]], abs=0.01)
    assert split(faulty)[1] == split(clean)[1]


def test_a_stuck_sensor_repeats_its_last_values():
    faulty = simulate(NOVEMBER, 0.25, faults=(fault("stuck"),))
    during, outside = split(faulty)
    before = {r.kind: r.value for r in outside if r.time < NOVEMBER + timedelta(hours=2)}
    assert during and all(r.value == before[r.kind] for r in during)


def test_clock_skew_offsets_the_timestamps():
    clean = simulate(NOVEMBER, 0.25)
    faulty = simulate(NOVEMBER, 0.25, faults=(fault("clock_skew", -600),))
    during = split(clean)[0]
    assert during and len(faulty) == len(clean)
    for f, c in zip(faulty, clean):
        skew = timedelta(minutes=10) if c in during else timedelta(0)
        assert f == replace(c, time=c.time - skew)


def test_faults_are_given_in_simulated_minutes():
    assert parse_fault("tn-cam-002:clock_skew:30:120:-3600", NOVEMBER) == Fault(
        "tn-cam-002", "clock_skew", NOVEMBER + timedelta(minutes=30),
        NOVEMBER + timedelta(minutes=150), -3600)
    with pytest.raises(ValueError):
        parse_fault("tn-cam-002:melted:30:120", NOVEMBER)


class FakeTime:
    """A clock, and a stop event whose waits move it on."""

    def __init__(self, now, steps):
        self.now, self.steps_left = now, steps

    def clock(self):
        return self.now

    def wait(self, seconds):
        self.now += seconds
        self.steps_left -= 1
        return self.steps_left < 0


class ListSpool:
    def __init__(self):
        self.appended = []

    def append(self, readings, checkpoint=None):
        self.appended.append((readings[0].time, checkpoint))


def test_simulated_time_runs_faster_but_never_ahead_of_the_wall_clock():
    wall = NOVEMBER.timestamp()
    simulator = CitySimulator(fleet_definition(1, 0), start=NOVEMBER - timedelta(minutes=10))
    fake, spool = FakeTime(wall, steps=20), ListSpool()
    produce(simulator, spool, 60, fake, clock=fake.clock)
    stamps = [stamp.timestamp() for stamp, _ in spool.appended]
    assert len(stamps) == 20 and all(stamp <= wall + 20 * 60 for stamp in stamps)
    assert stamps[1] - stamps[0] == 60          # a simulated minute per real second
    caught_up = [s for s in stamps if s >= wall]
    assert caught_up and fake.now >= caught_up[-1]
    assert spool.appended[0][1] == (NOVEMBER - timedelta(minutes=9)).isoformat()


# MQTT payloads ------------------------------------------------------------------------------
def test_a_payload_may_be_one_reading_or_a_list():
    readings, problems = parse_payload("tn-aq-001", b'{"kind": "pm25", "value": 35.2, '
                                       b'"unit": "\xc2\xb5g/m\xc2\xb3", "time": '
                                       b'"2026-11-22T09:00:00+07:00", "label": ""}')
    assert readings == [reading(35.2)] and problems == []
    readings, problems = parse_payload("tn-cam-001", b'[{"kind": "vehicle_count", "value": 212,'
                                       b' "time": 1795312800, "label": "motorbike"},'
                                       b' {"kind": "mean_speed", "value": 31.5,'
                                       b' "time": 1795312800000}]')
    assert [(r.kind, r.value, r.unit, r.label) for r in readings] == [
        ("vehicle_count", 212, "vehicles", "motorbike"), ("mean_speed", 31.5, "km/h", "")]
    assert readings[0].time == readings[1].time == datetime(2026, 11, 22, 2, tzinfo=timezone.utc)
    assert problems == []


@pytest.mark.parametrize("payload, problem", [
    (b"{not json", "not JSON"),
    (b"\xff\xfe\x00", "not JSON"),
    (b"[]", "an empty list"),
    (b'"pm25"', "must be a JSON object"),
    (b'{"value": 1, "time": 1}', "kind"),
    (b'{"kind": "pm25", "value": "35", "time": 1}', "value"),
    (b'{"kind": "pm25", "value": true, "time": 1}', "value"),
    (b'{"kind": "pm25", "value": NaN, "time": 1}', "value"),
    (b'{"kind": "pm25", "value": 1e999, "time": 1}', "value"),
    (b'{"kind": "pm25", "value": 1, "time": "2026-11-22T09:00:00"}', "UTC offset"),
    (b'{"kind": "pm25", "value": 1, "time": "yesterday"}', "ISO 8601"),
    (b'{"kind": "pm25", "value": 1, "time": 1e300}', "out of range"),
    (b'{"kind": "pm25", "value": 1}', "time"),
    (b'{"kind": "pm25", "value": 1, "time": 1, "unit": 5}', "strings"),
])
def test_malformed_payloads_are_reported_not_raised(payload, problem):
    readings, problems = parse_payload("tn-aq-001", payload)
    assert readings == [] and len(problems) == 1 and problem in problems[0]


def test_the_good_readings_of_a_partly_malformed_list_are_kept():
    readings, problems = parse_payload("tn-aq-001", b'[{"kind": "o3", "value": 80, "time": 1},'
                                                    b' {"kind": "o3"}]')
    assert [r.value for r in readings] == [80] and len(problems) == 1


def test_the_bridge_only_takes_a_gateway_id_that_fits_in_a_topic(spool):
    with pytest.raises(ValueError):
        MqttBridge(spool, "gw/+")


# The sender ----------------------------------------------------------------------------------
def test_backoff_grows_to_a_bound_with_jitter():
    backoff = Backoff(first=0.5, cap=8, rng=lambda: 1.0)
    assert [backoff.next_delay() for _ in range(7)] == [0.5, 1, 2, 4, 8, 8, 8]
    backoff.reset()
    assert Backoff(first=0.5, cap=8, rng=lambda: 0.0).next_delay() == 0.25
    assert backoff.next_delay() == 0.5


def test_readings_go_out_as_the_contract_says():
    message = to_proto(Spooled(7, reading(35.2)))
    assert (message.seq, message.sensor_id, message.kind, message.value, message.unit) == (
        7, "tn-aq-001", "pm25", 35.2, "µg/m³")
    assert message.time.ToJsonString() == "2026-11-22T02:00:00Z"


def test_batches_are_full_or_flushed_and_the_window_is_bounded(spool):
    spool.append([reading(n) for n in range(1200)])
    ended = threading.Event()
    stream = BatchStream(spool, position=0, batch_size=500, flush_seconds=0.05,
                         max_in_flight=2, should_end=ended.is_set)
    batches = iter(stream)
    assert len(next(batches).readings) == 500
    assert len(next(batches).readings) == 500
    third = []
    threading.Thread(target=lambda: third.append(next(batches))).start()
    threading.Event().wait(0.3)
    assert third == []                       # two unacknowledged: the window is full
    stream.acknowledged()
    harness.wait_for(lambda: third, timeout=5, message="the third batch")
    assert [r.seq for r in third[0].readings] == list(range(1001, 1201))
    ended.set()
    assert next(batches, None) is None


class FakeIdentity:
    def __init__(self, lifetime):
        self.lifetime, self.issued, self.down = lifetime, 0, False

    def IssueMachineToken(self, request, metadata, timeout):
        if self.down:
            raise FakeRpcError()
        self.issued += 1
        return type("Session", (), {"access_token": f"token-{self.issued}",
                                     "expires_in_seconds": self.lifetime})


class FakeRpcError(grpc.RpcError):
    def code(self):
        return grpc.StatusCode.UNAVAILABLE

    def details(self):
        return "identity is down"


def test_the_token_is_renewed_before_it_expires_and_kept_while_identity_is_down():
    now = [0.0]
    tokens = MachineToken("127.0.0.1:1", "gw", "secret", clock=lambda: now[0])
    tokens._stub = identity = FakeIdentity(lifetime=900)
    assert tokens.get() == "token-1" and not tokens.renewal_due()
    now[0] = 839
    assert tokens.get() == "token-1"
    now[0] = 841                              # a minute before expiry
    assert tokens.renewal_due() and tokens.get() == "token-2"
    identity.down = True
    now[0] = 841 + 841
    assert tokens.get() == "token-2"          # still valid for a minute
    assert not tokens.renewal_due()           # retried a little later
    now[0] = 841 + 895
    with pytest.raises(TokenUnavailable):
        tokens.get()
    tokens.close()


def test_a_refused_token_is_replaced():
    tokens = MachineToken("127.0.0.1:1", "gw", "secret")
    tokens._stub = FakeIdentity(lifetime=900)
    assert tokens.get() == "token-1"
    tokens.forget()
    assert tokens.get() == "token-2"
    tokens.close()


# The command line ----------------------------------------------------------------------------
def test_options_may_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("SENSORS_GRPC_TARGET", "sensors:50055")
    monkeypatch.setenv("GATEWAY_CLIENT_ID", "gw-1")
    monkeypatch.setenv("GATEWAY_CLIENT_SECRET", "s3cret")
    monkeypatch.setenv("GATEWAY_SPEED", "60")
    monkeypatch.setenv("GATEWAY_FAULTS", "tn-aq-001:spike:5:1 tn-aq-002:dropout:10:30")
    args = parser().parse_args(["simulate", "--stations", "6"])
    assert (args.sensors_target, args.client_id, args.client_secret) == (
        "sensors:50055", "gw-1", "s3cret")
    assert (args.stations, args.cameras, args.speed) == (6, 2, 60.0)
    assert args.fault == ["tn-aq-001:spike:5:1", "tn-aq-002:dropout:10:30"]
    args = parser().parse_args(["mqtt"])
    assert (args.mqtt_host, args.mqtt_port, args.topic_prefix) == ("127.0.0.1", 1883, "city")


def test_the_client_id_is_required(monkeypatch):
    for name in ("GATEWAY_CLIENT_ID", "SENSORS_GRPC_TARGET", "GATEWAY_CLIENT_SECRET"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(SystemExit):
        parser().parse_args(["simulate"])
