"""`python -m gateway`: a sensor gateway process.

    python -m gateway simulate --sensors-target HOST:PORT --identity-target HOST:PORT \\
        --client-id ID --client-secret SECRET --stations 4 --cameras 2 --speed 60 \\
        --spool var/gateway.db [--register-fleet --operator-client-id ID] [--until TIME]
    python -m gateway mqtt --mqtt-host 127.0.0.1 --mqtt-port 1883 --topic-prefix city \\
        --sensors-target HOST:PORT --client-id ID --client-secret SECRET --spool PATH

Every option may come from the environment instead (for containers; --help
names the variables). SIGTERM or SIGINT stops it cleanly: production stops,
the sender waits a few seconds for the last acknowledgements, and whatever is
unacknowledged stays in the spool for the next run.
"""
import argparse
import logging
import os
import signal
import sys
import threading
from datetime import datetime, timedelta

import grpc

from gateway.client import Backoff, MachineToken, Sender, TokenUnavailable, register_fleet
from gateway.mqtt_bridge import MqttBridge
from gateway.simulator import ICT, CitySimulator, fleet_definition, parse_fault, produce
from gateway.spool import DEFAULT_CAPACITY, Spool
from kit import logs
from kit.logs import fields

log = logging.getLogger("gateway")

STATUS_SECONDS = 60
SHUTDOWN_GRACE_SECONDS = 5
REPLAY_HOURS = 24      # faster than real time, a simulation replays the last day, then goes live
SENT_CHECK_SECONDS = 0.5


class Shutdown(threading.Event):
    """Set to stop the gateway; fail() also makes it exit with status 1."""
    failed = False

    def fail(self):
        self.failed = True
        self.set()


def option(parser, flag, env, help, default=None, **options):
    """An option that the environment variable env may give instead."""
    value = os.environ.get(env, default)
    parser.add_argument(flag, default=value, required=value is None, help=f"{help} [${env}]",
                        **options)


def parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    option(common, "--sensors-target", "SENSORS_GRPC_TARGET", "the sensors service, HOST:PORT")
    option(common, "--identity-target", "IDENTITY_GRPC_TARGET", "the identity service, HOST:PORT",
           default="127.0.0.1:50051")
    option(common, "--client-id", "GATEWAY_CLIENT_ID", "this gateway's machine client id")
    option(common, "--client-secret", "GATEWAY_CLIENT_SECRET",
           "its client secret (better given in the environment)")
    option(common, "--spool", "GATEWAY_SPOOL", "the spool's SQLite file",
           default="var/gateway-spool.db")
    option(common, "--spool-capacity", "GATEWAY_SPOOL_CAPACITY",
           "readings the spool keeps at most; beyond, the oldest are dropped",
           default=DEFAULT_CAPACITY, type=int)
    option(common, "--batch-size", "GATEWAY_BATCH_SIZE", "readings per batch", default=500,
           type=int)
    option(common, "--flush-seconds", "GATEWAY_FLUSH_SECONDS",
           "send a smaller batch after this long", default=1.0, type=float)

    root = argparse.ArgumentParser(prog="python -m gateway", description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = root.add_subparsers(dest="command", required=True, metavar="COMMAND")
    simulate = commands.add_parser("simulate", parents=[common],
                                   help="simulate stations and cameras around Thái Nguyên")
    option(simulate, "--stations", "GATEWAY_STATIONS", "environmental stations", default=4,
           type=int)
    option(simulate, "--cameras", "GATEWAY_CAMERAS", "traffic cameras", default=2, type=int)
    option(simulate, "--speed", "GATEWAY_SPEED",
           "simulated seconds per real second (never ahead of the wall clock)", default=1.0,
           type=float)
    option(simulate, "--seed", "GATEWAY_SEED", "the simulation's seed", default=1, type=int)
    option(simulate, "--start", "GATEWAY_START",
           "simulated start, ISO 8601, local time if no offset (default: now, or "
           f"{REPLAY_HOURS} h ago when --speed > 1); a spool's simulation resumes where it "
           f"stopped instead (without --start, at most {REPLAY_HOURS} h back)", default="")
    option(simulate, "--until", "GATEWAY_UNTIL",
           "simulated end, ISO 8601: the gateway exits once the service has acknowledged "
           "every reading (default: it runs until stopped)", default="")
    option(simulate, "--interval", "GATEWAY_INTERVAL_SECONDS",
           "simulated seconds between a sensor's readings", default=60.0, type=float)
    option(simulate, "--sensor-prefix", "GATEWAY_SENSOR_PREFIX", "sensor ids start with this",
           default="tn")
    simulate.add_argument("--fault", action="append", metavar="SENSOR:KIND:AFTER:FOR[:AMOUNT]",
                          default=os.environ.get("GATEWAY_FAULTS", "").split(),
                          help="a fault (spike, dropout, stuck, clock_skew) AFTER simulated "
                               "minutes, FOR minutes; repeatable [$GATEWAY_FAULTS, "
                               "space-separated]")
    simulate.add_argument("--register-fleet", action="store_true",
                          default=os.environ.get("GATEWAY_REGISTER_FLEET") == "1",
                          help="register the simulated sensors first, as an operator: the "
                               "access token in $OPERATOR_TOKEN, else one issued to "
                               "--operator-client-id [$GATEWAY_REGISTER_FLEET=1]")
    option(simulate, "--operator-client-id", "OPERATOR_CLIENT_ID",
           "--register-fleet: a machine holding the IOC operator role", default="")
    option(simulate, "--operator-client-secret", "OPERATOR_CLIENT_SECRET",
           "its client secret (better given in the environment)", default="")
    simulate.set_defaults(start_producer=start_simulation)

    bridge = commands.add_parser("mqtt", parents=[common],
                                 help="bridge devices publishing to an MQTT broker")
    option(bridge, "--mqtt-host", "MQTT_HOST", "the broker's host", default="127.0.0.1")
    option(bridge, "--mqtt-port", "MQTT_PORT", "the broker's port", default=1883, type=int)
    option(bridge, "--topic-prefix", "MQTT_TOPIC_PREFIX",
           "devices publish to PREFIX/<client id>/<sensor id>", default="city")
    option(bridge, "--mqtt-client-id", "MQTT_CLIENT_ID",
           "the bridge's fixed MQTT client id (default: smartcity-gateway-<client id>)",
           default="")
    bridge.set_defaults(start_producer=start_bridge)
    return root


# Producers: each starts, and returns how to stop it -------------------------------------
def start_simulation(args, spool: Spool, stop: Shutdown):
    fleet = fleet_definition(args.stations, args.cameras, args.sensor_prefix)
    until = local_time(args.until) if args.until else None
    if args.register_fleet:
        register(args, fleet, stop)
    start = simulation_start(args, spool)
    faults = tuple(parse_fault(text, start) for text in args.fault)
    simulator = CitySimulator(fleet, args.seed, start, args.interval, faults)

    def simulate():
        try:
            produce(simulator, spool, args.speed, stop, until=until)
            if until is not None:
                stop_once_sent(spool, stop)
        except Exception:
            log.exception("the simulation failed: stopping the gateway")
            stop.fail()

    thread = threading.Thread(target=simulate, name="simulator", daemon=True)
    thread.start()
    log.info("simulating %d stations and %d cameras from %s at %g×", args.stations,
             args.cameras, start.isoformat(), args.speed)
    return thread.join


def local_time(text: str) -> datetime:
    """ISO 8601, local time (UTC+7) when it names no offset."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=ICT)


def simulation_start(args, spool: Spool) -> datetime:
    """Where the spool's simulation stopped, else --start, else now (or a day ago).
    Without --start, a simulation stopped long ago resumes at most a day back, so
    that the city is live again soon rather than days behind."""
    now = datetime.now(ICT).replace(second=0, microsecond=0)    # readings on whole minutes
    window_start = now - timedelta(hours=REPLAY_HOURS)
    if spool.checkpoint:
        stopped_at = datetime.fromisoformat(spool.checkpoint)
        if args.start or stopped_at >= window_start:
            log.info("resuming the simulation where it stopped")
            return stopped_at
        log.info("the simulation stopped at %s: resuming %d h ago", stopped_at.isoformat(),
                 REPLAY_HOURS)
        return window_start
    if args.start:
        return local_time(args.start)
    return window_start if args.speed > 1 else now


def stop_once_sent(spool: Spool, stop: Shutdown):
    """--until reached: the gateway is done once the service has every reading."""
    log.info("the simulation reached its end; stopping once every reading is acknowledged")
    while spool.count() and not stop.wait(SENT_CHECK_SECONDS):
        pass
    stop.set()


def operator_token(args) -> str:
    """$OPERATOR_TOKEN, else a token issued to the operator machine."""
    token = os.environ.get("OPERATOR_TOKEN")
    if token:
        return token
    tokens = MachineToken(args.identity_target, args.operator_client_id,
                          args.operator_client_secret)
    try:
        return tokens.get()
    finally:
        tokens.close()


def register(args, fleet, stop: Shutdown):
    if not (os.environ.get("OPERATOR_TOKEN") or args.operator_client_id):
        raise SystemExit("--register-fleet needs an operator's access token in $OPERATOR_TOKEN "
                         "or --operator-client-id and $OPERATOR_CLIENT_SECRET")
    backoff = Backoff()
    while not stop.is_set():
        try:
            new = register_fleet(args.sensors_target, operator_token(args), args.client_id, fleet)
            log.info("registered %d new sensors of %d", new, len(fleet))
            return
        except TokenUnavailable as error:     # identity is starting, or the secret is wrong
            log.warning("no operator token (%s); registering again soon", error)
        except grpc.RpcError as error:
            if error.code() not in (grpc.StatusCode.UNAVAILABLE,
                                    grpc.StatusCode.DEADLINE_EXCEEDED):
                raise SystemExit(f"could not register the fleet: {error.code().name}: "
                                 f"{error.details()}") from None
            log.warning("the sensors service is unavailable; registering again soon")
        stop.wait(backoff.next_delay())


def start_bridge(args, spool: Spool, stop: Shutdown):
    bridge = MqttBridge(spool, args.client_id, args.mqtt_host, args.mqtt_port,
                        args.topic_prefix, args.mqtt_client_id)
    bridge.start()
    return bridge.stop


# Running --------------------------------------------------------------------------------
def log_status(sender: Sender, spool: Spool):
    log.info("status", extra=fields(
        pending=spool.count(), last_seq=spool.last_seq, dropped=spool.dropped,
        service_position=sender.acked_seq, accepted=sender.accepted,
        rejected=dict(sender.rejected)))


def serve(sender: Sender, spool: Spool, stop: Shutdown, stop_producer) -> bool:
    """Sends until stopped, then lets the last acknowledgements arrive; whether
    the sender has finished."""
    thread = threading.Thread(target=sender.run, args=(stop,), name="sender", daemon=True)
    thread.start()
    while not stop.wait(STATUS_SECONDS):
        log_status(sender, spool)
    stop_producer()
    thread.join(SHUTDOWN_GRACE_SECONDS)
    if thread.is_alive():
        sender.cancel()
        thread.join(1)
    log_status(sender, spool)
    return not thread.is_alive()


def main(argv=None) -> int:
    arguments = parser()
    args = arguments.parse_args(argv)
    logs.configure("gateway")
    stop = Shutdown()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    os.makedirs(os.path.dirname(args.spool) or ".", exist_ok=True)
    spool = Spool(args.spool, args.spool_capacity)
    tokens = MachineToken(args.identity_target, args.client_id, args.client_secret)
    sender = Sender(spool, args.sensors_target, tokens, args.batch_size, args.flush_seconds)
    try:
        stop_producer = args.start_producer(args, spool, stop)
    except ValueError as error:      # a fault or a start that does not parse
        arguments.error(str(error))
    finished = serve(sender, spool, stop, stop_producer)
    log.info("stopped; %d readings wait in the spool", spool.count())
    sender.close()
    tokens.close()
    if finished:     # else the sender may still touch it; committed readings are safe anyway
        spool.close()
    return 1 if stop.failed else 0


if __name__ == "__main__":
    sys.exit(main())
