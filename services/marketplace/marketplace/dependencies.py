"""Builds the marketplace application from configuration, and its link to identity."""
from smartcity.identity.v1 import identity_pb2

from kit import settings
from kit.adminunits import AdministrativeUnits
from kit.grpc.clients import IdentityLink
from kit.projections import ReadModel
from marketplace.application import MarketplaceApplication, OrganisationStanding
from marketplace.payments import provider_named
from marketplace.readmodel import MarketplaceProjection, MarketplaceQueries


class IdentityOrganisations:
    """identity's answer about an organisation, asked over gRPC (nameko-grpc) with
    this service's machine token, fresh every time: it decides listings and
    approvals."""

    def __init__(self, container):
        self.container = container

    def link(self) -> IdentityLink:
        return next(e for e in self.container.extensions if isinstance(e, IdentityLink))

    def organisation(self, organisation_id: str) -> OrganisationStanding:
        link = self.link()
        organisation = link.client.call(
            "GetOrganisation", identity_pb2.GetOrganisationRequest(organisation_id=organisation_id),
            metadata=[("authorization", f"Bearer {link.machine_token()}")])
        return OrganisationStanding(verified=organisation.verified,
                                    member_ids=tuple(organisation.member_ids))


def build_application(env, container=None) -> MarketplaceApplication:
    app = MarketplaceApplication(
        env, units=AdministrativeUnits.load(),
        payments=provider_named(settings.get("MARKETPLACE_PAYMENT_PROVIDER")),
        identity=IdentityOrganisations(container),
        reservation_minutes=settings.get_float("MARKETPLACE_RESERVATION_MINUTES"))
    read_model = ReadModel(app, MarketplaceProjection())
    app.read_models.append(read_model)
    app.queries = MarketplaceQueries(read_model)
    return app
