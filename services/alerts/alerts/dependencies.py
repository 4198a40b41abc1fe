"""Builds the alerts application from configuration."""
from kit.adminunits import AdministrativeUnits
from kit.geography import Locator
from kit.projections import ReadModel
from alerts.application import AlertsApplication
from alerts.readmodel import AlertsProjection, AlertsQueries


def build_application(env, container=None) -> AlertsApplication:
    app = AlertsApplication(env, units=AdministrativeUnits.load(), communes=Locator.load())
    read_model = ReadModel(app, AlertsProjection())
    app.read_models.append(read_model)
    app.queries = AlertsQueries(read_model)
    return app
