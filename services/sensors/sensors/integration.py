"""Which of the sensors service's domain events leave it, and as what."""
from smartcity.events.v1 import sensors_pb2 as events

from sensors.domainmodel import Sensor


def location(sensor) -> events.SensorLocation:
    return events.SensorLocation(sensor_id=sensor.sensor_id, latitude=sensor.latitude,
                                 longitude=sensor.longitude, unit_code=sensor.unit_code)


def translate(domain_event, load):
    """The integration event for a stored domain event, or None."""
    if not isinstance(domain_event, TRANSITIONS):
        return None
    sensor = load(domain_event.originator_id, domain_event.originator_version)
    where = location(sensor)
    e = domain_event
    match e:
        case Sensor.AirQualityBandChanged():
            return events.AirQualityBandChanged(
                station=where, period=e.period, aqi=e.aqi, band=e.band,
                previous_band=e.previous_band, dominant_pollutant=e.dominant)
        case Sensor.ThresholdBreached():
            return events.ThresholdBreached(sensor=where, kind=e.kind, rule=e.rule, level=e.level,
                                            severity=e.severity, value=e.value,
                                            threshold=e.threshold)
        case Sensor.ThresholdCleared():
            return events.ThresholdCleared(sensor=where, kind=e.kind, rule=e.rule, value=e.value)
        case Sensor.WentOffline():
            return events.SensorWentOffline(sensor=where, silent_seconds=e.silent_seconds)
        case Sensor.CameOnline():
            return events.SensorCameBackOnline(sensor=where)
        case Sensor.IncidentDetected():
            return events.CameraIncidentDetected(camera=where, incident=e.incident,
                                                 stream_url=sensor.stream_url)
        case Sensor.CongestionSustained():
            return events.CongestionSustained(camera=where, congestion_level=e.level,
                                              for_seconds=e.for_seconds,
                                              stream_url=sensor.stream_url)
        case Sensor.CongestionCleared():
            return events.CongestionCleared(camera=where)


TRANSITIONS = (Sensor.AirQualityBandChanged, Sensor.ThresholdBreached, Sensor.ThresholdCleared,
               Sensor.WentOffline, Sensor.CameOnline, Sensor.IncidentDetected,
               Sensor.CongestionSustained, Sensor.CongestionCleared)
