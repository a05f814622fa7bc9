"""Signed documents (the offboarding record): an HMAC-SHA256 line at the end, keyed by a key
derived from the audit key, so a filed copy can later be shown to be unaltered."""

from __future__ import annotations

import base64
import hashlib
import hmac
from uuid import UUID

SIGNATURE_PREFIX = "Signature (HMAC-SHA256, Quietline audit key): "


def _mac(key: bytes, practice_id: UUID, body: str) -> str:
    # Bound to the practice: another practice on the same server cannot vouch for it.
    digest = hmac.new(key, practice_id.bytes + body.encode("utf-8"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def sign_document(key: bytes, practice_id: UUID, body: str) -> str:
    """``body`` followed by its signature line."""
    if not body.endswith("\n"):
        body += "\n"
    return f"{body}{SIGNATURE_PREFIX}{_mac(key, practice_id, body)}\n"


def document_signature_valid(key: bytes, practice_id: UUID, signed: str) -> bool:
    """True when the last line is a signature of everything before it, byte for byte."""
    text = signed.replace("\r\n", "\n")  # a copy saved on Windows is still the same document
    if text.endswith("\n"):
        text = text[:-1]
    body, _, last = text.rpartition("\n")
    if not last.startswith(SIGNATURE_PREFIX):
        return False
    expected = _mac(key, practice_id, body + "\n")
    return hmac.compare_digest(expected.encode(), last[len(SIGNATURE_PREFIX) :].encode())
