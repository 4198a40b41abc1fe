"""`make run` (deploy/local/run.py) as a subprocess: it starts every service,
says where they are, and stops everything cleanly on Ctrl-C."""
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from grpc_health.v1 import health_pb2

import harness
from kit.client import channel
from smartcity.identity.v1 import identity_pb2 as pb
from smartcity.identity.v1 import identity_pb2_grpc

pytestmark = pytest.mark.timeout(240)

RUN = Path(harness.ROOT) / "deploy" / "local" / "run.py"
BANNER = "smartcity is running"


class Launcher:
    """deploy/local/run.py in its own process, its output collected line by line."""

    def __init__(self, var: Path, amqp_uri: str, **env):
        self.base_port = harness.free_port()
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
        return [int(pid) for pid in re.findall(r"\(pid (\d+)\)", self.output)]

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
    launcher = launch(harness.amqp_uri(vhost), BOOTSTRAP_ADMIN_PHONE="0912000001")
    launcher.wait_banner()
    target = f"127.0.0.1:{launcher.base_port}"
    assert target in launcher.output and "identity.log" in launcher.output
    assert "BOOTSTRAP_ADMIN_PHONE=0912000001" in launcher.output
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
    [identity_pid] = launcher.service_pids()
    os.kill(identity_pid, signal.SIGKILL)
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
