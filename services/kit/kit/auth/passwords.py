"""Password and secret hashing.

Passwords are chosen by people and guessable, so they get argon2id with the
OWASP minimum cost. Refresh tokens and machine secrets are long random values
that cannot be guessed, so a fast SHA-256 is enough for them.
"""

import functools
import hashlib
import hmac
import os
import secrets

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

DEFAULT_MEMORY_KIB = 19456
DEFAULT_TIME_COST = 2


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with other parameters than today's (or is unreadable)."""
    try:
        return _hasher().check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


def new_secret(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def secret_matches(secret_hash: str, secret: str) -> bool:
    return hmac.compare_digest(secret_hash.encode("utf-8"), hash_secret(secret).encode("ascii"))


def _hasher() -> PasswordHasher:
    # Read the environment on each call so tests (and ops) can change the cost
    # without reimporting; the hasher itself is cached per parameter pair.
    return _hasher_for(
        _env_int("PASSWORD_HASH_MEMORY_KIB", DEFAULT_MEMORY_KIB),
        _env_int("PASSWORD_HASH_TIME_COST", DEFAULT_TIME_COST),
    )


@functools.lru_cache(maxsize=4)
def _hasher_for(memory_kib: int, time_cost: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1, type=Type.ID)


def _env_int(name: str, default: int) -> int:
    text = os.environ.get(name, "")
    if not text:
        return default
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{name} must be an integer, got {text!r}") from None
