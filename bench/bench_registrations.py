"""Citizen registrations per second through the gRPC API, PostgreSQL store.

    .venv/bin/python bench/bench_registrations.py [--clients C] [--count N] [--quick]

C grpcio client threads (default 16), each on its own connection, register N
unique citizens between them (default 1000) against a fresh identity process
(in a throw-away database and RabbitMQ vhost). Two runs, each on a new store:
without a password, and with one hashed at the production argon2id cost.
Prints registrations/s and per-registration latency; the issue sets no target.
"""
import argparse

from _common import IDENTITY, harness, infrastructure, latency_summary, run_clients, running
from kit.client import metadata
from smartcity.identity.v1 import identity_pb2 as pb

PRODUCTION_HASH_COST = {"PASSWORD_HASH_MEMORY_KIB": "19456", "PASSWORD_HASH_TIME_COST": "2"}
CALL_TIMEOUT_SECONDS = 60   # argon2id under load queues for a long time
WARM_UP_CALLS = 2           # per client: connects, fills the store's connection pool


def registrar(password: str):
    """call(stub, number) registering citizen `number`: a male born in 1990."""

    def register(stub, number):
        request = pb.RegisterCitizenRequest(
            full_name="Nguyễn Văn An", phone=f"0912{number:06d}",
            national_id=f"001090{number:06d}", date_of_birth="1990-05-17", sex="male",
            home_address="12 Hoàng Văn Thụ", home_unit_code="05443", password=password)
        stub.RegisterCitizen(request, metadata=metadata(), timeout=CALL_TIMEOUT_SECONDS)

    return register


def registration_run(infra, label: str, schema: str, register, clients: int, count: int):
    env = infra.identity_env(schema, **PRODUCTION_HASH_COST)
    service = harness.ServiceProcess(IDENTITY, env, infra.log_path(schema))
    with running(service):
        load = run_clients(service.target, clients, count, register, warm_up=WARM_UP_CALLS)
    print(f"{label:<36} {len(load.times):>5} registered, {load.per_second:>6,.1f}/s, "
          f"{latency_summary(load.times)}{load.failure_note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16, help="client threads (default 16)")
    parser.add_argument("--count", type=int, default=1_000,
                        help="registrations per run (default 1000)")
    parser.add_argument("--quick", action="store_true", help="200 registrations per run")
    args = parser.parse_args()
    count = 200 if args.quick else args.count

    print(f"RegisterCitizen, {args.clients} concurrent clients, PostgreSQL store")
    with infrastructure() as infra:
        registration_run(infra, "without password", "identity_nopassword",
                         registrar(""), args.clients, count)
        registration_run(infra, "with password (argon2id 19 MiB, t=2)", "identity_password",
                         registrar("matkhau123"), args.clients, count)


if __name__ == "__main__":
    main()
