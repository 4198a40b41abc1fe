"""Sending one-time codes. SMS gateways are outside the platform: a province
plugs its own in behind OtpSender."""
import json
import logging
import os
import time
from typing import Protocol

from kit import settings

log = logging.getLogger(__name__)


class OtpSender(Protocol):
    def send(self, phone: str, code: str, ttl_seconds: int) -> None: ...


class LoggingOtpSender:
    """Development: the code appears in the service's log."""

    def send(self, phone, code, ttl_seconds):
        log.info("OTP for %s: %s (valid %d s)", phone, code, ttl_seconds)


class FileOtpSender:
    """Appends one JSON line per code: tests and demos read codes from it."""

    def __init__(self, path):
        self.path = path
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)

    def send(self, phone, code, ttl_seconds):
        line = json.dumps({"phone": phone, "code": code, "ttl": ttl_seconds, "at": time.time()})
        with open(self.path, "a", encoding="utf-8") as outbox:
            outbox.write(line + "\n")


def sender_from_settings() -> OtpSender:
    kind = settings.get("OTP_SENDER")
    if kind == "file":
        return FileOtpSender(settings.get("OTP_OUTBOX_FILE"))
    if kind == "log":
        return LoggingOtpSender()
    raise ValueError(f"OTP_SENDER: unknown sender {kind!r} (log or file)")
