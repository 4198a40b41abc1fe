"""Personal notifications: marketplace order events on RabbitMQ → the people's
inboxes in the alerts service.

    .venv/bin/python bench/bench_notifications.py [--burst N] [--rate R] [--steady M]
        [--sellers S]

Starts identity and ONE alerts service process on a throw-away PostgreSQL
database and RabbitMQ vhost, then publishes OrderPlaced envelopes as the
marketplace's relay publishes them (exchange marketplace.events, routing key
= type name), each naming two members of one of S sellers (default 200, so
inboxes fill up as a busy seller's would):

1. burst: N events (default 3,000) at once, a flash sale's worth, to find
   how many events a second the alerts process applies (one at a time per
   source, in arrival order: kit.messaging.IntegrationEventHandler);
2. steady: M events (default 1,000) at R a second (default 50, far above a
   province's order rate), for the delay from publishing to the notifications
   being stored.

A notification is stored when the transaction that writes it (and the
event's processed record) commits; the delay is taken from that record's
`processed_at` (PostgreSQL's clock, the same machine's) minus the publishing
time. No target: the figures say how far behind a burst leaves the inboxes.
"""
import argparse
import contextlib
import random
import time
import uuid

import psycopg
from kombu import Connection, Exchange, Producer

from _common import CpuMeter, IDENTITY, harness, infrastructure, percentile, pids_of, running
from bench_alerts import ALERTS, CHEAP_HASH, LOOPBACK, envelope
from kit import envelopes
from smartcity.events.v1 import marketplace_pb2 as marketplace_events

SETTLE_TIMEOUT = 300        # seconds for the alerts process to apply everything


@contextlib.contextmanager
def alerts_running(infra):
    with contextlib.ExitStack() as stack:
        identity_env = infra.identity_env("identity", **CHEAP_HASH, **LOOPBACK)
        identity = stack.enter_context(running(harness.ServiceProcess(
            IDENTITY, identity_env, infra.log_path("identity"))))
        alerts_env = infra.service_env("alerts", IDENTITY_GRPC_TARGET=identity.target,
                                       **LOOPBACK)
        yield stack.enter_context(running(harness.ServiceProcess(
            ALERTS, alerts_env, infra.log_path("alerts"))))


def order_placed(sellers: list[list[str]], rng: random.Random):
    return marketplace_events.OrderPlaced(
        order_id=str(uuid.uuid4()), buyer_id=str(uuid.uuid4()), seller_id=str(uuid.uuid4()),
        total_vnd=rng.randrange(50, 5_000) * 1_000, payment_method="cod",
        seller_member_ids=rng.choice(sellers))


def publish(amqp_uri: str, payloads: list, rate: float | None) -> dict[str, float]:
    """Publishes at `rate` a second (None: as fast as possible); event id → epoch sent."""
    exchange = Exchange("marketplace.events", type="topic", durable=True)
    sent = {}
    with Connection(amqp_uri) as connection:
        producer = Producer(connection)
        start = time.monotonic()
        for number, payload in enumerate(payloads):
            if rate:
                time.sleep(max(start + number / rate - time.monotonic(), 0))
            event_id = str(uuid.uuid4())
            body = envelope(payload, source="marketplace", event_id=event_id)
            sent[event_id] = time.time()
            producer.publish(body, exchange=exchange, routing_key=type(payload).__name__,
                             content_type=envelopes.CONTENT_TYPE, content_encoding="binary",
                             delivery_mode=2, declare=[])
    return sent


def applied(alerts: harness.ServiceProcess, sent: dict[str, float]) -> dict[str, float]:
    """Waits until every sent event is processed; event id → epoch processed."""
    dsn, schema = alerts.env["EVENT_STORE_URL"].split("?schema=")
    query = (f'SELECT event_id, extract(epoch FROM processed_at) FROM "{schema}".'
             "alertsapplication_processed WHERE event_id = ANY(%s)")
    ids = list(sent)
    with psycopg.connect(dsn, autocommit=True) as sql:
        def done():
            rows = dict(sql.execute(query, (ids,)).fetchall())
            return rows if len(rows) == len(ids) else None
        return harness.wait_for(done, timeout=SETTLE_TIMEOUT, interval=0.2,
                                message="the alerts process to apply every event")


def delays_ms(sent: dict[str, float], processed: dict[str, float]) -> list[float]:
    return sorted(max(float(processed[event_id]) - at, 0) * 1e3
                  for event_id, at in sent.items())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--burst", type=int, default=3_000, help="events published at once")
    parser.add_argument("--steady", type=int, default=1_000, help="events published paced")
    parser.add_argument("--rate", type=float, default=50.0, help="paced events a second")
    parser.add_argument("--sellers", type=int, default=200, help="sellers, two members each")
    args = parser.parse_args()
    rng = random.Random(7)
    sellers = [[str(uuid.uuid4()), str(uuid.uuid4())] for _ in range(args.sellers)]
    with infrastructure() as infra, alerts_running(infra) as alerts:
        meter = CpuMeter({"alerts": [alerts.process.pid],
                          "postgres": pids_of("postgres", infra.database),
                          "rabbitmq": pids_of("beam.smp")})
        begin = meter.mark()
        burst = publish(infra.amqp_uri, [order_placed(sellers, rng) for _ in
                                         range(args.burst)], None)
        processed = applied(alerts, burst)
        cores = CpuMeter.cores(begin, meter.mark())
        elapsed = max(map(float, processed.values())) - min(burst.values())
        print(f"burst: {args.burst:,} OrderPlaced published at once, every one applied "
              f"{elapsed:.1f} s after the first was sent")
        print(f"  {args.burst / elapsed:,.1f} events/s, {2 * args.burst / elapsed:,.1f} "
              "notifications/s stored (two seller members each)")
        print("  cores busy: " + ", ".join(f"{name} {used:.2f}" for name, used in cores.items()))
        steady = publish(infra.amqp_uri, [order_placed(sellers, rng) for _ in
                                          range(args.steady)], args.rate)
        delays = delays_ms(steady, applied(alerts, steady))
        print(f"steady: {args.steady:,} OrderPlaced at {args.rate:.0f}/s, publish → stored: "
              f"p50 {percentile(delays, 0.5):.1f} ms, p99 {percentile(delays, 0.99):.1f} ms, "
              f"max {delays[-1]:.1f} ms")


if __name__ == "__main__":
    main()
