"""Secrets at rest: argon2 password hashes and SHA-256 digests of random API tokens."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()

TOKEN_PREFIX = "zl_"  # noqa: S105 - a visible prefix, not a secret


def hash_password(password: str) -> str:
    """An argon2id hash with a fresh salt."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when the password matches; never raises for a wrong password."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def password_needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's."""
    return _hasher.check_needs_rehash(password_hash)


def new_token() -> str:
    """A random bearer token, shown once to its owner and never stored in clear."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def digest_token(token: str, *, secret: str) -> str:
    """The stored form of a token: HMAC-SHA256 keyed by the server secret.

    High-entropy tokens need no slow hash; the key means a copy of the database alone cannot
    even check a guessed token.
    """
    return hmac.new(secret.encode("utf-8"), token.encode("utf-8"), hashlib.sha256).hexdigest()


def same_secret(left: str, right: str) -> bool:
    """Compare secrets in constant time."""
    return hmac.compare_digest(left.encode("utf-8"), right.encode("utf-8"))
