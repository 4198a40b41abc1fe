"""Builds the marketplace application from configuration."""
from kit import settings
from kit.adminunits import AdministrativeUnits
from kit.projections import ReadModel
from marketplace.application import MarketplaceApplication
from marketplace.payments import provider_named
from marketplace.readmodel import MarketplaceProjection, MarketplaceQueries


def build_application(env, container=None) -> MarketplaceApplication:
    app = MarketplaceApplication(
        env, units=AdministrativeUnits.load(),
        payments=provider_named(settings.get("MARKETPLACE_PAYMENT_PROVIDER")),
        reservation_minutes=settings.get_float("MARKETPLACE_RESERVATION_MINUTES"))
    read_model = ReadModel(app, MarketplaceProjection())
    app.read_models.append(read_model)
    app.queries = MarketplaceQueries(read_model)
    return app
