"""gRPC unary latency on loopback, with kit.grpc.patch and without it.

    .venv/bin/python bench/bench_grpc_unary.py [--quick]

Starts an identity service process (PostgreSQL store, in a throw-away
database and RabbitMQ vhost) and calls GetPublicKeys, which touches no store:
after a warm-up, N sequential calls from one grpcio client, then a concurrent
run of 16 client threads with a connection each. Then the same against an
identity process running nameko-grpc as released (bench/_unpatched_runner.py),
with fewer calls because each costs about ten times as much. Prints the
latency percentiles, calls/s, the ratio of the two, and the target.
"""
import argparse
import contextlib
import os
import subprocess
import sys
import threading
import time

import grpc

from _common import IDENTITY, ROOT, harness, infrastructure, latency_summary, percentile, running
from kit.client import metadata
from smartcity.identity.v1 import identity_pb2 as pb
from smartcity.identity.v1 import identity_pb2_grpc

TARGET_P50_MS = 3.0
WARM_UP_CALLS = 200
CALL_TIMEOUT_SECONDS = 5   # sent as grpc-timeout, so the server's deadline watcher runs as in production
UNPATCHED_RUNNER = os.path.join(ROOT, "bench", "_unpatched_runner.py")
REQUEST = pb.GetPublicKeysRequest()


class UnpatchedService(harness.ServiceProcess):
    """A service process started through bench/_unpatched_runner.py."""

    def start(self, wait=True):
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, UNPATCHED_RUNNER, self.service_path], cwd=self.cwd,
            env={**os.environ, **self.env}, stdout=log, stderr=subprocess.STDOUT)
        if wait:
            self.wait_healthy()
        return self


def connect(target: str) -> grpc.Channel:
    # a local subchannel pool: each client gets its own TCP connection, as
    # separate client processes would, instead of grpcio sharing one
    return grpc.insecure_channel(target, options=[("grpc.use_local_subchannel_pool", 1)])


def call_times(stub, count: int) -> list[float]:
    times = []
    clock = time.perf_counter
    for _ in range(count):
        started = clock()
        stub.GetPublicKeys(REQUEST, metadata=metadata(), timeout=CALL_TIMEOUT_SECONDS)
        times.append(clock() - started)
    return times


def sequential_run(target: str, calls: int) -> tuple[float, list[float]]:
    """(elapsed seconds, per-call seconds) of one client calling in a loop."""
    with connect(target) as channel:
        stub = identity_pb2_grpc.IdentityStub(channel)
        call_times(stub, WARM_UP_CALLS)
        started = time.perf_counter()
        times = call_times(stub, calls)
        return time.perf_counter() - started, times


def concurrent_run(target: str, clients: int, calls: int) -> tuple[float, list[float]]:
    """(elapsed seconds, per-call seconds) of `clients` threads sharing `calls`."""
    with contextlib.ExitStack() as channels:
        stubs = [identity_pb2_grpc.IdentityStub(channels.enter_context(connect(target)))
                 for _ in range(clients)]
        for stub in stubs:
            call_times(stub, 5)   # connect outside the measurement
        times: list[float] = []
        start_line = threading.Barrier(clients + 1)

        def client(stub):
            start_line.wait()
            times.extend(call_times(stub, calls // clients))

        threads = [threading.Thread(target=client, args=(stub,)) for stub in stubs]
        for thread in threads:
            thread.start()
        start_line.wait()
        started = time.perf_counter()
        for thread in threads:
            thread.join()
        return time.perf_counter() - started, times


def report(label: str, elapsed: float, times: list[float]) -> None:
    print(f"{label:<52} {len(times):>5} calls, {len(times) / elapsed:>7,.0f} calls/s, "
          f"{latency_summary(times)}")


def measure(service, label: str, calls: int, clients: int, concurrent_calls: int) -> float:
    """Runs both loads against a started service; returns the sequential p50 in ms."""
    elapsed, times = sequential_run(service.target, calls)
    report(f"{label}, sequential", elapsed, times)
    report(f"{label}, {clients} concurrent clients",
           *concurrent_run(service.target, clients, concurrent_calls))
    return percentile(sorted(times), 0.5) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2_000, help="sequential calls (default 2000)")
    parser.add_argument("--baseline-calls", type=int, default=500,
                        help="sequential calls without the patch (default 500)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients (default 16)")
    parser.add_argument("--concurrent-calls", type=int, default=4_000,
                        help="calls shared by the concurrent clients (default 4000)")
    parser.add_argument("--quick", action="store_true", help="a few hundred calls of each kind")
    args = parser.parse_args()
    if args.quick:
        args.calls, args.baseline_calls, args.concurrent_calls = 300, 100, 800

    print(f"identity GetPublicKeys over loopback ({os.cpu_count()} cores shared by client and server)")
    with infrastructure() as infra:
        patched = harness.ServiceProcess(IDENTITY, infra.identity_env("identity_patched"),
                                         infra.log_path("identity-patched"))
        with running(patched):
            patched_p50 = measure(patched, "kit.grpc.patch", args.calls, args.clients,
                                  args.concurrent_calls)
        unpatched = UnpatchedService(IDENTITY, infra.identity_env("identity_unpatched"),
                                     infra.log_path("identity-unpatched"))
        with running(unpatched):
            unpatched_p50 = measure(unpatched, "nameko-grpc 1.3.0 as released",
                                    args.baseline_calls, args.clients, args.concurrent_calls // 4)

    verdict = "PASS" if patched_p50 <= TARGET_P50_MS else "BELOW"
    print(f"sequential p50 ratio: {unpatched_p50 / patched_p50:.1f}x slower without the patch")
    print(f"target: sequential p50 <= {TARGET_P50_MS:.0f} ms -> {patched_p50:.2f} ms {verdict}")


if __name__ == "__main__":
    main()
