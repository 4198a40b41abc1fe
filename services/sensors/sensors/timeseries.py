"""Readings as time series: one interface, two stores.

`InfluxStore` is production (writes through influxdb-client, reads with
InfluxQL on /query, which InfluxDB 1.8+, 2.7+ via DBRP and 3.x all answer);
`EmbeddedStore` is SQLite for `make run`. `SpoolingStore` keeps readings on
local disk while InfluxDB is down, so a gateway's acknowledgement always
means "durably stored".

The code runs in eventlet-patched processes: only blocking I/O that eventlet
makes green (urllib3 sockets) and short sqlite3 calls, and influxdb-client's
synchronous write API only (its batching mode runs reactivex threads).
"""
import functools
import gzip
import json
import logging
import math
import os
import re
import sqlite3
import threading
from collections import defaultdict
from dataclasses import dataclass
from typing import Iterator, NamedTuple, Protocol, Sequence

import urllib3
from influxdb_client import InfluxDBClient, WritePrecision
from influxdb_client.client.write_api import SYNCHRONOUS
from influxdb_client.rest import ApiException

from kit import settings
from kit.logs import fields

log = logging.getLogger(__name__)


class Point(NamedTuple):   # a tuple: built for every reading, 3× cheaper than a frozen dataclass
    sensor_id: str
    kind: str
    value: float
    time_ns: int
    unit_code: str
    label: str = ""


@dataclass(frozen=True)
class LatestValue:
    sensor_id: str
    kind: str
    value: float
    time_ns: int
    label: str


@dataclass(frozen=True)
class RangePoint:
    time_ns: int          # bucket start, aligned to the epoch
    mean: float
    min: float
    max: float
    count: int


@dataclass(frozen=True)
class AreaAggregate:
    unit_code: str
    mean: float
    min: float
    max: float
    count: int
    sensors: int          # distinct sensors with data


class StoreUnavailable(Exception):
    """The store cannot be reached or refused for a reason that may pass."""


class TimeSeriesStore(Protocol):
    def write(self, points: Sequence[Point]) -> None:
        """Durable when it returns. Idempotent: the same sensor, kind, label
        and time overwrite, never count twice. ValueError: bad data."""

    def latest(self, sensor_ids: Sequence[str], kind: str | None = None) -> list[LatestValue]:
        """The latest value per (sensor, kind, label)."""

    def range(self, sensor_id: str, kind: str, start_ns: int, end_ns: int,
              interval_seconds: int) -> list[RangePoint]:
        """[start, end) in epoch-aligned buckets: only non-empty ones, ascending."""

    def area_aggregates(self, kind: str, unit_codes: Sequence[str], start_ns: int,
                        end_ns: int) -> list[AreaAggregate]:
        """One row per unit code with data in [start, end)."""

    def close(self) -> None:
        ...


# Validation ---------------------------------------------------------------------
KIND_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,63}")
# Line protocol has no escape that every InfluxDB version reads back the same
# way for control characters, a backslash before `\ , = space`, or a trailing
# backslash (1.x keeps `\\` as two characters, 3.x makes it one).
_UNPORTABLE_TAG = re.compile(r"[\x00-\x1f\x7f]|\\(?:[\\,= ]|$)")
QUERY_CHUNK = 200        # ids per query: keeps InfluxQL URLs and SQL IN lists short


@functools.lru_cache(maxsize=65536)   # the same ids and codes recur in every batch
def tag_value_problem(value: str) -> str:
    """Why `value` cannot be a sensor id, unit code or label; "" when it can."""
    if _UNPORTABLE_TAG.search(value):
        return "control characters, a backslash before '\\', ',', '=' or ' ', " \
               "or a trailing backslash"
    return ""


def check_tag_value(value: str, field: str):
    problem = tag_value_problem(value)
    if problem:
        raise ValueError(f"{field} {value!r} cannot be stored: {problem}")


def checked_tag_values(values: Sequence[str], field: str) -> list[str]:
    """The values, checked, without repeats: what a query may name."""
    for value in values:
        check_tag_value(value, field)
    return list(dict.fromkeys(values))


def check_kind(kind: str) -> str:
    if not KIND_PATTERN.fullmatch(kind):
        raise ValueError(f"kind {kind!r} is not a kind name")
    return kind


def check_points(points: Sequence[Point]):
    for point in points:
        check_series(point.sensor_id, point.kind, point.unit_code, point.label)
        check_value(point)


def check_value(point: Point):
    if not math.isfinite(point.value):
        raise ValueError(f"value {point.value!r} of {point.sensor_id!r} is not finite")


@functools.lru_cache(maxsize=65536)   # a series' tags are the same in every batch
def check_series(sensor_id: str, kind: str, unit_code: str, label: str):
    if not sensor_id:
        raise ValueError("a point without a sensor id")
    check_tag_value(sensor_id, "sensor_id")
    check_kind(kind)
    check_tag_value(unit_code, "unit_code")
    check_tag_value(label, "label")


def check_interval(interval_seconds: int) -> int:
    if interval_seconds < 1:
        raise ValueError(f"interval {interval_seconds!r} s: buckets are at least 1 s wide")
    return int(interval_seconds)


def chunks(items: Sequence, size: int) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


# InfluxDB -----------------------------------------------------------------------
MEASUREMENT = "reading"
WRITE_CHUNK = 5000                      # lines per write request
TIMEOUT_SECONDS = 5.0                   # per attempt
DATA_REFUSED = {400, 413, 422}          # the data is at fault; anything else may pass
RETRY = urllib3.util.Retry(
    total=3, connect=2, read=1, status=2, backoff_factor=0.2, backoff_max=1.0,
    status_forcelist=(429, 500, 502, 503, 504),
    allowed_methods=None,               # writes too: they are idempotent
    respect_retry_after_header=False,   # keep the wait bounded: the spool takes over
    raise_on_status=False)
_TAG_ESCAPES = str.maketrans({",": r"\,", "=": r"\=", " ": r"\ "})


def line(point: Point) -> str:
    """The point in line protocol (ValueError when it cannot be stored); tag
    keys in sorted order, as InfluxDB prefers."""
    prefix = series_prefix(point.sensor_id, point.kind, point.unit_code, point.label)
    check_value(point)
    return f"{prefix}{float(point.value)!r} {int(point.time_ns)}"


@functools.lru_cache(maxsize=65536)   # a series' tags are the same in every batch
def series_prefix(sensor_id: str, kind: str, unit_code: str, label: str) -> str:
    check_series(sensor_id, kind, unit_code, label)
    tags = f"kind={kind}"                             # a checked kind needs no escaping
    if label:
        tags += ",label=" + label.translate(_TAG_ESCAPES)
    tags += ",sensor_id=" + sensor_id.translate(_TAG_ESCAPES)
    if unit_code:
        tags += ",unit_code=" + unit_code.translate(_TAG_ESCAPES)
    return f"{MEASUREMENT},{tags} value="


def literal(text: str) -> str:
    """An InfluxQL string literal."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def any_of(tag: str, values: Sequence[str]) -> str:
    return "(" + " OR ".join(f'"{tag}" = {literal(v)}' for v in values) + ")"


def refusal(status: int, body: str, action: str) -> Exception:
    message = f"InfluxDB refused the {action} ({status}): {body[:300]}"
    return ValueError(message) if status in DATA_REFUSED else StoreUnavailable(message)


class InfluxStore:
    def __init__(self, url: str, token: str, org: str, bucket: str, database: str | None = None):
        self.url = url.rstrip("/")
        self.bucket = bucket
        self.database = database or bucket
        # a connection per concurrent request, so none is opened and discarded
        pool_size = settings.get_int("MAX_WORKERS")
        self.client = InfluxDBClient(url=self.url, token=token or None, org=org, enable_gzip=True,
                                     timeout=int(TIMEOUT_SECONDS * 1000), retries=RETRY,
                                     connection_pool_maxsize=pool_size)
        self.client.api_client.configuration.update_request_body = self.gzipped
        self.writer = self.client.write_api(write_options=SYNCHRONOUS)
        self.http = urllib3.PoolManager(maxsize=pool_size, retries=RETRY, timeout=TIMEOUT_SECONDS)
        self.query_headers = {"Authorization": f"Token {token}"} if token else {}

    def gzipped(self, path: str, body):
        """influxdb-client's request body hook: level 1 gzip (its level 9
        costs 15× the CPU for 13 % fewer bytes). Inline: ~0.1 ms for 1,000
        readings, less than handing it to a thread and back."""
        if path != "/api/v2/write":
            return body
        data = body if isinstance(body, bytes) else body.encode()
        return gzip.compress(data, 1)

    def write(self, points: Sequence[Point]) -> None:
        lines = [line(p) for p in points]   # checks each point
        for chunk in chunks(lines, WRITE_CHUNK):
            self.write_lines("\n".join(chunk))

    def write_lines(self, body: str):
        try:
            self.writer.write(bucket=self.bucket, record=body.encode(),
                              write_precision=WritePrecision.NS)
        except ApiException as error:
            raise refusal(error.status or 0, str(error.body or error.reason), "write") from error
        except (urllib3.exceptions.HTTPError, OSError) as error:
            raise StoreUnavailable(f"InfluxDB write failed: {error}") from error

    def latest(self, sensor_ids: Sequence[str], kind: str | None = None) -> list[LatestValue]:
        kind_condition = f' AND "kind" = {literal(check_kind(kind))}' if kind else ""
        values = []
        for ids in chunks(checked_tag_values(sensor_ids, "sensor_id"), QUERY_CHUNK):
            statement = (f'SELECT last("value") FROM "{MEASUREMENT}" '
                         f'WHERE {any_of("sensor_id", ids)}{kind_condition} '
                         'GROUP BY "sensor_id", "kind", "label"')
            for series in self.select(statement):
                tags = series["tags"]
                time_ns, value = series["values"][0]
                values.append(LatestValue(tags["sensor_id"], tags["kind"], float(value),
                                          int(time_ns), tags.get("label", "")))
        return sorted(values, key=lambda v: (v.sensor_id, v.kind, v.label))

    def range(self, sensor_id: str, kind: str, start_ns: int, end_ns: int,
              interval_seconds: int) -> list[RangePoint]:
        check_tag_value(sensor_id, "sensor_id")
        statement = (f'SELECT mean("value"), min("value"), max("value"), count("value") '
                     f'FROM "{MEASUREMENT}" WHERE "sensor_id" = {literal(sensor_id)} '
                     f'AND "kind" = {literal(check_kind(kind))} '
                     f'AND time >= {int(start_ns)} AND time < {int(end_ns)} '
                     f'GROUP BY time({check_interval(interval_seconds)}s) fill(none)')
        return [RangePoint(int(t), float(mean), float(low), float(high), int(count))
                for series in self.select(statement)
                for t, mean, low, high, count in series["values"]]

    def area_aggregates(self, kind: str, unit_codes: Sequence[str], start_ns: int,
                        end_ns: int) -> list[AreaAggregate]:
        """One row per (unit, sensor) from InfluxDB, combined here: InfluxQL
        cannot count distinct tag values without a subquery."""
        areas = []
        for codes in chunks(checked_tag_values(unit_codes, "unit_code"), QUERY_CHUNK):
            statement = (f'SELECT sum("value"), count("value"), min("value"), max("value") '
                         f'FROM "{MEASUREMENT}" WHERE "kind" = {literal(check_kind(kind))} '
                         f'AND {any_of("unit_code", codes)} '
                         f'AND time >= {int(start_ns)} AND time < {int(end_ns)} '
                         'GROUP BY "unit_code", "sensor_id"')
            areas += combine_sensors(self.select(statement))
        return sorted(areas, key=lambda a: a.unit_code)

    def select(self, statement: str) -> list[dict]:
        """The series of one InfluxQL SELECT; none while the database does not exist."""
        try:
            response = self.http.request(
                "GET", f"{self.url}/query", headers=self.query_headers,
                fields={"db": self.database, "q": statement, "epoch": "ns"})
        except (urllib3.exceptions.HTTPError, OSError) as error:
            raise StoreUnavailable(f"InfluxDB query failed: {error}") from error
        body = response.data.decode("utf-8", errors="replace")
        if response.status != 200:
            raise refusal(response.status, body, "query")
        result = json.loads(body)["results"][0]
        if "error" in result:
            if "not found" in result["error"]:
                return []
            raise ValueError(f"InfluxDB query failed: {result['error']}")
        return result.get("series", [])

    def close(self) -> None:
        self.client.close()
        self.http.clear()


def combine_sensors(series: list[dict]) -> list[AreaAggregate]:
    """Sums, counts, minima and maxima per (unit, sensor) → one row per unit."""
    by_unit = defaultdict(list)
    for one in series:
        by_unit[one["tags"].get("unit_code", "")].append(one["values"][0][1:])
    areas = []
    for unit_code, per_sensor in by_unit.items():
        totals, counts, lows, highs = zip(*per_sensor)
        areas.append(AreaAggregate(unit_code, sum(totals) / sum(counts), float(min(lows)),
                                   float(max(highs)), sum(counts), len(per_sensor)))
    return areas


# SQLite -------------------------------------------------------------------------
def connect(path: str) -> sqlite3.Connection:
    """A connection whose commits survive power loss (WAL, synchronous=FULL)."""
    if os.path.dirname(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
    db = sqlite3.connect(path, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    return db


def placeholders(values: Sequence) -> str:
    return ",".join("?" * len(values))


READINGS_SCHEMA = """
CREATE TABLE IF NOT EXISTS readings (
    sensor_id TEXT NOT NULL, kind TEXT NOT NULL, label TEXT NOT NULL, time_ns INTEGER NOT NULL,
    value REAL NOT NULL, unit_code TEXT NOT NULL,
    PRIMARY KEY (sensor_id, kind, label, time_ns)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS readings_by_sensor_time ON readings (sensor_id, kind, time_ns);
CREATE INDEX IF NOT EXISTS readings_by_area_time ON readings (kind, unit_code, time_ns);
"""


class EmbeddedStore:
    """The same queries in SQL, for running without InfluxDB."""

    def __init__(self, path: str):
        self.db = connect(path)
        self.db.executescript(READINGS_SCHEMA)
        self.lock = threading.Lock()

    def write(self, points: Sequence[Point]) -> None:
        check_points(points)
        rows = [(p.sensor_id, p.kind, p.label, int(p.time_ns), float(p.value), p.unit_code)
                for p in points]
        with self.lock, self.db:
            self.db.executemany("INSERT OR REPLACE INTO readings VALUES (?, ?, ?, ?, ?, ?)", rows)

    def latest(self, sensor_ids: Sequence[str], kind: str | None = None) -> list[LatestValue]:
        kind_condition, kind_args = ("AND kind = ?", [check_kind(kind)]) if kind else ("", [])
        values = []
        for ids in chunks(checked_tag_values(sensor_ids, "sensor_id"), QUERY_CHUNK):
            # SQLite takes the bare column `value` from the row holding max(time_ns)
            rows = self.query(
                f"SELECT sensor_id, kind, value, max(time_ns), label FROM readings "
                f"WHERE sensor_id IN ({placeholders(ids)}) {kind_condition} "
                "GROUP BY sensor_id, kind, label", [*ids, *kind_args])
            values += [LatestValue(*row) for row in rows]
        return sorted(values, key=lambda v: (v.sensor_id, v.kind, v.label))

    def range(self, sensor_id: str, kind: str, start_ns: int, end_ns: int,
              interval_seconds: int) -> list[RangePoint]:
        check_tag_value(sensor_id, "sensor_id")
        width = check_interval(interval_seconds) * 10 ** 9
        rows = self.query(
            "SELECT bucket, avg(value), min(value), max(value), count(*) FROM ("
            "  SELECT value, time_ns - ((time_ns % :width) + :width) % :width AS bucket"
            "  FROM readings WHERE sensor_id = :sensor AND kind = :kind"
            "  AND time_ns >= :start AND time_ns < :end) "
            "GROUP BY bucket ORDER BY bucket",
            {"width": width, "sensor": sensor_id, "kind": check_kind(kind),
             "start": int(start_ns), "end": int(end_ns)})
        return [RangePoint(*row) for row in rows]

    def area_aggregates(self, kind: str, unit_codes: Sequence[str], start_ns: int,
                        end_ns: int) -> list[AreaAggregate]:
        areas = []
        for codes in chunks(checked_tag_values(unit_codes, "unit_code"), QUERY_CHUNK):
            rows = self.query(
                "SELECT unit_code, avg(value), min(value), max(value), count(*), "
                "count(DISTINCT sensor_id) FROM readings "
                f"WHERE kind = ? AND unit_code IN ({placeholders(codes)}) "
                "AND time_ns >= ? AND time_ns < ? GROUP BY unit_code",
                [check_kind(kind), *codes, int(start_ns), int(end_ns)])
            areas += [AreaAggregate(*row) for row in rows]
        return sorted(areas, key=lambda a: a.unit_code)

    def query(self, sql: str, args) -> list[tuple]:
        with self.lock:
            return self.db.execute(sql, args).fetchall()

    def close(self) -> None:
        with self.lock:
            self.db.close()


# Spool --------------------------------------------------------------------------
FLUSH_CHUNK = 5000                      # points per write while draining
SPOOL_SCHEMA = """
CREATE TABLE IF NOT EXISTS spooled (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    sensor_id TEXT NOT NULL, kind TEXT NOT NULL, value REAL NOT NULL, time_ns INTEGER NOT NULL,
    unit_code TEXT NOT NULL, label TEXT NOT NULL);
"""


class Spool:
    """Points accepted while the primary store was unavailable, on local disk,
    in arrival order. AUTOINCREMENT ids never repeat, so removing through an id
    never touches points appended after they were read."""

    def __init__(self, path: str):
        self.db = connect(path)
        self.db.executescript(SPOOL_SCHEMA)
        self.lock = threading.Lock()

    def append(self, points: Sequence[Point]):
        rows = [(p.sensor_id, p.kind, float(p.value), int(p.time_ns), p.unit_code, p.label)
                for p in points]
        with self.lock, self.db:        # committed (and fsynced) before returning
            self.db.executemany("INSERT INTO spooled (sensor_id, kind, value, time_ns, "
                                "unit_code, label) VALUES (?, ?, ?, ?, ?, ?)", rows)

    def oldest(self, limit: int) -> tuple[int, list[Point]]:
        """The id of the last one, and up to `limit` points, oldest first."""
        with self.lock:
            rows = self.db.execute("SELECT id, sensor_id, kind, value, time_ns, unit_code, label "
                                   "FROM spooled ORDER BY id LIMIT ?", (limit,)).fetchall()
        return (rows[-1][0] if rows else 0), [Point(*row[1:]) for row in rows]

    def remove_through(self, last_id: int):
        with self.lock, self.db:
            self.db.execute("DELETE FROM spooled WHERE id <= ?", (last_id,))

    def is_empty(self) -> bool:
        with self.lock:
            return not self.db.execute("SELECT EXISTS (SELECT 1 FROM spooled)").fetchone()[0]

    def count(self) -> int:
        with self.lock:
            return self.db.execute("SELECT count(*) FROM spooled").fetchone()[0]

    def close(self):
        with self.lock:
            self.db.close()


class SpoolingStore:
    """The primary store, with writes spooled while it is unavailable.

    Someone must call `flush` periodically: while the spool holds points, new
    writes join the queue behind them, so the primary receives them in order.
    """

    def __init__(self, primary: TimeSeriesStore, spool: Spool):
        self.primary = primary
        self.spool = spool
        self.flushing = threading.Lock()

    def write(self, points: Sequence[Point]) -> None:
        """The primary checks what it is given; what goes straight to the spool
        is checked here, so bad data is refused now, not found there later."""
        if not self.spool.is_empty():
            check_points(points)
            self.spool.append(points)
            return
        try:
            self.primary.write(points)
        except StoreUnavailable as error:
            log.warning("time-series store unavailable: spooling",
                        extra=fields(points=len(points), error=str(error)))
            self.spool.append(points)

    def flush(self, max_points: int = 50_000) -> int:
        """Sends spooled points to the primary, oldest first; how many went."""
        flushed = 0
        with self.flushing:
            while flushed < max_points:
                last_id, points = self.spool.oldest(min(FLUSH_CHUNK, max_points - flushed))
                if not points:
                    break
                try:
                    self.send(points)
                except StoreUnavailable:
                    break
                self.spool.remove_through(last_id)
                flushed += len(points)
        if flushed:
            log.info("spooled points flushed", extra=fields(points=flushed))
        return flushed

    def send(self, points: list[Point]):
        """One refused point must not block the spool forever: it is dropped alone."""
        try:
            self.primary.write(points)
        except ValueError:
            for point in points:
                try:
                    self.primary.write([point])
                except ValueError as error:
                    log.error("spooled point refused: dropped",
                              extra=fields(point=str(point), error=str(error)))

    def spooled(self) -> int:
        return self.spool.count()

    def latest(self, sensor_ids: Sequence[str], kind: str | None = None) -> list[LatestValue]:
        return self.primary.latest(sensor_ids, kind)

    def range(self, sensor_id: str, kind: str, start_ns: int, end_ns: int,
              interval_seconds: int) -> list[RangePoint]:
        return self.primary.range(sensor_id, kind, start_ns, end_ns, interval_seconds)

    def area_aggregates(self, kind: str, unit_codes: Sequence[str], start_ns: int,
                        end_ns: int) -> list[AreaAggregate]:
        return self.primary.area_aggregates(kind, unit_codes, start_ns, end_ns)

    def close(self) -> None:
        self.primary.close()
        self.spool.close()


def store_from_settings() -> TimeSeriesStore:
    """InfluxDB behind a spool when INFLUX_URL is set, else embedded SQLite."""
    if not settings.get("INFLUX_URL"):
        return EmbeddedStore(settings.get("SENSORS_READINGS_FILE"))
    influx = InfluxStore(settings.get("INFLUX_URL"), settings.get("INFLUX_TOKEN"),
                         settings.get("INFLUX_ORG"), settings.get("INFLUX_BUCKET"),
                         settings.get("INFLUX_DATABASE") or None)
    return SpoolingStore(influx, Spool(settings.get("SENSORS_SPOOL_FILE")))
