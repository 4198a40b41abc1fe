"""`make run`: every service on this machine, on embedded defaults, until Ctrl-C.

Each service under services/<name>/<name>/service.py runs in its own process
(`python -m kit.runner <name>.service:<Name>Service`) with a SQLite event
store under var/, a fixed gRPC port from 50051 upward (identity first) and
its log in var/log/<name>.log, tailed to the console. RabbitMQ is the one at
AMQP_URI when it answers, else a private one started here. With the sensors
service comes a simulated sensor fleet (`python -m gateway simulate`), so the
IOC has live data at once.
"""
import argparse
import contextlib
import hashlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import grpc
import kombu
from grpc_health.v1 import health_pb2, health_pb2_grpc

from kit import cli, settings

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
RABBITMQ_NODE = "smartcity-local@localhost"
SERVING_TIMEOUT_SECONDS = 60
RABBITMQ_START_TIMEOUT_SECONDS = 90
STOP_TIMEOUT_SECONDS = 15
LOG_TAIL_LINES = 40
# Ports from --base-port on: the command-line client's defaults (kit.cli) and the docs name them.
PORT_OFFSETS = {"identity": 0, "reports": 1, "sensors": 2}
GATEWAY_MACHINE = "gateway-local"
FLEET_LOADER = "fleet-loader"            # registers the simulated fleet: an IOC operator machine
MACHINE_ROLES = {FLEET_LOADER: "+ioc_operator"}
FLEET_STATIONS, FLEET_CAMERAS, FLEET_SPEED = 6, 3, 60
INSTALL_RABBITMQ_HINT = """\
RabbitMQ is needed and none answers at {uri}. Either:
  - install it, and `make run` starts a private one:
      Debian/Ubuntu: sudo apt-get install rabbitmq-server
      macOS:         brew install rabbitmq
  - or point AMQP_URI at one: AMQP_URI=amqp://user:pass@host:5672/ make run"""


class Failure(Exception):
    """Something stops the launch; the message says what and what to do."""


class Interrupted(Exception):
    """Ctrl-C or SIGTERM arrived while starting."""


@dataclass(frozen=True)
class Service:
    name: str
    port: int

    @property
    def path(self):
        return f"{self.name}.service:{self.name.capitalize()}Service"

    @property
    def target(self):
        return f"{HOST}:{self.port}"


@dataclass(frozen=True)
class Command:
    """A program started once every service serves, with its additions to the environment."""
    name: str
    argv: list[str]
    env: dict[str, str]


# Console ------------------------------------------------------------------------
_console = threading.Lock()


def say(text=""):
    with _console:
        print(text, flush=True)


def log_line_text(line: str) -> str:
    """A JSON log record as "LEVEL message key=value"; other lines as they are."""
    try:
        record = json.loads(line)
    except ValueError:
        return line
    if not isinstance(record, dict):
        return line
    extra = {k: v for k, v in record.items()
             if k not in ("ts", "level", "service", "logger", "msg", "exc", "correlation_id")}
    text = " ".join([record.get("level", ""), str(record.get("msg", ""))]
                    + [f"{k}={v}" for k, v in extra.items()])
    return text + ("\n" + record["exc"] if record.get("exc") else "")


def tail(name: str, path: Path, offset: int, stop: threading.Event):
    """Prints what is appended to a log from offset on, each line as "[name] ...",
    until stop is set and the log is read to its end."""
    with open(path, "rb") as log:
        log.seek(offset)
        while True:
            line = log.readline()
            if line.endswith(b"\n"):
                say(f"[{name}] {log_line_text(line.decode(errors='replace').rstrip())}")
            elif stop.is_set():
                return
            else:
                log.seek(-len(line), os.SEEK_CUR)   # a partial line: read it whole later
                stop.wait(0.2)


# Processes ------------------------------------------------------------------------
class Process:
    """A program started here, its output appended to var/log/<name>.log."""

    def __init__(self, name, argv, env, log_dir: Path):
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        with open(self.log_path, "ab") as log:
            self.log_offset = log.tell()
            # its own session: Ctrl-C reaches only the launcher, which stops things in order
            self.popen = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log,
                                          stderr=subprocess.STDOUT, start_new_session=True)

    @property
    def pid(self):
        return self.popen.pid

    def running(self):
        return self.popen.poll() is None

    def log_tail(self):
        with open(self.log_path, "rb") as log:
            log.seek(self.log_offset)
            return "\n".join(log.read().decode(errors="replace").splitlines()[-LOG_TAIL_LINES:])


def stop_processes(processes: list[Process]):
    """SIGTERM to each (the last started first), then a kill for any still up after 15 s."""
    for process in reversed(processes):
        if process.running():
            process.popen.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
    for process in reversed(processes):
        try:
            process.popen.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            say(f"{process.name} did not stop within {STOP_TIMEOUT_SECONDS} s: killing it")
            process.popen.kill()
            process.popen.wait()


class Fleet:
    """The processes started for the session, their logs copied to the console."""

    def __init__(self, log_dir: Path, tail_logs: bool):
        self.log_dir = log_dir
        self.tail_logs = tail_logs
        self.processes: dict[str, Process] = {}
        self.tails: list[threading.Thread] = []
        self.tails_done = threading.Event()

    def start(self, name, argv, env) -> Process:
        process = self.processes[name] = Process(name, argv, env, self.log_dir)
        if self.tail_logs:
            thread = threading.Thread(target=tail, daemon=True, args=(
                name, process.log_path, process.log_offset, self.tails_done))
            thread.start()
            self.tails.append(thread)
        return process

    def first_dead(self) -> Process | None:
        return next((p for p in self.processes.values() if not p.running()), None)

    def stop(self):
        stop_processes(list(self.processes.values()))
        self.tails_done.set()   # the tails print what the processes logged while stopping
        for thread in self.tails:
            thread.join(timeout=2)


def report_death(process: Process):
    say(f"\n{process.name} exited unexpectedly (code {process.popen.returncode}); "
        f"the end of {process.log_path}:\n{process.log_tail()}\n")


# Services -----------------------------------------------------------------------------
def discover_services(base_port: int) -> list[Service]:
    """Every services/<name>/<name>/service.py at its port: identity first, as the
    others find it at the first port; those of PORT_OFFSETS at theirs, so that a
    new service moves none of them; any other after them, in name order."""
    names = {path.parent.name for path in (ROOT / "services").glob("*/*/service.py")
             if path.parent.name == path.parent.parent.name != "kit"}
    others = sorted(names - PORT_OFFSETS.keys())
    offsets = {**PORT_OFFSETS, **{name: len(PORT_OFFSETS) + index
                                  for index, name in enumerate(others)}}
    return sorted((Service(name, base_port + offsets[name]) for name in names),
                  key=lambda service: service.port)


def machine_names(services: list[Service]) -> list[str]:
    """The machines identity is configured with: every other service, and with the
    sensors service the simulated fleet's gateway and the machine registering it."""
    names = [s.name for s in services if s.name != "identity"]
    return names + ([GATEWAY_MACHINE, FLEET_LOADER] if "sensors" in names else [])


def load_machine_secrets(path: Path, names: list[str]) -> dict[str, str]:
    """Each machine's secret, kept in a 0600 file so later runs reuse them."""
    stored = json.loads(path.read_text()) if path.exists() else {}
    missing = [name for name in names if name not in stored]
    if missing or not path.exists():
        stored.update({name: secrets.token_urlsafe(32) for name in missing})
        temporary = path.with_suffix(".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as file:
            json.dump(stored, file, indent=2)
        os.replace(temporary, path)
    return {name: stored[name] for name in names}


def machine_credentials(machine_secrets: dict[str, str]) -> str:
    return ",".join(f"{name}={hashlib.sha256(secret.encode()).hexdigest()}"
                    f"{MACHINE_ROLES.get(name, '')}" for name, secret in machine_secrets.items())


def service_env(service: Service, identity_target: str, amqp_uri: str, var: Path,
                machine_secrets: dict[str, str]) -> dict[str, str]:
    env = {
        **os.environ,
        "GRPC_PORT": str(service.port),
        "GRPC_BIND_HOST": HOST,
        "AMQP_URI": amqp_uri,
        "EVENT_STORE_URL": f"sqlite:///{var / service.name}.db",
        "IDENTITY_GRPC_TARGET": identity_target,
    }
    if service.name == "identity":
        env.update(OTP_SENDER="log", JWT_SIGNING_KEYS_FILE=str(var / "identity-signing-keys.json"),
                   MACHINE_CREDENTIALS=machine_credentials(machine_secrets))
    else:
        env["SERVICE_CLIENT_SECRET"] = machine_secrets[service.name]
    if service.name == "sensors":
        env.update(SENSORS_READINGS_FILE=str(var / "sensors-readings.db"),
                   SENSORS_SPOOL_FILE=str(var / "sensors-spool.db"))
    if service.name == "reports":
        env.update(HTTP_PORT=str(open311_port(service)),
                   REPORTS_MEDIA_DIR=str(var / "reports-media"))
    return env


def open311_port(reports: Service) -> int:
    """The reports service's HTTP port: its gRPC port + 1000 (8000-style ports
    are often taken on a developer's machine)."""
    return reports.port + 1000


def extra_commands(targets: dict[str, str], var: Path,
                   machine_secrets: dict[str, str]) -> list[Command]:
    """Programs to start once every service serves, given each service's gRPC
    target: with the sensors service, a simulated fleet that registers itself
    and replays the last day at 60×, then goes on live."""
    if "sensors" not in targets:
        return []
    argv = [sys.executable, "-m", "gateway", "simulate", "--sensors-target", targets["sensors"],
            "--identity-target", targets["identity"], "--client-id", GATEWAY_MACHINE,
            "--spool", str(var / "gateway-spool.db"), "--stations", str(FLEET_STATIONS),
            "--cameras", str(FLEET_CAMERAS), "--speed", str(FLEET_SPEED), "--register-fleet",
            "--operator-client-id", FLEET_LOADER]
    secrets_env = {"GATEWAY_CLIENT_SECRET": machine_secrets[GATEWAY_MACHINE],
                   "OPERATOR_CLIENT_SECRET": machine_secrets[FLEET_LOADER]}
    return [Command("gateway", argv, secrets_env)]


def health_status(target: str):
    with grpc.insecure_channel(target) as channel:
        try:
            return health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=""), timeout=1).status
        except grpc.RpcError:
            return None


def wait_until(ready, stop: threading.Event, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while not ready():
        if stop.wait(0.2):
            raise Interrupted()
        if time.monotonic() > deadline:
            raise Failure(f"{what} not ready after {timeout} s")


def wait_serving(service: Service, process: Process, stop: threading.Event):
    def serving():
        if not process.running():
            report_death(process)
            raise Failure(f"{service.name} could not start")
        return health_status(service.target) == health_pb2.HealthCheckResponse.SERVING

    wait_until(serving, stop, SERVING_TIMEOUT_SECONDS, service.name)


def ensure_ports_free(ports: list[int]):
    for port in ports:
        with socket.socket() as sock:
            try:
                sock.bind((HOST, port))
            except OSError:
                raise Failure(f"port {port} is in use: is `make run` running already? "
                              "(or choose other ports with --base-port)") from None


# RabbitMQ ---------------------------------------------------------------------------------
def broker_answers(uri: str) -> bool:
    """A TCP connect and the AMQP handshake, both."""
    try:
        with kombu.Connection(uri, connect_timeout=3) as connection:
            connection.ensure_connection(max_retries=1, interval_start=0, timeout=5)
        return True
    except Exception:
        return False


def without_password(uri: str) -> str:
    parts = urlsplit(uri)
    if parts.password is None:
        return uri
    return urlunsplit(parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@")))


def rabbitmq_program(name: str) -> str | None:
    # Debian's /usr/sbin wrappers switch to the rabbitmq user, who cannot write under var/
    debian = Path("/usr/lib/rabbitmq/bin") / name
    return str(debian) if debian.exists() else shutil.which(name)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def private_rabbitmq_env(base: Path, port: int) -> dict[str, str]:
    """A node of its own: its own name, ports, data and configuration under var/rabbitmq."""
    (base / "rabbitmq.conf").write_text(f"listeners.tcp.1 = {HOST}:{port}\n")
    (base / "enabled_plugins").write_text("[].\n")   # no management plugin on a shared port
    (base / "rabbitmq-env.conf").write_text("")       # ignore the system node's settings
    return {
        **os.environ,
        "RABBITMQ_NODENAME": RABBITMQ_NODE,
        "RABBITMQ_NODE_PORT": str(port),
        "RABBITMQ_DIST_PORT": str(free_port()),
        "RABBITMQ_MNESIA_BASE": str(base / "mnesia"),
        "RABBITMQ_LOG_BASE": str(base / "log"),
        "RABBITMQ_CONFIG_FILE": str(base / "rabbitmq.conf"),
        "RABBITMQ_ENABLED_PLUGINS_FILE": str(base / "enabled_plugins"),
        "RABBITMQ_CONF_ENV_FILE": str(base / "rabbitmq-env.conf"),
    }


@contextlib.contextmanager
def rabbitmq(var: Path, log_dir: Path, stop: threading.Event):
    """Yields (AMQP URI, description): the broker at AMQP_URI, else a private one,
    which is stopped on exit."""
    uri = settings.get("AMQP_URI")
    if broker_answers(uri):
        yield uri, f"{without_password(uri)} (already running)"
        return
    server, ctl = rabbitmq_program("rabbitmq-server"), rabbitmq_program("rabbitmqctl")
    if not (server and ctl):
        raise Failure(INSTALL_RABBITMQ_HINT.format(uri=without_password(uri)))
    say(f"No RabbitMQ answers at {without_password(uri)}: starting a private one ({server})")
    base = var / "rabbitmq"
    base.mkdir(exist_ok=True)
    port = free_port()
    env = private_rabbitmq_env(base, port)
    process = Process("rabbitmq", [server], env, log_dir)
    private_uri = f"amqp://guest:guest@{HOST}:{port}/"
    try:
        def answers():
            if not process.running():
                report_death(process)
                raise Failure("the private RabbitMQ could not start (if an earlier one is still "
                              f"up: rabbitmqctl -n {RABBITMQ_NODE} stop)")
            return broker_answers(private_uri)

        wait_until(answers, stop, RABBITMQ_START_TIMEOUT_SECONDS, "RabbitMQ")
        yield private_uri, f"{without_password(private_uri)} (private node {RABBITMQ_NODE}, " \
                           f"stopped on exit; log {process.log_path})"
    finally:
        with contextlib.suppress(subprocess.TimeoutExpired):   # then SIGTERM stops it
            subprocess.run([ctl, "-n", RABBITMQ_NODE, "stop"], env=env, capture_output=True,
                           timeout=60, check=False)
        stop_processes([process])


# Launch ---------------------------------------------------------------------------------------
def display_path(path: Path) -> str:
    with contextlib.suppress(ValueError):
        return str(path.relative_to(Path.cwd()))
    return str(path)


def client_command(services: list[Service]) -> str:
    """The command-line client, told the targets that are not its defaults."""
    targets = {s.name: s.target for s in services}
    options = [f" --{name} {targets[name]}" for name, default in (
        ("identity", cli.IDENTITY_TARGET), ("sensors", cli.SENSORS_TARGET))
        if targets.get(name, default) != default]
    return ".venv/bin/smartcity" + "".join(options)


def fleet_banner(client: str, gateway: Process | None) -> tuple[list[str], list[str]]:
    """What the banner says of the simulated fleet, and the commands to look at it."""
    if gateway is None:
        return [], []
    about = [f"  Sensors:   {FLEET_STATIONS} stations and {FLEET_CAMERAS} cameras simulated by "
             f"{GATEWAY_MACHINE} (pid {gateway.pid}),",
             f"             the last 24 h at {FLEET_SPEED}×, then live; log "
             f"{display_path(gateway.log_path)}"]
    commands = [
        f"  {client} sensors list                    # the stations and cameras",
        f"  {client} sensors latest tn-aq-001        # a station's latest readings",
        f"  {client} sensors watch --unit 19         # live (signed in as administrator)",
    ]
    return about, commands


def banner(services: list[Service], processes: dict[str, Process], broker: str, var: Path):
    client = client_command(services)
    rows = [f"  {s.name:<12} {s.target:<18} {display_path(processes[s.name].log_path)}"
            f"  (pid {processes[s.name].pid})" for s in services]
    admin_phone = os.environ.get("BOOTSTRAP_ADMIN_PHONE")
    admin = (f"BOOTSTRAP_ADMIN_PHONE={admin_phone}: the first person to confirm this phone "
             "becomes administrator (while there is none)." if admin_phone else
             "No administrator yet: set BOOTSTRAP_ADMIN_PHONE=09xxxxxxxx before `make run` and "
             "the first person to confirm that phone becomes one.")
    fleet_about, fleet_commands = fleet_banner(client, processes.get("gateway"))
    return "\n".join([
        "",
        "smartcity is running. Ctrl-C stops everything.",
        "",
        f"  {'service':<12} {'gRPC endpoint':<18} log",
        *rows,
        "",
        f"  RabbitMQ:  {broker}",
        f"  Data:      {display_path(var)}/ (SQLite event stores; delete it to start afresh)",
        *fleet_about,
        *open311_banner(services),
        "  OTP codes: in identity's log (OTP_SENDER=log)",
        f"  {admin}",
        "",
        "Try:",
        f"  {client} register --full-name 'Nguyễn Văn An' --phone 0912345678 \\",
        "      --national-id 001090123456 --date-of-birth 1990-05-17 --sex male \\",
        "      --home-address '12 Hoàng Văn Thụ' --home-unit-code 05443 --no-password",
        f"  {client} signin-otp 0912345678 CODE      # CODE: the 6 digits in identity's log",
        f"  {client} whoami",
        f"  {client} units 19                        # Thái Nguyên's communes",
        *fleet_commands,
        f"  {client} --help",
        "",
    ])


def open311_banner(services: list[Service]) -> list[str]:
    reports = next((s for s in services if s.name == "reports"), None)
    if reports is None:
        return []
    return [f"  Open311:   http://{HOST}:{open311_port(reports)}/open311/v2/services.json "
            "(GeoReport v2; photos at /media/<sha256>)"]


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--var", default="var", help="folder for data and logs (default: var)")
    parser.add_argument("--base-port", type=int, default=50051,
                        help="gRPC port of the first service (identity); the others follow")
    parser.add_argument("--no-tail", action="store_true",
                        help="do not copy the services' logs to the console")
    return parser.parse_args(argv)


def supervise(fleet: "Fleet", stop: threading.Event) -> int:
    """Waits for Ctrl-C or SIGTERM (0), or for a process to die (1)."""
    while not stop.wait(0.5):
        dead = fleet.first_dead()
        if dead:
            report_death(dead)
            return 1
    say("\nStopping...")
    return 0


def launch(options, stop: threading.Event, cleanup: contextlib.ExitStack) -> int:
    var = Path(options.var).resolve()
    log_dir = var / "log"
    log_dir.mkdir(parents=True, exist_ok=True)
    services = discover_services(options.base_port)
    ensure_ports_free([s.port for s in services])
    amqp_uri, broker = cleanup.enter_context(rabbitmq(var, log_dir, stop))
    machine_secrets = load_machine_secrets(var / "local-secrets.json", machine_names(services))
    fleet = Fleet(log_dir, tail_logs=not options.no_tail)
    cleanup.callback(fleet.stop)
    for service in services:
        fleet.start(service.name, [sys.executable, "-m", "kit.runner", service.path],
                    service_env(service, services[0].target, amqp_uri, var, machine_secrets))
    for service in services:
        wait_serving(service, fleet.processes[service.name], stop)
    for command in extra_commands({s.name: s.target for s in services}, var, machine_secrets):
        fleet.start(command.name, command.argv, {**os.environ, **command.env})
    say(banner(services, fleet.processes, broker, var))
    return supervise(fleet, stop)


def main(argv=None) -> int:
    options = parse_args(argv)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    with contextlib.ExitStack() as cleanup:
        try:
            code = launch(options, stop, cleanup)
        except Interrupted:
            say("\nStopping...")
            code = 0
        except Failure as failure:
            print(f"error: {failure}", file=sys.stderr, flush=True)
            code = 1
    say("Stopped.")
    return code


if __name__ == "__main__":
    sys.exit(main())
