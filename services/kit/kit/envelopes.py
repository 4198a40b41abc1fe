"""Integration-event envelopes (smartcity.events.v1.Envelope)."""
import uuid

from google.protobuf import any_pb2, timestamp_pb2
from smartcity.events.v1 import envelope_pb2

# Event ids are derived from the stored event, so a relay that republishes
# after a crash sends the same ids and consumers drop the copies.
EVENT_ID_NAMESPACE = uuid.UUID("5f0c8a9e-0d53-4b8e-9d8b-6a3c2f1e7d40")

CONTENT_TYPE = "application/x-protobuf"


def envelope_for(source, position, domain_event, payload) -> envelope_pb2.Envelope:
    aggregate_id = str(domain_event.originator_id)
    version = domain_event.originator_version
    packed = any_pb2.Any()
    packed.Pack(payload, type_url_prefix="type.smartcity.vn/")
    occurred_at = timestamp_pb2.Timestamp()
    occurred_at.FromDatetime(domain_event.timestamp)
    return envelope_pb2.Envelope(
        event_id=str(uuid.uuid5(EVENT_ID_NAMESPACE, f"{source}:{aggregate_id}:{version}")),
        event_type=payload.DESCRIPTOR.full_name,
        source=source,
        aggregate_id=aggregate_id,
        aggregate_version=version,
        occurred_at=occurred_at,
        correlation_id=getattr(domain_event, "correlation_id", ""),
        position=position,
        payload=packed,
    )


def routing_key(envelope) -> str:
    """The short type name ("CitizenRegistered"): consumers may bind by type."""
    return envelope.event_type.rsplit(".", 1)[-1]


def unpack(envelope, message_class):
    message = message_class()
    if not envelope.payload.Unpack(message):
        raise ValueError(f"payload is not {message_class.DESCRIPTOR.full_name}")
    return message


def encode(envelope) -> bytes:
    return envelope.SerializeToString()


def decode(body: bytes) -> envelope_pb2.Envelope:
    return envelope_pb2.Envelope.FromString(body)


def passthrough(body):
    """kombu serializer for bytes already encoded as protobuf."""
    return body
