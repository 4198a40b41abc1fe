"""Conversions between the sensors service's domain objects and protobuf."""
import operator

from google.protobuf.timestamp_pb2 import Timestamp
from smartcity.sensors.v1 import sensors_pb2 as pb

from sensors.application import RawReading
from sensors.catalogue import CAMERA, ENVIRONMENTAL

FAMILY_TO_PB = {ENVIRONMENTAL: pb.ENVIRONMENTAL, CAMERA: pb.CAMERA}
FAMILY_FROM_PB = {value: name for name, value in FAMILY_TO_PB.items()}


def timestamp(time_ns: int) -> Timestamp:
    ts = Timestamp()
    ts.FromNanoseconds(time_ns)
    return ts


def family(value) -> str:
    return FAMILY_FROM_PB.get(value, "")


def sensor(s, last_seen: float = 0.0) -> pb.Sensor:
    """`last_seen`: this replica's latest arrival, fresher than the history's."""
    seen = max(s.last_seen, last_seen)
    return pb.Sensor(
        id=s.sensor_id, family=FAMILY_TO_PB[s.family], kinds=s.kinds, latitude=s.latitude,
        longitude=s.longitude, unit_code=s.unit_code, gateway_id=s.gateway_id,
        calibration_offsets=s.calibration_offsets, name=s.name, stream_url=s.stream_url,
        online=s.online, last_seen=timestamp(int(seen * 10 ** 9)))


def sensor_fields(request) -> dict:
    """The settable fields of a Register/UpdateSensorRequest."""
    return dict(kinds=list(request.kinds), latitude=request.latitude,
                longitude=request.longitude, unit_code=request.unit_code,
                gateway_id=request.gateway_id,
                calibration_offsets=dict(request.calibration_offsets), name=request.name,
                stream_url=request.stream_url)


# Plain tuples in RawReading's shape, read in C: a reading's fields cost
# more to copy out of protobuf than anything else ingestion does with them.
READING_FIELDS = operator.attrgetter(*RawReading._fields[:5], "time.seconds", "time.nanos", "label")


def raw_readings(batch) -> list[tuple]:
    return list(map(READING_FIELDS, batch.readings))


def ack(result) -> pb.IngestAck:
    return pb.IngestAck(gateway_id=result.gateway_id, acked_seq=result.acked_seq,
                        accepted=result.accepted, rejected=result.rejected)


def live_batch(batch, result) -> pb.ReadingBatch:
    """The accepted readings as stored: usually the batch as received."""
    if result.accepted == len(batch.readings) and not result.calibrated:
        return batch
    return pb.ReadingBatch(readings=[
        pb.Reading(sensor_id=p.sensor_id, kind=p.kind, value=p.value, time=timestamp(p.time_ns),
                   label=p.label) for p in result.points])


def latest(values) -> pb.GetLatestResponse:
    return pb.GetLatestResponse(values=[
        pb.LatestValue(sensor_id=v.sensor_id, kind=v.kind, value=v.value,
                       time=timestamp(v.time_ns), label=v.label) for v in values])


def range_points(points) -> pb.GetRangeResponse:
    return pb.GetRangeResponse(points=[
        pb.RangePoint(time=timestamp(p.time_ns), mean=p.mean, min=p.min, max=p.max,
                      count=p.count) for p in points])


def areas(aggregates) -> pb.GetAreaAggregatesResponse:
    return pb.GetAreaAggregatesResponse(areas=[
        pb.AreaAggregate(unit_code=a.unit_code, mean=a.mean, min=a.min, max=a.max,
                         count=a.count, sensors=a.sensors) for a in aggregates])


def air_quality(station_id, status) -> pb.AirQuality:
    hourly, daily = status.hourly, status.daily
    return pb.AirQuality(
        station_id=station_id,
        hourly_aqi=hourly.aqi if hourly else 0, hourly_band=hourly.band if hourly else "",
        hourly_dominant=hourly.dominant if hourly else "",
        daily_aqi=daily.aqi if daily else 0, daily_band=daily.band if daily else "",
        computed_at=timestamp(int(status.hour_start * 10 ** 9)),
        pollutant_aqi=hourly.pollutant_aqi if hourly else {})
