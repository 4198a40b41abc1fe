"""Fixtures: a fresh PostgreSQL database and RabbitMQ vhost per test session,
and services started as real processes against them."""
import hashlib
import json
import os
import sys
import uuid

import pytest

import harness
from harness import ADMIN_PHONE, IdentityClient

# A hash this cheap is only for tests: argon2id at production cost would make
# every registration in the suite take tens of milliseconds.
os.environ.setdefault("PASSWORD_HASH_MEMORY_KIB", "1024")
os.environ.setdefault("PASSWORD_HASH_TIME_COST", "1")

PROBE_SECRET = "probe-service-secret"



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
