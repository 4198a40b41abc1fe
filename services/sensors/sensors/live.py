"""The IOC's live view across replicas.

A reading arrives at whichever replica holds its gateway's stream, while an
operator's Watch may be connected to any replica. So each replica publishes
its accepted batches to a fanout exchange, and every replica consumes them
all through a queue of its own and hands each reading to its local watchers.
Nobody watches most of the time, so batches are published only while some
replica has watchers: each such replica announces it on a second fanout
exchange when its first watcher comes and every few seconds after, and the
others publish until the announcements lapse. Transient by design: a live
view shows what is happening now; history is read from the time-series store.
"""
import time
import uuid

from eventlet.queue import Full, LightQueue
from kombu import Exchange, Queue
from nameko import config
from nameko.amqp.publish import Publisher
from nameko.extensions import DependencyProvider

from kit.messaging import SERIALIZER

LIVE_EXCHANGE = Exchange("sensors.live", type="fanout", durable=False)
WATCHERS_EXCHANGE = Exchange("sensors.live.watchers", type="fanout", durable=False)
SUBSCRIBER_BUFFER = 10_000
ANNOUNCE_SECONDS = 2       # how often a replica with watchers says so
LAPSE_SECONDS = 5          # silence after which nobody is taken to watch


def replica_queue(exchange: Exchange) -> Queue:
    """This process's own queue on a fanout exchange, gone when the process is."""
    return Queue(f"{exchange.name}.{uuid.uuid4().hex}", exchange=exchange, exclusive=True,
                 auto_delete=True, durable=False)


class Subscription:
    def __init__(self, hub, wants):
        self.hub = hub
        self.wants = wants
        self.queue = LightQueue(SUBSCRIBER_BUFFER)
        self.dropped = 0

    def offer(self, reading):
        try:
            self.queue.put_nowait(reading)
        except Full:
            self.dropped += 1   # a watcher that cannot keep up loses readings, not the service

    def close(self):
        self.hub.subscriptions.discard(self)


class Hub:
    """`on_first()` is called when a watcher comes to a hub that had none."""

    def __init__(self, on_first=lambda: None):
        self.subscriptions = set()
        self.on_first = on_first

    def subscribe(self, wants) -> Subscription:
        subscription = Subscription(self, wants)
        self.subscriptions.add(subscription)
        if len(self.subscriptions) == 1:
            self.on_first()
        return subscription

    def deliver(self, readings):
        for subscription in list(self.subscriptions):
            for reading in readings:
                if subscription.wants(reading):
                    subscription.offer(reading)


class Live(DependencyProvider):
    """The local hub, and publishing accepted batches to every replica while
    some replica has watchers."""

    def setup(self):
        self.hub = Hub(on_first=self.announce)
        self.watched_until = 0.0
        self.publisher = Publisher(config["AMQP_URI"], serializer=SERIALIZER,
                                   declare=[LIVE_EXCHANGE, WATCHERS_EXCHANGE], use_confirms=False)

    def get_dependency(self, worker_ctx):
        return self

    def announce(self):
        """Tells every replica (this one too) that watchers are here."""
        if self.hub.subscriptions:
            self.publisher.publish(b"", exchange=WATCHERS_EXCHANGE, routing_key="",
                                   delivery_mode=1)

    def watchers_announced(self):
        self.watched_until = time.monotonic() + LAPSE_SECONDS

    def publish(self, batch):
        if time.monotonic() < self.watched_until:
            self.publisher.publish(batch.SerializeToString(), exchange=LIVE_EXCHANGE,
                                   routing_key="", delivery_mode=1)
