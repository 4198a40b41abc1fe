"""Builds the reports application from configuration, and its links."""
import time

from nameko.extensions import DependencyProvider
from smartcity.identity.v1 import identity_pb2

from kit import settings
from kit.adminunits import AdministrativeUnits
from kit.grpc.clients import IdentityLink
from kit.projections import ReadModel
from reports.application import ReportsApplication
from reports.media import media_store_from_settings
from reports.readmodel import ReportsProjection, ReportsQueries


class IdentityLevels:
    """identity's answers about a person, asked over gRPC (nameko-grpc) with
    this service's machine token: the assurance level fresh every time (a
    support must count only for a confirmed person), the name cached."""

    NAME_CACHE_SECONDS = 3600

    def __init__(self, container):
        self.container = container
        self.names: dict[str, tuple[str, float]] = {}

    def link(self) -> IdentityLink:
        return next(e for e in self.container.extensions if isinstance(e, IdentityLink))

    def lookup(self, person_id: str):
        link = self.link()
        return link.client.call(
            "LookupPerson", identity_pb2.LookupPersonRequest(person_id=person_id),
            metadata=[("authorization", f"Bearer {link.machine_token()}")])

    def assurance_level(self, person_id: str) -> int:
        return self.lookup(person_id).assurance_level

    def name(self, caller) -> str:
        cached = self.names.get(caller.subject)
        if cached and time.monotonic() - cached[1] < self.NAME_CACHE_SECONDS:
            return cached[0]
        name = self.lookup(caller.subject).full_name
        self.names[caller.subject] = (name, time.monotonic())
        return name


def build_application(env, container=None) -> ReportsApplication:
    units = AdministrativeUnits.load()
    media = media_store_from_settings()
    app = ReportsApplication(env, units=units, identity=IdentityLevels(container),
                             media_exists=lambda sha: media.record(sha) is not None,
                             reopen_supporters=settings.get_int("REOPEN_SUPPORTERS"))
    read_model = ReadModel(app, ReportsProjection())
    app.read_models.append(read_model)
    app.queries = ReportsQueries(read_model, units)
    return app


class Media(DependencyProvider):
    """The media store (local files or S3-compatible object storage)."""

    def setup(self):
        self.store = media_store_from_settings()

    def get_dependency(self, worker_ctx):
        return self.store
