"""Fixtures for the reports service's end-to-end tests: identity knowing the
reports service's machine credentials, the reports service as a process (gRPC
and HTTP), and the people who act on reports, each with a real session.

One identity and one reports process serve a whole test module: starting
them per test would cost seconds each on a shared two-core machine. Tests
keep apart by their own categories, agencies and places.
"""
import contextlib
import hashlib
import io
import itertools
import json
import math
import os
import random
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import grpc
import psycopg
import pytest
from kombu import Connection, Exchange, Queue
from PIL import Image

import harness
from kit import envelopes
from kit.client import channel, field_violations, metadata
from smartcity.identity.v1 import identity_pb2 as ipb
from smartcity.reports.v1 import reports_pb2 as pb
from smartcity.reports.v1 import reports_pb2_grpc

REPORTS_SECRET = "reports-service-secret"
MARKETPLACE_SECRET = "marketplace-service-secret"
MEDIA_MAX_IMAGE_BYTES = 256 * 1024        # small, so an oversized photo is cheap to make
ROADS, ENVIRONMENT = "Sở Xây dựng", "Sở Nông nghiệp và Môi trường"
PROVINCE = "19"                                            # Thái Nguyên
PHAN_DINH_PHUNG, GIA_SANG, QUYET_THANG = "05443", "05467", "05455"
# Commune centroids (reports/data/commune_centroids.json): the locator places them there.
CENTRE_OF = {PHAN_DINH_PHUNG: (21.5887, 105.834), GIA_SANG: (21.5621, 105.882),
             QUYET_THANG: (21.5819, 105.794)}
METRES_PER_DEGREE = 111_320.0


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


def token(holder) -> str:
    """The access token of a (person, session) pair."""
    return holder[1].access_token


# Phones and CCCD numbers no other person of this run has (male, born in 1990).
_people = itertools.count(random.randrange(10_000, 900_000))


def unique_phone_and_cccd() -> tuple[str, str]:
    number = next(_people)
    return f"0913{number:06d}", f"001090{number:06d}"


def offset(point, north_m=0.0, east_m=0.0):
    """The point moved north and east by so many metres (flat earth: a few hundred metres)."""
    lat, lon = point
    return (lat + north_m / METRES_PER_DEGREE,
            lon + east_m / (METRES_PER_DEGREE * math.cos(math.radians(lat))))


# Environments -------------------------------------------------------------------
def secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def root_conftest(config):
    """tests/conftest.py as pytest loaded it: with tests/integration/conftest.py also
    loaded, the name `conftest` no longer leads to it."""
    path = os.path.join(harness.ROOT, "tests", "conftest.py")
    return next(plugin for plugin in config.pluginmanager.get_plugins()
                if getattr(plugin, "__file__", None) == path)


def base_env(conftest, scratch, database: str, vhost: str, schema: str, **overrides) -> dict:
    """A service's settings on its own fresh schema, as tests/conftest.py's service_env."""
    env = {
        "GRPC_PORT": str(harness.free_port()),
        "AMQP_URI": harness.amqp_uri(vhost),
        "EVENT_STORE_URL": f"{harness.POSTGRES_ADMIN_URL}/{database}"
                           f"?schema={schema}_{uuid.uuid4().hex[:8]}",
        "OTP_SENDER": "file",
        "OTP_OUTBOX_FILE": str(scratch / "otp-outbox.jsonl"),
        "JWT_SIGNING_KEYS_FILE": str(scratch / "signing-keys.json"),
        "MACHINE_CREDENTIALS": f"probe={secret_digest(conftest.PROBE_SECRET)},"
                               f"reports={secret_digest(REPORTS_SECRET)},"
                           f"marketplace={secret_digest(MARKETPLACE_SECRET)}",
        "BOOTSTRAP_ADMIN_PHONE": conftest.ADMIN_PHONE,
        "OUTBOX_POLL_SECONDS": "0.05",
        "OUTBOX_LEADER_RETRY_SECONDS": "0.5",
        "PASSWORD_HASH_MEMORY_KIB": "1024",
        "PASSWORD_HASH_TIME_COST": "1",
    }
    env.update(overrides)
    return env


def start(env: dict, stack: contextlib.ExitStack, service_path: str,
          log_path) -> harness.ServiceProcess:
    """The service started, and stopped when the stack closes (even if starting failed)."""
    service = harness.ServiceProcess(service_path, env, str(log_path))
    stack.callback(service.stop)
    return service.start()


# The platform -----------------------------------------------------------------------
class ReportsPlatform:
    """identity and reports running; a grpcio client of each and HTTP helpers."""

    def __init__(self, identity, service, http_port):
        self.identity = identity
        self.service = service
        self.http_base = f"http://127.0.0.1:{http_port}"
        self.channel = channel(service.target)
        self.stub = reports_pb2_grpc.ReportsStub(self.channel)
        self.admin = identity.admin_session()

    def close(self):
        self.channel.close()

    # gRPC -------------------------------------------------------------------------
    def call(self, method, request, token=None, timeout=10):
        return getattr(self.stub, method)(request, metadata=metadata(token), timeout=timeout)

    def refused(self, code, method, request, token=None, field=None) -> grpc.RpcError:
        """Calls and expects `code` (naming `field`), with the event store unchanged."""
        before = self.log_position()
        with pytest.raises(grpc.RpcError) as error:
            self.call(method, request, token=token)
        assert error.value.code() == code, (error.value.code(), error.value.details())
        if field is not None:
            assert field in error.value.details(), error.value.details()
            if code == grpc.StatusCode.INVALID_ARGUMENT:
                assert field in [name for name, _ in field_violations(error.value)], \
                    field_violations(error.value)
        assert self.log_position() == before, "a refused request changed the store"
        return error.value

    def upload(self, data: bytes, token, filename="photo.jpg", chunk_bytes=64 * 1024):
        chunks = [pb.MediaChunk(data=data[i:i + chunk_bytes], filename="" if i else filename)
                  for i in range(0, len(data), chunk_bytes)]
        return self.stub.UploadMedia(iter(chunks), metadata=metadata(token), timeout=20)

    def log_position(self) -> int:
        """How many events the reports store holds."""
        dsn, schema = self.service.env["EVENT_STORE_URL"].split("?schema=")
        with psycopg.connect(dsn) as conn:
            return conn.execute(
                f'SELECT count(*) FROM "{schema}".reportsapplication_events').fetchone()[0]

    # HTTP -------------------------------------------------------------------------
    def http(self, path, form=None):
        """(status, headers, body bytes) of a GET, or of a form POST when form is given."""
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        request = urllib.request.Request(self.http_base + path, data=data)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read()

    def http_json(self, path, form=None):
        status, _, body = self.http(path, form)
        return status, json.loads(body)

    # People -----------------------------------------------------------------------
    def citizen(self):
        """A citizen with a confirmed phone (assurance level 1): (person, session)."""
        return self.identity.citizen(*unique_phone_and_cccd())

    def holder(self, *grants: ipb.RoleGrant):
        """A person holding the grants, signed in again so the token carries them."""
        person, _ = self.citizen()
        for grant in grants:
            self.identity.call("GrantRole", ipb.RoleRequest(person_id=person.id, grant=grant),
                               token=self.admin.access_token)
        self.identity.call("RequestOtp", ipb.RequestOtpRequest(phone=person.phone))
        return person, self.identity.sign_in_with_otp(person.phone)

    def staff(self, agency, jurisdiction):
        return self.holder(ipb.RoleGrant(role="agency_staff", agency=agency,
                                         jurisdiction=jurisdiction))

    def operator(self):
        return self.holder(ipb.RoleGrant(role="ioc_operator"))

    # Reports ----------------------------------------------------------------------
    def define(self, code=None, *, agency=ROADS, questions=(), hours=0, working_days=0,
               emergency=False, group="roads") -> pb.Category:
        """An active category; 48 hours to act unless told otherwise."""
        category = pb.Category(
            code=code or unique("pothole"), name_vi="Ổ gà trên đường", name_en="Pothole",
            group=group, questions=list(questions), agency=agency,
            deadline_hours=hours or (0 if working_days else 48),
            deadline_working_days=working_days, emergency=emergency, active=True)
        return self.call("DefineCategory", pb.DefineCategoryRequest(category=category),
                         token=self.admin.access_token)

    def file(self, token, category, at, description="Ổ gà sâu giữa đường", **fields):
        request = pb.FileReportRequest(
            category=category, description=description,
            location=pb.GeoPoint(latitude=at[0], longitude=at[1]), **fields)
        return self.call("FileReport", request, token=token)

    def projected(self, predicate, message="the read model to catch up", timeout=15):
        return harness.wait_for(predicate, timeout=timeout, interval=0.1, message=message)


class EventTap:
    """A queue bound to the reports service's event exchange, every routing key."""

    def __init__(self, vhost):
        self.connection = Connection(harness.amqp_uri(vhost))
        self.queue = Queue(f"tap-{uuid.uuid4().hex[:8]}", exchange=Exchange(
            "reports.events", type="topic", durable=True), routing_key="#", auto_delete=True)
        self.queue(self.connection.default_channel).declare()
        self.seen = []          # every envelope received so far

    def events_of(self, report_id, message_class, count, timeout=15):
        """The first `count` events of this type about the report (fewer after the
        timeout), in the order they arrived."""
        deadline = time.monotonic() + timeout
        while True:
            found = [payload for payload in self.payloads(message_class)
                     if payload.report_id == report_id]
            if len(found) >= count or time.monotonic() > deadline:
                return found[:count]
            message = self.queue(self.connection.default_channel).get(no_ack=True)
            if message is None:
                time.sleep(0.05)
            else:
                self.seen.append(envelopes.decode(message.body))

    def payloads(self, message_class):
        return [envelopes.unpack(envelope, message_class) for envelope in self.seen
                if envelope.event_type == message_class.DESCRIPTOR.full_name]

    def close(self):
        self.connection.release()


# Images ---------------------------------------------------------------------------
GPS_IFD = 0x8825
GPS_IN_THAI_NGUYEN = {1: "N", 2: (21.0, 35.0, 19.0), 3: "E", 4: (105.0, 50.0, 2.0)}


def photo(size=(96, 64), seed=0) -> Image.Image:
    """A gradient, so the compressed data is not trivial; seed varies the bytes."""
    image = Image.new("RGB", size)
    image.putdata([((x * 4 + seed) % 256, (y * 5) % 256, (x + y + seed) % 256)
                   for y in range(size[1]) for x in range(size[0])])
    return image


def encoded(image: Image.Image, image_format: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, image_format, **options)
    return buffer.getvalue()


def jpeg_with_gps(seed=0) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "Phone maker"
    exif[GPS_IFD] = GPS_IN_THAI_NGUYEN
    return encoded(photo(seed=seed), "JPEG", exif=exif, quality=90)


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


# Fixtures -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def reports_platform(request, tmp_path_factory, postgres_db, vhost):
    conftest = root_conftest(request.config)
    scratch = tmp_path_factory.mktemp("reports-platform")
    identity_env = base_env(conftest, scratch, postgres_db, vhost, "identity")
    http_port = harness.free_port()
    with contextlib.ExitStack() as stack:
        identity_service = start(identity_env, stack, "identity.service:IdentityService",
                                 scratch / "identity.log")
        reports_env = base_env(
            conftest, scratch, postgres_db, vhost, "reports",
            IDENTITY_GRPC_TARGET=identity_service.target, SERVICE_CLIENT_SECRET=REPORTS_SECRET,
            HTTP_PORT=str(http_port), REPORTS_MEDIA_DIR=str(scratch / "media"),
            REPORTS_MEDIA_MAX_IMAGE_BYTES=str(MEDIA_MAX_IMAGE_BYTES))
        reports_service = start(reports_env, stack, "reports.service:ReportsService",
                                scratch / "reports.log")
        identity = conftest.IdentityClient(identity_service, identity_env["OTP_OUTBOX_FILE"])
        stack.callback(identity.close)
        platform = ReportsPlatform(identity, reports_service, http_port)
        stack.callback(platform.close)
        yield platform


@pytest.fixture
def event_tap(vhost):
    tap = EventTap(vhost)
    yield tap
    tap.close()
