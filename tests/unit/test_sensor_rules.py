"""Threshold rules (hysteresis, minimum duration, escalation, local-time
windows), the rules file, offline detection, congestion and incidents."""
import calendar
import json

import pytest

from kit.errors import InvalidArgument
from sensors.rules import (
    Breached,
    CameBackOnline,
    CameraIncident,
    Cleared,
    CongestionCleared,
    CongestionSustained,
    CongestionTracker,
    Deescalated,
    Escalated,
    IncidentTracker,
    Level,
    LocalWindow,
    OfflineDetector,
    ThresholdRule,
    ThresholdTracker,
    WentOffline,
    incident_transition,
    load_rules,
)

MINUTE = 60
HOUR = 3600
T0 = calendar.timegm((2024, 9, 9, 0, 0, 0))   # 07:00 local


def local(hour, minute=0, second=0, day=9):
    """Epoch seconds of a Vietnamese local time on 2024-09-day (UTC+7)."""
    return calendar.timegm((2024, 9, day, hour, minute, second)) - 7 * HOUR


def water_rule(clear_below=2.8, min_duration=300):
    return ThresholdRule(name="river", kind="water_level",
                         levels=(Level("alarm", 2, rise_at=3.0, clear_below=clear_below),),
                         min_duration_seconds=min_duration)


def run(tracker, values, start=T0, step=MINUTE):
    """Feeds one value per step; returns (minute, transition) pairs."""
    return [(i, transition) for i, value in enumerate(values)
            for transition in tracker.observe(value, start + i * step)]


# A river gauge around its 3.0 m alarm, one reading a minute:
NOISY_RISE = [3.1 if i % 3 == 1 else 2.5 for i in range(10)]     # single-reading spikes
ABOVE = [3.1, 3.2] * 5                                            # clearly above
HOVERING = [2.92] * 6 + [3.08] * 6 + [2.92] * 6 + [3.08] * 6     # around 3.0, minutes at a time
BELOW = [2.7, 2.6] * 5                                            # clearly below
FLAPPING = NOISY_RISE + ABOVE + HOVERING + BELOW


# --- threshold rules ---------------------------------------------------------------


def test_hysteresis_and_minimum_duration_give_one_breach_and_one_clear():
    transitions = run(ThresholdTracker(water_rule()), FLAPPING)
    # Breached 5 minutes into ABOVE (minute 10 + 5), cleared 5 minutes into BELOW.
    assert transitions == [
        (15, Breached("alarm", 2, 3.2, 3.0)),
        (49, Cleared(2.6)),
    ]


def test_without_hysteresis_a_value_hovering_at_the_threshold_flaps():
    transitions = run(ThresholdTracker(water_rule(clear_below=3.0)), FLAPPING)
    kinds = [type(t).__name__ for _, t in transitions]
    # Each 6-minute stretch of HOVERING outlasts the 5-minute minimum.
    assert kinds == ["Breached", "Cleared", "Breached", "Cleared", "Breached", "Cleared"]


def test_without_minimum_duration_single_spikes_flap():
    transitions = run(ThresholdTracker(water_rule(min_duration=0)), FLAPPING)
    spikes = [t for minute, t in transitions if minute < 10]
    assert [type(t).__name__ for t in spikes] == ["Breached", "Cleared"] * 3


def test_a_condition_must_hold_without_a_break():
    tracker = ThresholdTracker(water_rule())
    assert run(tracker, [3.1] * 5 + [2.9] + [3.1] * 5) == []   # never 5 minutes unbroken
    assert tracker.level is None


FLOOD = ThresholdRule(
    name="flood", kind="water_level", min_duration_seconds=600,
    levels=(Level("báo động I", 2, 25.0, 24.9), Level("báo động II", 3, 26.0, 25.9),
            Level("báo động III", 4, 27.0, 26.9)))


def test_escalation_and_deescalation():
    tracker = ThresholdTracker(FLOOD)
    step = 5 * MINUTE
    levels = [24.5] * 2 + [25.3] * 4 + [26.4] * 4 + [27.2] * 4 + [26.5] * 4 + [24.0] * 4
    transitions = [t for _, t in run(tracker, levels, step=step)]
    assert transitions == [
        Breached("báo động I", 2, 25.3, 25.0),
        Escalated("báo động II", 3, 26.4, 26.0, previous_level="báo động I"),
        Escalated("báo động III", 4, 27.2, 27.0, previous_level="báo động II"),
        Deescalated("báo động II", 3, 26.5, 26.0, previous_level="báo động III"),
        Cleared(24.0),
    ]
    assert isinstance(transitions[1], Breached)   # an escalation is a breach too


def test_a_fast_rise_declares_the_highest_level_held():
    tracker = ThresholdTracker(FLOOD)
    transitions = run(tracker, [24.0, 27.5, 27.6, 27.7], step=5 * MINUTE)
    assert transitions == [(3, Breached("báo động III", 4, 27.7, 27.0))]


def test_a_rise_keeps_timing_the_higher_level_after_entering_a_lower_one():
    tracker = ThresholdTracker(FLOOD)
    # 25.5 from minute 0, 26.5 from minute 5: level I settles at minute 10,
    # level II (timed since minute 5) at minute 15.
    transitions = run(tracker, [25.5, 26.5, 26.5, 26.6], step=5 * MINUTE)
    assert [(i, type(t).__name__, t.level) for i, t in transitions] == [
        (2, "Breached", "báo động I"), (3, "Escalated", "báo động II")]


NIGHT_NOISE = ThresholdRule(name="night-noise", kind="noise",
                            levels=(Level("night", 1, 55.0, 52.0),),
                            window=LocalWindow(start=21 * HOUR, end=6 * HOUR))


def test_night_window_edges():
    tracker = ThresholdTracker(NIGHT_NOISE)
    assert tracker.observe(60, local(20, 59, 59)) == []               # before 21:00: ignored
    assert tracker.observe(60, local(21)) == [Breached("night", 1, 60, 55.0)]
    assert tracker.observe(60, local(5, 59, 59, day=10)) == []        # still night, still breached
    assert tracker.observe(60, local(6, day=10)) == [Cleared(60, window_closed=True)]
    assert tracker.observe(60, local(6, 0, 1, day=10)) == []          # day: ignored


def test_a_run_before_the_window_does_not_count():
    rule = ThresholdRule(name="night-noise", kind="noise", levels=NIGHT_NOISE.levels,
                         window=NIGHT_NOISE.window, min_duration_seconds=15 * MINUTE)
    tracker = ThresholdTracker(rule)
    # Loud from 20:50, one reading a minute: the 15 minutes count from 21:00.
    transitions = run(tracker, [60] * 30, start=local(20, 50))
    assert [minute for minute, _ in transitions] == [25]              # 21:15


def test_window_contains_in_local_time():
    day = LocalWindow(start=6 * HOUR, end=21 * HOUR)
    assert not day.contains(local(5, 59, 59)) and day.contains(local(6))
    assert day.contains(local(20, 59, 59)) and not day.contains(local(21))
    assert NIGHT_NOISE.window.contains(calendar.timegm((2024, 9, 9, 14, 0, 0)))   # 21:00 local
    assert not NIGHT_NOISE.window.contains(calendar.timegm((2024, 9, 9, 13, 59, 59)))


def test_snapshot_restores_the_same_behaviour():
    original = ThresholdTracker(FLOOD)
    values = [24.5, 25.3, 25.4, 25.6, 26.2, 26.3, 26.4, 26.2, 27.1, 26.95, 27.3]
    run(original, values, step=5 * MINUTE)
    restored = ThresholdTracker.from_snapshot(FLOOD, json.loads(json.dumps(original.snapshot())))
    assert restored.snapshot() == original.snapshot()
    rest = [27.4, 27.5, 26.5, 26.0, 25.5, 24.0, 24.0, 24.0, 24.0]
    later = T0 + len(values) * 5 * MINUTE
    assert run(restored, rest, start=later, step=5 * MINUTE) == \
        run(original, rest, start=later, step=5 * MINUTE)


def test_restoring_after_a_level_was_renamed_forgets_it():
    tracker = ThresholdTracker(water_rule(min_duration=0))
    tracker.observe(3.5, T0)
    renamed = ThresholdRule(name="river", kind="water_level",
                            levels=(Level("stage 1", 2, 3.0, 2.8),))
    assert ThresholdTracker.from_snapshot(renamed, tracker.snapshot()).level is None


def test_sensor_filter():
    everyone = water_rule()
    one_gauge = ThresholdRule(name="gauge", kind="water_level", levels=everyone.levels,
                              sensor_ids=frozenset({"tn-wl-gia-bay"}))
    assert everyone.applies_to("tn-wl-any", "water_level")
    assert not everyone.applies_to("tn-wl-any", "rainfall")
    assert one_gauge.applies_to("tn-wl-gia-bay", "water_level")
    assert not one_gauge.applies_to("tn-wl-other", "water_level")


# --- the rules file ----------------------------------------------------------------


def test_shipped_rules():
    rules = {rule.name: rule for rule in load_rules()}
    assert set(rules) == {"flood-stage-cau-gia-bay", "noise-night-residential",
                          "noise-day-residential", "heavy-rain-hourly", "heat"}
    flood = rules["flood-stage-cau-gia-bay"]
    assert [(lv.name, lv.severity, lv.rise_at) for lv in flood.levels] == [
        ("báo động I", 2, 25.0), ("báo động II", 3, 26.0), ("báo động III", 4, 27.0)]
    night = rules["noise-night-residential"]
    assert night.window == LocalWindow(21 * HOUR, 6 * HOUR) and night.levels[0].rise_at == 55
    assert rules["noise-day-residential"].levels[0].rise_at == 70
    assert rules["heavy-rain-hourly"].levels[-1].rise_at == 50
    assert [lv.rise_at for lv in rules["heat"].levels] == [35, 37, 39]


def write_rules(tmp_path, rules):
    path = tmp_path / "rules.json"
    path.write_text(json.dumps({"rules": rules}), encoding="utf-8")
    return path


def level(**changes):
    return {"name": "high", "severity": 2, "rise_at": 10, "clear_below": 8, **changes}


def rule(**changes):
    return {"name": "r", "kind": "noise", "levels": [level()], **changes}


def test_the_environment_names_another_file(tmp_path, monkeypatch):
    path = write_rules(tmp_path, [rule(name="mine", window={"start": "22:30", "end": "05:00"})])
    monkeypatch.setenv("SENSOR_RULES_FILE", str(path))
    (mine,) = load_rules()
    assert mine.name == "mine" and mine.window == LocalWindow(22 * HOUR + 1800, 5 * HOUR)


@pytest.mark.parametrize("rules, field, message", [
    ([rule(levels=[level(clear_below=12)])], "rules[0].levels[0].clear_below", "must not exceed"),
    ([rule(levels=[level(severity=5)])], "rules[0].levels[0].severity", "1, 2, 3 or 4"),
    ([rule(kind="water_lvl")], "rules[0].kind", "unknown kind"),
    ([rule(levels=[])], "rules[0].levels", "at least one level"),
    ([rule(levels=[level(), level(name="higher", rise_at=9, clear_below=7)])],
     "rules[0].levels[1]", "levels must rise"),
    ([rule(window={"start": "21h", "end": "06:00"})], "rules[0].window.start", "HH:MM"),
    ([rule(window={"start": "21:00", "end": "21:00"})], "rules[0].window", "must differ"),
    ([rule(min_duration_seconds=-1)], "rules[0].min_duration_seconds", "≥ 0"),
    ([rule(threshold=3)], "rules[0]", "unknown keys"),
    ([rule(levels=[{"name": "x", "severity": 2}])], "rules[0].levels[0]", "missing"),
    ([rule(), rule()], "rules", "unique"),
])
def test_bad_rules_files_are_refused(tmp_path, rules, field, message):
    with pytest.raises(InvalidArgument, match=message) as refused:
        load_rules(write_rules(tmp_path, rules))
    assert refused.value.field == field
    assert str(tmp_path) in refused.value.message


def test_unreadable_rules_file_is_refused(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(InvalidArgument, match="cannot read"):
        load_rules(broken)
    with pytest.raises(InvalidArgument, match="cannot read"):
        load_rules(tmp_path / "missing.json")


# --- offline -----------------------------------------------------------------------


def test_offline_after_silence_and_back_at_the_next_reading():
    detector = OfflineDetector()
    detector.seen("tn-aq-001", T0)
    detector.seen("tn-cam-001", T0, family="camera")
    assert detector.check(T0 + 119) == []
    assert detector.check(T0 + 120) == [WentOffline("tn-cam-001", 120, T0)]
    assert detector.check(T0 + 599) == []                             # reported once
    assert detector.check(T0 + 600) == [WentOffline("tn-aq-001", 600, T0)]
    detector.seen("tn-cam-001", T0 + 700, family="camera")
    detector.seen("tn-cam-001", T0 + 710, family="camera")
    assert detector.check(T0 + 720) == [CameBackOnline("tn-cam-001", T0 + 700)]
    assert detector.check(T0 + 721) == []


def test_a_late_reading_from_before_the_silence_is_not_a_return():
    detector = OfflineDetector({"environmental": 300})
    detector.seen("tn-aq-001", T0)
    assert detector.check(T0 + 300) == [WentOffline("tn-aq-001", 300, T0)]
    detector.seen("tn-aq-001", T0 - 30)
    assert detector.check(T0 + 400) == []


def test_offline_snapshot_restores_the_same_behaviour():
    detector = OfflineDetector()
    detector.seen("tn-aq-001", T0)
    detector.seen("tn-aq-002", T0 + 500)
    detector.check(T0 + 600)
    restored = OfflineDetector.from_snapshot(json.loads(json.dumps(detector.snapshot())))
    for d in (detector, restored):
        d.seen("tn-aq-001", T0 + 650)
    assert restored.check(T0 + 1200) == detector.check(T0 + 1200) == [
        CameBackOnline("tn-aq-001", T0 + 650), WentOffline("tn-aq-002", 700, T0 + 500)]


# --- congestion and incidents --------------------------------------------------------


def test_congestion_sustained_then_cleared():
    tracker = CongestionTracker()
    # Level 3 for 4 minutes, then 2: never 5 minutes.
    assert run(tracker, [3, 3, 3, 3, 3, 2]) == []
    # 3-4 from minute 6; sustained at minute 11 after 300 s. A one-minute dip
    # does not clear; 2 minutes below does.
    levels = [2] * 6 + [3, 4, 3, 4, 4, 4, 4, 2, 4, 1, 1, 1]
    assert run(CongestionTracker(), levels) == [
        (11, CongestionSustained(congestion_level=4, for_seconds=300)),
        (17, CongestionCleared()),
    ]


def test_congestion_thresholds_are_configurable_and_survive_a_snapshot():
    settings = {"congested_at": 4, "sustain_seconds": 120, "clear_seconds": 60}
    tracker = CongestionTracker(**settings)
    assert run(tracker, [3, 4, 4, 4]) == [(3, CongestionSustained(4, 120))]
    restored = CongestionTracker.from_snapshot(json.loads(json.dumps(tracker.snapshot())),
                                               **settings)
    assert restored.congested
    assert run(restored, [3, 3], start=T0 + 4 * MINUTE) == [(1, CongestionCleared())]


def test_incident_readings():
    assert incident_transition("accident", 1) == CameraIncident("accident")
    assert incident_transition("accident", 0) is None
    assert incident_transition("fire", 1) is None


def test_an_incident_is_reported_once_while_it_is_being_detected():
    tracker = IncidentTracker()
    reports = [tracker.observe("stopped_vehicle", 1, T0 + i * MINUTE) for i in range(20)]
    assert reports == [CameraIncident("stopped_vehicle")] + [None] * 19
    assert tracker.observe("accident", 1, T0 + 20 * MINUTE) == CameraIncident("accident")
    # 5 minutes without detecting it: a new stopped vehicle.
    assert tracker.observe("stopped_vehicle", 1, T0 + 19 * MINUTE + 299) is None
    assert tracker.observe("stopped_vehicle", 1, T0 + 19 * MINUTE + 299 + 300) == \
        CameraIncident("stopped_vehicle")


def test_incident_tracker_snapshot():
    tracker = IncidentTracker()
    tracker.observe("flooding", 1, T0)
    restored = IncidentTracker.from_snapshot(json.loads(json.dumps(tracker.snapshot())))
    assert restored.observe("flooding", 1, T0 + 200) is None
    assert restored.observe("flooding", 1, T0 + 600) == CameraIncident("flooding")
