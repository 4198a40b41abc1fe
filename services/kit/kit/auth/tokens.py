"""Access tokens: short-lived Ed25519 JWTs that every service verifies locally.

Identity holds a KeyRing and signs; every other service holds a TokenVerifier
fed with identity's published public keys (JWKS), so no call to identity is
needed per request.
"""

import base64
import json
import logging
import os
import re
import secrets
import threading
import time
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Callable, Iterable

import jwt
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from kit.errors import InvalidArgument, Unauthenticated

log = logging.getLogger(__name__)

ALGORITHM = "EdDSA"
DEFAULT_ISSUER = "smartcity-identity"
DEFAULT_AUDIENCE = "smartcity"
MAX_ACCESS_TOKEN_TTL_SECONDS = 900
MAX_TOKEN_CHARS = 8192  # far above a real token; bounds the work an attacker can cause
_REQUIRED_CLAIMS = ("iss", "aud", "sub", "iat", "nbf", "exp", "jti", "kind", "roles")
_COMPACT_JWS = re.compile(r"([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)")


class Kind(StrEnum):
    PERSON = "person"
    MACHINE = "machine"


_KINDS = frozenset(Kind)  # `"person" in Kind` raises TypeError on Python 3.11; this does not


class Role(StrEnum):
    CITIZEN = "citizen"
    ORGANISATION_MEMBER = "organisation_member"
    AGENCY_STAFF = "agency_staff"
    IOC_OPERATOR = "ioc_operator"
    ADMINISTRATOR = "administrator"
    MACHINE = "machine"


@dataclass(frozen=True)
class RoleGrant:
    role: str
    agency: str = ""
    jurisdiction: str = ""  # administrative-unit code the grant covers


@dataclass(frozen=True)
class Principal:
    subject: str
    kind: str  # a Kind
    roles: tuple[RoleGrant, ...]
    assurance_level: int = 0
    organisations: tuple[str, ...] = ()
    token_id: str = ""
    expires_at: int = 0

    def has_role(self, role: str) -> bool:
        return any(grant.role == role for grant in self.roles)

    def grants(self, role: str) -> list[RoleGrant]:
        return [grant for grant in self.roles if grant.role == role]


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SigningKey:
    """One Ed25519 private key and the key id (kid) tokens name it by."""

    def __init__(self, kid: str, private_key: Ed25519PrivateKey, not_before: float = 0):
        self.kid = kid
        self.private_key = private_key
        self.not_before = not_before   # published at once, signs only from then

    @classmethod
    def generate(cls, not_before: float = 0) -> "SigningKey":
        return cls(secrets.token_hex(8), Ed25519PrivateKey.generate(), not_before)

    @classmethod
    def from_pem(cls, pem: bytes, kid: str, not_before: float = 0) -> "SigningKey":
        private_key = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(private_key, Ed25519PrivateKey):
            raise InvalidArgument("signing key must be an Ed25519 private key")
        return cls(kid, private_key, not_before)

    def to_pem(self) -> bytes:
        return self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def public_jwk(self) -> dict:
        """The public half in RFC 8037 form, as published in identity's JWKS."""
        raw = self.private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        return {
            "kty": "OKP",
            "crv": "Ed25519",
            "x": _b64url(raw),
            "kid": self.kid,
            "alg": ALGORITHM,
            "use": "sig",
        }


class KeyRing:
    """Signing keys, oldest first; the newest one already due signs, all are
    published.

    Publishing every key lets tokens signed before a rotation keep verifying
    until they expire; retire the old key only after that. A key added with
    a future `not_before` is published first and signs only later, so every
    verifier has fetched it before the first token it signed arrives.
    """

    def __init__(self, keys: Iterable[SigningKey] = (), clock=time.time):
        self._keys = list(keys)
        self.clock = clock

    @property
    def keys(self) -> tuple[SigningKey, ...]:
        return tuple(self._keys)

    @property
    def active(self) -> SigningKey:
        now = self.clock()
        due = [key for key in self._keys if key.not_before <= now]
        if not due:
            raise InvalidArgument("key ring has no key due to sign")
        return due[-1]

    def sign(self, claims: dict) -> str:
        key = self.active
        return jwt.encode(claims, key.private_key, algorithm=ALGORITHM, headers={"kid": key.kid})

    def public_jwks(self) -> list[dict]:
        return [key.public_jwk() for key in self._keys]

    def rotate(self, not_before: float = 0) -> SigningKey:
        key = SigningKey.generate(not_before)
        self._keys.append(key)
        return key

    def retire(self, kid: str) -> None:
        if kid == self.active.kid:
            raise InvalidArgument("cannot retire the active key; rotate first", "kid")
        remaining = [key for key in self._keys if key.kid != kid]
        if len(remaining) == len(self._keys):
            raise InvalidArgument(f"no key with kid {kid!r}", "kid")
        self._keys = remaining

    def dumps(self) -> str:
        """JSON holding the private keys as PEM, oldest first."""
        keys = [{"kid": key.kid, "not_before": key.not_before, "pem": key.to_pem().decode("ascii")}
                for key in self._keys]
        return json.dumps({"keys": keys}, indent=2)

    @classmethod
    def loads(cls, text: str) -> "KeyRing":
        try:
            entries = json.loads(text)["keys"]
            keys = [SigningKey.from_pem(entry["pem"].encode("ascii"), entry["kid"],
                                        float(entry.get("not_before", 0))) for entry in entries]
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise InvalidArgument(f"malformed key ring document: {error}") from error
        if not keys:
            raise InvalidArgument("key ring document holds no keys")
        return cls(keys)

    @classmethod
    def load_or_create(cls, path: str | os.PathLike) -> "KeyRing":
        """For development: read the ring at path, or create it owner-readable only."""
        path = Path(path)
        if path.exists():
            return cls.loads(path.read_text())
        ring = cls([SigningKey.generate()])
        # O_EXCL with mode 0600 so the private keys are never readable by others,
        # not even for the moment between creating and chmod-ing the file.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as file:
            file.write(ring.dumps())
        return ring


def issue_access_token(
    keyring: KeyRing,
    principal: Principal,
    ttl_seconds: int = MAX_ACCESS_TOKEN_TTL_SECONDS,
    issuer: str = DEFAULT_ISSUER,
    audience: str = DEFAULT_AUDIENCE,
    now: int | None = None,
) -> str:
    """Sign an access token for principal; ttl is capped at 15 minutes."""
    if principal.kind not in _KINDS:
        raise InvalidArgument("principal kind must be 'person' or 'machine'", "kind")
    if ttl_seconds <= 0:
        raise InvalidArgument("ttl must be positive", "ttl_seconds")
    issued_at = int(time.time() if now is None else now)
    claims = {
        "iss": issuer,
        "aud": audience,
        "sub": principal.subject,
        "iat": issued_at,
        "nbf": issued_at,
        "exp": issued_at + min(ttl_seconds, MAX_ACCESS_TOKEN_TTL_SECONDS),
        "jti": secrets.token_urlsafe(16),
        "kind": principal.kind,
        "aal": principal.assurance_level,
        "roles": [[grant.role, grant.agency, grant.jurisdiction] for grant in principal.roles],
        "orgs": list(principal.organisations),
    }
    return keyring.sign(claims)


def public_keys_from_jwks(jwks: Iterable[dict] | dict) -> dict[str, Ed25519PublicKey]:
    """kid -> public key for the Ed25519 signing keys in a JWKS; others are skipped.

    Takes the list of keys or a whole {"keys": [...]} document.
    """
    if isinstance(jwks, dict):
        jwks = jwks.get("keys", [])
    keys = {}
    for jwk in jwks:
        if not _is_ed25519_signing_jwk(jwk):
            continue
        try:
            keys[jwk["kid"]] = Ed25519PublicKey.from_public_bytes(_b64url_decode(jwk["x"]))
        except (KeyError, TypeError, ValueError):
            log.warning("skipping malformed JWK %r", jwk.get("kid"))
    return keys


def _is_ed25519_signing_jwk(jwk) -> bool:
    return (
        isinstance(jwk, dict)
        and jwk.get("kty") == "OKP"
        and jwk.get("crv") == "Ed25519"
        and jwk.get("use", "sig") == "sig"
    )


VERIFIED_KEPT = 10_000   # verified tokens remembered until they expire


class TokenVerifier:
    """Verifies access tokens locally against identity's cached public keys.

    Keys are fetched lazily and refreshed every refresh_seconds. A token naming
    an unknown kid triggers a refetch (identity may just have rotated), but at
    most one every min_refetch_seconds so forged kids cannot hammer identity.
    When a fetch fails the cached keys stay in use.

    Verification parses the compact JWS once and checks the signature with the
    cached key object; the only algorithm accepted is EdDSA over Ed25519 keys.
    (PyJWT's decode would parse twice, once just to read the kid, and checks the
    base64 alphabet in a Python loop: that halves throughput. PyJWT still signs.)
    """

    def __init__(
        self,
        fetch_jwks: Callable[[], list[dict]],
        issuer: str = DEFAULT_ISSUER,
        audience: str = DEFAULT_AUDIENCE,
        refresh_seconds: float = 300,
        min_refetch_seconds: float = 5,
        leeway_seconds: float = 30,
        clock: Callable[[], float] = time.time,
    ):
        self._fetch_jwks = fetch_jwks
        self._issuer = issuer
        self._audience = audience
        self._refresh_seconds = refresh_seconds
        self._min_refetch_seconds = min_refetch_seconds
        self._leeway = leeway_seconds
        self._clock = clock
        self._keys: dict[str, Ed25519PublicKey] = {}
        self._fetched_at: float | None = None
        self._attempted_at: float | None = None
        self._fetch_lock = threading.Lock()
        self._verified: dict[str, tuple[Ed25519PublicKey, Principal]] = {}

    def verify(self, token: str | None) -> Principal:
        if not token:
            raise Unauthenticated("missing access token")
        if len(token) > MAX_TOKEN_CHARS:
            raise Unauthenticated("access token is too large")
        now = self._clock()
        kid, signing_input, payload_segment, signature = _split_jws(token)
        key = self._public_key(kid, now)
        known = self._verified.get(token)
        # An app sends the same token for minutes: its signature is checked
        # once, while its key is still published and the token unexpired.
        if known is not None and known[0] is key and now < known[1].expires_at + self._leeway:
            return known[1]
        try:
            key.verify(signature, signing_input)
        except InvalidSignature:
            raise Unauthenticated("access token signature is invalid") from None
        claims = _json_object(payload_segment, "claims")
        self._check_claims(claims, now)
        principal = _principal_from_claims(claims)
        self._remember(token, key, principal)
        return principal

    def _remember(self, token: str, key, principal: Principal):
        if len(self._verified) >= VERIFIED_KEPT:
            del self._verified[next(iter(self._verified))]   # the oldest
        self._verified[token] = (key, principal)

    def _check_claims(self, claims: dict, now: float) -> None:
        missing = [name for name in _REQUIRED_CLAIMS if claims.get(name) is None]
        if missing:
            raise Unauthenticated(f"access token lacks claims {missing}")
        if claims["iss"] != self._issuer:
            raise Unauthenticated(f"access token was not issued by {self._issuer!r}")
        audience = claims["aud"]
        if audience != self._audience and not (isinstance(audience, list) and self._audience in audience):
            raise Unauthenticated(f"access token is not meant for audience {self._audience!r}")
        expires_at, not_before, issued_at = (_numeric_claim(claims, name) for name in ("exp", "nbf", "iat"))
        if expires_at <= now - self._leeway:
            raise Unauthenticated("access token has expired")
        if not_before > now + self._leeway or issued_at > now + self._leeway:
            raise Unauthenticated("access token is not yet valid")

    def _public_key(self, kid: str, now: float) -> Ed25519PublicKey:
        if self._fetched_at is None or now - self._fetched_at >= self._refresh_seconds:
            self._refresh(now)
        key = self._keys.get(kid)
        if key is None:
            self._refresh(now)
            key = self._keys.get(kid)
        if key is not None:
            return key
        if not self._keys:
            raise Unauthenticated("cannot verify access token: identity's public keys are unavailable")
        raise Unauthenticated(f"access token is signed with an unknown key {kid!r}")

    def _refresh(self, now: float) -> None:
        # The lock makes concurrent callers wait for one fetch and then see its
        # result, instead of each fetching.
        with self._fetch_lock:
            if self._attempted_at is not None and now - self._attempted_at < self._min_refetch_seconds:
                return
            self._attempted_at = now
            try:
                keys = public_keys_from_jwks(self._fetch_jwks())
            except Exception:  # any transport error: keep serving with cached keys
                log.warning(
                    "fetching identity's public keys failed; keeping %d cached", len(self._keys), exc_info=True
                )
                return
            if not keys:
                log.warning("identity published no usable keys; keeping %d cached", len(self._keys))
                return
            self._keys = keys
            self._fetched_at = now


def _split_jws(token: str) -> tuple[str, bytes, str, bytes]:
    """kid, signing input, payload segment and signature of a compact JWS."""
    match = _COMPACT_JWS.fullmatch(token)
    if match is None:
        raise Unauthenticated("malformed access token: not a compact JWS")
    header_segment, payload_segment, signature_segment = match.groups()
    header = _json_object(header_segment, "header")
    if header.get("alg") != ALGORITHM:
        raise Unauthenticated(f"access token algorithm {header.get('alg')!r} is not allowed")
    if "crit" in header:  # no critical extensions are understood, so none may be required
        raise Unauthenticated("malformed access token: unsupported critical header")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise Unauthenticated("access token names no signing key (kid)")
    signing_input = f"{header_segment}.{payload_segment}".encode("ascii")
    return kid, signing_input, payload_segment, _b64url_decode_segment(signature_segment, "signature")


def _json_object(segment: str, name: str) -> dict:
    try:
        value = json.loads(_b64url_decode_segment(segment, name))
    except (ValueError, RecursionError):
        raise Unauthenticated(f"malformed access token: {name} is not JSON") from None
    if not isinstance(value, dict):
        raise Unauthenticated(f"malformed access token: {name} is not a JSON object")
    return value


def _b64url_decode_segment(segment: str, name: str) -> bytes:
    try:
        return _b64url_decode(segment)
    except ValueError:
        raise Unauthenticated(f"malformed access token: {name} is not base64url") from None


def _numeric_claim(claims: dict, name: str) -> float:
    value = claims[name]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Unauthenticated(f"malformed access token: {name!r} must be a number")
    return value


def _principal_from_claims(claims: dict) -> Principal:
    kind, assurance_level, roles, organisations = (
        claims["kind"], claims.get("aal", 0), claims["roles"], claims.get("orgs", [])
    )
    if not isinstance(claims["sub"], str) or not isinstance(claims["jti"], str):
        raise Unauthenticated("malformed access token: 'sub' and 'jti' must be strings")
    if not isinstance(kind, str) or kind not in _KINDS:
        raise Unauthenticated(f"malformed access token: unknown kind {kind!r}")
    if not isinstance(assurance_level, int):
        raise Unauthenticated("malformed access token: 'aal' must be an integer")
    if not _is_list_of(organisations, str) or not _is_list_of(roles, list):
        raise Unauthenticated("malformed access token: 'roles' and 'orgs' must be lists")
    return Principal(
        subject=claims["sub"],
        kind=kind,
        roles=tuple(_role_grant(entry) for entry in roles),
        assurance_level=assurance_level,
        organisations=tuple(organisations),
        token_id=claims["jti"],
        expires_at=int(claims["exp"]),
    )


def _is_list_of(value, item_type) -> bool:
    return isinstance(value, list) and all(isinstance(item, item_type) for item in value)


def _role_grant(entry: list) -> RoleGrant:
    if len(entry) != 3 or not _is_list_of(entry, str):
        raise Unauthenticated("malformed access token: each role must be [role, agency, jurisdiction]")
    return RoleGrant(*entry)


def bearer_token(metadata: Iterable[tuple[str, str]] | None) -> str | None:
    """The token from an 'authorization: Bearer <token>' metadata pair, if any."""
    for key, value in metadata or ():
        if key.lower() != "authorization":
            continue
        scheme, _, token = value.strip().partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return token.strip()
    return None
