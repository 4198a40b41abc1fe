"""Every environment variable the services read, in one list.

`docs/configuration.md`, `make run` and the Helm chart are checked against
this list by the tests, so a setting cannot be added in one place only.
"""
import os
import sys
from dataclasses import dataclass


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    help: str
    secret: bool = False
    services: tuple[str, ...] = ()   # empty: every service


SETTINGS = (
    Setting("SERVICE_NAME", "", "Name of the service this process runs (set by the runner)."),
    Setting("GRPC_PORT", "50051", "Port the gRPC server listens on."),
    Setting("GRPC_BIND_HOST", "0.0.0.0", "Address the gRPC server binds."),
    Setting("MAX_WORKERS", "100", "Concurrent requests and events a process handles."),
    Setting("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/", "RabbitMQ URL.", secret=True),
    Setting("EVENT_STORE_URL", "sqlite:///var/{service}.db",
            "Event store: sqlite:///path or postgresql://user:pass@host:port/db "
            "(each service its own schema, named after the service).", secret=True),
    Setting("EVENT_STORE_POOL_SIZE", "5", "PostgreSQL connections per process."),
    Setting("EVENT_STORE_CIPHER_KEY", "",
            "Base64 AES key (16, 24 or 32 bytes): when set, stored events are encrypted at rest.",
            secret=True),
    Setting("SNAPSHOT_INTERVAL", "50", "Snapshot long-lived aggregates every N events."),
    Setting("OUTBOX_BATCH_SIZE", "500", "Events the relay reads per pass."),
    Setting("OUTBOX_POLL_SECONDS", "0.2", "Relay poll interval when idle."),
    Setting("OUTBOX_LEADER_RETRY_SECONDS", "1.0",
            "How often a standby relay tries to take over."),
    Setting("IDENTITY_GRPC_TARGET", "127.0.0.1:50051",
            "host:port of the identity service (public keys, lookups)."),
    Setting("SERVICE_CLIENT_SECRET", "",
            "This service's machine secret for calls to other services.", secret=True),
    Setting("TOKEN_KEYS_REFRESH_SECONDS", "300", "How often public keys are refetched."),
    Setting("LOG_LEVEL", "INFO", "Log level (JSON logs on stdout)."),
    Setting("ADMIN_UNITS_FILE", "", "Administrative units data file; empty: the shipped one."),
    Setting("JWT_SIGNING_KEYS", "", "Identity's signing key ring (JSON); empty: a dev file under var/.",
            secret=True, services=("identity",)),
    Setting("JWT_SIGNING_KEYS_FILE", "var/identity-signing-keys.json",
            "Dev key ring file, created when JWT_SIGNING_KEYS is empty.", services=("identity",)),
    Setting("ACCESS_TOKEN_TTL_SECONDS", "900", "Access token lifetime (at most 900).",
            services=("identity",)),
    Setting("REFRESH_TOKEN_TTL_SECONDS", "2592000", "Refresh token lifetime.",
            services=("identity",)),
    Setting("OTP_SENDER", "log", "log (development: the code is logged) or file.",
            services=("identity",)),
    Setting("OTP_OUTBOX_FILE", "var/otp-outbox.jsonl", "Where the file OTP sender appends.",
            services=("identity",)),
    Setting("OTP_TTL_SECONDS", "300", "How long an OTP is valid.", services=("identity",)),
    Setting("OTP_MAX_PER_WINDOW", "3", "OTPs one phone may request per window.",
            services=("identity",)),
    Setting("OTP_WINDOW_SECONDS", "900", "Rate-limit window for OTP requests.",
            services=("identity",)),
    Setting("SIGNIN_MAX_FAILURES", "5", "Failed sign-ins before lock-out.", services=("identity",)),
    Setting("SIGNIN_LOCKOUT_SECONDS", "900", "Lock-out duration.", services=("identity",)),
    Setting("MACHINE_CREDENTIALS", "",
            "Service machines: name=sha256(secret) pairs, comma-separated; "
            "`+role` suffixes give a machine roles (e.g. +ioc_operator).",
            secret=True, services=("identity",)),
    Setting("BOOTSTRAP_ADMIN_PHONE", "",
            "The first person with this phone to confirm it becomes administrator "
            "while there is none.", services=("identity",)),
    Setting("INDEX_KEY", "",
            "Key for the pseudonymous ids of phone/CCCD/tax-code indexes; "
            "defaults to one derived from EVENT_STORE_CIPHER_KEY.", secret=True,
            services=("identity",)),
    Setting("INFLUX_URL", "", "InfluxDB URL (2.x/3.x, or 1.8+ with the v2 write API); "
            "empty: readings go to an embedded SQLite file.", services=("sensors",)),
    Setting("INFLUX_TOKEN", "", "InfluxDB API token, for writes and queries.", secret=True,
            services=("sensors",)),
    Setting("INFLUX_ORG", "smartcity", "InfluxDB organisation for writes (ignored by 3.x).",
            services=("sensors",)),
    Setting("INFLUX_BUCKET", "smartcity", "Bucket (3.x: database) readings are written to.",
            services=("sensors",)),
    Setting("INFLUX_DATABASE", "", "Database for InfluxQL reads (2.x: the DBRP mapping); "
            "empty: the bucket's name.", services=("sensors",)),
    Setting("SENSORS_READINGS_FILE", "var/sensors-readings.db",
            "Embedded readings store, used when INFLUX_URL is empty.", services=("sensors",)),
    Setting("SENSORS_SPOOL_FILE", "var/sensors-spool.db",
            "Readings kept on disk while InfluxDB is unreachable, sent when it is back.",
            services=("sensors",)),
    Setting("INGEST_MAX_FUTURE_SECONDS", "300",
            "Readings timestamped further ahead than this are rejected.", services=("sensors",)),
    Setting("INGEST_MAX_AGE_SECONDS", "604800",
            "Readings older than this are rejected.", services=("sensors",)),
    Setting("SENSOR_RULES_FILE", "", "Threshold rules (JSON); empty: the shipped defaults.",
            services=("sensors",)),
    Setting("REPORTS_MEDIA_DIR", "var/reports-media",
            "Media store folder, used when REPORTS_MEDIA_S3_ENDPOINT is empty.",
            services=("reports",)),
    Setting("REPORTS_MEDIA_S3_ENDPOINT", "",
            "S3-compatible endpoint URL (path-style); empty: local files.", services=("reports",)),
    Setting("REPORTS_MEDIA_S3_BUCKET", "reports-media", "Bucket for media (created by operations).",
            services=("reports",)),
    Setting("REPORTS_MEDIA_S3_ACCESS_KEY", "", "S3 access key id.", secret=True,
            services=("reports",)),
    Setting("REPORTS_MEDIA_S3_SECRET_KEY", "", "S3 secret key.", secret=True,
            services=("reports",)),
    Setting("REPORTS_MEDIA_S3_REGION", "us-east-1", "Region used in request signing.",
            services=("reports",)),
    Setting("REPORTS_MEDIA_URL_TTL_SECONDS", "900", "Lifetime of presigned media URLs.",
            services=("reports",)),
    Setting("REPORTS_MEDIA_MAX_IMAGE_BYTES", "10485760", "Largest image upload.",
            services=("reports",)),
    Setting("REPORTS_MEDIA_MAX_VIDEO_BYTES", "52428800", "Largest video upload.",
            services=("reports",)),
    Setting("HTTP_PORT", "8000", "Port of the service's HTTP endpoint (reports: Open311 "
            "GeoReport v2 and public media).", services=("reports",)),
    Setting("REOPEN_SUPPORTERS", "3", "Verified supporters whose requests reopen a resolved "
            "report.", services=("reports",)),
    Setting("WARNING_RULES_FILE", "", "Which sensor events raise which warnings (JSON); empty: "
            "the shipped mappings.", services=("alerts",)),
    Setting("CASE_ESCALATE_SECONDS", "60", "An emergency case not acknowledged this long is "
            "escalated.", services=("alerts",)),
    Setting("MARKETPLACE_RESERVATION_MINUTES", "15",
            "Minutes an unconfirmed order holds its stock before it expires.",
            services=("marketplace",)),
    Setting("MARKETPLACE_EXPIRY_SWEEP_SECONDS", "30",
            "How often expired reservations are looked for.", services=("marketplace",)),
    Setting("MARKETPLACE_PAYMENT_PROVIDER", "fake",
            "Online payment provider (only the fake one exists: providers are outside the "
            "platform).", services=("marketplace",)),
    Setting("PASSWORD_HASH_MEMORY_KIB", "19456", "argon2id memory cost.", services=("identity",)),
    Setting("PASSWORD_HASH_TIME_COST", "2", "argon2id time cost.", services=("identity",)),
)

_BY_NAME = {s.name: s for s in SETTINGS}


def get(name: str) -> str:
    """The variable's value, or its documented default."""
    setting = _BY_NAME[name]
    default = setting.default.replace("{service}", os.environ.get("SERVICE_NAME", "service"))
    return os.environ.get(name, default)


def get_int(name: str) -> int:
    return int(get(name))


def get_float(name: str) -> float:
    return float(get(name))


def markdown_table() -> str:
    """The table in docs/configuration.md (`python -m kit.settings`)."""
    rows = ["| Variable | Default | Services | Secret | What it does |",
            "|---|---|---|---|---|"]
    for s in SETTINGS:
        rows.append(f"| `{s.name}` | `{s.default}` | {', '.join(s.services) or 'all'} | "
                    f"{'yes' if s.secret else ''} | {s.help} |")
    return "\n".join(rows)


def update_document(path: str) -> None:
    """Rewrites the table between the settings markers of a Markdown file."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    head, rest = text.split(BEGIN_MARKER, 1)
    tail = rest.split(END_MARKER, 1)[1]
    with open(path, "w", encoding="utf-8") as f:
        f.write(f"{head}{BEGIN_MARKER}\n{markdown_table()}\n{END_MARKER}{tail}")


BEGIN_MARKER = "<!-- settings: generated by `make docs` -->"
END_MARKER = "<!-- /settings -->"

if __name__ == "__main__":
    update_document(sys.argv[1])
