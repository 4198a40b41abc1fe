"""Warnings of the alerts service: the operators' lifecycle (four eyes,
updates and cancellations chained by references, acknowledge and resolve,
expiry) and automatic warnings from the sensors service's events. In memory:
an SQLite database in RAM, since save_once needs the processed-events table;
no broker, no network."""
import json
import time
import uuid
from datetime import datetime

import pytest
from google.protobuf.json_format import MessageToDict

from alerts import cap
from alerts.warnings import (
    CANCELLED, DRAFT, ENDED, PUBLISHED, SHIPPED_FILE, SUPERSEDED, ActiveWarningKey, Warning,
    WarningCommands, active_key_id, load_warning_rules,
)
from kit.adminunits import AdministrativeUnits
from kit.auth import Principal, RoleGrant
from kit.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from kit.eventstore import EventSourcedApplication
from kit.geography import Locator
from smartcity.events.v1 import sensors_pb2 as sensors

UNITS = AdministrativeUnits.load()
COMMUNES = Locator.load()
T0 = datetime.fromisoformat("2026-07-20T14:00:00+07:00").timestamp()
HOUR = 3600.0
GIA_BAY = sensors.SensorLocation(sensor_id="tn-wl-gia-bay", latitude=21.5887, longitude=105.834,
                                 unit_code="05443")
PHO_YEN = sensors.SensorLocation(sensor_id="tn-wl-pho-yen", latitude=21.4265, longitude=105.867,
                                 unit_code="05860")
IN_MEMORY = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": ":memory:",
             "APPLICATION_RECORDER_TOPIC": "kit.eventstore:SQLiteRecorder"}


class Clock:
    def __init__(self, now=T0):
        self.now = now

    def __call__(self):
        return self.now


class WarningsApp(WarningCommands, EventSourcedApplication):
    def __init__(self, clock):
        super().__init__(IN_MEMORY)
        self.clock = clock
        self.units = UNITS
        self.communes = COMMUNES


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def app(clock):
    return WarningsApp(clock)


def person(*roles):
    return Principal(subject=str(uuid.uuid4()), kind="person",
                     roles=(RoleGrant("citizen"), *(RoleGrant(role) for role in roles)),
                     assurance_level=1)


ANH, BINH = person("ioc_operator"), person("ioc_operator")   # two operators
ADMIN = person("administrator")
CITIZEN = person()


def infos(headline="Lũ trên sông Cầu", expires=T0 + 12 * HOUR, severity="Severe", **area):
    area = area or {"polygons": [{"points": [{"latitude": 21.5, "longitude": 105.8},
                                             {"latitude": 21.6, "longitude": 105.8},
                                             {"latitude": 21.6, "longitude": 105.9}]}]}
    common = {"categories": ["Met"], "urgency": "Immediate", "severity": severity,
              "certainty": "Observed", "expires": expires,
              "areas": [{"description": "Ven sông Cầu", **area}]}
    return [{**common, "language": "vi-VN", "event": "Lũ", "headline": headline,
             "description": "Mực nước sông Cầu vượt báo động III."},
            {**common, "language": "en-US", "event": "Flood", "headline": "Cau river flood",
             "description": "The Cau river is above alarm level III."}]


def published(app, by=ANH, approver=BINH, **kwargs):
    draft = app.draft_warning(by, "Actual", "Alert", "Public", infos(**kwargs))
    return app.approve_warning(approver, str(draft.id))


def reload(app, warning):
    return app.get_warning(str(warning.id))


def history(app, warning):
    return [type(e).__name__ for e in app.events.get(warning.id)]


# Drafting and the four eyes ----------------------------------------------------------
def test_a_draft_is_published_by_a_second_operator(app, clock):
    draft = app.draft_warning(ANH, "Actual", "Alert", "Public", infos())
    assert (draft.state, draft.active, draft.drafted_by) == (DRAFT, False, ANH.subject)
    assert draft.sender == "ioc@thainguyen.gov.vn" and draft.source == "operator"
    assert draft.identifier == f"urn:smartcity:thainguyen:warning:{draft.id}"
    with pytest.raises(PermissionDenied):
        app.approve_warning(ANH, str(draft.id))
    clock.now += 60
    warning = app.approve_warning(BINH, str(draft.id))
    assert (warning.state, warning.active, warning.approved_by) == (PUBLISHED, True, BINH.subject)
    assert warning.sent == T0 + 60
    assert history(app, warning) == ["Drafted", "Approved"]
    with pytest.raises(FailedPrecondition):
        app.approve_warning(ADMIN, str(draft.id))


def test_only_operators_and_administrators_handle_warnings(app):
    with pytest.raises(PermissionDenied):
        app.draft_warning(CITIZEN, "Actual", "Alert", "Public", infos())
    draft = app.draft_warning(ADMIN, "Exercise", "Alert", "Public", infos())
    with pytest.raises(PermissionDenied):
        app.approve_warning(CITIZEN, str(draft.id))
    assert app.approve_warning(ANH, str(draft.id)).state == PUBLISHED


@pytest.mark.parametrize("status, msg_type, scope, field", [
    ("Urgent", "Alert", "Public", "status"),
    ("Actual", "Update", "Public", "msg_type"),
    ("Actual", "Alert", "Everyone", "scope"),
])
def test_a_draft_needs_cap_values(app, status, msg_type, scope, field):
    with pytest.raises(InvalidArgument) as refused:
        app.draft_warning(ANH, status, msg_type, scope, infos())
    assert refused.value.field == field


def test_an_info_at_fault_is_named(app):
    with pytest.raises(InvalidArgument) as refused:
        app.draft_warning(ANH, "Actual", "Alert", "Public", infos(unit_codes=["99999"]))
    assert refused.value.field == "infos[0].areas[0].unit_codes[0]"


def test_a_draft_that_expired_meanwhile_cannot_be_approved(app, clock):
    draft = app.draft_warning(ANH, "Actual", "Alert", "Public", infos(expires=T0 + HOUR))
    clock.now += 2 * HOUR
    with pytest.raises(FailedPrecondition):
        app.approve_warning(BINH, str(draft.id))


def test_unknown_and_malformed_ids(app):
    with pytest.raises(InvalidArgument):
        app.get_warning("not-a-uuid")
    with pytest.raises(NotFound):
        app.get_warning(str(uuid.uuid4()))


# Updates and cancellations -----------------------------------------------------------
def test_an_update_chains_to_the_original_and_supersedes_it_once_approved(app, clock):
    original = published(app)
    clock.now += 600
    update = app.update_warning(BINH, str(original.id), infos(headline="Lũ lên báo động III",
                                                             severity="Extreme"))
    assert (update.msg_type, update.state, update.target_id) == ("Update", DRAFT, str(original.id))
    assert update.references == [original.reference]
    assert original.reference == (f"ioc@thainguyen.gov.vn,{original.identifier},"
                                  "2026-07-20T14:00:00+07:00")
    assert reload(app, original).active                 # until the update is approved
    clock.now += 60
    app.approve_warning(ANH, str(update.id))
    original = reload(app, original)
    assert (original.state, original.replaced_by, original.active) == (
        SUPERSEDED, str(update.id), False)
    assert reload(app, update).active
    second = app.update_warning(ANH, str(update.id), infos(headline="Lũ đang xuống"))
    assert second.references == [original.reference, reload(app, update).reference]
    with pytest.raises(FailedPrecondition):
        app.update_warning(ANH, str(original.id), infos())


def test_of_two_updates_drafted_at_once_only_the_first_approved_publishes(app):
    original = published(app)
    first = app.update_warning(ANH, str(original.id), infos(headline="Bản cập nhật 1"))
    second = app.update_warning(ANH, str(original.id), infos(headline="Bản cập nhật 2"))
    app.approve_warning(BINH, str(first.id))
    with pytest.raises(FailedPrecondition):
        app.approve_warning(BINH, str(second.id))
    assert reload(app, second).state == DRAFT


def test_a_cancel_reaches_the_same_areas_and_cancels_once_approved(app, clock):
    original = published(app)
    with pytest.raises(InvalidArgument) as refused:
        app.cancel_warning(BINH, str(original.id), "  ")
    assert refused.value.field == "reason"
    cancel = app.cancel_warning(BINH, str(original.id), "Báo nhầm: cảm biến lỗi")
    assert (cancel.msg_type, cancel.note, cancel.infos) == (
        "Cancel", "Báo nhầm: cảm biến lỗi", original.infos)
    assert cancel.references == [original.reference]
    clock.now += 60
    app.approve_warning(ANH, str(cancel.id))
    original, cancel = reload(app, original), reload(app, cancel)
    assert (original.state, original.end_reason, original.replaced_by, original.ended_at) == (
        CANCELLED, "Báo nhầm: cảm biến lỗi", str(cancel.id), T0 + 60)
    assert cancel.state == PUBLISHED and not cancel.active     # a Cancel is news, not a hazard
    with pytest.raises(FailedPrecondition):
        app.cancel_warning(ANH, str(cancel.id), "again")


def test_updates_and_cancels_export_as_valid_cap(app):
    original = published(app)
    update = app.approve_warning(ANH, str(app.update_warning(BINH, str(original.id),
                                                             infos()).id))
    cancel = app.approve_warning(BINH, str(app.cancel_warning(ANH, str(update.id),
                                                              "Hết nguy hiểm").id))
    for warning in (original, update, cancel):
        cap.validate_cap_xml(cap.to_cap_xml(warning))
    xml = cap.to_cap_xml(cancel)
    assert "<msgType>Cancel</msgType>" in xml and "<note>Hết nguy hiểm</note>" in xml
    assert f"<references>{original.reference} {update.reference}</references>" in xml


# Acknowledge, resolve, expire --------------------------------------------------------
def test_acknowledged_and_cleared_are_independent(app, clock):
    warning = published(app)
    with pytest.raises(FailedPrecondition):
        app.acknowledge_warning(ANH, str(app.draft_warning(ANH, "Actual", "Alert", "Public",
                                                           infos()).id))
    acknowledged = app.acknowledge_warning(ANH, str(warning.id))
    assert (acknowledged.active, acknowledged.acknowledged) == (True, True)
    with pytest.raises(FailedPrecondition):
        app.acknowledge_warning(BINH, str(warning.id))
    clock.now += HOUR
    resolved = app.resolve_warning(BINH, str(warning.id))
    assert (resolved.state, resolved.end_reason, resolved.ended_at) == (ENDED, "resolved",
                                                                        T0 + HOUR)
    assert (resolved.active, resolved.acknowledged) == (False, True)
    with pytest.raises(FailedPrecondition):
        app.resolve_warning(BINH, str(warning.id))
    cleared_first = published(app)
    app.resolve_warning(ANH, str(cleared_first.id))
    assert app.acknowledge_warning(BINH, str(cleared_first.id)).acknowledged
    assert history(app, warning) == ["Drafted", "Approved", "Acknowledged", "Resolved"]


def test_expiry_ends_published_warnings_past_every_infos_expiry(app):
    soon, later = published(app, expires=T0 + HOUR), published(app, expires=T0 + 5 * HOUR)
    draft = app.draft_warning(ANH, "Actual", "Alert", "Public", infos(expires=T0 + HOUR))
    candidates = [str(soon.id), str(later.id), str(draft.id)]
    assert app.expire_warnings(T0 + HOUR - 1, candidates) == []
    [expired] = app.expire_warnings(T0 + 2 * HOUR, candidates)
    assert expired.id == soon.id
    soon = reload(app, soon)
    assert (soon.state, soon.end_reason, soon.ended_at) == (ENDED, "expired", T0 + 2 * HOUR)
    assert reload(app, later).active and reload(app, draft).state == DRAFT
    assert app.expire_warnings(T0 + 3 * HOUR, candidates) == []


# Whom a warning touches --------------------------------------------------------------
def test_a_warning_touches_places_in_any_of_its_areas(app):
    warning = published(app, unit_codes=["05860"])      # Phổ Yên
    assert app.warning_touches(warning, {"kind": "home_commune", "unit_code": "05860"})
    assert not app.warning_touches(warning, {"kind": "home_commune", "unit_code": "05443"})
    assert app.warning_touches(warning, {"kind": "current_location",
                                         "point": [21.4265, 105.867]})
    assert not app.warning_touches(warning, {"kind": "current_location", "point": [21.9, 106.1]})


def test_ten_thousand_places_are_sorted_within_a_second(app):
    warning = published(app, unit_codes=["05443", "05860"], circles=[
        {"latitude": 21.7, "longitude": 105.8, "radius_km": 8}],
        polygons=[{"points": [{"latitude": 21.3, "longitude": 106.0},
                              {"latitude": 21.5, "longitude": 106.1},
                              {"latitude": 21.35, "longitude": 106.2}]}])
    codes = [c.code for c in COMMUNES.communes]
    box = COMMUNES.box
    places = []
    for i in range(10_000):
        latitude = box.south + (box.north - box.south) * ((i * 7919) % 10_000) / 10_000
        longitude = box.west + (box.east - box.west) * ((i * 104_729) % 10_000) / 10_000
        places.append([{"kind": "home_commune", "unit_code": codes[i % len(codes)]},
                       {"kind": "current_location", "point": [latitude, longitude]},
                       {"kind": "area", "circle": {"latitude": latitude, "longitude": longitude,
                                                   "radius_km": 1.5}}][i % 3])
    started = time.perf_counter()
    touched = sum(app.warning_touches(warning, place) for place in places)
    elapsed = time.perf_counter() - started
    assert 0 < touched < len(places)
    assert elapsed < 1.0, f"{elapsed:.2f} s"


# Automatic warnings ------------------------------------------------------------------
def deliver(app, message, occurred_at=T0, event_id=None):
    """As the adapter does: the payload as a dict, the type by its full name."""
    return app.on_sensor_event(message.DESCRIPTOR.full_name,
                               MessageToDict(message, preserving_proto_field_name=True),
                               occurred_at, event_id=event_id or str(uuid.uuid4()))


def breach(severity, level, value, where=GIA_BAY, rule="flood-stage-cau-gia-bay"):
    return sensors.ThresholdBreached(sensor=where, kind="water_level", rule=rule, level=level,
                                     severity=severity, value=value, threshold=value - 0.3)


def cleared(where=GIA_BAY, rule="flood-stage-cau-gia-bay"):
    return sensors.ThresholdCleared(sensor=where, kind="water_level", rule=rule, value=24.8)


def key_of(app, mapping, sensor_id):
    return app.repository.get(active_key_id(mapping, sensor_id))


def test_a_breach_publishes_a_warning_at_once(app, clock):
    clock.now = T0 + 5
    [warning] = deliver(app, breach(2, "báo động I", 25.23))
    assert (warning.state, warning.msg_type, warning.status, warning.scope) == (
        PUBLISHED, "Alert", "Actual", "Public")
    assert (warning.source, warning.drafted_by, warning.approved_by) == (
        "flood-cau-gia-bay@tn-wl-gia-bay", "rule:flood-cau-gia-bay", "rule:flood-cau-gia-bay")
    assert warning.sent == T0 + 5 and warning.severity == "Moderate"
    vi, en = warning.infos
    assert vi["headline"] == "Sông Cầu tại trạm Gia Bảy vượt báo động I: 25.23 m"
    assert en["headline"] == "Cau river at Gia Bay above alarm level I: 25.23 m"
    assert (vi["effective"], vi["expires"]) == (T0, T0 + 24 * HOUR)
    assert vi["sender_name"] == "Trung tâm Giám sát, điều hành thông minh tỉnh Thái Nguyên"
    assert vi["areas"] == [{"description": "Ven sông Cầu, bán kính 5 km quanh trạm Gia Bảy",
                            "polygons": [], "unit_codes": [],
                            "circles": [{"latitude": 21.5887, "longitude": 105.834,
                                         "radius_km": 5.0}]}]
    assert reload(app, warning).active
    assert key_of(app, "flood-cau-gia-bay", "tn-wl-gia-bay").warning_id == str(warning.id)
    cap.validate_cap_xml(cap.to_cap_xml(warning))


def test_escalation_publishes_an_update_superseding_the_warning(app):
    [alert] = deliver(app, breach(2, "báo động I", 25.2))
    changed = deliver(app, breach(3, "báo động II", 26.1), occurred_at=T0 + HOUR)
    update, superseded = changed
    assert (update.msg_type, update.severity, update.target_id) == ("Update", "Severe",
                                                                    str(alert.id))
    assert update.references == [alert.reference] and update.state == PUBLISHED
    assert (superseded.id, superseded.state, superseded.replaced_by) == (
        alert.id, SUPERSEDED, str(update.id))
    third, _ = deliver(app, breach(4, "báo động III", 27.2), occurred_at=T0 + 2 * HOUR)
    assert third.references == [alert.reference, reload(app, update).reference]
    assert key_of(app, "flood-cau-gia-bay", "tn-wl-gia-bay").warning_id == str(third.id)


def test_a_lower_or_equal_severity_leaves_the_warning_standing(app):
    deliver(app, breach(3, "báo động II", 26.1))
    assert deliver(app, breach(3, "báo động II", 26.4), occurred_at=T0 + 60) == []
    assert deliver(app, breach(2, "báo động I", 25.5), occurred_at=T0 + 120) == []


def test_a_clear_ends_the_warning_and_a_new_breach_raises_a_new_alert(app, clock):
    [alert] = deliver(app, breach(2, "báo động I", 25.2))
    clock.now = T0 + 3 * HOUR
    [ended] = deliver(app, cleared(), occurred_at=T0 + 3 * HOUR)
    assert (ended.id, ended.state, ended.end_reason, ended.ended_at) == (
        alert.id, ENDED, "cleared", T0 + 3 * HOUR)
    assert key_of(app, "flood-cau-gia-bay", "tn-wl-gia-bay").warning_id == ""
    assert deliver(app, cleared(), occurred_at=T0 + 4 * HOUR) == []
    [again] = deliver(app, breach(2, "báo động I", 25.1), occurred_at=T0 + 5 * HOUR)
    assert again.msg_type == "Alert" and again.references == [] and again.id != alert.id


def test_one_active_warning_per_mapping_and_source(app):
    [gia_bay] = deliver(app, breach(2, "báo động I", 25.2))
    [pho_yen] = deliver(app, breach(2, "báo động I", 25.2, where=PHO_YEN))
    assert gia_bay.id != pho_yen.id
    [ended] = deliver(app, cleared(where=PHO_YEN), occurred_at=T0 + 60)
    assert ended.id == pho_yen.id and reload(app, gia_bay).active


def test_each_event_counts_once_and_a_late_one_changes_nothing(app):
    deliver(app, breach(2, "báo động I", 25.2), event_id="e-1")
    assert deliver(app, cleared(), occurred_at=T0 + HOUR, event_id="e-2")
    assert deliver(app, breach(2, "báo động I", 25.2), event_id="e-1") == []   # redelivered
    # A breach that occurred before the clear, arriving after it, raises nothing.
    assert deliver(app, breach(3, "báo động II", 26.2), occurred_at=T0 + 1800) == []


def test_events_no_mapping_uses_are_not_even_recorded(app):
    noise = breach(1, "vượt quy chuẩn ban đêm", 58.0, rule="noise-night-residential")
    assert deliver(app, noise, event_id="e-noise") == []
    assert deliver(app, sensors.SensorCameBackOnline(sensor=PHO_YEN), event_id="e-back") == []
    assert not app.is_processed("e-noise") and not app.is_processed("e-back")


def test_a_stale_breach_raises_nothing(app, clock):
    clock.now = T0 + 25 * HOUR          # the warning would have expired already
    assert deliver(app, breach(2, "báo động I", 25.2)) == []


def test_air_quality_raises_escalates_and_clears_by_band(app):
    def band(name, aqi, previous):
        return sensors.AirQualityBandChanged(station=GIA_BAY, period="hourly", aqi=aqi,
                                             band=name, previous_band=previous,
                                             dominant_pollutant="pm25")

    assert deliver(app, band("poor", 120, "moderate")) == []
    [alert] = deliver(app, band("bad", 160, "poor"), occurred_at=T0 + HOUR)
    assert alert.severity == "Moderate"
    assert alert.infos[0]["headline"] == (
        "Chất lượng không khí xấu (VN_AQI 160) gần trạm tn-wl-gia-bay")
    assert alert.infos[1]["description"].endswith("main pollutant: PM2.5.")
    update, _ = deliver(app, band("hazardous", 320, "bad"), occurred_at=T0 + 2 * HOUR)
    assert update.severity == "Extreme"
    assert deliver(app, sensors.AirQualityBandChanged(
        station=GIA_BAY, period="daily", aqi=80, band="moderate", previous_band="bad")) == []
    [ended] = deliver(app, band("poor", 140, "very_bad"), occurred_at=T0 + 3 * HOUR)
    assert (ended.id, ended.end_reason) == (update.id, "cleared")


def test_a_commune_mapping_geocodes_the_sensors_commune(app):
    rain = breach(3, "mưa rất to trong 1 giờ", 62.0, rule="heavy-rain-hourly")
    [warning] = deliver(app, rain)
    vi, en = warning.infos
    assert vi["areas"][0]["unit_codes"] == ["05443"] and vi["areas"][0]["circles"] == []
    assert vi["headline"] == "Mưa lớn tại Phường Phan Đình Phùng: 62 mm trong 1 giờ"
    assert en["areas"][0]["description"] == "Phan Dinh Phung"
    assert app.warning_touches(warning, {"kind": "home_commune", "unit_code": "05443"})
    assert not app.warning_touches(warning, {"kind": "home_commune", "unit_code": "05860"})


def test_an_incident_has_no_clear_and_expires(app):
    accident = sensors.CameraIncidentDetected(camera=GIA_BAY, incident="accident",
                                              stream_url="rtsp://camera")
    [warning] = deliver(app, accident)
    assert warning.infos[0]["headline"] == "Tai nạn giao thông gần camera tn-wl-gia-bay"
    assert deliver(app, accident, occurred_at=T0 + 60) == []      # the same severity
    [expired] = app.expire_warnings(T0 + 2 * HOUR, [str(warning.id)])
    assert expired.end_reason == "expired"
    [again] = deliver(app, accident, occurred_at=T0 + 3 * HOUR)
    assert again.msg_type == "Alert"


def test_a_silent_gauge_warns_the_ioc_only(app):
    offline = sensors.SensorWentOffline(sensor=GIA_BAY, silent_seconds=900)
    [warning] = deliver(app, offline)
    assert warning.scope == "Restricted" and "900 giây" in warning.infos[0]["description"]
    [ended] = deliver(app, sensors.SensorCameBackOnline(sensor=GIA_BAY), occurred_at=T0 + 60)
    assert ended.id == warning.id and ended.state == ENDED


def test_an_operators_update_carries_the_automatic_warning_on(app, clock):
    [alert] = deliver(app, breach(2, "báo động I", 25.2))
    clock.now += 600
    update = app.update_warning(ANH, str(alert.id), infos(headline="Lũ: sơ tán khu vực trũng",
                                                          severity="Moderate"))
    app.approve_warning(BINH, str(update.id))
    escalated, superseded = deliver(app, breach(3, "báo động II", 26.1), occurred_at=T0 + HOUR)
    assert superseded.id == update.id and escalated.target_id == str(update.id)
    assert escalated.references == [alert.reference, reload(app, update).reference]
    [ended] = deliver(app, cleared(), occurred_at=T0 + 2 * HOUR)
    assert ended.id == escalated.id


def test_after_an_operator_resolves_it_a_breach_raises_anew(app):
    [alert] = deliver(app, breach(2, "báo động I", 25.2))
    app.resolve_warning(ANH, str(alert.id))
    assert deliver(app, cleared(), occurred_at=T0 + 60) == []
    [again] = deliver(app, breach(3, "báo động II", 26.1), occurred_at=T0 + HOUR)
    assert again.msg_type == "Alert"


def test_the_key_is_an_aggregate_of_its_own(app):
    deliver(app, breach(2, "báo động I", 25.2))
    key = key_of(app, "flood-cau-gia-bay", "tn-wl-gia-bay")
    assert isinstance(key, ActiveWarningKey) and key.at == T0
    assert isinstance(app.get_warning(key.warning_id), Warning)


# Mappings ----------------------------------------------------------------------------
def test_the_shipped_mappings_load():
    rules = load_warning_rules()
    assert rules.sender == "ioc@thainguyen.gov.vn"
    assert {m.raise_on.event for m in rules.mappings} >= {
        "ThresholdBreached", "AirQualityBandChanged", "CameraIncidentDetected",
        "CongestionSustained", "SensorWentOffline"}


def write_rules(tmp_path, change):
    document = json.loads(SHIPPED_FILE.read_text(encoding="utf-8"))
    change(document["mappings"][0])
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def test_the_environment_names_another_file(tmp_path, monkeypatch, app):
    path = write_rules(tmp_path, lambda m: m.update(area={"kind": "circle", "radius_km": 12}))
    monkeypatch.setenv("WARNING_RULES_FILE", str(path))
    assert load_warning_rules().mappings[0].radius_km == 12
    [warning] = deliver(app, breach(2, "báo động I", 25.2))
    assert warning.infos[0]["areas"][0]["circles"][0]["radius_km"] == 12


@pytest.mark.parametrize("change, field", [
    (lambda m: m["texts"]["vi-VN"].update(headline="Lũ {mực_nước}"),
     "mappings[0].texts.vi-VN.headline"),
    (lambda m: m["texts"]["en-US"].update(description="{value:d}"),
     "mappings[0].texts.en-US.description"),
    (lambda m: m["raise_on"].update(event="RiverRose"), "mappings[0].raise_on.event"),
    (lambda m: m["raise_on"].update(match={"station": ["x"]}), "mappings[0].raise_on.match"),
    (lambda m: m.update(severity={"by": "band", "values": {"2": "Moderate"}}),
     "mappings[0].severity.by"),
    (lambda m: m.update(severity="Bad"), "mappings[0].severity"),
    (lambda m: m.update(area={"kind": "circle"}), "mappings[0].area.radius_km"),
    (lambda m: m.update(expires_hours=0), "mappings[0].expires_hours"),
    (lambda m: m["texts"].pop("vi-VN"), "mappings[0].texts"),
    (lambda m: m.update(colour="red"), "mappings[0]"),
])
def test_a_mistake_in_the_mappings_is_named_at_load(tmp_path, change, field):
    with pytest.raises(InvalidArgument) as refused:
        load_warning_rules(write_rules(tmp_path, change))
    assert refused.value.field == field
