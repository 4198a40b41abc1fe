"""Threshold, offline and camera rules: what in a stream of readings is worth
an event.

Each rule is a small state machine fed one reading at a time, with times in
epoch seconds. The service keeps one per sensor (and rule) and persists its
`snapshot()` between readings.
"""
import json
import math
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Mapping

from kit.errors import InvalidArgument, check_keys
from sensors.aqi import DAY, VIETNAM_UTC_OFFSET
from sensors.catalogue import CAMERA, ENVIRONMENTAL, KINDS

ENV_FILE = "SENSOR_RULES_FILE"
SHIPPED_FILE = Path(__file__).parent / "data" / "rules.json"


# Threshold rules ---------------------------------------------------------------

@dataclass(frozen=True)
class Level:
    """Breached when a value ≥ rise_at holds; left when a value < clear_below
    holds. clear_below < rise_at is the hysteresis that keeps a value hovering
    at the threshold from flapping."""
    name: str
    severity: int   # 1 (lowest) .. 4
    rise_at: float
    clear_below: float


@dataclass(frozen=True)
class LocalWindow:
    """A time of day in Vietnam (UTC+7, no daylight saving): [start, end) in
    seconds after local midnight, wrapping past midnight when end < start."""
    start: int
    end: int

    def contains(self, t: float) -> bool:
        second = (t + VIETNAM_UTC_OFFSET) % DAY
        if self.start < self.end:
            return self.start <= second < self.end
        return second >= self.start or second < self.end


@dataclass(frozen=True)
class ThresholdRule:
    """Levels of one kind of reading, lowest first. A condition (rising to a
    level, or falling below one) must hold for min_duration_seconds before it
    is declared. Readings outside the window do not count; an empty
    sensor_ids means every sensor of the kind."""
    name: str
    kind: str
    levels: tuple[Level, ...]
    min_duration_seconds: float = 0.0
    window: LocalWindow | None = None
    sensor_ids: frozenset[str] = frozenset()

    def __post_init__(self):
        _check_rule(self)

    def applies_to(self, sensor_id: str, kind: str) -> bool:
        return kind == self.kind and (not self.sensor_ids or sensor_id in self.sensor_ids)


@dataclass(frozen=True)
class Breached:
    """The sensor entered a level from below every level."""
    level: str
    severity: int
    value: float
    threshold: float   # the level's rise_at


@dataclass(frozen=True)
class Escalated(Breached):
    """A higher level while already breached."""
    previous_level: str


@dataclass(frozen=True)
class Deescalated:
    """Down to a lower level, still breached."""
    level: str
    severity: int
    value: float
    threshold: float   # the rise_at of the level now in force
    previous_level: str


@dataclass(frozen=True)
class Cleared:
    """Below every level; window_closed when it is the rule's window that ended."""
    value: float
    window_closed: bool = False


Transition = Breached | Deescalated | Cleared


class ThresholdTracker:
    """One sensor against one rule.

    For every level above the current one it times how long the value has
    stayed ≥ its rise_at, and for every level at or below the current one how
    long it has stayed < its clear_below. The highest level risen to for the
    minimum duration is entered; failing that, the state drops below the
    lowest level fallen from for that long.
    """

    def __init__(self, rule: ThresholdRule):
        self.rule = rule
        self._level: int | None = None          # index into rule.levels
        self._since: dict[int, float] = {}      # level index → start of its condition's run
        self._quiet_below = min(level.rise_at for level in rule.levels)

    @property
    def level(self) -> Level | None:
        return None if self._level is None else self.rule.levels[self._level]

    def observe(self, value: float, t: float) -> list[Transition]:
        if self._level is None and not self._since and value < self._quiet_below:
            return []   # calm and staying calm: the usual reading, so answered first
        if self.rule.window is not None and not self.rule.window.contains(t):
            return self._outside_window(value)
        self._time_conditions(value, t)
        target = self._settled_level(t)
        if target == self._level:
            return []
        return [self._move_to(target, value)]

    def snapshot(self) -> dict:
        names = [level.name for level in self.rule.levels]
        return {"level": None if self._level is None else names[self._level],
                "since": {names[i]: start for i, start in self._since.items()}}

    @classmethod
    def from_snapshot(cls, rule: ThresholdRule, data: dict) -> "ThresholdTracker":
        """A state whose level was renamed or removed since starts afresh."""
        tracker = cls(rule)
        index = {level.name: i for i, level in enumerate(rule.levels)}
        if data["level"] is not None and data["level"] not in index:
            return tracker
        tracker._level = index.get(data["level"])
        tracker._since = {index[name]: start for name, start in data["since"].items()
                          if name in index}
        return tracker

    def _current(self) -> int:
        return -1 if self._level is None else self._level

    def _time_conditions(self, value: float, t: float):
        for i, level in enumerate(self.rule.levels):
            holds = value >= level.rise_at if i > self._current() else value < level.clear_below
            if holds:
                self._since.setdefault(i, t)
            else:
                self._since.pop(i, None)

    def _settled_level(self, t: float) -> int | None:
        settled = [i for i, start in self._since.items()
                   if t - start >= self.rule.min_duration_seconds]
        risen = [i for i in settled if i > self._current()]
        if risen:
            return max(risen)
        fallen = [i for i in settled if i <= self._current()]
        if fallen:
            lowest = min(fallen)
            return lowest - 1 if lowest > 0 else None
        return self._level

    def _move_to(self, target: int | None, value: float) -> Transition:
        previous = self._level
        # Levels between the old and the new state now time the opposite condition.
        low, high = sorted((self._current(), -1 if target is None else target))
        self._since = {i: start for i, start in self._since.items() if not low < i <= high}
        self._level = target
        if target is None:
            return Cleared(value)
        level = self.rule.levels[target]
        if previous is None:
            return Breached(level.name, level.severity, value, level.rise_at)
        previous_name = self.rule.levels[previous].name
        if target > previous:
            return Escalated(level.name, level.severity, value, level.rise_at, previous_name)
        return Deescalated(level.name, level.severity, value, level.rise_at, previous_name)

    def _outside_window(self, value: float) -> list[Transition]:
        """The reading does not count; a breach still open when the window
        ends is cleared, so that a night-time breach does not last all day."""
        self._since.clear()
        if self._level is None:
            return []
        self._level = None
        return [Cleared(value, window_closed=True)]


def load_rules(path: str | Path | None = None) -> tuple[ThresholdRule, ...]:
    """The threshold rules from path, else from $SENSOR_RULES_FILE, else the
    shipped defaults. Raises InvalidArgument naming the file and the entry
    at fault."""
    path = Path(path or os.environ.get(ENV_FILE) or SHIPPED_FILE)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise InvalidArgument(f"{path}: cannot read rules: {error}", field=ENV_FILE) from None
    if not isinstance(document, dict) or not isinstance(document.get("rules"), list):
        raise InvalidArgument(f'{path}: expected an object with a "rules" list', field=ENV_FILE)
    rules = []
    for position, entry in enumerate(document["rules"]):
        try:
            rules.append(_rule_from_json(entry))
        except InvalidArgument as error:
            where = f"rules[{position}]" + (f".{error.field}" if error.field else "")
            raise InvalidArgument(f"{path}: {where}: {error.message}", field=where) from None
    names = [rule.name for rule in rules]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise InvalidArgument(f"{path}: rule names must be unique: {duplicates}", field="rules")
    return tuple(rules)


RULE_KEYS = {"name", "kind", "levels", "min_duration_seconds", "window", "sensor_ids",
             "description", "source"}
LEVEL_KEYS = {"name", "severity", "rise_at", "clear_below"}


def _rule_from_json(entry) -> ThresholdRule:
    check_keys(entry, RULE_KEYS, {"name", "kind", "levels"}, "")
    levels = entry["levels"]
    if not isinstance(levels, list):
        raise InvalidArgument("must be a list of levels", field="levels")
    sensor_ids = entry.get("sensor_ids", [])
    if not (isinstance(sensor_ids, list) and all(isinstance(s, str) for s in sensor_ids)):
        raise InvalidArgument("must be a list of sensor ids", field="sensor_ids")
    window = entry.get("window")
    return ThresholdRule(
        name=entry["name"], kind=entry["kind"],
        levels=tuple(_level_from_json(level, f"levels[{i}]") for i, level in enumerate(levels)),
        min_duration_seconds=entry.get("min_duration_seconds", 0),
        window=None if window is None else _window_from_json(window),
        sensor_ids=frozenset(sensor_ids))


def _level_from_json(entry, field: str) -> Level:
    check_keys(entry, LEVEL_KEYS, LEVEL_KEYS, field)
    return Level(name=entry["name"], severity=entry["severity"], rise_at=entry["rise_at"],
                 clear_below=entry["clear_below"])


def _window_from_json(entry) -> LocalWindow:
    check_keys(entry, {"start", "end"}, {"start", "end"}, "window")
    return LocalWindow(start=_seconds_of_day(entry["start"], "window.start"),
                       end=_seconds_of_day(entry["end"], "window.end"))


def _seconds_of_day(text, field: str) -> int:
    """"HH:MM", local time."""
    try:
        hours, minutes = (int(part) for part in text.split(":"))
    except (AttributeError, ValueError):
        raise InvalidArgument(f"{text!r} is not a time as HH:MM", field=field) from None
    if not (0 <= hours < 24 and 0 <= minutes < 60):
        raise InvalidArgument(f"{text!r} is not a time of day", field=field)
    return hours * 3600 + minutes * 60


def _check_rule(rule: ThresholdRule):
    if not (isinstance(rule.name, str) and rule.name.strip()):
        raise InvalidArgument("a rule needs a name", field="name")
    if not isinstance(rule.kind, str) or rule.kind not in KINDS:
        raise InvalidArgument(f"unknown kind {rule.kind!r}", field="kind")
    if not _is_number(rule.min_duration_seconds) or rule.min_duration_seconds < 0:
        raise InvalidArgument("must be a number of seconds ≥ 0", field="min_duration_seconds")
    if rule.window is not None and rule.window.start == rule.window.end:
        raise InvalidArgument("start and end must differ", field="window")
    if not rule.levels:
        raise InvalidArgument("a rule needs at least one level", field="levels")
    for i, level in enumerate(rule.levels):
        _check_level(level, f"levels[{i}]")
    for i, (lower, upper) in enumerate(zip(rule.levels, rule.levels[1:]), start=1):
        if not (upper.rise_at > lower.rise_at and upper.clear_below > lower.clear_below):
            raise InvalidArgument("levels must rise: rise_at and clear_below above the "
                                  "previous level's", field=f"levels[{i}]")
        if upper.severity < lower.severity:
            raise InvalidArgument("severity below the previous level's", field=f"levels[{i}]")
        if upper.name in {level.name for level in rule.levels[:i]}:
            raise InvalidArgument(f"duplicate level name {upper.name!r}", field=f"levels[{i}]")


def _check_level(level: Level, field: str):
    if not (isinstance(level.name, str) and level.name.strip()):
        raise InvalidArgument("a level needs a name", field=f"{field}.name")
    if type(level.severity) is not int or not 1 <= level.severity <= 4:
        raise InvalidArgument("severity must be 1, 2, 3 or 4", field=f"{field}.severity")
    for name in ("rise_at", "clear_below"):
        if not _is_number(getattr(level, name)):
            raise InvalidArgument("must be a number", field=f"{field}.{name}")
    if level.clear_below > level.rise_at:
        raise InvalidArgument(f"clear_below ({level.clear_below}) must not exceed rise_at "
                              f"({level.rise_at})", field=f"{field}.clear_below")


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


# Sensors going silent ----------------------------------------------------------

DEFAULT_SILENCE_SECONDS = {ENVIRONMENTAL: 600.0, CAMERA: 120.0}


@dataclass(frozen=True)
class WentOffline:
    sensor_id: str
    silent_seconds: int
    last_seen: float


@dataclass(frozen=True)
class CameBackOnline:
    sensor_id: str
    at: float   # time of its first reading after going offline


@dataclass
class _Watch:
    family: str
    last_seen: float
    offline: bool = False
    back_at: float | None = None


class OfflineDetector:
    """Every sensor that has sent a reading: offline once silent for its
    family's silence_seconds, back online at its first reading after."""

    def __init__(self, silence_seconds: Mapping[str, float] | None = None):
        self.silence_seconds = {**DEFAULT_SILENCE_SECONDS, **(silence_seconds or {})}
        self._watches: dict[str, _Watch] = {}

    def seen(self, sensor_id: str, t: float, family: str = ENVIRONMENTAL):
        if family not in self.silence_seconds:
            raise ValueError(f"no silence limit for family {family!r}")
        watch = self._watches.setdefault(sensor_id, _Watch(family, t))
        watch.family = family
        if watch.offline and watch.back_at is None and t > watch.last_seen:
            watch.back_at = t
        watch.last_seen = max(watch.last_seen, t)

    def last_seen(self, sensor_id: str) -> float:
        watch = self._watches.get(sensor_id)
        return watch.last_seen if watch else 0.0

    def check(self, now: float) -> list[WentOffline | CameBackOnline]:
        transitions = []
        for sensor_id in sorted(self._watches):
            watch = self._watches[sensor_id]
            if watch.back_at is not None:
                transitions.append(CameBackOnline(sensor_id, watch.back_at))
                watch.offline, watch.back_at = False, None
            elif not watch.offline and now - watch.last_seen >= self.silence_seconds[watch.family]:
                transitions.append(WentOffline(sensor_id, int(now - watch.last_seen),
                                               watch.last_seen))
                watch.offline = True
        return transitions

    def snapshot(self) -> dict:
        return {sensor_id: asdict(watch) for sensor_id, watch in self._watches.items()}

    @classmethod
    def from_snapshot(cls, data: dict,
                      silence_seconds: Mapping[str, float] | None = None) -> "OfflineDetector":
        detector = cls(silence_seconds)
        detector._watches = {sensor_id: _Watch(**watch) for sensor_id, watch in data.items()}
        return detector


# Cameras -----------------------------------------------------------------------

@dataclass(frozen=True)
class CongestionSustained:
    congestion_level: int
    for_seconds: int


@dataclass(frozen=True)
class CongestionCleared:
    pass


class CongestionTracker:
    """One camera's congestion_level readings: congested once the level stays
    ≥ congested_at for sustain_seconds, clear once it stays below for
    clear_seconds."""

    def __init__(self, congested_at: int = 3, sustain_seconds: float = 300.0,
                 clear_seconds: float = 120.0):
        self.congested_at = congested_at
        self.sustain_seconds = sustain_seconds
        self.clear_seconds = clear_seconds
        self.congested = False
        self._since: float | None = None   # start of the run that would change the state

    def observe(self, congestion_level: float,
                t: float) -> list[CongestionSustained | CongestionCleared]:
        heavy = congestion_level >= self.congested_at
        if heavy == self.congested:
            self._since = None
            return []
        if self._since is None:
            self._since = t
        held = t - self._since
        if held < (self.sustain_seconds if heavy else self.clear_seconds):
            return []
        self.congested, self._since = heavy, None
        if not heavy:
            return [CongestionCleared()]
        return [CongestionSustained(int(congestion_level), int(held))]

    def snapshot(self) -> dict:
        return {"congested": self.congested, "since": self._since}

    @classmethod
    def from_snapshot(cls, data: dict, **settings) -> "CongestionTracker":
        tracker = cls(**settings)
        tracker.congested, tracker._since = data["congested"], data["since"]
        return tracker


INCIDENT_LABELS = KINDS["incident"].labels


@dataclass(frozen=True)
class CameraIncident:
    incident: str   # accident, flooding, stopped_vehicle


def incident_transition(label: str, value: float) -> CameraIncident | None:
    """An incident reading is a detection when its value is 1 and its label known."""
    return CameraIncident(label) if value == 1 and label in INCIDENT_LABELS else None


class IncidentTracker:
    """One camera's detections, each incident reported once: a detection of
    the same type less than dedupe_seconds after the previous one (reported or
    not) continues the same incident."""

    def __init__(self, dedupe_seconds: float = 300.0):
        self.dedupe_seconds = dedupe_seconds
        self._last_detected: dict[str, float] = {}

    def observe(self, label: str, value: float, t: float) -> CameraIncident | None:
        incident = incident_transition(label, value)
        if incident is None:
            return None
        previous = self._last_detected.get(label)
        self._last_detected[label] = t if previous is None else max(previous, t)
        if previous is not None and abs(t - previous) < self.dedupe_seconds:
            return None
        return incident

    def snapshot(self) -> dict:
        return dict(self._last_detected)

    @classmethod
    def from_snapshot(cls, data: dict, dedupe_seconds: float = 300.0) -> "IncidentTracker":
        tracker = cls(dedupe_seconds)
        tracker._last_detected = dict(data)
        return tracker
