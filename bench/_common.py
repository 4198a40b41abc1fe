"""What the service benchmarks share: a throw-away PostgreSQL database and
RabbitMQ vhost, identity processes configured against them, grpcio client
threads that time their calls, and percentiles.
"""
import collections
import contextlib
import itertools
import os
import sys
import tempfile
import threading
import time
from dataclasses import dataclass

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))

import grpc  # noqa: E402
import harness  # noqa: E402
from smartcity.identity.v1 import identity_pb2_grpc  # noqa: E402

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

    def service_env(self, schema: str, **overrides) -> dict:
        """What every service process needs: a free port, the vhost and its own schema."""
        env = {
            "GRPC_PORT": str(harness.free_port()),
            "AMQP_URI": self.amqp_uri,
            "EVENT_STORE_URL": self.store_url(schema),
        }
        env.update(overrides)
        return env

    def identity_env(self, schema: str, **overrides) -> dict:
        """An identity process's settings, like the test fixtures', on its own schema."""
        identity = {
            "OTP_SENDER": "file",
            "OTP_OUTBOX_FILE": os.path.join(self.scratch, "otp-outbox.jsonl"),
            "JWT_SIGNING_KEYS_FILE": os.path.join(self.scratch, "signing-keys.json"),
        }
        return self.service_env(schema, **{**identity, **overrides})

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


def connect(target: str) -> grpc.Channel:
    # a local subchannel pool: each client gets its own TCP connection, as
    # separate client processes would, instead of grpcio sharing one
    return grpc.insecure_channel(target, options=[("grpc.use_local_subchannel_pool", 1)])


@contextlib.contextmanager
def running(service: harness.ServiceProcess):
    """Starts the service, waits until it serves, and stops it afterwards."""
    try:
        service.start()
        yield service
    finally:
        service.stop()


@dataclass(frozen=True)
class Load:
    elapsed: float                  # seconds from the start line to the last answer
    times: list[float]              # seconds per successful call
    failures: collections.Counter   # status code name -> calls that failed with it

    @property
    def per_second(self) -> float:
        return len(self.times) / self.elapsed

    @property
    def failure_note(self) -> str:
        if not self.failures:
            return ""
        return f", {sum(self.failures.values())} failed {dict(self.failures)}"


def run_clients(target: str, clients: int, calls: int, call, warm_up: int = 0) -> Load:
    """Identity clients in threads, each on its own connection, making `calls`
    calls between them after `warm_up` unmeasured calls each.

    `call(stub, number)` makes one call; no two calls get the same number.
    """
    start_line = threading.Barrier(clients + 1)
    times, failures = [], []

    def client(index: int):
        numbers = itertools.count(index, clients)
        share = calls // clients + (index < calls % clients)
        with connect(target) as channel:
            stub = identity_pb2_grpc.IdentityStub(channel)
            try:
                for _ in range(warm_up):
                    call(stub, next(numbers))
            except BaseException:
                start_line.abort()   # the others would wait for this thread forever
                raise
            start_line.wait()
            own_times, own_failures = measured_calls(stub, call, numbers, share)
        times.extend(own_times)
        failures.extend(own_failures)

    threads = [threading.Thread(target=client, args=(index,)) for index in range(clients)]
    for thread in threads:
        thread.start()
    start_line.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return Load(time.perf_counter() - started, times, collections.Counter(failures))


def measured_calls(stub, call, numbers, count: int) -> tuple[list[float], list[str]]:
    times, failures = [], []
    clock = time.perf_counter
    for _ in range(count):
        started = clock()
        try:
            call(stub, next(numbers))
        except grpc.RpcError as error:
            failures.append(error.code().name)
            continue
        times.append(clock() - started)
    return times, failures


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of values sorted ascending."""
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * fraction))]


def latency_summary(seconds: list[float]) -> str:
    if not seconds:
        return "no call succeeded"
    millis = sorted(value * 1e3 for value in seconds)
    return (f"p50 {percentile(millis, 0.50):.2f} ms, p90 {percentile(millis, 0.90):.2f} ms, "
            f"p99 {percentile(millis, 0.99):.2f} ms, max {millis[-1]:.2f} ms")


# Linux process figures -----------------------------------------------------------
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def rss_mib(pid: int) -> float:
    """Resident memory of a process now (VmRSS), MiB."""
    with open(f"/proc/{pid}/status") as status:
        for entry in status:
            if entry.startswith("VmRSS:"):
                return int(entry.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    """CPU time a process (all its threads) has used, user and system."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rpartition(")")[2].split()   # after the command, which may hold spaces
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def pids_of(command: str, title_part: str = "") -> list[int]:
    """Processes whose command name (/proc/<pid>/comm) is `command` and whose
    command line holds `title_part`: PostgreSQL puts the database a backend
    serves in its process title."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError):
                with open(f"/proc/{entry}/comm") as comm, open(f"/proc/{entry}/cmdline") as title:
                    if comm.read().strip() == command and title_part in title.read():
                        pids.append(int(entry))
    return pids


def machine_busy_seconds() -> float:
    """CPU seconds every core together has spent busy since boot."""
    with open("/proc/stat") as stat:
        user, nice, system, _idle, _iowait, irq, softirq = map(int, stat.readline().split()[1:8])
    return (user + nice + system + irq + softirq) / CLOCK_TICKS   # guest time is within user


class CpuMeter:
    """CPU used by groups of processes, and by the whole machine, between two
    marks; a process that comes or goes in between (a PostgreSQL backend)
    does not count."""

    def __init__(self, groups: dict[str, list[int]]):
        self.groups = groups

    def mark(self) -> dict:
        used = {name: self.used(pids) for name, pids in self.groups.items()}
        return {"groups": used, "machine": machine_busy_seconds(), "wall": time.monotonic()}

    @staticmethod
    def used(pids) -> dict[int, float]:
        seconds = {}
        for pid in pids:
            with contextlib.suppress(OSError):
                seconds[pid] = cpu_seconds(pid)
        return seconds

    @staticmethod
    def cores(begin: dict, end: dict) -> dict[str, float]:
        """Cores busy on average (1.0 = one core all the time), per group and "machine"."""
        wall = end["wall"] - begin["wall"]
        cores = {name: sum(end["groups"][name][pid] - seconds for pid, seconds in pids.items()
                           if pid in end["groups"][name]) / wall
                 for name, pids in begin["groups"].items()}
        cores["machine"] = (end["machine"] - begin["machine"]) / wall
        return cores
