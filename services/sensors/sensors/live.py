"""The IOC's live view across replicas.

A reading arrives at whichever replica holds its gateway's stream, while an
operator's Watch may be connected to any replica. So each replica publishes
its accepted batches to a fanout exchange, and every replica consumes them
all through a queue of its own and hands each reading to its local watchers.
Transient by design: a live view shows what is happening now; history is
read from the time-series store.
"""
import uuid

from eventlet.queue import Full, LightQueue
from kombu import Exchange, Queue
from nameko import config
from nameko.amqp.publish import Publisher
from nameko.extensions import DependencyProvider

from kit.messaging import SERIALIZER

LIVE_EXCHANGE = Exchange("sensors.live", type="fanout", durable=False)
SUBSCRIBER_BUFFER = 10_000


def replica_queue() -> Queue:
    """This process's own queue, gone when the process is."""
    return Queue(f"sensors.live.{uuid.uuid4().hex}", exchange=LIVE_EXCHANGE, exclusive=True,
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
    def __init__(self):
        self.subscriptions = set()

    def subscribe(self, wants) -> Subscription:
        subscription = Subscription(self, wants)
        self.subscriptions.add(subscription)
        return subscription

    def deliver(self, readings):
        for subscription in list(self.subscriptions):
            for reading in readings:
                if subscription.wants(reading):
                    subscription.offer(reading)


class Live(DependencyProvider):
    """The local hub, and publishing accepted batches to every replica."""

    def setup(self):
        self.hub = Hub()
        self.publisher = Publisher(config["AMQP_URI"], serializer=SERIALIZER,
                                   declare=[LIVE_EXCHANGE], use_confirms=False)

    def get_dependency(self, worker_ctx):
        return self

    def publish(self, batch):
        self.publisher.publish(batch.SerializeToString(), exchange=LIVE_EXCHANGE,
                               routing_key="", delivery_mode=1)
