"""Builds identity's application from configuration."""
import base64
import functools
import hashlib
import logging

from eventlet import tpool

from identity.application import IdentityApplication
from identity.otp import sender_from_settings
from kit import settings
from kit.adminunits import AdministrativeUnits
from kit.auth import KeyRing

log = logging.getLogger(__name__)

DEVELOPMENT_INDEX_KEY = b"smartcity-development-index-key"


@functools.cache
def signing_keys() -> KeyRing:
    """JWT_SIGNING_KEYS (a Secret in production) or a development file."""
    document = settings.get("JWT_SIGNING_KEYS")
    if document:
        return KeyRing.loads(document)
    return KeyRing.load_or_create(settings.get("JWT_SIGNING_KEYS_FILE"))


def index_key() -> bytes:
    if settings.get("INDEX_KEY"):
        return settings.get("INDEX_KEY").encode()
    if settings.get("EVENT_STORE_CIPHER_KEY"):
        cipher_key = base64.b64decode(settings.get("EVENT_STORE_CIPHER_KEY"))
        return hashlib.sha256(b"index:" + cipher_key).digest()
    return DEVELOPMENT_INDEX_KEY


def machine_credentials() -> dict[str, tuple[str, list[str]]]:
    """MACHINE_CREDENTIALS: "reports=<sha256 hex>,fleet-loader=<sha256 hex>+ioc_operator"."""
    machines = {}
    for item in settings.get("MACHINE_CREDENTIALS").split(","):
        if item.strip():
            name, _, credential = item.partition("=")
            secret_hash, *roles = credential.strip().split("+")
            machines[name.strip()] = (secret_hash, roles)
    return machines


def build_application(env, container=None) -> IdentityApplication:
    app = IdentityApplication(env, units=AdministrativeUnits.load(), keyring=signing_keys(),
                              otp_sender=sender_from_settings(), index_key=index_key(),
                              offload=tpool.execute)
    for name, (secret_hash, roles) in machine_credentials().items():
        app.provision_service_machine(name, secret_hash, roles)
    return app
