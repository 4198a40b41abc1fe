"""Fixtures: a fresh PostgreSQL database and RabbitMQ vhost per test session,
and services started as real processes against them."""
import hashlib
import json
import os
import sys
import uuid

import pytest

import harness
from kit.client import channel, metadata
from smartcity.identity.v1 import identity_pb2 as pb
from smartcity.identity.v1 import identity_pb2_grpc

# A hash this cheap is only for tests: argon2id at production cost would make
# every registration in the suite take tens of milliseconds.
os.environ.setdefault("PASSWORD_HASH_MEMORY_KIB", "1024")
os.environ.setdefault("PASSWORD_HASH_TIME_COST", "1")

PROBE_SECRET = "probe-service-secret"
ADMIN_PHONE = "0912000001"


@pytest.fixture(scope="session")
def postgres_db():
    name = harness.create_database()
    yield name
    harness.drop_database(name)


@pytest.fixture(scope="session")
def vhost():
    name = harness.create_vhost()
    yield name
    harness.delete_vhost(name)


@pytest.fixture
def service_env(tmp_path, postgres_db, vhost):
    """Environment for a service process; each call may override settings."""

    def make(schema, **overrides):
        schema = f"{schema}_{uuid.uuid4().hex[:8]}"   # a fresh store per service started
        env = {
            "GRPC_PORT": str(harness.free_port()),
            "AMQP_URI": harness.amqp_uri(vhost),
            "EVENT_STORE_URL": f"{harness.POSTGRES_ADMIN_URL}/{postgres_db}?schema={schema}",
            "OTP_SENDER": "file",
            "OTP_OUTBOX_FILE": str(tmp_path / "otp-outbox.jsonl"),
            "JWT_SIGNING_KEYS_FILE": str(tmp_path / "signing-keys.json"),
            "MACHINE_CREDENTIALS": f"probe={hashlib.sha256(PROBE_SECRET.encode()).hexdigest()}",
            "BOOTSTRAP_ADMIN_PHONE": ADMIN_PHONE,
            "OUTBOX_POLL_SECONDS": "0.05",
            "OUTBOX_LEADER_RETRY_SECONDS": "0.5",
            "PASSWORD_HASH_MEMORY_KIB": "1024",
            "PASSWORD_HASH_TIME_COST": "1",
        }
        env.update(overrides)
        return env

    return make


@pytest.fixture
def start_service(tmp_path):
    started = []

    def start(service_path, env, name=None, wait=True):
        name = name or service_path.split(".")[0]
        log_path = tmp_path / f"{name}-{len(started)}.log"
        service = harness.ServiceProcess(service_path, env, str(log_path)).start(wait=wait)
        started.append(service)
        return service

    yield start
    for service in started:
        service.stop()


class IdentityClient:
    """A plain grpcio client of a running identity service, with test helpers."""

    def __init__(self, service, otp_outbox):
        self.service = service
        self.otp_outbox = otp_outbox
        self.channel = channel(service.target)
        self.stub = identity_pb2_grpc.IdentityStub(self.channel)

    def call(self, method, request, token=None, timeout=5):
        return getattr(self.stub, method)(request, metadata=metadata(token), timeout=timeout)

    def last_otp(self, phone):
        with open(self.otp_outbox, encoding="utf-8") as outbox:
            codes = [json.loads(line) for line in outbox]
        return [c["code"] for c in codes if c["phone"] == phone][-1]

    def register(self, phone, national_id, password="matkhau123", **fields):
        request = pb.RegisterCitizenRequest(
            full_name=fields.get("full_name", "Nguyễn Văn An"), phone=phone,
            national_id=national_id, date_of_birth=fields.get("date_of_birth", "1990-05-17"),
            sex=fields.get("sex", "male"), home_address=fields.get("home_address", "12 Hoàng Văn Thụ"),
            home_unit_code=fields.get("home_unit_code", "05443"), password=password)
        return self.call("RegisterCitizen", request)

    def sign_in_with_otp(self, phone):
        return self.call("SignInWithOtp", pb.SignInWithOtpRequest(
            phone=phone, code=self.last_otp(harness_phone(phone))))

    def citizen(self, phone, national_id, **fields):
        """Registers a citizen, confirms their phone and returns (person, session)."""
        person = self.register(phone, national_id, **fields)
        return person, self.sign_in_with_otp(phone)

    def admin_session(self):
        """The bootstrap administrator (BOOTSTRAP_ADMIN_PHONE) signed in."""
        try:
            self.register(ADMIN_PHONE, "001090000001")
        except Exception:
            self.call("RequestOtp", pb.RequestOtpRequest(phone=ADMIN_PHONE))
        return self.sign_in_with_otp(ADMIN_PHONE)

    def close(self):
        self.channel.close()


def harness_phone(phone):
    digits = "".join(ch for ch in phone if ch.isdigit())
    return "+84" + digits.removeprefix("84").removeprefix("0")


@pytest.fixture(scope="session")
def probe_pythonpath(tmp_path_factory):
    """Generates the probe's test-only protobuf code; its import roots."""
    from grpc_tools import protoc

    out = tmp_path_factory.mktemp("probe-genproto")
    protos = os.path.join(harness.ROOT, "tests", "probe", "protos")
    status = protoc.main(["protoc", f"-I{protos}", f"--python_out={out}", f"--grpc_python_out={out}",
                          os.path.join(protos, "smartcity", "testing", "v1", "probe.proto")])
    assert status == 0, "probe.proto did not compile"
    sys.path.insert(0, str(out))      # the tests are the probe's clients
    return os.pathsep.join([str(out), os.path.join(harness.ROOT, "tests", "probe"),
                            os.environ.get("PYTHONPATH", "")])


@pytest.fixture
def start_probe(service_env, start_service, probe_pythonpath):
    """Starts the probe service against a running identity service."""

    def start(identity_target, **overrides):
        env = service_env("probe", IDENTITY_GRPC_TARGET=identity_target,
                          SERVICE_CLIENT_SECRET=PROBE_SECRET, PYTHONPATH=probe_pythonpath,
                          **overrides)
        return start_service("probe.service:ProbeService", env)

    return start


@pytest.fixture
def identity(service_env, start_service, tmp_path):
    env = service_env("identity")
    service = start_service("identity.service:IdentityService", env)
    client = IdentityClient(service, env["OTP_OUTBOX_FILE"])
    yield client
    client.close()
