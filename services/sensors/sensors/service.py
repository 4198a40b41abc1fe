"""The sensors nameko service: thin entrypoints over SensorsApplication."""
from eventlet.queue import Empty
from nameko.messaging import consume
from nameko.timer import timer
from smartcity.sensors.v1 import sensors_pb2 as pb
from smartcity.sensors.v1 import sensors_pb2_grpc

from kit.auth import Role, require_role
from kit.dependencies import EventStore
from kit.grpc.clients import Auth
from kit.grpc.server import HealthMixin, rpc
from sensors import integration, schemas
from sensors.dependencies import build_application
from sensors.live import ANNOUNCE_SECONDS, LIVE_EXCHANGE, WATCHERS_EXCHANGE, Live, replica_queue

sensors_rpc = rpc(sensors_pb2_grpc.SensorsStub)
WATCHERS = (Role.IOC_OPERATOR, Role.ADMINISTRATOR, Role.AGENCY_STAFF)
OPERATORS = (Role.IOC_OPERATOR, Role.ADMINISTRATOR)


class SensorsService(HealthMixin):
    name = "sensors"

    app = EventStore(build_application, translate=integration.translate)
    caller = Auth()
    live = Live()

    # Registry -------------------------------------------------------------------
    @sensors_rpc
    def RegisterSensor(self, request, context):
        sensor = self.app.register_sensor(self.caller.require(), sensor_id=request.id,
                                          family=schemas.family(request.family),
                                          **schemas.sensor_fields(request))
        return schemas.sensor(sensor)

    @sensors_rpc
    def UpdateSensor(self, request, context):
        sensor = self.app.update_sensor(self.caller.require(), request.id,
                                        list(request.update_mask), **schemas.sensor_fields(request))
        return schemas.sensor(sensor)

    @sensors_rpc
    def GetSensor(self, request, context):
        sensor = self.app.sensor(request.id)
        return schemas.sensor(sensor, self.app.engine.last_seen(sensor.sensor_id))

    @sensors_rpc
    def ListSensors(self, request, context):
        sensors = self.app.list_sensors(request.unit_code, request.gateway_id,
                                        schemas.family(request.family))
        return pb.ListSensorsResponse(sensors=[
            schemas.sensor(s, self.app.engine.last_seen(s.sensor_id)) for s in sensors])

    # Ingestion ------------------------------------------------------------------
    @sensors_rpc
    def Ingest(self, batches, context):
        gateway_id = self.app.gateway_of(self.caller.require())
        return self.acknowledge(gateway_id, batches)

    def acknowledge(self, gateway_id, batches):
        acked = None   # read from the store for the stream's first batch only
        for batch in batches:
            result = self.app.ingest(gateway_id, schemas.raw_readings(batch), acked)
            acked = result.acked_seq
            if result.points:
                self.live.publish(schemas.live_batch(batch, result))
            yield schemas.ack(result)

    @sensors_rpc
    def GetIngestPosition(self, request, context):
        caller = self.caller.require()
        gateway_id = request.gateway_id or caller.subject
        if gateway_id != caller.subject:
            require_role(caller, *OPERATORS)
        return pb.IngestAck(gateway_id=gateway_id,
                            acked_seq=self.app.ingest_position(gateway_id))

    # Reads ----------------------------------------------------------------------
    @sensors_rpc
    def GetLatest(self, request, context):
        return schemas.latest(self.app.latest(list(request.sensor_ids), request.kind))

    @sensors_rpc
    def GetRange(self, request, context):
        points = self.app.range(request.sensor_id, request.kind, request.start.ToNanoseconds(),
                                request.end.ToNanoseconds(), request.interval_seconds)
        return schemas.range_points(points)

    @sensors_rpc
    def GetAreaAggregates(self, request, context):
        aggregates = self.app.area_aggregates(request.kind, request.unit_code,
                                              request.start.ToNanoseconds(),
                                              request.end.ToNanoseconds())
        return schemas.areas(aggregates)

    @sensors_rpc
    def GetAirQuality(self, request, context):
        status = self.app.air_quality(request.station_id)
        return schemas.air_quality(request.station_id, status)

    # Live view ------------------------------------------------------------------
    @sensors_rpc
    def Watch(self, request, context):
        require_role(self.caller.require(), *WATCHERS)
        wanted = self.app.watch_filter(list(request.sensor_ids), request.unit_code,
                                       list(request.kinds))
        return self.stream_live(self.live.hub.subscribe(wanted), context)

    @staticmethod
    def stream_live(subscription, context):
        try:
            while not context.response_stream.closed:
                try:
                    yield subscription.queue.get(timeout=1.0)
                except Empty:
                    continue
        finally:
            subscription.close()

    @consume(replica_queue(LIVE_EXCHANGE))
    def on_live_batch(self, body):
        self.live.hub.deliver(pb.ReadingBatch.FromString(body).readings)

    @consume(replica_queue(WATCHERS_EXCHANGE))
    def on_watchers_announced(self, body):
        self.live.watchers_announced()

    @timer(interval=ANNOUNCE_SECONDS)
    def announce_watchers(self):
        self.live.announce()

    # Housekeeping ---------------------------------------------------------------
    @timer(interval=10)
    def check_offline(self):
        self.app.check_offline()

    @timer(interval=5)
    def flush_spool_and_save_rule_state(self):
        self.app.housekeeping()
