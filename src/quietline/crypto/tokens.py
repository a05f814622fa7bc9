"""Opaque bearer tokens. Only a SHA-256 hash is stored: the token has 256 bits of entropy,
so a fast hash is enough (no guessing attack), and lookups stay a single index probe."""

from __future__ import annotations

import hashlib
import hmac
import secrets

TOKEN_PREFIX = "qls_"  # noqa: S105 - a marker, not a secret


def new_token(prefix: str = TOKEN_PREFIX) -> str:
    return prefix + secrets.token_urlsafe(32)


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def keyed_hash(key: bytes, value: str) -> bytes:
    """HMAC used for lookup keys of personal values (throttle keys, blind indexes)."""
    return hmac.new(key, value.encode(), hashlib.sha256).digest()
