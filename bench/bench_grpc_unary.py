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
import os
import subprocess
import sys

from _common import (
    IDENTITY, ROOT, Load, harness, infrastructure, latency_summary, percentile, run_clients,
    running,
)
from kit.client import metadata
from smartcity.identity.v1 import identity_pb2 as pb

TARGET_P50_MS = 3.0
WARM_UP_CALLS = 200
CALL_TIMEOUT_SECONDS = 5   # sent as grpc-timeout: the server watches the deadline, as in production
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


def get_public_keys(stub, _number):
    stub.GetPublicKeys(REQUEST, metadata=metadata(), timeout=CALL_TIMEOUT_SECONDS)


def report(label: str, load: Load) -> None:
    print(f"{label:<52} {len(load.times):>5} calls, {load.per_second:>7,.0f} calls/s, "
          f"{latency_summary(load.times)}{load.failure_note}")


def measure(service, label: str, calls: int, clients: int, concurrent_calls: int) -> float:
    """Runs both loads against a started service; returns the sequential p50 in ms."""
    sequential = run_clients(service.target, 1, calls, get_public_keys, warm_up=WARM_UP_CALLS)
    report(f"{label}, sequential", sequential)
    report(f"{label}, {clients} concurrent clients",
           run_clients(service.target, clients, concurrent_calls, get_public_keys, warm_up=5))
    return percentile(sorted(sequential.times), 0.5) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2_000, help="sequential calls (default 2000)")
    parser.add_argument("--baseline-calls", type=int, default=500,
                        help="sequential calls without the patch (default 500)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients (default 16)")
    parser.add_argument("--concurrent-calls", type=int, default=4_000,
                        help="calls shared by the concurrent clients (default 4000; a quarter "
                             "without the patch)")
    parser.add_argument("--quick", action="store_true", help="a few hundred calls of each kind")
    args = parser.parse_args()
    if args.quick:
        args.calls, args.baseline_calls, args.concurrent_calls = 300, 100, 800

    print(f"identity GetPublicKeys over loopback, {os.cpu_count()} cores for client and server")
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
