"""A real InfluxDB for the integration tests.

InfluxDB 2.x and 3.x cannot be installed here; Debian's `influxdb` package
(1.6) can. It answers InfluxQL on /query exactly as production does, but it
has no /api/v2/write, the path influxdb-client writes to. A small bridge in
the test process translates that single path to 1.x's /write and forwards
everything else unchanged, so services under test use the real client
against the real server.
"""
import http.client
import json
import shutil
import signal
import subprocess
import threading
import urllib.parse
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

import harness

INFLUXD_CONFIG = """\
reporting-enabled = false
bind-address = "127.0.0.1:{rpc_port}"

[meta]
  dir = "{root}/meta"
  logging-enabled = false

[data]
  dir = "{root}/data"
  wal-dir = "{root}/wal"
  query-log-enabled = false

[monitor]
  store-enabled = false

[subscriber]
  enabled = false

[continuous_queries]
  enabled = false

[http]
  bind-address = "127.0.0.1:{http_port}"
  log-enabled = false
  pprof-enabled = false

[logging]
  level = "warn"
  suppress-logo = true
"""


class InfluxServer:
    """`influxd` with everything under one folder; stop() and start() keep
    its data and port, for outage tests."""

    def __init__(self, root: Path):
        self.root = root
        self.port = harness.free_port()
        self.config_path = root / "influxdb.conf"
        self.config_path.write_text(INFLUXD_CONFIG.format(
            root=root, rpc_port=harness.free_port(), http_port=self.port))
        self.log_path = root / "influxd.log"
        self.process = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(["influxd", "-config", str(self.config_path)],
                                            stdout=log, stderr=subprocess.STDOUT)
        harness.wait_for(self.answers_ping, timeout=30, message="influxd to answer /ping")

    def answers_ping(self):
        if self.process.poll() is not None:
            raise AssertionError(f"influxd exited:\n{self.log_path.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{self.url}/ping", timeout=1) as response:
                return response.status == 204
        except OSError:
            return False

    @property
    def running(self):
        return self.process is not None and self.process.poll() is None

    def stop(self):
        if self.running:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def query(self, statement: str, database: str = "") -> dict:
        body = urllib.parse.urlencode({"q": statement, "db": database, "epoch": "ns"}).encode()
        with urllib.request.urlopen(f"{self.url}/query", data=body, timeout=10) as response:
            result = json.load(response)["results"][0]
        assert "error" not in result, result["error"]
        return result


# The bridge -----------------------------------------------------------------------
WRITE_PRECISIONS = {"ns": "n", "us": "u", "ms": "ms", "s": "s"}   # 2.x name → 1.x name
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host",
              "proxy-connection", "te", "trailer", "upgrade"}


def v1_path(method: str, path: str) -> str:
    """The 1.x path for a request. The single bridged path is the 2.x write,
    which 1.6 lacks: `/api/v2/write?bucket=B&precision=P` becomes
    `/write?db=B&precision=P` (the body, gzip or not, is the same line
    protocol). Every other path (/query, /ping, ...) passes unchanged."""
    url = urllib.parse.urlsplit(path)
    if method != "POST" or url.path != "/api/v2/write":
        return path
    query = urllib.parse.parse_qs(url.query)
    precision = WRITE_PRECISIONS[query.get("precision", ["ns"])[0]]
    return "/write?" + urllib.parse.urlencode({"db": query["bucket"][0], "precision": precision})


class BridgeHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"     # keep-alive, like InfluxDB itself

    def do_GET(self):
        self.forward()

    def do_POST(self):
        self.forward()

    def forward(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        upstream = http.client.HTTPConnection("127.0.0.1", self.server.upstream_port, timeout=30)
        try:
            upstream.request(self.command, v1_path(self.command, self.path), body=body or None,
                             headers=headers)
            response = upstream.getresponse()
            status, reply_headers, data = response.status, response.getheaders(), response.read()
        except OSError as error:
            # what a reverse proxy in front of a stopped InfluxDB answers
            status, reply_headers = 502, [("Content-Type", "application/json")]
            data = json.dumps({"code": "unavailable", "message": str(error)}).encode()
        finally:
            upstream.close()
        self.send_response(status)
        for name, value in reply_headers:
            if name.lower() not in HOP_BY_HOP:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args):
        pass


class Bridge(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, upstream_port: int):
        super().__init__(("127.0.0.1", 0), BridgeHandler)
        self.upstream_port = upstream_port
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}"

    def close(self):
        self.shutdown()
        self.server_close()


class InfluxDB:
    """What tests get: `url` is the bridge (what services get as INFLUX_URL),
    `direct_url` the real server."""

    def __init__(self, server: InfluxServer, bridge: Bridge, database: str):
        self.server = server
        self.bridge = bridge
        self.url = bridge.url
        self.direct_url = server.url
        self.database = database

    @property
    def running(self):
        return self.server.running

    def stop(self):
        self.server.stop()

    def start(self):
        self.server.start()

    def create_database(self) -> str:
        name = f"test_{uuid.uuid4().hex[:10]}"
        self.server.query(f'CREATE DATABASE "{name}"')
        return name

    def write_v1(self, lines: str, database: str):
        """Line protocol straight to the server's 1.x /write, bypassing the bridge."""
        request = urllib.request.Request(f"{self.direct_url}/write?db={database}&precision=n",
                                         data=lines.encode(), method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 204

    def select(self, statement: str, database: str) -> list[dict]:
        """The series of an InfluxQL statement, straight from the server."""
        return self.server.query(statement, database).get("series", [])


@pytest.fixture(scope="session")
def influxdb(tmp_path_factory):
    if not shutil.which("influxd"):
        pytest.fail("influxd not found: these tests need a real InfluxDB; "
                    "install it with `apt-get install influxdb` (CI installs it)")
    server = InfluxServer(tmp_path_factory.mktemp("influxdb"))
    server.start()
    bridge = Bridge(server.port)
    influx = InfluxDB(server, bridge, "smartcity")
    server.query(f'CREATE DATABASE "{influx.database}"')
    yield influx
    bridge.close()
    server.stop()


# The sensors service ------------------------------------------------------------
class SensorsPlatform:
    """identity and sensors running, an administrator, and one gateway machine."""

    def __init__(self, identity, service, admin, gateway, influx_database):
        from kit.client import channel
        from smartcity.sensors.v1 import sensors_pb2_grpc

        self.identity = identity
        self.service = service
        self.admin = admin
        self.gateway_id, self.gateway_secret = gateway
        self.influx_database = influx_database
        self.stub = sensors_pb2_grpc.SensorsStub(channel(service.target))

    def call(self, method, request, token=None, timeout=10):
        from kit.client import metadata

        return getattr(self.stub, method)(request, metadata=metadata(token), timeout=timeout)

    def gateway_token(self):
        from smartcity.identity.v1 import identity_pb2 as ipb

        return self.identity.call("IssueMachineToken", ipb.IssueMachineTokenRequest(
            client_id=self.gateway_id, client_secret=self.gateway_secret)).access_token

    def register(self, sensor_id, family, kinds, unit_code="05443", **fields):
        from smartcity.sensors.v1 import sensors_pb2 as pb

        request = pb.RegisterSensorRequest(
            id=sensor_id, family=family, kinds=kinds, latitude=fields.pop("latitude", 21.59),
            longitude=fields.pop("longitude", 105.84), unit_code=unit_code,
            gateway_id=fields.pop("gateway_id", self.gateway_id), **fields)
        return self.call("RegisterSensor", request, token=self.admin.access_token)


def start_sensors(service_env, start_service, identity, store_env):
    from smartcity.identity.v1 import identity_pb2 as ipb

    admin = identity.admin_session()
    credentials = identity.call("RegisterMachine", ipb.RegisterMachineRequest(
        name=f"gateway-{uuid.uuid4().hex[:6]}", kind="gateway"), token=admin.access_token)
    env = service_env("sensors", IDENTITY_GRPC_TARGET=identity.service.target, **store_env)
    service = start_service("sensors.service:SensorsService", env)
    return SensorsPlatform(identity, service, admin,
                           (credentials.client_id, credentials.client_secret),
                           store_env.get("INFLUX_BUCKET", ""))


@pytest.fixture
def sensors_platform(identity, service_env, start_service, influxdb, tmp_path):
    """The sensors service on InfluxDB (through the write bridge), with a spool."""
    database = influxdb.create_database()
    return start_sensors(service_env, start_service, identity, {
        "INFLUX_URL": influxdb.url, "INFLUX_BUCKET": database,
        "SENSORS_SPOOL_FILE": str(tmp_path / "sensors-spool.db")})


@pytest.fixture
def embedded_sensors_platform(identity, service_env, start_service, tmp_path):
    """The sensors service on its embedded store, as `make run` starts it."""
    return start_sensors(service_env, start_service, identity, {
        "INFLUX_URL": "", "SENSORS_READINGS_FILE": str(tmp_path / "readings.db")})
