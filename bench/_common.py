"""What the service benchmarks share: a throw-away PostgreSQL database and
RabbitMQ vhost, identity processes configured against them, and percentiles.
"""
import contextlib
import os
import sys
import tempfile
from dataclasses import dataclass

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))

import harness  # noqa: E402

IDENTITY = "identity.service:IdentityService"


@dataclass(frozen=True)
class Infrastructure:
    database: str
    vhost: str
    scratch: str   # logs, the signing-key file and the OTP outbox

    @property
    def amqp_uri(self) -> str:
        return harness.amqp_uri(self.vhost)

    def store_url(self, schema: str) -> str:
        return f"{harness.POSTGRES_ADMIN_URL}/{self.database}?schema={schema}"

    def identity_env(self, schema: str, **overrides) -> dict:
        """An identity process's settings, like the test fixtures', on its own schema."""
        env = {
            "GRPC_PORT": str(harness.free_port()),
            "AMQP_URI": self.amqp_uri,
            "EVENT_STORE_URL": self.store_url(schema),
            "OTP_SENDER": "file",
            "OTP_OUTBOX_FILE": os.path.join(self.scratch, "otp-outbox.jsonl"),
            "JWT_SIGNING_KEYS_FILE": os.path.join(self.scratch, "signing-keys.json"),
        }
        env.update(overrides)
        return env

    def log_path(self, name: str) -> str:
        return os.path.join(self.scratch, f"{name}.log")


@contextlib.contextmanager
def infrastructure():
    """A fresh database, vhost and scratch folder, all removed on the way out."""
    with contextlib.ExitStack() as cleanup:
        database = harness.create_database()
        cleanup.callback(harness.drop_database, database)
        vhost = harness.create_vhost()
        cleanup.callback(harness.delete_vhost, vhost)
        scratch = cleanup.enter_context(tempfile.TemporaryDirectory(prefix="smartcity-bench-"))
        yield Infrastructure(database, vhost, scratch)


@contextlib.contextmanager
def running(service: harness.ServiceProcess):
    """Starts the service, waits until it serves, and stops it afterwards."""
    try:
        service.start()
        yield service
    finally:
        service.stop()


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of values sorted ascending."""
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * fraction))]


def latency_summary(seconds: list[float]) -> str:
    millis = sorted(value * 1e3 for value in seconds)
    return (f"p50 {percentile(millis, 0.50):.2f} ms, p90 {percentile(millis, 0.90):.2f} ms, "
            f"p99 {percentile(millis, 0.99):.2f} ms, max {millis[-1]:.2f} ms")
