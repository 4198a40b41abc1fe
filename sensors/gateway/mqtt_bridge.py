"""The MQTT bridge: devices publish JSON readings to <prefix>/<gateway>/<sensor>;
the bridge checks them and puts them into the spool, which the sender streams.

    {"kind": "pm25", "value": 35.2, "unit": "µg/m³", "time": "2026-11-22T09:00:00+07:00"}

or a list of such objects; time may also be epoch seconds or milliseconds,
unit defaults to the kind's and label to "".

It subscribes with QoS 1 in a persistent session (MQTT 5, a fixed client id),
so what devices publish while it is briefly down is delivered when it is back,
and it acknowledges a message to the broker only once the message's readings
are in the spool. Malformed readings are logged, counted and acknowledged:
delivering them again would not mend them. paho reconnects by itself after the
broker restarts, and the bridge subscribes again on every connection.
"""
import json
import logging
import math
import threading
from collections import Counter
from datetime import datetime, timezone

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from gateway.readings import UNITS, Reading
from gateway.spool import Spool

log = logging.getLogger(__name__)

SESSION_EXPIRY_SECONDS = 7 * 24 * 3600   # how long the broker queues for a bridge that is away
KEEPALIVE_SECONDS = 30
EPOCH_MILLISECONDS_FROM = 10 ** 11   # epoch numbers this large are milliseconds (10¹¹ s: year 5138)


class MalformedReading(ValueError):
    pass


def parse_payload(sensor_id: str, payload: bytes) -> tuple[list[Reading], list[str]]:
    """The readings in a message, and what is wrong with the rest of it."""
    try:
        document = json.loads(payload)
    except ValueError as error:      # UnicodeDecodeError included
        return [], [f"not JSON: {error}"]
    items = document if isinstance(document, list) else [document]
    if not items:
        return [], ["an empty list"]
    readings, problems = [], []
    for item in items:
        try:
            readings.append(parse_reading(sensor_id, item))
        except MalformedReading as problem:
            problems.append(str(problem))
    return readings, problems


def parse_reading(sensor_id: str, item) -> Reading:
    if not isinstance(item, dict):
        raise MalformedReading("a reading must be a JSON object")
    kind, unit, label = item.get("kind"), item.get("unit"), item.get("label", "")
    if not isinstance(kind, str) or not kind:
        raise MalformedReading("kind must be a non-empty string")
    if not isinstance(unit if unit is not None else "", str) or not isinstance(label, str):
        raise MalformedReading("unit and label must be strings")
    return Reading(sensor_id, kind, parse_value(item.get("value")),
                   unit if unit is not None else UNITS.get(kind, ""),
                   parse_time(item.get("time")), label)


def parse_value(value) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            if math.isfinite(value):
                return float(value)
        except OverflowError:        # an integer beyond any float
            pass
    raise MalformedReading(f"value must be a finite number, not {value!r}")


def parse_time(value) -> datetime:
    """ISO 8601 with a UTC offset, or epoch seconds or milliseconds."""
    if isinstance(value, str):
        try:
            time = datetime.fromisoformat(value)
        except ValueError:
            raise MalformedReading(f"time {value!r} is not ISO 8601") from None
        if time.tzinfo is None:
            raise MalformedReading(f"time {value!r} needs a UTC offset, e.g. +07:00")
        return time
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = value / 1000 if abs(value) >= EPOCH_MILLISECONDS_FROM else value
        try:
            return datetime.fromtimestamp(seconds, timezone.utc)
        except (OverflowError, OSError, ValueError):
            raise MalformedReading(f"time {value!r} is out of range") from None
    raise MalformedReading("time must be ISO 8601 or epoch seconds or milliseconds")


class MqttBridge:
    def __init__(self, spool: Spool, gateway_id: str, host: str = "127.0.0.1", port: int = 1883,
                 topic_prefix: str = "city", client_id: str = "",
                 session_expiry_seconds: int = SESSION_EXPIRY_SECONDS):
        if not gateway_id or any(char in gateway_id for char in "+#/"):
            raise ValueError(f"gateway id {gateway_id!r} cannot be part of an MQTT topic")
        self.spool = spool
        self.host, self.port = host, port
        self.topic = f"{topic_prefix}/{gateway_id}/+"
        self.session_expiry_seconds = session_expiry_seconds
        self.stats = Counter()          # messages, readings, malformed
        self.subscribed = threading.Event()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2,
                                  client_id=client_id or f"smartcity-gateway-{gateway_id}",
                                  protocol=mqtt.MQTTv5, manual_ack=True)
        self.client.on_connect = self._connected
        self.client.on_subscribe = self._subscribed
        self.client.on_disconnect = self._disconnected
        self.client.on_message = self._received
        self.client.reconnect_delay_set(min_delay=1, max_delay=30)
        self.client.enable_logger(log)

    def start(self):
        """Connects in the background: a broker that is down now is retried."""
        properties = Properties(PacketTypes.CONNECT)
        properties.SessionExpiryInterval = self.session_expiry_seconds
        self.client.connect_async(self.host, self.port, keepalive=KEEPALIVE_SECONDS,
                                  clean_start=False, properties=properties)
        self.client.loop_start()

    def stop(self):
        self.client.disconnect()
        self.client.loop_stop()

    def _connected(self, client, userdata, flags, reason_code, properties):
        if reason_code.is_failure:
            log.error("the broker at %s:%d refused the bridge: %s", self.host, self.port,
                      reason_code)
            return
        log.info("connected to the broker at %s:%d (session kept: %s)", self.host, self.port,
                 flags.session_present)
        client.subscribe(self.topic, qos=1)

    def _subscribed(self, client, userdata, mid, reason_codes, properties):
        if any(code.is_failure for code in reason_codes):
            log.error("the broker refused the subscription to %s: %s", self.topic, reason_codes)
            return
        log.info("subscribed to %s", self.topic)
        self.subscribed.set()

    def _disconnected(self, client, userdata, flags, reason_code, properties):
        self.subscribed.clear()
        log.warning("disconnected from the broker (%s)", reason_code)

    def _received(self, client, userdata, message):
        self.stats["messages"] += 1
        sensor_id = message.topic.rsplit("/", 1)[1]
        readings, problems = (parse_payload(sensor_id, message.payload) if sensor_id
                              else ([], ["the topic names no sensor"]))
        for problem in problems:
            log.warning("malformed reading on %s: %s", message.topic, problem)
        self.stats["malformed"] += len(problems)
        try:
            self.spool.append(readings)
        except Exception:   # unacknowledged, the broker delivers the message again
            log.exception("could not spool the readings on %s", message.topic)
            return
        self.stats["readings"] += len(readings)
        client.ack(message.mid, message.qos)
