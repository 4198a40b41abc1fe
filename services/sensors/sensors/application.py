"""The sensors service's commands and queries: the registry, ingestion with
validation, reads through the time-series store, and the rules."""
import math
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import NamedTuple

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.utils import get_topic

from kit import settings
from kit.auth import Principal, Role, require_role
from kit.errors import AlreadyExists, InvalidArgument, NotFound, PermissionDenied
from kit.eventstore import EventSourcedApplication, retry_on_conflict
from kit.memoryview import AggregatesByKey
from kit.statetable import StateTable
from sensors.catalogue import FAMILIES, KINDS
from sensors.domainmodel import CHANGEABLE, Sensor, sensor_uuid
from sensors.ruleengine import RuleEngine
from sensors.timeseries import Point

SENSOR_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{2,62}$")
UNIT_ALIASES = {"ug/m3": "µg/m³", "µg/m3": "µg/m³", "ug/m³": "µg/m³", "dB": "dB(A)",
                "dBA": "dB(A)", "C": "°C", "degC": "°C"}
OPERATORS = (Role.IOC_OPERATOR, Role.ADMINISTRATOR)


class RawReading(NamedTuple):
    """A reading as a gateway sent it. Ingestion takes any tuples of this
    shape, so an adapter can hand them over without building one per reading."""
    seq: int
    sensor_id: str
    kind: str
    value: float
    unit: str
    seconds: int          # since the epoch, with nanos: the time as on the wire
    nanos: int
    label: str = ""


@dataclass
class IngestResult:
    gateway_id: str
    acked_seq: int
    accepted: int = 0
    rejected: dict = field(default_factory=dict)
    points: list = field(default_factory=list)
    calibrated: bool = False    # some accepted value differs from what the gateway sent


@dataclass(frozen=True, slots=True)
class Accepts:
    """What one sensor accepts for one of its kinds, worked out once per
    version of the registry rather than for every reading."""
    gateway_id: str
    units: frozenset        # the kind's unit and its accepted spellings
    minimum: float
    maximum: float
    labels: tuple
    offset: float           # calibration, added to every value
    unit_code: str

    @classmethod
    def of(cls, sensor, kind) -> "Accepts":
        units = frozenset([kind.unit] + [alias for alias, unit in UNIT_ALIASES.items()
                                         if unit == kind.unit])
        return cls(sensor.gateway_id, units, kind.minimum, kind.maximum, kind.labels,
                   sensor.calibration_offsets.get(kind.name, 0.0), sensor.unit_code)

    def problem(self, gateway_id: str, unit: str, value: float, label: str, time_ns: int,
                window: tuple[int, int]) -> str:
        """Why a reading is rejected; "" when it is not."""
        if self.gateway_id != gateway_id:
            return "not_this_gateways_sensor"
        if unit not in self.units:
            return "wrong_unit"
        if not self.minimum <= value <= self.maximum:
            return "out_of_range" if math.isfinite(value) else "not_a_number"
        if (label or self.labels) and label not in self.labels:
            return "bad_label"
        if time_ns > window[1]:
            return "too_far_in_future"
        if time_ns < window[0]:
            return "too_old"
        return ""


def unknown_series(sensor_id: str, gateway_id: str, sensors: dict) -> str:
    """Why a reading of no registered (sensor, kind) is rejected."""
    sensor = sensors.get(sensor_id)
    if sensor is None:
        return "unknown_sensor"
    if sensor.gateway_id != gateway_id:
        return "not_this_gateways_sensor"
    return "unknown_kind"


class SensorsApplication(EventSourcedApplication):
    snapshotted = (Sensor,)
    cached_aggregates = 10_000   # rule decisions and the registry reload sensors often

    def __init__(self, env=None, *, units, store, rules, clock=time.time):
        super().__init__(env)
        self.units = units
        self.store = store
        self.clock = clock
        self.registry = AggregatesByKey(self, [get_topic(e) for e in (
            Sensor.Registered, Sensor.Changed, Sensor.CameOnline, Sensor.WentOffline)],
            lambda sensor: sensor.sensor_id)
        self.positions = StateTable(self, "ingest_positions")
        self.engine = RuleEngine(rules, StateTable(self, "rule_states"), clock)
        self.max_future_ns = settings.get_int("INGEST_MAX_FUTURE_SECONDS") * 10 ** 9
        self.max_age_ns = settings.get_int("INGEST_MAX_AGE_SECONDS") * 10 ** 9
        self.gateway_locks: dict[str, threading.Lock] = {}
        self.series: dict[tuple[str, str], Accepts] = {}
        self.series_for = None    # the registry version `series` was worked out from
        self.registry.catch_up()

    # Registry -------------------------------------------------------------------
    def sensor(self, sensor_id: str, field_name: str = "id") -> Sensor:
        try:
            return self.repository.get(sensor_uuid(sensor_id))
        except AggregateNotFoundError:
            raise NotFound(f"no sensor {sensor_id!r}", field=field_name) from None

    def checked_fields(self, fields: dict, family: str, current_kinds=()) -> dict:
        checks = {
            "kinds": lambda kinds: self.check_kinds(kinds, family), "latitude": check_latitude,
            "longitude": check_longitude, "unit_code": self.check_unit,
            "gateway_id": check_gateway, "calibration_offsets": check_offsets,
            "name": check_name, "stream_url": check_url,
        }
        checked = {name: checks[name](value) for name, value in fields.items()}
        kinds = checked.get("kinds", current_kinds)
        unknown = set(checked.get("calibration_offsets", {})) - set(kinds)
        if unknown:
            raise InvalidArgument(f"offsets for kinds the sensor does not measure: {sorted(unknown)}",
                                  field="calibration_offsets")
        return checked

    def check_kinds(self, kinds, family):
        kinds = list(dict.fromkeys(kinds))
        if not kinds:
            raise InvalidArgument("name at least one kind", field="kinds")
        wrong = [k for k in kinds if k not in KINDS or KINDS[k].family != family]
        if wrong:
            raise InvalidArgument(f"not {family} kinds: {wrong}", field="kinds")
        return kinds

    def check_unit(self, code):
        if code not in self.units or not self.units.is_commune(code):
            raise InvalidArgument(f"{code!r} is not a known commune code", field="unit_code")
        return code

    @retry_on_conflict
    def register_sensor(self, caller: Principal, *, sensor_id, family, **fields) -> Sensor:
        require_role(caller, *OPERATORS)
        if not SENSOR_ID.match(sensor_id or ""):
            raise InvalidArgument("3–63 characters: lower-case letters, digits, . _ -", field="id")
        if family not in FAMILIES:
            raise InvalidArgument(f"must be one of {', '.join(FAMILIES)}", field="family")
        fields.setdefault("stream_url", "")
        checked = self.checked_fields(fields, family)
        try:
            self.repository.get(sensor_uuid(sensor_id))
            raise AlreadyExists(f"sensor {sensor_id!r} exists", field="id")
        except AggregateNotFoundError:
            pass
        sensor = Sensor(sensor_id=sensor_id, family=family, registered_by=caller.subject, **checked)
        self.save(sensor)
        self.registry.catch_up()
        return sensor

    @retry_on_conflict
    def update_sensor(self, caller: Principal, sensor_id: str, mask, **fields) -> Sensor:
        require_role(caller, *OPERATORS)
        unknown = set(mask) - set(CHANGEABLE)
        if not mask or unknown:
            raise InvalidArgument(f"name fields among {', '.join(CHANGEABLE)}", field="update_mask")
        sensor = self.sensor(sensor_id)
        checked = self.checked_fields({name: fields[name] for name in mask}, sensor.family,
                                      sensor.kinds)
        sensor.change(checked, changed_by=caller.subject)
        self.save(sensor)
        self.registry.catch_up()
        return sensor

    def list_sensors(self, unit_code="", gateway_id="", family=""):
        if unit_code and unit_code not in self.units:
            raise InvalidArgument(f"{unit_code!r} is not a known administrative unit",
                                  field="unit_code")
        sensors = self.registry.current(max_age_seconds=1.0).values()
        return sorted((s for s in sensors
                       if (not unit_code or self.units.contains(unit_code, s.unit_code))
                       and (not gateway_id or s.gateway_id == gateway_id)
                       and (not family or s.family == family)), key=lambda s: s.sensor_id)

    # Ingestion ------------------------------------------------------------------
    def gateway_of(self, caller: Principal) -> str:
        if not caller.has_role(Role.MACHINE.value):
            raise PermissionDenied("only gateways stream readings")
        return caller.subject

    def ingest_position(self, gateway_id: str) -> int:
        return (self.positions.get(gateway_id) or {}).get("acked_seq", 0)

    def ingest(self, gateway_id: str, readings, acked: int | None = None) -> IngestResult:
        """Stores a batch durably and returns what the gateway may forget.

        Readings at or below the gateway's acknowledged sequence were stored
        before (a replay after a disconnect): they are skipped, not counted.
        A stream passes the position it was last told (`acked`), saving a
        read per batch; a new stream reads it from the store.
        """
        lock = self.gateway_locks.setdefault(gateway_id, threading.Lock())
        with lock:
            if acked is None:
                acked = self.ingest_position(gateway_id)
            fresh = [r for r in readings if r[0] > acked]    # r[0]: seq
            result = IngestResult(gateway_id, max([acked] + [r[0] for r in fresh]))
            if not fresh:
                return result
            sensors = self.registry.current(max_age_seconds=2.0)
            series = self.series_of(sensors)
            now_ns = int(self.clock() * 10 ** 9)
            window = (now_ns - self.max_age_ns, now_ns + self.max_future_ns)
            rejected = Counter()
            points = result.points
            for _, sensor_id, kind, value, unit, seconds, nanos, label in fresh:
                time_ns = seconds * 1_000_000_000 + nanos
                accepts = series.get((sensor_id, kind))
                reason = (accepts.problem(gateway_id, unit, value, label, time_ns, window)
                          if accepts else unknown_series(sensor_id, gateway_id, sensors))
                if reason:
                    rejected[reason] += 1
                    continue
                if accepts.offset:
                    result.calibrated = True
                points.append(Point(sensor_id, kind, value + accepts.offset, time_ns,
                                    accepts.unit_code, label))
            if points:
                self.store.write(points)    # in InfluxDB or the spool: durable
            result.accepted, result.rejected = len(points), dict(rejected)
            self.positions.put(gateway_id, {"acked_seq": result.acked_seq})
        self.apply_rules(points, sensors)
        return result

    def series_of(self, sensors: dict) -> dict:
        """(sensor id, kind) → what it accepts, for this version of the registry."""
        if sensors is not self.series_for:
            self.series = {(sensor.sensor_id, kind): Accepts.of(sensor, KINDS[kind])
                           for sensor in sensors.values() for kind in sensor.kinds
                           if kind in KINDS}
            self.series_for = sensors
        return self.series

    # Rules ----------------------------------------------------------------------
    def apply_rules(self, points, sensors):
        decisions = self.engine.observe(points, sensors)
        if decisions:
            self.record_decisions(decisions)

    def check_offline(self):
        decisions = self.engine.check_offline(self.registry.current(max_age_seconds=5.0))
        if decisions:
            self.record_decisions(decisions)

    @retry_on_conflict
    def record_decisions(self, decisions):
        """Applies the rules' decisions to the sensors' histories: the outbox
        publishes them."""
        changed = {}
        for sensor_id, decide in decisions:
            sensor = changed.get(sensor_id) or self.repository.get(sensor_uuid(sensor_id))
            decide(sensor)
            changed[sensor_id] = sensor
        self.save(*changed.values())

    # Reads ----------------------------------------------------------------------
    def require_sensors(self, sensor_ids):
        sensors = self.registry.current(max_age_seconds=1.0)
        if any(s not in sensors for s in sensor_ids):
            self.registry.catch_up()     # registered through another replica a moment ago?
            sensors = self.registry.items
        missing = [s for s in sensor_ids if s not in sensors]
        if missing:
            raise NotFound(f"no sensors {missing}", field="sensor_ids")
        return [sensors[s] for s in sensor_ids]

    def latest(self, sensor_ids, kind=""):
        if not sensor_ids:
            raise InvalidArgument("name at least one sensor", field="sensor_ids")
        self.require_sensors(sensor_ids)
        return self.store.latest(sensor_ids, check_kind(kind) if kind else None)

    def range(self, sensor_id, kind, start_ns, end_ns, interval_seconds):
        self.require_sensors([sensor_id])
        check_window(start_ns, end_ns)
        if interval_seconds < 1:
            raise InvalidArgument("must be at least 1", field="interval_seconds")
        if (end_ns - start_ns) // (interval_seconds * 10 ** 9) > 10_000:
            raise InvalidArgument("more than 10,000 buckets: widen the interval",
                                  field="interval_seconds")
        return self.store.range(sensor_id, check_kind(kind), start_ns, end_ns, interval_seconds)

    def area_aggregates(self, kind, unit_code, start_ns, end_ns):
        if unit_code not in self.units:
            raise InvalidArgument(f"{unit_code!r} is not a known administrative unit",
                                  field="unit_code")
        check_window(start_ns, end_ns)
        communes = [s.unit_code for s in self.list_sensors(unit_code=unit_code)]
        if not communes:
            return []
        return self.store.area_aggregates(check_kind(kind), sorted(set(communes)), start_ns, end_ns)

    def air_quality(self, station_id):
        station = self.require_sensors([station_id])[0]
        return self.engine.air_quality(station.sensor_id)

    def watch_filter(self, sensor_ids, unit_code, kinds):
        """Which live readings a watcher wants: chosen sensors, or an area's."""
        if sensor_ids:
            wanted = {s.sensor_id for s in self.require_sensors(sensor_ids)}
        elif unit_code:
            wanted = {s.sensor_id for s in self.list_sensors(unit_code=unit_code)}
        else:
            raise InvalidArgument("choose sensors or an area", field="sensor_ids")
        kinds = {check_kind(kind) for kind in kinds}
        return lambda reading: reading.sensor_id in wanted and (not kinds or reading.kind in kinds)

    def close(self):
        self.engine.save_state()   # a graceful stop keeps the trackers' latest state
        super().close()

    def housekeeping(self):
        """Sends spooled readings to InfluxDB once it is back; saves rule state."""
        flush = getattr(self.store, "flush", None)
        if flush:
            flush()
        self.engine.save_state()


def check_kind(kind):
    if kind not in KINDS:
        raise InvalidArgument(f"unknown kind {kind!r}", field="kind")
    return kind


def check_window(start_ns, end_ns):
    if not 0 < start_ns < end_ns:
        raise InvalidArgument("start must be before end", field="start")


def check_latitude(value):
    if not (math.isfinite(value) and -90 <= value <= 90):
        raise InvalidArgument("must be between -90 and 90", field="latitude")
    return value


def check_longitude(value):
    if not (math.isfinite(value) and -180 <= value <= 180):
        raise InvalidArgument("must be between -180 and 180", field="longitude")
    return value


def check_gateway(value):
    if not value:
        raise InvalidArgument("name the gateway (its machine client id)", field="gateway_id")
    return value


def check_offsets(offsets):
    offsets = dict(offsets)
    if any(not math.isfinite(v) for v in offsets.values()):
        raise InvalidArgument("offsets must be finite numbers", field="calibration_offsets")
    return offsets


def check_name(value):
    value = " ".join(value.split())
    if len(value) > 200:
        raise InvalidArgument("at most 200 characters", field="name")
    return value


def check_url(value):
    if value and not re.match(r"^(https?|rtsp)://\S+$", value):
        raise InvalidArgument("must be an http(s) or rtsp URL", field="stream_url")
    return value
