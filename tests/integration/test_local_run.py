"""`make run` (deploy/local/run.py) as a subprocess: it starts every service and
a simulated sensor fleet, says where they are, and stops everything cleanly on
Ctrl-C."""
import importlib.util
import os
import random
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import threading
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2

import harness
from kit import cli
from kit.client import channel
from smartcity.identity.v1 import identity_pb2 as pb
from smartcity.identity.v1 import identity_pb2_grpc
from smartcity.sensors.v1 import sensors_pb2, sensors_pb2_grpc

pytestmark = pytest.mark.timeout(240)

RUN = Path(harness.ROOT) / "deploy" / "local" / "run.py"
BANNER = "smartcity is running"
ADMIN_PHONE = "0912000001"


def free_base_port(services=8, http_offset=1000) -> int:
    """A base below the ephemeral range whose gRPC ports (base + i) and HTTP
    ports (base + http_offset + i) are all free: run.py takes consecutive ones."""
    for _ in range(200):
        base = random.randrange(20000, 28000)
        if all(port_free(base + offset + i) for offset in (0, http_offset)
               for i in range(services)):
            return base
    raise AssertionError("no free block of ports for run.py")


def port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


class Launcher:
    """deploy/local/run.py in its own process, its output collected line by line."""

    def __init__(self, var: Path, amqp_uri: str, **env):
        self.base_port = free_base_port()
        self.process = subprocess.Popen(
            [sys.executable, str(RUN), "--var", str(var), "--base-port", str(self.base_port),
             "--no-tail"],
            env={**os.environ, "AMQP_URI": amqp_uri, **env}, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True)
        self.lines = []
        threading.Thread(target=self.collect, daemon=True).start()

    def collect(self):
        for line in self.process.stdout:
            self.lines.append(line)

    @property
    def output(self):
        return "".join(self.lines)

    def wait_banner(self, timeout=90):
        def shown():
            assert self.process.poll() is None, f"run.py exited:\n{self.output}"
            return BANNER in self.output

        harness.wait_for(shown, timeout=timeout, interval=0.2, message="the banner")

    def service_pids(self):
        """Every process the banner lists: the services and the sensor gateway."""
        return [int(pid) for pid in re.findall(r"\(pid (\d+)\)", self.output)]

    def service_row(self, name) -> list[str]:
        """A service's row in the banner: name, target, log, "(pid", "N)"."""
        return re.search(rf"^  {name} .*$", self.output, re.MULTILINE).group().split()

    def pid_of(self, service) -> int:
        return int(self.service_row(service)[-1].rstrip(")"))

    def target_of(self, service) -> str:
        return self.service_row(service)[1]

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)   # so it stops what it started
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for pid in self.service_pids():
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


def alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


def running_commands(text):
    """Command lines of this machine's processes that mention text."""
    commands = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            command = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in command:
            commands.append(command)
    return commands


@pytest.fixture
def launch(tmp_path):
    launchers = []

    def start(amqp_uri, **env):
        launchers.append(Launcher(tmp_path / "var", amqp_uri, **env))
        return launchers[-1]

    yield start
    for launcher in launchers:
        launcher.stop()


def test_starts_every_service_and_stops_cleanly_on_ctrl_c(launch, vhost, tmp_path):
    launcher = launch(harness.amqp_uri(vhost), BOOTSTRAP_ADMIN_PHONE=ADMIN_PHONE)
    launcher.wait_banner()
    target = f"127.0.0.1:{launcher.base_port}"
    assert target in launcher.output and "identity.log" in launcher.output
    assert f"BOOTSTRAP_ADMIN_PHONE={ADMIN_PHONE}" in launcher.output
    assert harness.health_status(target) == health_pb2.HealthCheckResponse.SERVING
    with channel(target) as identity:
        keys = identity_pb2_grpc.IdentityStub(identity).GetPublicKeys(
            pb.GetPublicKeysRequest(), timeout=5)
    assert keys.keys and keys.keys[0].kid

    var = tmp_path / "var"
    assert stat.S_IMODE((var / "local-secrets.json").stat().st_mode) == 0o600
    assert (var / "identity.db").exists() and (var / "log" / "identity.log").exists()
    pids = launcher.service_pids()
    assert pids and all(alive(pid) for pid in pids)

    launcher.process.send_signal(signal.SIGINT)
    assert launcher.process.wait(30) == 0, launcher.output
    assert not any(alive(pid) for pid in pids)


def test_a_service_that_dies_stops_everything_with_its_log(launch, vhost):
    launcher = launch(harness.amqp_uri(vhost))
    launcher.wait_banner()
    os.kill(launcher.pid_of("identity"), signal.SIGKILL)
    assert launcher.process.wait(30) != 0
    assert "identity exited unexpectedly" in launcher.output


@pytest.mark.skipif(not (shutil.which("rabbitmq-server") or Path("/usr/lib/rabbitmq/bin").exists()),
                    reason="rabbitmq-server is not installed")
def test_starts_a_private_rabbitmq_when_none_answers(launch):
    launcher = launch(f"amqp://guest:guest@127.0.0.1:{harness.free_port()}/")
    launcher.wait_banner(timeout=150)
    assert "private node smartcity-local@localhost" in launcher.output
    launcher.process.send_signal(signal.SIGINT)
    assert launcher.process.wait(60) == 0, launcher.output
    assert not running_commands("smartcity-local@localhost")


# The simulated sensor fleet --------------------------------------------------------------
def smartcity(launcher, tmp_path, *args, timeout=30):
    """The command-line client against the launched services, as the banner shows it."""
    command = [sys.executable, "-m", "kit.cli", "--identity", launcher.target_of("identity"),
               "--sensors", launcher.target_of("sensors"), *args]
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env={
        **os.environ, "SMARTCITY_SESSION_FILE": str(tmp_path / "session.json")})
    assert result.returncode == 0, result.stderr
    return result.stdout


def latest_readings(sensors_target, sensor_id):
    """GetLatest's values for a sensor; none while it is not registered yet."""
    with channel(sensors_target) as sensors:
        try:
            return sensors_pb2_grpc.SensorsStub(sensors).GetLatest(
                sensors_pb2.GetLatestRequest(sensor_ids=[sensor_id]), timeout=5).values
        except grpc.RpcError as error:
            assert error.code() == grpc.StatusCode.NOT_FOUND, error
            return []


def sign_in_administrator(launcher, tmp_path, var):
    """The bootstrap administrator registers and signs in with the code in identity's log."""
    smartcity(launcher, tmp_path, "register", "--full-name", "Nguyễn Văn An", "--phone",
              ADMIN_PHONE, "--national-id", "001090000001", "--date-of-birth", "1990-05-17",
              "--sex", "male", "--home-address", "12 Hoàng Văn Thụ", "--home-unit-code", "05443",
              "--no-password")
    log = (var / "log" / "identity.log").read_text()
    code = re.findall(rf"OTP for \+84{ADMIN_PHONE[1:]}: (\d+)", log)[-1]
    smartcity(launcher, tmp_path, "signin-otp", ADMIN_PHONE, code)


def test_the_clients_defaults_are_where_make_run_puts_the_services():
    """`smartcity sensors ...` as the README shows it reaches the sensors service,
    whatever services are added."""
    spec = importlib.util.spec_from_file_location("run", RUN)
    run = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(run)
    targets = {service.name: service.target for service in run.discover_services(50051)}
    assert (targets["identity"], targets["sensors"]) == (cli.IDENTITY_TARGET, cli.SENSORS_TARGET)


def test_a_simulated_fleet_gives_the_ioc_live_readings_at_once(launch, vhost, tmp_path):
    launcher = launch(harness.amqp_uri(vhost), BOOTSTRAP_ADMIN_PHONE=ADMIN_PHONE)
    launcher.wait_banner()
    sensors = launcher.target_of("sensors")
    assert "6 stations and 3 cameras simulated by gateway-local" in launcher.output
    assert f"--sensors {sensors} sensors latest tn-aq-001" in launcher.output

    values = harness.wait_for(lambda: latest_readings(sensors, "tn-aq-001"), timeout=30,
                              interval=0.5, message="readings of the simulated station")
    assert {"pm25", "temperature", "water_level"} <= {value.kind for value in values}
    listed = smartcity(launcher, tmp_path, "sensors", "list", "--gateway", "gateway-local")
    assert all(f"tn-aq-{n:03d}" in listed for n in range(1, 7)) and "tn-cam-003" in listed
    assert "pm25" in smartcity(launcher, tmp_path, "sensors", "latest", "tn-aq-001")

    var = tmp_path / "var"
    sign_in_administrator(launcher, tmp_path, var)
    watched = smartcity(launcher, tmp_path, "sensors", "watch", "tn-cam-001", "--count", "3")
    assert len(watched.splitlines()) == 3 and all(
        " tn-cam-001 " in line for line in watched.splitlines())

    pids = launcher.service_pids()
    launcher.process.send_signal(signal.SIGINT)
    assert launcher.process.wait(30) == 0, launcher.output
    assert not any(alive(pid) for pid in pids)
    assert (var / "gateway-spool.db").exists() and (var / "sensors-readings.db").exists()

