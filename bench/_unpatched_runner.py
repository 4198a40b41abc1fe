"""Runs a service like `python -m kit.runner`, but with nameko-grpc 1.3.0 as
released: the baseline that bench_grpc_unary.py compares kit.grpc.patch with.

    python bench/_unpatched_runner.py identity.service:IdentityService

kit.grpc.patch replaces nameko-grpc's connection managers and deadline
watchers when it is imported and keeps no copy, so the originals are saved
before it is imported and put back after.
"""
import os
import warnings

# as kit.runner does, before anything imports socket or threading
warnings.filterwarnings("ignore", message="\\s*Eventlet is deprecated")
os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_select")

import eventlet  # noqa: E402

eventlet.monkey_patch()

from nameko_grpc import channel, client, entrypoint  # noqa: E402

ORIGINALS = (
    (channel, "ClientConnectionManager", channel.ClientConnectionManager),
    (channel, "ServerConnectionManager", channel.ServerConnectionManager),
    (entrypoint.GrpcServer, "timeout", entrypoint.GrpcServer.timeout),
    (client.ClientBase, "timeout", client.ClientBase.timeout),
)

import kit.grpc.patch  # noqa: E402, F401  (applies the fixes: undone just below)

for owner, name, original in ORIGINALS:
    setattr(owner, name, original)

from kit import runner  # noqa: E402

if __name__ == "__main__":
    runner.main()
