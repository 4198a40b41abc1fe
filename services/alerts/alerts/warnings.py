"""Public warnings shaped like CAP 1.2: the Warning aggregate, the mappings
that raise warnings from the sensors service's events, and WarningCommands,
the mixin of warning commands the alerts application is composed from.
Plain Python: the service adapter passes in plain values and the caller's
Principal; times are epoch seconds.

A warning's life (`state`):

    draft --approved by a second operator--> published --> superseded: an Update of it published
                                                       --> cancelled:  a Cancel of it published
                                                       --> ended:      resolved by an operator,
                                                           cleared by its source, or expired

Alongside, ThingsBoard-like: active (published, and not a Cancel message)
or cleared, and acknowledged or not; an operator may acknowledge a warning
whether or not it is still active.

Updates and cancellations are warnings of their own, as CAP gives every
message its own identifier: msg_type Update or Cancel, `references` naming
every message before them in the chain ("sender,identifier,sent"), and
`target_id` the warning they replace. They are drafted and approved like an
Alert; publishing one supersedes or cancels its target, which must still be
published then. A warning's infos never change after drafting: a change is
an Update, so what a citizen was told stays on record as it was told.

Automatic warnings: a mapping (data/warning_rules.json) says which sensor
event raises which warning over which area, and which event clears it. Per
mapping and source sensor at most one warning is active, found through an
ActiveWarningKey aggregate whose id is derived from the pair (no scan): a
higher severity publishes an Update superseding it; a lower or equal one
leaves it standing until the condition clears (a flood falling from stage
III to II is still a flood: no stream of downgrades); a clear ends it.
"""
import copy
import functools
import json
import logging
import os
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate, event

from alerts import cap
from kit.auth import Principal, Role, require_role
from kit.errors import (
    FailedPrecondition, InvalidArgument, NotFound, PermissionDenied, check_keys,
)
from kit.eventstore import retry_on_conflict

log = logging.getLogger(__name__)

DRAFT, PUBLISHED, SUPERSEDED, CANCELLED, ENDED = (
    "draft", "published", "superseded", "cancelled", "ended")
ALERT, UPDATE, CANCEL = cap.MSG_TYPES
OPERATOR_SOURCE = "operator"
IDENTIFIER_PREFIX = "urn:smartcity:thainguyen:warning:"
KEY_NAMESPACE = uuid.UUID("8d2b6f4e-3a17-4c59-9e0b-5f7a1c2d3e4b")
OPERATORS = (Role.IOC_OPERATOR, Role.ADMINISTRATOR)
MAX_REASON = 500
PREPARED_KEPT = 256             # warnings whose prepared areas a process keeps


def moment(now: float) -> datetime:
    return datetime.fromtimestamp(now, timezone.utc)


def parse_warning_id(value) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        raise InvalidArgument("not a valid warning id", field="warning_id") from None


# Aggregates ----------------------------------------------------------------------
class Warning(Aggregate):  # noqa: A001 - the domain's word; shadows the builtin here only
    """One CAP message: an Alert, or an Update or Cancel of an earlier one."""

    @event("Drafted")
    def __init__(self, sender: str, status: str, msg_type: str, scope: str, references: list,
                 infos: list, source: str, drafted_by: str, target_id: str, note: str,
                 timestamp: datetime):
        self.sender = sender
        self.status = status
        self.msg_type = msg_type
        self.scope = scope
        self.references = references
        self.infos = infos
        self.source = source            # "operator", or "<mapping>@<sensor id>"
        self.drafted_by = drafted_by    # a person's id, or "rule:<mapping>"
        self.target_id = target_id      # the warning an Update or Cancel replaces
        self.note = note                # a Cancel's reason
        self.drafted_at = timestamp.timestamp()
        self.state = DRAFT
        self.approved_by = ""
        self.published_at = 0.0
        self.acknowledged_by = ""
        self.replaced_by = ""           # the Update or Cancel that replaced it
        self.end_reason = ""
        self.ended_at = 0.0

    @property
    def identifier(self) -> str:
        return IDENTIFIER_PREFIX + str(self.id)

    @property
    def sent(self) -> float:
        """CAP's sent: when published; a draft shows when it was drafted."""
        return self.published_at or self.drafted_at

    @property
    def reference(self) -> str:
        """How a later message names this one in its references."""
        return f"{self.sender},{self.identifier},{cap.cap_time(self.sent)}"

    @property
    def active(self) -> bool:
        return self.state == PUBLISHED and self.msg_type != CANCEL

    @property
    def acknowledged(self) -> bool:
        return bool(self.acknowledged_by)

    @property
    def expires(self) -> float:
        return max(info["expires"] for info in self.infos)

    @property
    def severity(self) -> str:
        return max((info["severity"] for info in self.infos), key=cap.SEVERITY_RANK.get)

    def require_state(self, action: str, *allowed: str):
        if self.state not in allowed:
            raise FailedPrecondition(f"cannot {action} a warning that is {self.state}",
                                     field="warning_id")

    # Publishing ----------------------------------------------------------------------
    def approve(self, approver: str, now: float):
        """Four eyes: whoever drafted a warning cannot publish it."""
        self.require_state("approve", DRAFT)
        if approver == self.drafted_by:
            raise PermissionDenied("a second operator must approve: you drafted this warning")
        if now >= self.expires:
            raise FailedPrecondition("the warning expired before it was approved",
                                     field="warning_id")
        self._approved(approved_by=approver, timestamp=moment(now))

    def publish_by_rule(self, now: float):
        """Automatic warnings need no second operator: the mapping, configured and
        reviewed in advance, is the approval, and waiting for a person would
        delay a flood warning by however long the IOC takes to look."""
        self._approved(approved_by=self.drafted_by, timestamp=moment(now))

    @event("Approved")
    def _approved(self, approved_by: str, timestamp: datetime):
        self.approved_by = approved_by
        self.published_at = timestamp.timestamp()
        self.state = PUBLISHED

    def supersede(self, by_warning_id: str, now: float):
        self.require_state("update", PUBLISHED)
        self._superseded(by_warning_id=by_warning_id, timestamp=moment(now))

    @event("Superseded")
    def _superseded(self, by_warning_id: str, timestamp: datetime):
        self.replaced_by = by_warning_id
        self._stop(SUPERSEDED, timestamp)

    def cancel(self, by_warning_id: str, reason: str, now: float):
        self.require_state("cancel", PUBLISHED)
        self._cancelled(by_warning_id=by_warning_id, reason=reason, timestamp=moment(now))

    @event("Cancelled")
    def _cancelled(self, by_warning_id: str, reason: str, timestamp: datetime):
        self.replaced_by = by_warning_id
        self.end_reason = reason
        self._stop(CANCELLED, timestamp)

    # Operators' follow-up --------------------------------------------------------------
    def acknowledge(self, by: str, now: float):
        self.require_state("acknowledge", PUBLISHED, SUPERSEDED, CANCELLED, ENDED)
        if self.acknowledged:
            raise FailedPrecondition("the warning is acknowledged already", field="warning_id")
        self._acknowledged(by=by, timestamp=moment(now))

    @event("Acknowledged")
    def _acknowledged(self, by: str, timestamp: datetime):
        self.acknowledged_by = by

    def resolve(self, by: str, now: float):
        if not self.active:
            raise FailedPrecondition(f"only an active warning can be resolved; this one is "
                                     f"{self.state}", field="warning_id")
        self._resolved(by=by, timestamp=moment(now))

    @event("Resolved")
    def _resolved(self, by: str, timestamp: datetime):
        self.end_reason = "resolved"
        self._stop(ENDED, timestamp)

    # Ending by itself --------------------------------------------------------------------
    def end(self, reason: str, now: float):
        """Cleared by its source ("cleared") or past its time ("expired")."""
        self.require_state("end", PUBLISHED)
        self._ended(reason=reason, timestamp=moment(now))

    @event("Ended")
    def _ended(self, reason: str, timestamp: datetime):
        self.end_reason = reason
        self._stop(ENDED, timestamp)

    def expire(self, now: float) -> bool:
        if self.state != PUBLISHED or now < self.expires:
            return False
        self.end("expired", now)
        return True

    def _stop(self, state: str, timestamp: datetime):
        self.state = state
        self.ended_at = timestamp.timestamp()


def active_key_id(mapping: str, sensor_id: str) -> uuid.UUID:
    return uuid.uuid5(KEY_NAMESPACE, f"{mapping}\n{sensor_id}")


class ActiveWarningKey(Aggregate):
    """Which warning one mapping keeps for one source sensor. `at` is when the
    sensor event that last moved it occurred: an older event arriving late
    (a breach after its clear) is ignored instead of raising again."""

    @staticmethod
    def create_id(mapping: str, sensor_id: str) -> uuid.UUID:
        return active_key_id(mapping, sensor_id)

    @event("Created")
    def __init__(self, mapping: str, sensor_id: str, warning_id: str, at: float):
        self.warning_id = warning_id
        self.at = at

    @event("Repointed")
    def repoint(self, warning_id: str, at: float):
        """To the warning now kept, or "" when none is."""
        self.warning_id = warning_id
        self.at = at


# Sensor events ---------------------------------------------------------------------
# The sensors service's events that mappings may use: the key of each one's
# SensorLocation, and its other fields with their defaults (MessageToDict
# leaves out default values, and writes 64-bit integers as text).
SENSOR_EVENTS = {
    "AirQualityBandChanged": ("station", {"period": "", "aqi": 0, "band": "", "previous_band": "",
                                          "dominant_pollutant": ""}),
    "ThresholdBreached": ("sensor", {"kind": "", "rule": "", "level": "", "severity": 0,
                                     "value": 0.0, "threshold": 0.0}),
    "ThresholdCleared": ("sensor", {"kind": "", "rule": "", "value": 0.0}),
    "SensorWentOffline": ("sensor", {"silent_seconds": 0}),
    "SensorCameBackOnline": ("sensor", {}),
    "CameraIncidentDetected": ("camera", {"incident": "", "stream_url": ""}),
    "CongestionSustained": ("camera", {"congestion_level": 0, "for_seconds": 0,
                                       "stream_url": ""}),
    "CongestionCleared": ("camera", {}),
}
LOCATION_FIELDS = {"sensor": "", "latitude": 0.0, "longitude": 0.0, "unit_code": ""}
# Placeholders every template may use besides the event's fields.
TEMPLATE_EXTRAS = {"commune": "", "radius_km": 0.0}


@dataclass(frozen=True)
class SensorReading:
    """One sensor event: its short type name, and its fields, the sensor's
    id ("sensor"), latitude, longitude and commune ("unit_code") among them."""
    event: str
    values: dict

    @property
    def sensor_id(self) -> str:
        return self.values["sensor"]


def read_sensor_event(event_type: str, payload: dict) -> SensorReading | None:
    """None for an event no mapping may use, or one without its sensor."""
    name = event_type.rsplit(".", 1)[-1]
    if name not in SENSOR_EVENTS:
        return None
    location_key, fields = SENSOR_EVENTS[name]
    location = payload.get(location_key) or {}
    if not location.get("sensor_id"):
        return None
    values = {key: type(default)(payload.get(key, default)) for key, default in fields.items()}
    values.update(sensor=location["sensor_id"], latitude=float(location.get("latitude", 0.0)),
                  longitude=float(location.get("longitude", 0.0)),
                  unit_code=location.get("unit_code", ""))
    return SensorReading(name, values)


def event_fields(event_name: str) -> dict:
    """The fields of a reading of this event, with their defaults."""
    return {**SENSOR_EVENTS[event_name][1], **LOCATION_FIELDS}


def sample_values(event_name: str) -> dict:
    """What a template of a mapping on this event may name, with default values."""
    return {**event_fields(event_name), **TEMPLATE_EXTRAS}


# Mappings --------------------------------------------------------------------------
ENV_FILE = "WARNING_RULES_FILE"
SHIPPED_FILE = Path(__file__).parent / "data" / "warning_rules.json"
NAME = re.compile(r"^[a-z][a-z0-9-]{1,62}$")
CAP_SENDER = re.compile(r"^[^\s,<&]+$")   # CAP: no spaces, commas or restricted characters
AREA_KINDS = ("circle", "commune")
TEXT_KEYS = ("event", "headline", "description", "instruction", "area")
MAX_EXPIRES_HOURS = 24 * 30


@dataclass(frozen=True)
class Trigger:
    """An event type, and for some of its fields the values that count."""
    event: str
    match: dict   # field -> tuple of values

    def fires(self, reading: SensorReading) -> bool:
        return reading.event == self.event and all(
            reading.values[name] in allowed for name, allowed in self.match.items())


@dataclass(frozen=True)
class WarningMapping:
    name: str
    raise_on: Trigger
    clear_on: Trigger | None
    scope: str
    categories: tuple
    response_types: tuple
    urgency: str
    severity: str               # a fixed CAP severity, or "" to look it up:
    severity_by: str            # in severity_values, by this field's value
    severity_values: dict       # str(value) -> CAP severity
    certainty: str
    area_kind: str              # "circle" around the sensor, or its "commune"
    radius_km: float
    expires_hours: float
    texts: dict                 # language -> {event, headline, description, instruction, area}
    translations: dict          # field -> value -> language -> text

    def concerns(self, reading: SensorReading) -> bool:
        return self.raise_on.fires(reading) or bool(self.clear_on and self.clear_on.fires(reading))

    def severity_for(self, reading: SensorReading) -> str | None:
        """None: a value the mapping gives no severity for raises nothing."""
        return self.severity or self.severity_values.get(str(reading.values[self.severity_by]))

    def infos(self, reading: SensorReading, severity: str, occurred_at: float, units,
              sender_names: dict) -> list[dict]:
        return [self.info(language, reading, severity, occurred_at,
                          self.template_values(reading, language, units),
                          sender_names.get(language, ""))
                for language in self.texts]

    def info(self, language: str, reading: SensorReading, severity: str, occurred_at: float,
             values: dict, sender_name: str) -> dict:
        texts = self.texts[language]
        return {
            "language": language,
            "categories": list(self.categories),
            "event": texts["event"],
            "response_types": list(self.response_types),
            "urgency": self.urgency,
            "severity": severity,
            "certainty": self.certainty,
            "headline": render(texts["headline"], values)[:cap.MAX_HEADLINE],
            "description": render(texts["description"], values),
            "instruction": render(texts["instruction"], values),
            "effective": occurred_at,
            "expires": occurred_at + self.expires_hours * 3600,
            "sender_name": sender_name,
            "areas": [self.area(reading, render(texts["area"], values))],
        }

    def template_values(self, reading: SensorReading, language: str, units) -> dict:
        values = dict(reading.values, radius_km=self.radius_km,
                      commune=commune_name(units, reading.values["unit_code"], language))
        for name, names in self.translations.items():
            values[name] = names.get(str(values[name]), {}).get(language, values[name])
        return values

    def area(self, reading: SensorReading, description: str) -> dict:
        area = {"description": description, "polygons": [], "circles": [], "unit_codes": []}
        if self.area_kind == "commune":
            area["unit_codes"] = [reading.values["unit_code"]]
        else:
            area["circles"] = [{"latitude": reading.values["latitude"],
                                "longitude": reading.values["longitude"],
                                "radius_km": self.radius_km}]
        return area


def render(template: str, values: dict) -> str:
    return " ".join(template.format_map(values).split())


def commune_name(units, code: str, language: str) -> str:
    if code not in units:
        return code
    unit = units.get(code)
    return unit.name_en or unit.name if language == "en-US" else unit.name


@dataclass(frozen=True)
class WarningRules:
    sender: str
    sender_names: dict          # language -> the IOC's name
    mappings: tuple[WarningMapping, ...]


def load_warning_rules(path: str | Path | None = None) -> WarningRules:
    """The mappings from path, else from $WARNING_RULES_FILE, else the shipped
    file. Raises InvalidArgument naming the file and the entry at fault."""
    path = Path(path or os.environ.get(ENV_FILE) or SHIPPED_FILE)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        return rules_from_json(document)
    except (OSError, ValueError) as error:
        raise InvalidArgument(f"{path}: cannot read warning rules: {error}",
                              field=ENV_FILE) from None
    except InvalidArgument as error:
        raise InvalidArgument(f"{path}: {error.field}: {error.message}",
                              field=error.field) from None


def rules_from_json(document) -> WarningRules:
    check_keys(document, {"about", "sender", "sender_name", "mappings"},
               {"sender", "sender_name", "mappings"}, "")
    if not isinstance(document["sender"], str) or not CAP_SENDER.match(document["sender"]):
        raise InvalidArgument("no spaces, commas, < or &", field="sender")
    sender_names = per_language(document["sender_name"], "sender_name", str)
    if not isinstance(document["mappings"], list):
        raise InvalidArgument("must be a list", field="mappings")
    mappings = tuple(mapping_from_json(entry, f"mappings[{i}]")
                     for i, entry in enumerate(document["mappings"]))
    names = [mapping.name for mapping in mappings]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise InvalidArgument(f"names must be unique: {duplicates}", field="mappings")
    return WarningRules(document["sender"], sender_names, mappings)


MAPPING_KEYS = {"name", "about", "raise_on", "clear_on", "scope", "categories",
                "response_types", "urgency", "severity", "certainty", "area", "expires_hours",
                "texts", "translations"}
REQUIRED_MAPPING_KEYS = MAPPING_KEYS - {"about", "clear_on", "scope", "response_types",
                                        "translations"}


def mapping_from_json(entry, field: str) -> WarningMapping:
    check_keys(entry, MAPPING_KEYS, REQUIRED_MAPPING_KEYS, field)
    if not isinstance(entry["name"], str) or not NAME.match(entry["name"]):
        raise InvalidArgument("2-63 characters: a-z, 0-9 and -, starting with a letter",
                              field=f"{field}.name")
    raise_on = trigger_from_json(entry["raise_on"], f"{field}.raise_on")
    clear_on = entry.get("clear_on")
    fixed, by, values = severity_from_json(entry["severity"], raise_on.event, f"{field}.severity")
    area_kind, radius_km = area_from_json(entry["area"], f"{field}.area")
    return WarningMapping(
        name=entry["name"], raise_on=raise_on,
        clear_on=None if clear_on is None else trigger_from_json(clear_on, f"{field}.clear_on"),
        scope=cap.one_of(entry.get("scope", "Public"), cap.SCOPES, f"{field}.scope"),
        categories=tuple(cap.some_of(entry["categories"], cap.CATEGORIES,
                                     f"{field}.categories")),
        response_types=tuple(cap.some_of(entry.get("response_types", []), cap.RESPONSE_TYPES,
                                         f"{field}.response_types", minimum=0)),
        urgency=cap.one_of(entry["urgency"], cap.URGENCIES, f"{field}.urgency"),
        severity=fixed, severity_by=by, severity_values=values,
        certainty=cap.one_of(entry["certainty"], cap.CERTAINTIES, f"{field}.certainty"),
        area_kind=area_kind, radius_km=radius_km,
        expires_hours=expires_from_json(entry["expires_hours"], f"{field}.expires_hours"),
        texts=texts_from_json(entry["texts"], raise_on.event, f"{field}.texts"),
        translations=translations_from_json(entry.get("translations", {}), raise_on.event,
                                            f"{field}.translations"))


def trigger_from_json(entry, field: str) -> Trigger:
    check_keys(entry, {"event", "match"}, {"event"}, field)
    name = entry["event"]
    if name not in SENSOR_EVENTS:
        raise InvalidArgument(f"must be one of {', '.join(SENSOR_EVENTS)}", field=f"{field}.event")
    match = entry.get("match", {})
    if not isinstance(match, dict):
        raise InvalidArgument("must be an object: field -> list of values", field=f"{field}.match")
    for key, allowed in match.items():
        if key not in event_fields(name):
            raise InvalidArgument(f"{name} has no field {key!r}", field=f"{field}.match")
        if not isinstance(allowed, list) or not allowed:
            raise InvalidArgument("must be a list of values", field=f"{field}.match.{key}")
    return Trigger(name, {key: tuple(allowed) for key, allowed in match.items()})


def severity_from_json(entry, event_name: str, field: str) -> tuple[str, str, dict]:
    """A CAP severity, or {"by": field, "values": {value: severity}}."""
    if isinstance(entry, str):
        return cap.one_of(entry, cap.SEVERITIES, field), "", {}
    check_keys(entry, {"by", "values"}, {"by", "values"}, field)
    if entry["by"] not in SENSOR_EVENTS[event_name][1]:
        raise InvalidArgument(f"{event_name} has no field {entry['by']!r}", field=f"{field}.by")
    if not isinstance(entry["values"], dict) or not entry["values"]:
        raise InvalidArgument("must map values to severities", field=f"{field}.values")
    for value, severity in entry["values"].items():
        cap.one_of(severity, cap.SEVERITIES, f"{field}.values.{value}")
    return "", entry["by"], dict(entry["values"])


def area_from_json(entry, field: str) -> tuple[str, float]:
    check_keys(entry, {"kind", "radius_km"}, {"kind"}, field)
    kind = cap.one_of(entry["kind"], AREA_KINDS, f"{field}.kind")
    if kind == "commune":
        return kind, 0.0
    radius = cap.number(entry.get("radius_km"), f"{field}.radius_km")
    if not 0 < radius <= cap.MAX_RADIUS_KM:
        raise InvalidArgument(f"must be above 0 and at most {cap.MAX_RADIUS_KM:g}",
                              field=f"{field}.radius_km")
    return kind, radius


def expires_from_json(value, field: str) -> float:
    hours = cap.number(value, field)
    if not 0 < hours <= MAX_EXPIRES_HOURS:
        raise InvalidArgument(f"must be above 0 and at most {MAX_EXPIRES_HOURS}", field=field)
    return hours


def texts_from_json(entry, event_name: str, field: str) -> dict:
    """Per language; each template formatted once here with default values, so
    that a misspelt placeholder fails at start-up, not on the day of the flood."""
    texts = per_language(entry, field, dict)
    for language, templates in texts.items():
        where = f"{field}.{language}"
        check_keys(templates, set(TEXT_KEYS), set(TEXT_KEYS), where)
        for key in TEXT_KEYS:
            try:
                render(templates[key], sample_values(event_name))
            except (AttributeError, KeyError, IndexError, ValueError) as error:
                raise InvalidArgument(f"cannot fill in the template: {error!r}",
                                      field=f"{where}.{key}") from None
    for key in ("event", "headline", "description", "area"):
        if not texts["vi-VN"][key].strip():
            raise InvalidArgument("required", field=f"{field}.vi-VN.{key}")
    return texts


def translations_from_json(entry, event_name: str, field: str) -> dict:
    """{field: {value: {language: text}}}: a code shown in words per language."""
    if not isinstance(entry, dict):
        raise InvalidArgument("must be an object", field=field)
    for name, names in entry.items():
        if name not in event_fields(event_name):
            raise InvalidArgument(f"{event_name} has no field {name!r}", field=field)
        if not isinstance(names, dict):
            raise InvalidArgument("must map values to texts per language", field=f"{field}.{name}")
        for value, words in names.items():
            per_language(words, f"{field}.{name}.{value}", str, require_vietnamese=False)
    return entry


def per_language(entry, field: str, kind: type, require_vietnamese=True) -> dict:
    if not isinstance(entry, dict) or not all(isinstance(v, kind) for v in entry.values()):
        raise InvalidArgument(f"must map languages to {kind.__name__} values", field=field)
    for language in entry:
        cap.one_of(language, cap.LANGUAGES, f"{field}.{language}")
    if require_vietnamese and "vi-VN" not in entry:
        raise InvalidArgument("vi-VN is required", field=field)
    return dict(entry)


# Commands --------------------------------------------------------------------------
class WarningCommands:
    """The warnings' commands and queries, mixed into the alerts application.

    Expects from it: `repository`, `save` and `save_once(event_id, decide)`
    (kit.eventstore.EventSourcedApplication), `clock()` (epoch seconds),
    `units` (kit.adminunits.AdministrativeUnits) and `communes` (a
    kit.geography.Locator). `warning_rules` is load_warning_rules() unless
    the application sets its own.
    """

    @functools.cached_property
    def warning_rules(self) -> WarningRules:
        return load_warning_rules()

    # Operators -----------------------------------------------------------------------
    def draft_warning(self, caller: Principal, status: str, msg_type: str, scope: str,
                      infos: list) -> Warning:
        caller = require_role(caller, *OPERATORS)
        cap.one_of(status, cap.STATUSES, "status")
        if msg_type != ALERT:
            raise InvalidArgument("must be Alert: updates and cancellations have their own "
                                  "commands", field="msg_type")
        cap.one_of(scope, cap.SCOPES, "scope")
        now = self.clock()
        warning = Warning(sender=self.warning_rules.sender, status=status, msg_type=ALERT,
                          scope=scope, references=[],
                          infos=cap.checked_infos(infos, self.units, now),
                          source=OPERATOR_SOURCE, drafted_by=caller.subject, target_id="",
                          note="", timestamp=moment(now))
        self.save(warning)
        return warning

    def update_warning(self, caller: Principal, warning_id: str, infos: list) -> Warning:
        """Drafts an Update of an active warning; approving it publishes it."""
        caller = require_role(caller, *OPERATORS)
        original = self.replaceable(warning_id, "update")
        now = self.clock()
        return self.draft_successor(original, UPDATE, cap.checked_infos(infos, self.units, now),
                                    caller.subject, note="", now=now)

    def cancel_warning(self, caller: Principal, warning_id: str, reason: str) -> Warning:
        """Drafts a Cancel of an active warning, over the same areas so that it
        reaches everyone the warning reached; approving it publishes it."""
        caller = require_role(caller, *OPERATORS)
        original = self.replaceable(warning_id, "cancel")
        reason = cap.text(reason, "reason", MAX_REASON)
        return self.draft_successor(original, CANCEL, copy.deepcopy(original.infos),
                                    caller.subject, note=reason, now=self.clock())

    def replaceable(self, warning_id: str, action: str) -> Warning:
        original = self.get_warning(warning_id)
        if not original.active:
            raise FailedPrecondition(f"only an active warning can be given an {action}; this "
                                     f"one is {original.state}", field="warning_id")
        return original

    def draft_successor(self, original: Warning, msg_type: str, infos: list, drafted_by: str,
                        note: str, now: float) -> Warning:
        warning = Warning(sender=self.warning_rules.sender, status=original.status,
                          msg_type=msg_type, scope=original.scope,
                          references=original.references + [original.reference], infos=infos,
                          source=OPERATOR_SOURCE, drafted_by=drafted_by,
                          target_id=str(original.id), note=note, timestamp=moment(now))
        self.save(warning)
        return warning

    @retry_on_conflict
    def approve_warning(self, caller: Principal, warning_id: str) -> Warning:
        """Publishes a draft; an Update or Cancel replaces its target as it does."""
        caller = require_role(caller, *OPERATORS)
        warning = self.get_warning(warning_id)
        target = [self.get_warning(warning.target_id)] if warning.target_id else []
        now = self.clock()
        warning.approve(caller.subject, now)
        replace_targets(warning, target, now)
        self.save(warning, *target)
        return warning

    @retry_on_conflict
    def acknowledge_warning(self, caller: Principal, warning_id: str) -> Warning:
        caller = require_role(caller, *OPERATORS)
        warning = self.get_warning(warning_id)
        warning.acknowledge(caller.subject, self.clock())
        self.save(warning)
        return warning

    @retry_on_conflict
    def resolve_warning(self, caller: Principal, warning_id: str) -> Warning:
        caller = require_role(caller, *OPERATORS)
        warning = self.get_warning(warning_id)
        warning.resolve(caller.subject, self.clock())
        self.save(warning)
        return warning

    @retry_on_conflict
    def expire_warnings(self, now: float, candidate_ids) -> list[Warning]:
        """Ends the published candidates past every info's expiry. The caller's
        read model says which may be due: nothing here scans the log."""
        candidates = (self.get_warning(warning_id) for warning_id in candidate_ids)
        expired = [warning for warning in candidates if warning.expire(now)]
        self.save(*expired)
        return expired

    # Queries -------------------------------------------------------------------------
    def get_warning(self, warning_id) -> Warning:
        try:
            warning = self.repository.get(parse_warning_id(warning_id))
        except AggregateNotFoundError:
            raise NotFound("no such warning", field="warning_id") from None
        if not isinstance(warning, Warning):
            raise NotFound("no such warning", field="warning_id")
        return warning

    def warning_touches(self, warning: Warning, place) -> bool:
        """Whether any of the warning's areas concerns a followed place (a dict as
        the places mixin keeps it, or its cap.place_shape: faster in a fan-out)."""
        if not isinstance(place, cap.PLACE_SHAPES):
            place = cap.place_shape(place, self.communes)
        return any(area.touches(place) for area in self.prepared_areas(warning))

    @functools.cached_property
    def prepared_areas_cache(self) -> dict:
        return {}

    def prepared_areas(self, warning: Warning) -> list[cap.PreparedArea]:
        """Prepared once per warning and kept: infos never change after drafting.
        Languages repeat the same areas, so each distinct area is prepared once."""
        cache = self.prepared_areas_cache
        if warning.id not in cache:
            if len(cache) >= PREPARED_KEPT:
                del cache[next(iter(cache))]
            distinct = {json.dumps(area, sort_keys=True): area
                        for info in warning.infos for area in info["areas"]}
            cache[warning.id] = [cap.prepare_area(area, self.units, self.communes)
                                 for area in distinct.values()]
        return cache[warning.id]

    # Automatic warnings --------------------------------------------------------------
    def on_sensor_event(self, event_type: str, payload: dict, occurred_at: float, *,
                        event_id: str) -> list[Warning]:
        """Raises, escalates or ends automatic warnings for one sensor event,
        exactly once per event_id (the envelope's). `event_type`: short or full
        name; `payload`: MessageToDict(preserving_proto_field_name=True) of it.
        Returns the warnings changed: published, superseded or ended."""
        reading = read_sensor_event(event_type, payload)
        mappings = [m for m in self.warning_rules.mappings if reading and m.concerns(reading)]
        if not mappings:
            return []
        occurred_at = occurred_at or self.clock()
        changed = []

        def decide():
            aggregates = [aggregate for mapping in mappings
                          for aggregate in self.apply_mapping(mapping, reading, occurred_at)]
            changed[:] = [a for a in aggregates if isinstance(a, Warning)]
            return aggregates

        return changed if self.save_once(event_id, decide) else []

    def apply_mapping(self, mapping: WarningMapping, reading: SensorReading,
                      occurred_at: float) -> list[Aggregate]:
        key = self.active_key(mapping.name, reading.sensor_id)
        if key is not None and occurred_at < key.at:
            return []
        current = self.kept_warning(key)
        if mapping.raise_on.fires(reading):
            return self.raise_or_escalate(mapping, reading, occurred_at, key, current)
        if current is None:
            return []
        current.end("cleared", self.clock())
        key.repoint("", occurred_at)
        return [current, key]

    def raise_or_escalate(self, mapping: WarningMapping, reading: SensorReading,
                          occurred_at: float, key, current) -> list[Aggregate]:
        severity = mapping.severity_for(reading)
        now = self.clock()
        if severity is None or occurred_at + mapping.expires_hours * 3600 <= now:
            return []
        if current is not None and (cap.SEVERITY_RANK[severity]
                                    <= cap.SEVERITY_RANK[current.severity]):
            return []
        if mapping.area_kind == "commune" and reading.values["unit_code"] not in self.units:
            log.warning("no warning: the sensor's commune is unknown", extra={"fields": {
                "mapping": mapping.name, "sensor": reading.sensor_id}})
            return []
        warning = self.automatic_warning(mapping, reading, severity, occurred_at, current, now)
        replaced = [current] if current is not None else []
        replace_targets(warning, replaced, now)
        if key is None:
            key = ActiveWarningKey(mapping=mapping.name, sensor_id=reading.sensor_id,
                                   warning_id=str(warning.id), at=occurred_at)
        else:
            key.repoint(str(warning.id), occurred_at)
        return [warning, *replaced, key]

    def automatic_warning(self, mapping: WarningMapping, reading: SensorReading, severity: str,
                          occurred_at: float, current, now: float) -> Warning:
        rules = self.warning_rules
        warning = Warning(
            sender=rules.sender, status="Actual", msg_type=UPDATE if current else ALERT,
            scope=mapping.scope,
            references=current.references + [current.reference] if current else [],
            infos=mapping.infos(reading, severity, occurred_at, self.units, rules.sender_names),
            source=f"{mapping.name}@{reading.sensor_id}", drafted_by=f"rule:{mapping.name}",
            target_id=str(current.id) if current else "", note="", timestamp=moment(now))
        warning.publish_by_rule(now)
        return warning

    def active_key(self, mapping: str, sensor_id: str) -> ActiveWarningKey | None:
        try:
            return self.repository.get(active_key_id(mapping, sensor_id))
        except AggregateNotFoundError:
            return None

    def kept_warning(self, key: ActiveWarningKey | None) -> Warning | None:
        """The key's warning, or what superseded it (an operator's Update of an
        automatic warning carries it on); None once none is active."""
        if key is None or not key.warning_id:
            return None
        warning = self.get_warning(key.warning_id)
        while warning.state == SUPERSEDED:
            warning = self.get_warning(warning.replaced_by)
        return warning if warning.active else None


def replace_targets(warning: Warning, targets: list[Warning], now: float):
    """Publishing an Update supersedes its target; a Cancel cancels it."""
    for target in targets:
        if warning.msg_type == UPDATE:
            target.supersede(str(warning.id), now)
        else:
            target.cancel(str(warning.id), warning.note, now)
