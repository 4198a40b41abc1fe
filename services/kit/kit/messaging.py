"""RabbitMQ adapters: the relay's confirming publisher and the consumer
entrypoint for integration events.

Events go to the source service's topic exchange (`<source>.events`, as
nameko names it) with the payload's short type name as routing key. Each
consuming service has one durable queue per source (`evt-<source>--<service>`),
so events from one source arrive in order, are applied in that order, and
survive the consumer being down.
"""
import logging
import time

import amqp
import eventlet
import eventlet.event
import eventlet.queue
from kombu import Connection, Queue
from nameko import config
from nameko.constants import PERSISTENT
from nameko.events import EventHandler
from nameko.exceptions import ContainerBeingKilled
from nameko.messaging import Consumer
from nameko.standalone.events import get_event_exchange

from kit import envelopes
from kit.context import CORRELATION_HEADER
from kit.logs import fields

log = logging.getLogger(__name__)

SERIALIZER = "protobuf"
SERIALIZER_CONFIG = {
    SERIALIZER: {
        "encoder": "kit.envelopes.passthrough",
        "decoder": "kit.envelopes.passthrough",
        "content_type": envelopes.CONTENT_TYPE,
        "content_encoding": "binary",
    }
}

CONFIRM_TIMEOUT_SECONDS = 10.0

# A failing handler's message goes back to the queue after this pause, so a
# database outage does not spin the consumer.
REQUEUE_DELAY_SECONDS = 1.0


class ConfirmingPublisher:
    """`publish(envelopes)` publishes a batch to the service's event exchange
    and returns once RabbitMQ has confirmed every message: one wait for the
    batch, not one per message (awaiting each confirm cuts throughput ~3×).
    Messages go out with the AMQP channel's basic_publish: kombu's Producer
    spends more CPU preparing a message than the relay spends on the rest.
    Any failure drops the connection and raises; the caller publishes the
    batch again, and consumers drop what they already have by event id."""

    def __init__(self, service: str, amqp_uri: str | None = None,
                 confirm_timeout: float = CONFIRM_TIMEOUT_SECONDS):
        self.exchange = get_event_exchange(service)
        self.amqp_uri = amqp_uri or config["AMQP_URI"]
        self.confirm_timeout = confirm_timeout
        self.connection = self.channel = None
        self.unconfirmed: set[int] = set()    # delivery tags
        self.published = 0                    # the channel's last delivery tag
        self.refused = False

    def __call__(self, batch) -> None:
        if not batch:
            return
        try:
            channel = self.channel or self.connect()
            for envelope in batch:
                message = amqp.Message(envelopes.encode(envelope), message_id=envelope.event_id,
                                       delivery_mode=PERSISTENT,
                                       content_type=envelopes.CONTENT_TYPE,
                                       content_encoding="binary")
                channel.basic_publish(message, exchange=self.exchange.name,
                                      routing_key=envelopes.routing_key(envelope))
                self.published += 1
                self.unconfirmed.add(self.published)
            self.await_confirms()
        except Exception:
            self.close()
            raise

    def connect(self):
        self.connection = Connection(self.amqp_uri)
        channel = self.connection.channel()
        channel.confirm_select()
        channel.events["basic_ack"].add(self.acknowledged)
        channel.events["basic_nack"].add(self.negatively_acknowledged)
        self.exchange(channel).declare()
        self.channel = channel
        return channel

    def acknowledged(self, delivery_tag: int, multiple: bool):
        if multiple:
            self.unconfirmed = {tag for tag in self.unconfirmed if tag > delivery_tag}
        else:
            self.unconfirmed.discard(delivery_tag)

    def negatively_acknowledged(self, delivery_tag: int, multiple: bool):
        self.refused = True
        self.acknowledged(delivery_tag, multiple)

    def await_confirms(self):
        deadline = time.monotonic() + self.confirm_timeout
        while self.unconfirmed:
            self.connection.drain_events(timeout=max(deadline - time.monotonic(), 0.001))
        if self.refused:
            raise RuntimeError("RabbitMQ refused a published event (basic.nack)")

    def close(self):
        if self.connection is not None:
            self.connection.release()
        self.connection = self.channel = None
        self.unconfirmed, self.published, self.refused = set(), 0, False


class IntegrationEventHandler(EventHandler):
    """Entrypoint receiving a source's integration events.

    The decorated method is called with (envelope, payload) for the payload
    types in `handles`; any other type is logged and acknowledged, so a new
    event type from a producer never blocks a consumer.
    """

    def __init__(self, source_service, handles, **kwargs):
        super().__init__(source_service, "#", reliable_delivery=True, requeue_on_error=True,
                         **kwargs)
        self.handles = {message.DESCRIPTOR.full_name: message for message in handles}

    def setup(self):
        self.queue = Queue(
            f"evt-{self.source_service}--{self.container.service_name}",
            exchange=get_event_exchange(self.source_service), routing_key="#", durable=True,
        )
        Consumer.setup(self)

    def handle_message(self, body, message):
        try:
            envelope = envelopes.decode(body)
            payload_class = self.handles.get(envelope.event_type)
            payload = envelopes.unpack(envelope, payload_class) if payload_class else None
        except Exception:
            log.error("dropping malformed event", exc_info=True)
            self.consumer.ack_message(message)
            return
        if payload is None:
            log.info("skipping event of unknown type",
                     extra=fields(event_type=envelope.event_type, event_id=envelope.event_id))
            self.consumer.ack_message(message)
            return
        self.spawn(message, envelope, payload)

    def start(self):
        # Events are applied one at a time in arrival order: one source's
        # events about one thing (a report's assignment, then its start of
        # work) must not overtake each other in concurrent workers.
        self.arrivals = eventlet.queue.LightQueue()
        self.container.spawn_managed_thread(self.apply_in_arrival_order)
        super().start()

    def spawn(self, message, envelope, payload):
        self.arrivals.put((message, envelope, payload))

    def apply_in_arrival_order(self):
        while True:
            message, envelope, payload = self.arrivals.get()
            applied = eventlet.event.Event()

            def handle_result(worker_ctx, result=None, exc_info=None, message=message):
                self.handle_message_processed(message, result, exc_info)
                applied.send()
                return result, exc_info

            try:
                self.container.spawn_worker(
                    self, (envelope, payload), {},
                    context_data={CORRELATION_HEADER: envelope.correlation_id},
                    handle_result=handle_result)
            except ContainerBeingKilled:
                self.consumer.requeue_message(message)
                return
            applied.wait()

    def handle_message_processed(self, message, result=None, exc_info=None):
        if exc_info is not None:
            eventlet.sleep(REQUEUE_DELAY_SECONDS)
        super().handle_message_processed(message, result, exc_info)


consume_events = IntegrationEventHandler.decorator
