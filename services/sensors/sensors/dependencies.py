"""Builds the sensors application from configuration."""
from kit.adminunits import AdministrativeUnits
from sensors.application import SensorsApplication
from sensors.rules import load_rules
from sensors.timeseries import store_from_settings


def build_application(env, container=None) -> SensorsApplication:
    return SensorsApplication(env, units=AdministrativeUnits.load(), store=store_from_settings(),
                              rules=load_rules())
