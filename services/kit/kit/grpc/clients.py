"""Service-to-service calls through nameko-grpc's client.

nameko-grpc's own connection pool connects at start-up, dies with the
container when the target is down, and waits forever once its connection is
gone. Services start in any order and restart independently, so the channel
here connects on first use, reconnects after a failure, and answers
UNAVAILABLE when the target cannot be reached; the HTTP/2 and gRPC framing is
still nameko-grpc's (its connection manager, Method and Future).
"""
import logging
import socket
import time
from urllib.parse import urlparse

from eventlet.semaphore import Semaphore
from grpc import StatusCode
from nameko.extensions import DependencyProvider, SharedExtension
from nameko_grpc.client import ClientBase, Method
from nameko_grpc.errors import GrpcError
from smartcity.identity.v1 import identity_pb2, identity_pb2_grpc

from kit import context, settings
from kit.auth import TokenVerifier, bearer_token
from kit.context import CORRELATION_HEADER
from kit.errors import Unauthenticated
from kit.grpc import patch

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_SECONDS = 3.0
DEFAULT_CALL_TIMEOUT_SECONDS = 5.0
TOKEN_RENEW_MARGIN_SECONDS = 60


class ReconnectingChannel:
    def __init__(self, target, spawn_thread):
        self.address = urlparse(f"//{target}")
        self.spawn_thread = spawn_thread
        self.connection = None
        self.connecting = Semaphore()

    def send_request(self, request_headers):
        return self.live_connection().send_request(request_headers)

    def live_connection(self):
        with self.connecting:
            if self.connection is None or not self.connection.alive:
                self.connection = self.connect()
            return self.connection

    def connect(self):
        try:
            sock = socket.create_connection(
                (self.address.hostname, self.address.port), timeout=CONNECT_TIMEOUT_SECONDS)
        except OSError as exc:
            raise GrpcError(StatusCode.UNAVAILABLE, f"{self.address.netloc}: {exc}")
        sock.settimeout(None)
        connection = patch.ClientConnectionManager(sock)
        self.spawn_thread(target=connection.run_forever, name=f"grpc client {self.address.netloc}")
        return connection

    def stop(self):
        if self.connection is not None and self.connection.alive:
            self.connection.stop()


class Client(ClientBase):
    """A nameko-grpc client for one target whose threads belong to the container."""

    def __init__(self, target, stub, container):
        super().__init__(f"//{target}", stub)
        self.container = container
        self.channel = ReconnectingChannel(target, self.spawn_thread)

    def spawn_thread(self, target, args=(), kwargs=None, name=None):
        self.container.spawn_managed_thread(lambda: target(*args, **kwargs or {}),
                                            identifier=name)

    def start(self):
        pass   # connects on first call

    def stop(self):
        self.channel.stop()

    def call(self, method, request, metadata=(), timeout=DEFAULT_CALL_TIMEOUT_SECONDS):
        metadata = [*metadata, (CORRELATION_HEADER, context.correlation_id())]
        return Method(self, method)(request, metadata=metadata, timeout=timeout)


class IdentityLink(SharedExtension):
    """One connection per container to identity: public keys and this
    service's machine token."""

    def setup(self):
        self.client = Client(settings.get("IDENTITY_GRPC_TARGET"),
                             identity_pb2_grpc.IdentityStub, self.container)
        self.token = None
        self.token_expires_at = 0.0
        self.renewing = Semaphore()

    def stop(self):
        self.client.stop()

    def public_jwks(self):
        keys = self.client.call("GetPublicKeys", identity_pb2.GetPublicKeysRequest()).keys
        return [{field.name: value for field, value in key.ListFields()} for key in keys]

    def machine_token(self):
        with self.renewing:
            if time.time() > self.token_expires_at - TOKEN_RENEW_MARGIN_SECONDS:
                session = self.client.call("IssueMachineToken", identity_pb2.IssueMachineTokenRequest(
                    client_id=self.container.service_name,
                    client_secret=settings.get("SERVICE_CLIENT_SECRET")))
                self.token = session.access_token
                self.token_expires_at = time.time() + session.expires_in_seconds
            return self.token


class Caller:
    """Who is calling the current request."""

    def __init__(self, verifier, authorization):
        self.verifier = verifier
        self.authorization = authorization

    def principal(self):
        """The verified principal, or None for an anonymous call."""
        token = bearer_token([("authorization", self.authorization or "")])
        return self.verifier.verify(token) if token else None

    def require(self):
        principal = self.principal()
        if principal is None:
            raise Unauthenticated("sign in first: no bearer token in the request metadata")
        return principal


class Auth(DependencyProvider):
    """Verifies the bearer token of each request locally, with identity's
    public keys (fetched over gRPC, cached and refreshed; see TokenVerifier).

    `jwks` replaces the fetch; identity passes its own key ring.
    """

    identity = IdentityLink()

    def __init__(self, jwks=None):
        self.jwks = jwks

    def setup(self):
        self.verifier = TokenVerifier(
            self.jwks or self.identity.public_jwks,
            refresh_seconds=settings.get_float("TOKEN_KEYS_REFRESH_SECONDS"))

    def get_dependency(self, worker_ctx):
        return Caller(self.verifier, worker_ctx.context_data.get("authorization"))


class ServiceProxy:
    def __init__(self, client, identity):
        self.client = client
        self.identity = identity

    def __getattr__(self, method):
        def call(request, timeout=DEFAULT_CALL_TIMEOUT_SECONDS):
            token = self.identity.machine_token()
            return self.client.call(method, request, timeout=timeout,
                                    metadata=[("authorization", f"Bearer {token}")])
        return call


class ServiceClient(DependencyProvider):
    """Calls another service as this service's machine identity:
    `self.identity.LookupPerson(request)`."""

    identity = IdentityLink()

    def __init__(self, stub, target_setting):
        self.stub = stub
        self.target_setting = target_setting

    def setup(self):
        self.client = Client(settings.get(self.target_setting), self.stub, self.container)

    def stop(self):
        self.client.stop()

    def get_dependency(self, worker_ctx):
        return ServiceProxy(self.client, self.identity)
