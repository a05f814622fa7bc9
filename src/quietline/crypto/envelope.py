"""The versioned AES-256-GCM envelope that every encrypted column and wrapped key uses.

Layout (all integers big-endian)::

    byte 0      format version (2)
    byte 1      algorithm (1 = AES-256-GCM)
    byte 2      length n of the key id
    bytes 3..   key id (ASCII, n bytes): which key sealed this envelope
    12 bytes    nonce (random per envelope)
    rest        ciphertext followed by the 16-byte GCM tag

The associated data is never stored: callers rebuild it from immutable ids (practice,
conversation, message, purpose) with :func:`associated_data`, so an envelope copied into
another row, another practice or another purpose fails authentication.

From version 2 the header (bytes 0 to the end of the key id) is authenticated too: GCM's
associated data is ``header || associated data``, so an edited version, algorithm or key id
fails to open. Version 1 (never released) did not authenticate the header and is refused.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

FORMAT_VERSION = 2
ALG_AES_256_GCM = 1
NONCE_BYTES = 12
KEY_BYTES = 32
_HEADER = 3


class DecryptionError(Exception):
    """An envelope could not be opened: wrong key, wrong associated data, or tampering.

    Deliberately carries no detail: the caller knows which record it was opening.
    """


@dataclass(frozen=True, slots=True)
class EnvelopeHeader:
    version: int
    algorithm: int
    key_id: str


def associated_data(purpose: str, **ids: object) -> bytes:
    """Canonical associated data from a purpose and immutable ids (sorted by name)."""
    return associated_data_for((purpose,), **ids)[0]


def associated_data_for(purposes: tuple[str, ...], **ids: object) -> tuple[bytes, ...]:
    """:func:`associated_data` for several purposes over the same ids, each id formatted once
    (a message's body and its data key share three ids: half the cost of sealing one)."""
    named = "".join(f"|{name}={ids[name]}" for name in sorted(ids))
    return tuple(f"quietline/v1/{purpose}{named}".encode() for purpose in purposes)


def seal(
    key: bytes,
    key_id: str,
    plaintext: bytes,
    aad: bytes,
    *,
    nonce_source: Callable[[int], bytes] = os.urandom,
) -> bytes:
    """Encrypt ``plaintext`` under ``key`` into a self-describing envelope.

    ``nonce_source`` exists only so known-answer tests can fix the nonce.
    """
    if len(key) != KEY_BYTES:
        raise ValueError("AES-256-GCM needs a 32-byte key")
    kid = key_id.encode("ascii")
    if not 0 < len(kid) < 256:
        raise ValueError("key id must be 1..255 ASCII characters")
    nonce = nonce_source(NONCE_BYTES)
    header = bytes((FORMAT_VERSION, ALG_AES_256_GCM, len(kid))) + kid
    return header + nonce + AESGCM(key).encrypt(nonce, plaintext, header + aad)


def read_header(envelope: bytes) -> EnvelopeHeader:
    """Parse the header without decrypting (to find which key opens the envelope)."""
    if len(envelope) < _HEADER:
        raise DecryptionError
    version, algorithm, kid_len = envelope[0], envelope[1], envelope[2]
    if version != FORMAT_VERSION or algorithm != ALG_AES_256_GCM:
        raise DecryptionError
    if len(envelope) < _HEADER + kid_len + NONCE_BYTES + 16:
        raise DecryptionError
    try:
        key_id = envelope[_HEADER : _HEADER + kid_len].decode("ascii")
    except UnicodeDecodeError as exc:
        raise DecryptionError from exc
    return EnvelopeHeader(version=version, algorithm=algorithm, key_id=key_id)


def open_envelope(key: bytes, envelope: bytes, aad: bytes) -> bytes:
    """Decrypt an envelope made by :func:`seal`; raises :class:`DecryptionError` on any failure."""
    header = read_header(envelope)
    start = _HEADER + len(header.key_id)
    nonce = envelope[start : start + NONCE_BYTES]
    try:
        return AESGCM(key).decrypt(nonce, envelope[start + NONCE_BYTES :], envelope[:start] + aad)
    except (InvalidTag, ValueError) as exc:
        raise DecryptionError from exc


def reseal(old_key: bytes, new_key: bytes, new_key_id: str, envelope: bytes, aad: bytes) -> bytes:
    """Open ``envelope`` with ``old_key`` and seal the same plaintext under ``new_key`` with the
    same associated data (key rotation). Raises :class:`DecryptionError` like
    :func:`open_envelope`; the plaintext never leaves this function."""
    return seal(new_key, new_key_id, open_envelope(old_key, envelope, aad), aad)


def new_key() -> bytes:
    """A fresh random 256-bit key."""
    return AESGCM.generate_key(bit_length=256)
