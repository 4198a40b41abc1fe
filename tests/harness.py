"""Test harness: real servers, real processes, real sockets.

Services run as separate processes exactly as in production
(`python -m kit.runner ...`); tests talk to them with grpcio over TCP.
"""
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from kit.client import channel, metadata
from smartcity.identity.v1 import identity_pb2 as pb
from smartcity.identity.v1 import identity_pb2_grpc

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432")
AMQP_HOST = os.environ.get("TEST_AMQP_HOST", "127.0.0.1:5672")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, timeout=15.0, interval=0.05, message="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}")


# PostgreSQL ---------------------------------------------------------------------
def admin_connection():
    import psycopg

    return psycopg.connect(POSTGRES_ADMIN_URL + "/postgres", autocommit=True)


def create_database() -> str:
    name = f"smartcity_test_{uuid.uuid4().hex[:10]}"
    with admin_connection() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name


def drop_database(name: str):
    with admin_connection() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# RabbitMQ -----------------------------------------------------------------------
def rabbitmqctl(*args, check=True):
    return subprocess.run(["rabbitmqctl", *args], check=check, capture_output=True, text=True,
                          timeout=120)


def create_vhost() -> str:
    vhost = f"smartcity-test-{uuid.uuid4().hex[:8]}"
    rabbitmqctl("add_vhost", vhost)
    rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
    return vhost


def delete_vhost(vhost: str):
    rabbitmqctl("delete_vhost", vhost, check=False)


def amqp_uri(vhost: str) -> str:
    return f"amqp://guest:guest@{AMQP_HOST}/{vhost}"


def restart_rabbitmq():
    """Stops and starts the broker application: every connection drops."""
    rabbitmqctl("stop_app")
    rabbitmqctl("start_app")
    rabbitmqctl("await_startup")


# Service processes ------------------------------------------------------------------
class ServiceProcess:
    """One service in its own process, as `python -m kit.runner` runs it."""

    def __init__(self, service_path, env, log_path, cwd=ROOT):
        self.service_path = service_path
        self.env = env
        self.log_path = log_path
        self.cwd = cwd
        self.port = int(env["GRPC_PORT"])
        self.process = None

    @property
    def target(self):
        return f"127.0.0.1:{self.port}"

    def start(self, wait=True, attempts=3):
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "kit.runner", self.service_path], cwd=self.cwd,
            env={**os.environ, **self.env}, stdout=log, stderr=subprocess.STDOUT)
        if wait:
            try:
                self.wait_healthy()
            except AssertionError:
                if attempts <= 1 or "Address already in use" not in self.log_tail():
                    raise
                # another process took the free port between choosing and binding it
                self.port = free_port()
                self.env["GRPC_PORT"] = str(self.port)
                return self.start(wait, attempts - 1)
        return self

    def wait_healthy(self, timeout=30.0):
        def healthy():
            if self.process.poll() is not None:
                raise AssertionError(f"{self.service_path} exited:\n{self.log_tail()}")
            return health_status(self.target) == health_pb2.HealthCheckResponse.SERVING

        wait_for(healthy, timeout=timeout, interval=0.1, message=f"{self.service_path} health")

    def stop(self, timeout=15.0):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def kill(self):
        """Dies without any clean-up, like a crashed pod."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def log_lines(self):
        with open(self.log_path, encoding="utf-8", errors="replace") as log:
            return log.read().splitlines()

    def log_records(self):
        records = []
        for line in self.log_lines():
            with contextlib.suppress(ValueError):
                records.append(json.loads(line))
        return records

    def log_tail(self, n=40):
        return "\n".join(self.log_lines()[-n:])


def health_status(target, service=""):
    channel = grpc.insecure_channel(target)
    try:
        stub = health_pb2_grpc.HealthStub(channel)
        return stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=1).status
    except grpc.RpcError:
        return None
    finally:
        channel.close()


# Clients ------------------------------------------------------------------------
ADMIN_PHONE = "0912000001"   # the services' BOOTSTRAP_ADMIN_PHONE in the tests


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
