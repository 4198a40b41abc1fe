"""The time-series stores: one suite for InfluxDB (a real server, written to
through influxdb-client) and the embedded SQLite store, then the spool
through real InfluxDB outages."""
import math
import os
import subprocess
import sys

import pytest

import harness
from sensors.timeseries import (
    AreaAggregate, EmbeddedStore, InfluxStore, LatestValue, Point, RangePoint, Spool,
    SpoolingStore, StoreUnavailable, store_from_settings,
)

SECOND = 10 ** 9
T0 = 1_767_225_600 * SECOND          # 2026-01-01T00:00:00Z: a whole hour since the epoch
AWKWARD_IDS = [
    "trạm quan trắc số 1",           # Vietnamese, spaces
    "a,b=c d",
    "it's",
    'say "xin chào"',
    "back\\slash",
    "Phường Phan Đình Phùng, Thái Nguyên",
]


def pm25(sensor_id, seconds, value, unit_code="05443"):
    return Point(sensor_id, "pm25", value, T0 + seconds * SECOND, unit_code)


def bucket(seconds, width_seconds):
    """The start of the epoch-aligned bucket holding T0 + seconds."""
    time_ns = T0 + seconds * SECOND
    return time_ns - time_ns % (width_seconds * SECOND)


def approx_range(points):
    return [RangePoint(p.time_ns, pytest.approx(p.mean), p.min, p.max, p.count) for p in points]


@pytest.fixture(params=["influx", "embedded"])
def store(request, tmp_path):
    if request.param == "influx":
        influxdb = request.getfixturevalue("influxdb")
        store = InfluxStore(influxdb.url, token="test-token", org="smartcity",
                            bucket=influxdb.create_database())
    else:
        store = EmbeddedStore(str(tmp_path / "readings.db"))
    yield store
    store.close()


# One suite, both stores -----------------------------------------------------------
def test_latest_is_the_last_value_per_sensor_and_kind(store):
    store.write([pm25("s1", 0, 10.0), pm25("s1", 60, 12.5), pm25("s2", 30, 7.0),
                 Point("s1", "temperature", 28.5, T0 + 10 * SECOND, "05443")])
    store.write([pm25("s1", 30, 99.0)])      # older than the latest: not it

    assert store.latest(["s1", "s2"]) == [
        LatestValue("s1", "pm25", 12.5, T0 + 60 * SECOND, ""),
        LatestValue("s1", "temperature", 28.5, T0 + 10 * SECOND, ""),
        LatestValue("s2", "pm25", 7.0, T0 + 30 * SECOND, ""),
    ]
    assert store.latest(["s1", "s2"], kind="temperature") == [
        LatestValue("s1", "temperature", 28.5, T0 + 10 * SECOND, "")]
    assert store.latest(["nobody"]) == []
    assert store.latest([]) == []


def test_rewriting_a_point_overwrites_it(store):
    batch = [pm25("s1", 0, 10.0), pm25("s1", 1, 11.0)]
    store.write(batch)
    store.write(batch)                                   # a gateway's replay
    store.write([pm25("s1", 1, 15.0)])                   # same sensor, kind, label, time

    assert store.latest(["s1"]) == [LatestValue("s1", "pm25", 15.0, T0 + SECOND, "")]
    assert store.range("s1", "pm25", T0, T0 + 60 * SECOND, 60) == [
        RangePoint(T0, 12.5, 10.0, 15.0, 2)]


def test_range_buckets_are_aligned_to_the_epoch_and_only_non_empty(store):
    store.write([pm25("s1", s, v) for s, v in
                 [(5, 1.0), (59, 2.0), (61, 4.0), (119, 6.0), (300, 8.0), (600, 9.0)]])
    store.write([pm25("s2", 61, 100.0), Point("s1", "pm10", 50.0, T0 + 61 * SECOND, "05443")])

    # starts mid-bucket (the 5 s point is outside), ends exclusive (600 s is outside)
    assert store.range("s1", "pm25", T0 + 30 * SECOND, T0 + 600 * SECOND, 60) == [
        RangePoint(T0, 2.0, 2.0, 2.0, 1),
        RangePoint(T0 + 60 * SECOND, 5.0, 4.0, 6.0, 2),
        RangePoint(T0 + 300 * SECOND, 8.0, 8.0, 8.0, 1),
    ]
    # 7 s buckets start at multiples of 7 s since 1970, not at `start`
    assert store.range("s1", "pm25", T0, T0 + 60 * SECOND, 7) == [
        RangePoint(bucket(5, 7), 1.0, 1.0, 1.0, 1),
        RangePoint(bucket(59, 7), 2.0, 2.0, 2.0, 1),
    ]
    assert store.range("s1", "pm25", T0 + 700 * SECOND, T0 + 800 * SECOND, 60) == []


def test_area_aggregates_one_row_per_unit_with_data(store):
    store.write([
        pm25("a1", 0, 10.0, "05443"), pm25("a1", 60, 20.0, "05443"),
        pm25("a2", 30, 60.0, "05443"),
        pm25("b1", 30, 5.0, "05446"),
        pm25("c1", 30, 1.0, "05449"),                         # a unit not asked for
        pm25("a1", 4000, 500.0, "05443"),                     # outside the window
        Point("a1", "pm10", 80.0, T0 + 30 * SECOND, "05443"),  # another kind
    ])

    areas = store.area_aggregates("pm25", ["05443", "05446", "05452"], T0, T0 + 3600 * SECOND)

    assert areas == [AreaAggregate("05443", pytest.approx(30.0), 10.0, 60.0, 3, 2),
                     AreaAggregate("05446", 5.0, 5.0, 5.0, 1, 1)]
    assert store.area_aggregates("pm25", [], T0, T0 + 3600 * SECOND) == []


def test_labels_keep_series_apart(store):
    counts = [Point("cam-1", "vehicle_count", n, T0, "05443", label)
              for label, n in [("car", 12.0), ("motorbike", 85.0), ("bus", 1.0)]]
    store.write(counts + [Point("cam-1", "mean_speed", 31.0, T0, "05443")])
    store.write([Point("cam-1", "vehicle_count", 90.0, T0, "05443", "motorbike")])

    assert store.latest(["cam-1"]) == [
        LatestValue("cam-1", "mean_speed", 31.0, T0, ""),
        LatestValue("cam-1", "vehicle_count", 1.0, T0, "bus"),
        LatestValue("cam-1", "vehicle_count", 12.0, T0, "car"),
        LatestValue("cam-1", "vehicle_count", 90.0, T0, "motorbike"),
    ]
    assert store.range("cam-1", "vehicle_count", T0, T0 + SECOND, 60) == approx_range(
        [RangePoint(T0, 103 / 3, 1.0, 90.0, 3)])
    assert store.area_aggregates("vehicle_count", ["05443"], T0, T0 + SECOND) == [
        AreaAggregate("05443", pytest.approx(103 / 3), 1.0, 90.0, 3, 1)]


def test_awkward_sensor_ids_unit_codes_and_labels_round_trip(store):
    awkward_unit = "Xã Tân Cương, 05443"
    store.write([Point(sensor_id, "vehicle_count", float(n), T0 + n * SECOND, awkward_unit,
                       "xe máy, loại 'A'")
                 for n, sensor_id in enumerate(AWKWARD_IDS)])

    assert store.latest(AWKWARD_IDS) == sorted(
        (LatestValue(sensor_id, "vehicle_count", float(n), T0 + n * SECOND, "xe máy, loại 'A'")
         for n, sensor_id in enumerate(AWKWARD_IDS)), key=lambda v: v.sensor_id)
    for n, sensor_id in enumerate(AWKWARD_IDS):
        assert store.range(sensor_id, "vehicle_count", T0, T0 + 60 * SECOND, 60) == [
            RangePoint(T0, float(n), float(n), float(n), 1)]
    assert store.area_aggregates("vehicle_count", [awkward_unit], T0, T0 + 60 * SECOND) == [
        AreaAggregate(awkward_unit, pytest.approx(2.5), 0.0, 5.0, 6, 6)]
    assert store.latest(["it'", "back", "a,b"]) == []             # prefixes match nothing


@pytest.mark.parametrize("point", [
    Point("ends with \\", "pm25", 1.0, T0, "05443"),
    Point("a\\,b", "pm25", 1.0, T0, "05443"),
    Point("two\\\\backslashes", "pm25", 1.0, T0, "05443"),
    Point("line\nbreak", "pm25", 1.0, T0, "05443"),
    Point("", "pm25", 1.0, T0, "05443"),
    Point("s1", "PM2.5", 1.0, T0, "05443"),
    Point("s1", "pm25", math.nan, T0, "05443"),
    Point("s1", "pm25", 1.0, T0, "05443", "label\\"),
])
def test_points_line_protocol_cannot_carry_are_refused(store, point):
    with pytest.raises(ValueError):
        store.write([pm25("s1", 0, 1.0), point])
    assert store.latest(["s1"]) == []                     # nothing of the batch


def test_query_arguments_are_checked(store):
    with pytest.raises(ValueError):
        store.latest(["s1"], kind="pm25' OR 1=1")
    with pytest.raises(ValueError):
        store.range("s1", 'pm25" --', T0, T0 + SECOND, 1)
    with pytest.raises(ValueError):
        store.range("s1", "pm25", T0, T0 + SECOND, 0)


# InfluxDB only --------------------------------------------------------------------
def test_an_unreachable_influxdb_is_unavailable():
    store = InfluxStore(f"http://127.0.0.1:{harness.free_port()}", "", "smartcity", "nowhere")
    with pytest.raises(StoreUnavailable):
        store.write([pm25("s1", 0, 1.0)])
    with pytest.raises(StoreUnavailable):
        store.latest(["s1"])
    store.close()


def test_a_missing_database_reads_as_empty(influxdb):
    store = InfluxStore(influxdb.url, "", "smartcity", "never_created")
    assert store.latest(["s1"]) == []
    store.close()


# The spool, through real outages -----------------------------------------------------
@pytest.fixture
def influx_bucket(influxdb):
    return influxdb.create_database()


@pytest.fixture
def spool_path(tmp_path):
    return str(tmp_path / "spool.db")


def spooling_store(influxdb, bucket, spool_path):
    return SpoolingStore(InfluxStore(influxdb.url, "test-token", "smartcity", bucket),
                         Spool(spool_path))


@pytest.fixture
def outages(influxdb, influx_bucket):
    """The real server, which the test stops and starts; running again afterwards."""
    yield influxdb
    if not influxdb.running:
        influxdb.start()


def stored_counts(influxdb, bucket):
    """Points per sensor, counted by the server itself."""
    series = influxdb.select('SELECT count("value") FROM "reading" GROUP BY "sensor_id"', bucket)
    return {s["tags"]["sensor_id"]: s["values"][0][1] for s in series}


def test_writes_during_an_outage_are_spooled_then_flushed_exactly_once(
        influxdb, influx_bucket, spool_path, outages):
    store = spooling_store(influxdb, influx_bucket, spool_path)
    store.write([pm25("before", s, 1.0) for s in range(10)])
    assert store.spooled() == 0

    influxdb.stop()
    store.write([pm25("during", s, 2.0) for s in range(100)])         # returns: acknowledged
    store.write([pm25("during", 0, 3.0), pm25(AWKWARD_IDS[0], 0, 4.0)])  # a later value, same time
    assert store.spooled() == 102
    assert store.flush() == 0                                          # still down: kept
    influxdb.start()

    store.write([pm25("after", 0, 5.0)])          # queues behind the spool, keeping order
    assert store.spooled() == 103
    assert store.flush() == 103
    assert store.spooled() == 0
    assert store.flush() == 0

    assert stored_counts(influxdb, influx_bucket) == {
        "before": 10, "during": 100, AWKWARD_IDS[0]: 1, "after": 1}
    assert store.range("during", "pm25", T0, T0 + SECOND, 1) == [RangePoint(T0, 3.0, 3.0, 3.0, 1)]
    store.write([pm25("after", 1, 6.0)])                              # straight through again
    assert store.spooled() == 0
    store.close()


def test_flush_sends_at_most_max_points_oldest_first(influxdb, influx_bucket, spool_path, outages):
    store = spooling_store(influxdb, influx_bucket, spool_path)
    influxdb.stop()
    store.write([pm25("s1", s, float(s)) for s in range(30)])
    influxdb.start()

    assert store.flush(max_points=20) == 20
    assert store.spooled() == 10
    assert store.latest(["s1"]) == [LatestValue("s1", "pm25", 19.0, T0 + 19 * SECOND, "")]
    assert store.flush() == 10
    assert stored_counts(influxdb, influx_bucket) == {"s1": 30}
    store.close()


def test_bad_data_is_refused_not_spooled(influxdb, influx_bucket, spool_path, outages):
    store = spooling_store(influxdb, influx_bucket, spool_path)
    influxdb.stop()
    with pytest.raises(ValueError):
        store.write([Point("s1", "pm25", math.inf, T0, "05443")])
    assert store.spooled() == 0
    store.close()


def test_a_point_the_store_refuses_does_not_block_the_spool(
        influxdb, influx_bucket, spool_path, outages):
    store = spooling_store(influxdb, influx_bucket, spool_path)
    next_month = T0 + 31 * 86400 * SECOND          # another InfluxDB shard (they are weekly)
    influxdb.stop()
    store.write([pm25("s1", 0, 1.0), Point("s1", "pm25", 2.0, next_month, "05443"),
                 pm25("s1", 1, 3.0)])
    influxdb.start()
    # an integer "value" in next month's shard: the float spooled for then is refused
    influxdb.write_v1(f"reading,kind=pm25,sensor_id=other value=1i {next_month}", influx_bucket)

    assert store.flush() == 3
    assert store.spooled() == 0
    assert stored_counts(influxdb, influx_bucket) == {"s1": 2, "other": 1}
    store.close()


SPOOL_AND_DIE = """
import os, sys
from sensors.timeseries import InfluxStore, Point, Spool, SpoolingStore
url, bucket, spool_path, t0 = sys.argv[1:5]
store = SpoolingStore(InfluxStore(url, "test-token", "smartcity", bucket), Spool(spool_path))
store.write([Point("s1", "pm25", float(n), int(t0) + n * 10 ** 9, "05443") for n in range(50)])
os._exit(0)   # acknowledged, then the process dies without closing anything
"""


def test_the_spool_survives_the_process(influxdb, influx_bucket, spool_path, outages):
    influxdb.stop()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    subprocess.run([sys.executable, "-c", SPOOL_AND_DIE, influxdb.url, influx_bucket,
                    spool_path, str(T0)], env=env, check=True, timeout=60)

    store = spooling_store(influxdb, influx_bucket, spool_path)     # the next process
    assert store.spooled() == 50
    influxdb.start()
    assert store.flush() == 50
    assert stored_counts(influxdb, influx_bucket) == {"s1": 50}
    assert store.latest(["s1"]) == [LatestValue("s1", "pm25", 49.0, T0 + 49 * SECOND, "")]
    store.close()


# Settings -------------------------------------------------------------------------
def test_the_store_follows_the_settings(monkeypatch, tmp_path, influxdb):
    monkeypatch.setenv("INFLUX_URL", "")
    monkeypatch.setenv("SENSORS_READINGS_FILE", str(tmp_path / "var" / "readings.db"))
    embedded = store_from_settings()
    assert isinstance(embedded, EmbeddedStore)
    embedded.close()

    monkeypatch.setenv("INFLUX_URL", influxdb.url)
    monkeypatch.setenv("INFLUX_BUCKET", influxdb.create_database())
    monkeypatch.setenv("SENSORS_SPOOL_FILE", str(tmp_path / "var" / "spool.db"))
    spooling = store_from_settings()
    spooling.write([pm25("settings-check", 0, 1.0)])
    assert spooling.latest(["settings-check"]) == [
        LatestValue("settings-check", "pm25", 1.0, T0, "")]
    spooling.close()
