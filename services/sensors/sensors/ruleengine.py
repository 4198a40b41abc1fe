"""Runs every rule over the readings and turns transitions into decisions on
sensors' histories. Plain Python: the trackers' working state is saved to a
state table (periodically and on request) and restored at start, so rule
state survives a restart; the transitions themselves are events.

A decision is (sensor_id, apply) where apply(sensor) records the event.
"""
import logging

from sensors import rules
from sensors.aqi import HOUR, POLLUTANTS, StationAirQuality, hour_start

log = logging.getLogger(__name__)


class RuleEngine:
    def __init__(self, threshold_rules, state_table, clock):
        self.threshold_rules = threshold_rules
        self.rules_by_name = {rule.name: rule for rule in threshold_rules}
        self.rules_by_kind: dict[str, list] = {}
        for rule in threshold_rules:
            self.rules_by_kind.setdefault(rule.kind, []).append(rule)
        # the kinds some rule looks at: readings of the others pass by untouched
        self.watched_kinds = {*POLLUTANTS, "rainfall", "congestion_level", "incident",
                              *self.rules_by_kind}
        self.table = state_table
        self.clock = clock
        self.air: dict[str, StationAirQuality] = {}
        self.thresholds: dict[tuple[str, str], rules.ThresholdTracker] = {}
        self.congestion: dict[str, rules.CongestionTracker] = {}
        self.incidents: dict[str, rules.IncidentTracker] = {}
        self.rain: dict[str, list] = {}       # sensor → [hour start, total so far]
        self.offline = rules.OfflineDetector()
        self.announced_online: set[str] = set()   # came_online decided, not offline since
        self.dirty: set[tuple] = set()   # (family, *ids) of the trackers changed since saved
        self.restore()

    # Readings -------------------------------------------------------------------
    def observe(self, points, sensors) -> list:
        arrived = self.clock()   # silence is judged by arrival: skewed clocks and backfills lie
        decisions = []
        for sensor_id in {point.sensor_id for point in points}:
            self.offline.seen(sensor_id, arrived, sensors[sensor_id].family)
            if not sensors[sensor_id].online and sensor_id not in self.announced_online:
                self.announced_online.add(sensor_id)
                decisions.append((sensor_id, lambda s: s.came_online(at=arrived)))
        self.dirty.add(("offline",))
        watched = self.watched_kinds
        for point in points:
            if point.kind in watched:
                decisions += self.observe_point(point, point.time_ns / 1e9)
        return decisions

    def observe_point(self, point, t) -> list:
        kind, sensor_id = point.kind, point.sensor_id
        decisions = []
        if kind in POLLUTANTS:
            decisions += self.air_quality_changes(sensor_id, kind, point.value, t)
        if kind == "rainfall":
            decisions += self.rain_hour(sensor_id, point.value, t)
        elif kind in self.rules_by_kind:
            decisions += self.threshold_changes(sensor_id, kind, point.value, t)
        if kind == "congestion_level":
            decisions += self.congestion_changes(sensor_id, point.value, t)
        if kind == "incident":
            decisions += self.incident(sensor_id, point.label, point.value, t)
        return decisions

    def air_quality_changes(self, sensor_id, kind, value, t):
        station = tracker(self.air, sensor_id, StationAirQuality)
        self.dirty.add(("air", sensor_id))
        return [band_decision(sensor_id, change) for change in station.observe(kind, value, t)]

    def threshold_changes(self, sensor_id, kind, value, t):
        decisions = []
        for rule in self.rules_by_kind.get(kind, ()):
            if rule.applies_to(sensor_id, kind):
                threshold = tracker(self.thresholds, (sensor_id, rule.name),
                                    rules.ThresholdTracker, rule)
                self.dirty.add(("threshold", sensor_id, rule.name))
                decisions += [threshold_decision(sensor_id, rule, transition)
                              for transition in threshold.observe(value, t)]
        return decisions

    def rain_hour(self, sensor_id, amount, t):
        """Rainfall rules judge completed hours' totals."""
        hour = hour_start(t)
        current = self.rain.setdefault(sensor_id, [hour, 0.0])
        self.dirty.add(("rain", sensor_id))
        decisions = []
        if hour > current[0]:
            decisions = self.threshold_changes(sensor_id, "rainfall", current[1], current[0] + HOUR)
            current[:] = [hour, 0.0]
        if hour == current[0]:
            current[1] += amount
        return decisions

    def congestion_changes(self, sensor_id, level, t):
        congestion = tracker(self.congestion, sensor_id, rules.CongestionTracker)
        self.dirty.add(("congestion", sensor_id))
        return [congestion_decision(sensor_id, change) for change in congestion.observe(level, t)]

    def incident(self, sensor_id, label, value, t):
        incidents = tracker(self.incidents, sensor_id, rules.IncidentTracker)
        self.dirty.add(("incidents", sensor_id))
        detected = incidents.observe(label, value, t)
        if detected is None:
            return []
        return [(sensor_id, lambda s: s.incident_detected(incident=detected.incident, at=t))]

    # Time passing ---------------------------------------------------------------
    def check_offline(self, sensors) -> list:
        """Sensors gone silent or back, and hours closed for silent stations."""
        now = self.clock()
        decisions = []
        for change in self.offline.check(now):
            # coming back is announced by the first reading itself (observe)
            if change.sensor_id in sensors and isinstance(change, rules.WentOffline):
                self.announced_online.discard(change.sensor_id)
                decisions.append(offline_decision(change))
        for sensor_id, station in self.air.items():
            decisions += [band_decision(sensor_id, change) for change in station.advance(now)]
        self.dirty.update([("offline",), *(("air", s) for s in self.air)])
        return decisions

    def last_seen(self, sensor_id) -> float:
        """When this replica last received data from the sensor (0: never)."""
        return self.offline.last_seen(sensor_id)

    def air_quality(self, station_id):
        station = self.air.get(station_id) or StationAirQuality()
        return station.current(self.clock())

    # Persistence ----------------------------------------------------------------
    def save_state(self):
        dirty, self.dirty = self.dirty, set()
        values = {":".join(key): self.snapshot_of(*key) for key in dirty}
        self.table.put_many({k: v for k, v in values.items() if v is not None})

    def snapshot_of(self, family, rest="", rule=""):
        if family == "offline":
            return self.offline.snapshot()
        if family == "rain":
            return self.rain.get(rest)
        source = {"air": self.air, "congestion": self.congestion, "incidents": self.incidents}
        if family in source:
            return source[family][rest].snapshot()
        return self.thresholds[(rest, rule)].snapshot()

    def restore(self):
        for key, state in self.table.items().items():
            try:
                self.restore_one(key, state)
            except Exception:   # a rule removed or changed since: start that tracker afresh
                log.warning("dropping saved rule state %s", key, exc_info=True)

    def restore_one(self, key, state):
        family, _, rest = key.partition(":")
        if family == "offline":
            self.offline = rules.OfflineDetector.from_snapshot(state)
        elif family == "rain":
            self.rain[rest] = state
        elif family == "air":
            self.air[rest] = StationAirQuality.from_snapshot(state)
        elif family == "congestion":
            self.congestion[rest] = rules.CongestionTracker.from_snapshot(state)
        elif family == "incidents":
            self.incidents[rest] = rules.IncidentTracker.from_snapshot(state)
        elif family == "threshold":
            sensor_id, _, rule = rest.rpartition(":")
            self.thresholds[(sensor_id, rule)] = rules.ThresholdTracker.from_snapshot(
                self.rules_by_name[rule], state)


def tracker(trackers: dict, key, make, *args):
    """The tracker under key, made on first use (not on every lookup)."""
    found = trackers.get(key)
    if found is None:
        found = trackers[key] = make(*args)
    return found


def band_decision(sensor_id, change):
    return (sensor_id, lambda s: s.air_quality_band_changed(
        period=change.period, aqi=change.aqi, band=change.band,
        previous_band=change.previous_band, dominant=change.dominant))


def threshold_decision(sensor_id, rule, transition):
    if isinstance(transition, rules.Cleared):
        return (sensor_id, lambda s: s.threshold_cleared(rule=rule.name, kind=rule.kind,
                                                         value=transition.value))
    # breached, escalated or de-escalated: the level now held
    return (sensor_id, lambda s: s.threshold_breached(
        rule=rule.name, kind=rule.kind, level=transition.level, severity=transition.severity,
        value=transition.value, threshold=transition.threshold))


def congestion_decision(sensor_id, change):
    if isinstance(change, rules.CongestionCleared):
        return (sensor_id, lambda s: s.congestion_cleared())
    return (sensor_id, lambda s: s.congestion_sustained(level=change.congestion_level,
                                                        for_seconds=change.for_seconds))


def offline_decision(change):
    return (change.sensor_id, lambda s: s.went_offline(silent_seconds=change.silent_seconds,
                                                       last_seen=change.last_seen))

