"""RabbitMQ adapters: the relay's confirming publisher and the consumer
entrypoint for integration events.

Events go to the source service's topic exchange (`<source>.events`, as
nameko names it) with the payload's short type name as routing key. Each
consuming service has one durable queue per source (`evt-<source>--<service>`),
so events from one source arrive in order and survive the consumer being down.
"""
import logging

import eventlet
from kombu import Queue
from nameko import config
from nameko.amqp.publish import Publisher
from nameko.constants import PERSISTENT
from nameko.events import EventHandler
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

# A failing handler's message goes back to the queue after this pause, so a
# database outage does not spin the consumer.
REQUEUE_DELAY_SECONDS = 1.0


def confirming_publisher(service: str):
    """publish(envelope) that returns once RabbitMQ has confirmed the message."""
    exchange = get_event_exchange(service)
    publisher = Publisher(
        config["AMQP_URI"], use_confirms=True, serializer=SERIALIZER,
        delivery_mode=PERSISTENT, declare=[exchange],
    )

    def publish(envelope):
        publisher.publish(
            envelopes.encode(envelope), exchange=exchange,
            routing_key=envelopes.routing_key(envelope), message_id=envelope.event_id,
            retry=False,
        )

    return publish


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

    def spawn(self, message, envelope, payload):
        def handle_result(worker_ctx, result=None, exc_info=None):
            self.handle_message_processed(message, result, exc_info)
            return result, exc_info

        context_data = {CORRELATION_HEADER: envelope.correlation_id}
        self.container.spawn_managed_thread(lambda: self.container.spawn_worker(
            self, (envelope, payload), {}, context_data=context_data,
            handle_result=handle_result))

    def handle_message_processed(self, message, result=None, exc_info=None):
        if exc_info is not None:
            eventlet.sleep(REQUEUE_DELAY_SECONDS)
        super().handle_message_processed(message, result, exc_info)


consume_events = IntegrationEventHandler.decorator
