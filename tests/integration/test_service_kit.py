"""The service kit across processes: identity and a second service (the probe)
exchange events over a real RabbitMQ and calls over real sockets."""
import json
import random
import threading
import time
import uuid

import grpc
import pytest
from kombu import Connection, Exchange, Producer

import harness
from harness import IdentityClient
from kit import envelopes
from kit.auth import KeyRing
from kit.client import channel, metadata
from smartcity.events.v1 import envelope_pb2
from smartcity.events.v1 import identity_pb2 as identity_events
from smartcity.identity.v1 import identity_pb2 as pb

pytestmark = pytest.mark.timeout(240)


def unique_phone():
    return f"0913{random.randint(0, 999999):06d}"


def unique_cccd():
    return f"001090{random.randint(0, 999999):06d}"


class ProbeClient:
    def __init__(self, service):
        from smartcity.testing.v1 import probe_pb2, probe_pb2_grpc

        self.pb = probe_pb2
        self.service = service
        self.stub = probe_pb2_grpc.ProbeStub(channel(service.target))

    def seen(self):
        return self.stub.EventsSeen(self.pb.EventsSeenRequest(), timeout=5)

    def registered_count(self):
        return self.seen().by_type.get("smartcity.events.v1.CitizenRegistered", 0)

    def wait_registered(self, count, timeout=30):
        harness.wait_for(lambda: self.registered_count() >= count, timeout=timeout,
                         message=f"{count} CitizenRegistered at the probe")
        time.sleep(0.5)   # and no more than that arrive
        assert self.registered_count() == count

    def who_calls(self, token):
        return self.stub.WhoCalls(self.pb.WhoCallsRequest(), metadata=metadata(token), timeout=5)

    def lookup(self, person_id):
        return self.stub.LookupViaIdentity(self.pb.LookupViaIdentityRequest(person_id=person_id),
                                           timeout=10)


def publish_raw(vhost, body, routing_key="CitizenRegistered"):
    with Connection(harness.amqp_uri(vhost)) as conn:
        Producer(conn).publish(body, exchange=Exchange("identity.events", type="topic", durable=True),
                               routing_key=routing_key, content_type=envelopes.CONTENT_TYPE,
                               content_encoding="binary", delivery_mode=2, declare=[])


def registered_envelope(event_id):
    payload = identity_events.CitizenRegistered(citizen_id=str(uuid.uuid4()), home_unit_code="05443")
    envelope = envelope_pb2.Envelope(event_id=event_id, event_type=payload.DESCRIPTOR.full_name,
                                     source="identity", aggregate_id=payload.citizen_id,
                                     aggregate_version=1)
    envelope.payload.Pack(payload)
    return envelope.SerializeToString()


def test_events_reach_a_second_service_once_and_unknown_types_are_skipped(identity, start_probe):
    probe = ProbeClient(start_probe(identity.service.target))
    for _ in range(3):
        identity.citizen(unique_phone(), unique_cccd())   # registered, then phone confirmed
    probe.wait_registered(3)
    skipped = [r for r in probe.service.log_records() if r.get("msg") == "skipping event of unknown type"]
    assert {r["event_type"] for r in skipped} == {"smartcity.events.v1.CitizenAssuranceRaised"}
    assert len(skipped) == 3


def test_duplicate_and_malformed_deliveries_change_nothing(identity, start_probe, vhost):
    probe = ProbeClient(start_probe(identity.service.target))
    event_id = str(uuid.uuid4())
    publish_raw(vhost, b"\x00not a protobuf envelope\xff")
    for _ in range(3):
        publish_raw(vhost, registered_envelope(event_id))
    probe.wait_registered(1)
    assert list(probe.seen().event_ids).count(event_id) == 1
    assert any(r.get("msg") == "dropping malformed event" for r in probe.service.log_records())


def test_a_sources_events_are_applied_in_the_order_they_arrive(identity, start_probe, vhost):
    probe = ProbeClient(start_probe(identity.service.target))
    event_ids = [str(uuid.uuid4()) for _ in range(30)]
    for event_id in event_ids:   # back to back: concurrent workers would reorder them
        publish_raw(vhost, registered_envelope(event_id))
    probe.wait_registered(len(event_ids))
    assert list(probe.seen().event_ids) == event_ids


def test_tokens_are_verified_by_a_second_service_across_key_rotation(
        identity, start_probe, start_service, tmp_path):
    probe = ProbeClient(start_probe(identity.service.target))
    person, session = identity.citizen(unique_phone(), unique_cccd())
    caller = probe.who_calls(session.access_token)
    assert caller.subject == person.id and "citizen" in caller.roles
    for bad in ("garbage", session.access_token[:-4] + "AAAA"):
        with pytest.raises(grpc.RpcError) as error:
            probe.who_calls(bad)
        assert error.value.code() == grpc.StatusCode.UNAUTHENTICATED

    # Rotate: identity restarts with a new signing key beside the old one.
    keys_file = identity.service.env["JWT_SIGNING_KEYS_FILE"]
    with open(keys_file) as f:
        ring = KeyRing.loads(f.read())
    old_kid, new_kid = ring.active.kid, ring.rotate().kid
    with open(keys_file, "w") as f:
        f.write(ring.dumps())
    identity.service.stop()
    identity.service.start()
    assert probe.who_calls(session.access_token).subject == person.id   # old key still trusted
    identity.call("RequestOtp", pb.RequestOtpRequest(phone=person.phone))
    fresh = identity.sign_in_with_otp(person.phone)
    assert json.loads(_jwt_header(fresh.access_token))["kid"] == new_kid != old_kid
    time.sleep(5)   # the verifier refetches keys for an unknown kid at most every 5 s
    assert probe.who_calls(fresh.access_token).subject == person.id


def _jwt_header(token):
    import base64

    header = token.split(".")[0]
    return base64.urlsafe_b64decode(header + "=" * (-len(header) % 4))


def test_service_calls_identity_as_a_machine_and_survives_identity_restart(identity, start_probe):
    probe = ProbeClient(start_probe(identity.service.target))
    person, _ = identity.citizen(unique_phone(), unique_cccd())
    assert probe.lookup(person.id).assurance_level == 1
    with pytest.raises(grpc.RpcError) as missing:
        probe.lookup(str(uuid.uuid4()))
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND
    identity.service.stop()
    with pytest.raises(grpc.RpcError) as down:
        probe.lookup(person.id)
    assert down.value.code() == grpc.StatusCode.UNAVAILABLE
    identity.service.start()
    assert probe.lookup(person.id).full_name == person.full_name


def relay_is_active(service):
    records = [r.get("msg") for r in service.log_records() if r.get("logger") == "kit.outbox"]
    return bool(records) and records[-1] == "outbox relay active"


def test_relay_fails_over_between_replicas(service_env, start_service, start_probe, tmp_path):
    env = service_env("identity")
    first = start_service("identity.service:IdentityService", env, name="identity-a")
    second = start_service("identity.service:IdentityService", dict(env, GRPC_PORT=str(harness.free_port())),
                           name="identity-b")
    active, standby = (first, second) if relay_is_active(first) else (second, first)
    harness.wait_for(lambda: relay_is_active(active), message="an active relay")
    assert not relay_is_active(standby)
    client = IdentityClient(standby, env["OTP_OUTBOX_FILE"])
    probe = ProbeClient(start_probe(standby.target))
    for _ in range(3):
        client.register(unique_phone(), unique_cccd())
    probe.wait_registered(3)

    active.kill()                                  # no clean-up: a crashed pod
    started = time.monotonic()
    harness.wait_for(lambda: relay_is_active(standby), timeout=10, message="the standby taking over")
    takeover_seconds = time.monotonic() - started
    for _ in range(3):
        client.register(unique_phone(), unique_cccd())
    probe.wait_registered(6)
    assert takeover_seconds < 5
    client.close()


def test_rabbitmq_restart_mid_stream_loses_nothing(identity, start_probe):
    probe = ProbeClient(start_probe(identity.service.target))
    total = 30
    errors = []

    def register_steadily():
        for _ in range(total):
            try:
                identity.register(unique_phone(), unique_cccd())
            except grpc.RpcError as error:   # identity keeps accepting while RabbitMQ is down
                errors.append(error)
            time.sleep(0.1)

    writer = threading.Thread(target=register_steadily)
    writer.start()
    time.sleep(0.8)
    harness.restart_rabbitmq()
    writer.join()
    assert not errors
    probe.wait_registered(total, timeout=90)


def test_a_confirmed_batch_is_on_the_broker_in_order(vhost):
    from kombu import Queue

    from kit.messaging import ConfirmingPublisher
    from smartcity.events.v1 import sensors_pb2 as sensor_events

    publish = ConfirmingPublisher("batchtest", harness.amqp_uri(vhost))
    sent = []
    for number in range(250):
        payload = sensor_events.SensorCameBackOnline(
            sensor=sensor_events.SensorLocation(sensor_id=f"s-{number}"))
        envelope = envelope_pb2.Envelope(event_id=str(uuid.uuid4()), source="batchtest",
                                         event_type=payload.DESCRIPTOR.full_name)
        envelope.payload.Pack(payload, type_url_prefix="type.smartcity.vn/")
        sent.append(envelope)
    with Connection(harness.amqp_uri(vhost)) as connection:
        queue = Queue("batchtest-tap", exchange=publish.exchange, routing_key="#",
                      durable=True)(connection.default_channel)
        queue.declare()
        publish(sent[:200])
        assert not publish.unconfirmed
        publish.close()        # a dropped connection: the next batch opens another
        publish(sent[200:])
        received = [queue.get(no_ack=True) for _ in sent]
        assert [envelopes.decode(m.body).event_id for m in received] == \
               [e.event_id for e in sent]
        assert {m.properties["message_id"] for m in received} == {e.event_id for e in sent}
        assert all(m.properties["delivery_mode"] == 2 for m in received)
        queue.delete()
    publish.close()
