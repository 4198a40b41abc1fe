"""The probe: consumes identity's events exactly once, verifies tokens with
identity's public keys and calls identity with its machine credentials."""
import uuid

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate, event
from smartcity.events.v1 import identity_pb2 as identity_events
from smartcity.identity.v1 import identity_pb2, identity_pb2_grpc
from smartcity.testing.v1 import probe_pb2, probe_pb2_grpc

from kit.dependencies import EventStore
from kit.eventstore import EventSourcedApplication
from kit.grpc.clients import Auth, ServiceClient
from kit.grpc.server import HealthMixin, rpc
from kit.messaging import consume_events

TALLY_ID = uuid.UUID("3d0c6b4e-8f7a-4e55-9a1d-0c2b7e5f6a10")


class Tally(Aggregate):
    @staticmethod
    def create_id():
        return TALLY_ID

    @event("Created")
    def __init__(self):
        self.by_type = {}
        self.event_ids = []

    @event("Seen")
    def seen(self, event_type: str, event_id: str):
        self.by_type[event_type] = self.by_type.get(event_type, 0) + 1
        self.event_ids.append(event_id)


class ProbeApplication(EventSourcedApplication):
    def tally(self):
        try:
            return self.repository.get(TALLY_ID)
        except AggregateNotFoundError:
            return Tally()

    def record(self, envelope):
        def decide():
            tally = self.tally()
            tally.seen(envelope.event_type, envelope.event_id)
            return [tally]

        return self.save_once(envelope.event_id, decide)


probe = rpc(probe_pb2_grpc.ProbeStub)


class ProbeService(HealthMixin):
    name = "probe"

    app = EventStore(lambda env, container: ProbeApplication(env))
    caller = Auth()
    identity = ServiceClient(identity_pb2_grpc.IdentityStub, "IDENTITY_GRPC_TARGET")

    @consume_events("identity", handles=[identity_events.CitizenRegistered,
                                         identity_events.OrganisationVerified])
    def on_identity_event(self, envelope, payload):
        self.app.record(envelope)

    @probe
    def WhoCalls(self, request, context):
        principal = self.caller.require()
        return probe_pb2.WhoCallsResponse(subject=principal.subject, kind=principal.kind,
                                          roles=[g.role for g in principal.roles])

    @probe
    def EventsSeen(self, request, context):
        tally = self.app.tally()
        return probe_pb2.EventsSeenResponse(by_type=tally.by_type, event_ids=tally.event_ids)

    @probe
    def LookupViaIdentity(self, request, context):
        person = self.identity.LookupPerson(identity_pb2.LookupPersonRequest(
            person_id=request.person_id))
        return probe_pb2.LookupViaIdentityResponse(full_name=person.full_name,
                                                   assurance_level=person.assurance_level)
