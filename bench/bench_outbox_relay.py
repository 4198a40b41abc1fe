"""Outbox relay throughput: stored events to RabbitMQ with publisher confirms.

    .venv/bin/python bench/bench_outbox_relay.py [--events N] [--quick]

Writes N citizen registrations into a fresh identity store (PostgreSQL, in a
throw-away database and RabbitMQ vhost) from this process, binds a durable
queue to identity.events, then starts the identity service: its relay finds
the N events waiting and publishes them from position 0. Counts what arrives
on the queue, checks every event id arrived exactly once, and prints events/s
from the first message to the last, and the target.
"""
import argparse
import collections
import os
import socket
import sys
import time

from kombu import Connection, Queue
from nameko.standalone.events import get_event_exchange

from _common import IDENTITY, harness, infrastructure
from identity import integration
from identity.dependencies import build_application
from identity.domainmodel import Person
from kit import envelopes
from kit.eventstore import persistence_env

TARGET_PER_SECOND = 1_000
SAVE_BATCH = 500
QUEUE_NAME = "bench-outbox-relay"
DUPLICATE_GRACE_SECONDS = 1.0   # keep listening after the last expected event


def citizen(number: int) -> Person:
    return Person(
        full_name="Nguyễn Văn An", phone=f"+84912{number:06d}", national_id=f"001090{number:06d}",
        date_of_birth="1990-05-17", sex="male", home_address="12 Hoàng Văn Thụ",
        home_unit_code="05443", password_hash="", registered_at=time.time())


def expected_event_id(domain_event) -> str:
    """The id the relay will give the event's envelope (its position plays no part)."""
    payload = integration.translate(domain_event, load=None)
    return envelopes.envelope_for("identity", 0, domain_event, payload).event_id


def store_registrations(count: int) -> set[str]:
    """Saves `count` new citizens; returns the event ids their registrations will carry."""
    app = build_application(persistence_env("identity"))
    expected = set()
    try:
        for start in range(0, count, SAVE_BATCH):
            citizens = [citizen(number) for number in range(start, min(count, start + SAVE_BATCH))]
            expected.update(expected_event_id(person.pending_events[0]) for person in citizens)
            app.save(*citizens)
    finally:
        app.close()
    return expected


class Arrivals:
    """Event ids seen on the queue, and when the first and last came."""

    def __init__(self):
        self.counts = collections.Counter()
        self.first = self.last = None

    def on_message(self, message):
        self.last = time.perf_counter()
        self.first = self.first or self.last
        self.counts[envelopes.decode(message.body).event_id] += 1


def receive(connection, queue, service, expected: set[str], timeout: float) -> Arrivals:
    """Consumes until every expected id has come (then a little longer) or time runs out."""
    arrivals = Arrivals()
    deadline = time.monotonic() + timeout
    with connection.Consumer(queue, on_message=arrivals.on_message, no_ack=True):
        while len(arrivals.counts) < len(expected) and time.monotonic() < deadline:
            drain(connection, 1.0)
            if service.process.poll() is not None:
                sys.exit(f"identity exited:\n{service.log_tail()}")
        grace_ends = time.monotonic() + DUPLICATE_GRACE_SECONDS
        while time.monotonic() < grace_ends:
            drain(connection, grace_ends - time.monotonic())
    return arrivals


def drain(connection, seconds: float) -> None:
    try:
        connection.drain_events(timeout=max(seconds, 0.01))
    except socket.timeout:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5_000, help="events to relay (default 5000)")
    parser.add_argument("--quick", action="store_true", help="1000 events")
    args = parser.parse_args()
    count = 1_000 if args.quick else args.events

    with infrastructure() as infra:
        env = infra.identity_env("identity_relay")
        os.environ.update(env, SERVICE_NAME="identity")   # build_application reads the settings
        expected = store_registrations(count)
        with Connection(infra.amqp_uri) as connection:
            queue = Queue(QUEUE_NAME, exchange=get_event_exchange("identity"), routing_key="#",
                          durable=True)   # durable like consumers' queues: confirms wait for disk
            queue(connection.default_channel).declare()
            service = harness.ServiceProcess(IDENTITY, env, infra.log_path("identity-relay"))
            started = time.perf_counter()
            service.start(wait=False)   # the relay publishes while the process starts up
            try:
                arrivals = receive(connection, queue, service, expected, timeout=30 + count / 200)
            finally:
                service.stop()

    report(count, expected, arrivals, started)


def report(count: int, expected: set[str], arrivals: Arrivals, started: float) -> None:
    received = set(arrivals.counts)
    missing, unexpected = expected - received, received - expected
    duplicates = sum(n - 1 for n in arrivals.counts.values())
    print(f"events stored:   {count} CitizenRegistered, before the service started")
    print(f"received:        {len(received & expected)} of them, {duplicates} duplicate copies, "
          f"{len(missing)} missing, {len(unexpected)} unexpected")
    if missing or unexpected or arrivals.first is None:
        sys.exit("relay lost or invented events: no throughput figure")
    span = arrivals.last - arrivals.first
    per_second = count / span
    verdict = "PASS" if per_second >= TARGET_PER_SECOND else "BELOW"
    print(f"first message:   {arrivals.first - started:.2f} s after the process was started")
    print(f"first to last:   {span:.2f} s")
    print(f"events/s:        {per_second:,.0f} (persistent, confirmed, durable queue)")
    print(f"target:          >= {TARGET_PER_SECOND:,} events/s -> {verdict}")


if __name__ == "__main__":
    main()
