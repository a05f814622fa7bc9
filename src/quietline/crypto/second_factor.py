"""TOTP (RFC 6238, via pyotp) and one-time recovery codes."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

import pyotp

TOTP_PERIOD = 30
RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def new_totp_secret() -> str:
    return str(pyotp.random_base32())


def provisioning_uri(secret: str, account: str, issuer: str) -> str:
    return str(pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=issuer))


def totp_time_step(at: datetime) -> int:
    return int(at.timestamp()) // TOTP_PERIOD


def match_totp(secret: str, code: str, at: datetime, *, after_step: int | None) -> int | None:
    """Return the time step the code matches (one step of drift allowed), or None.

    ``after_step`` is the last step already used: a code cannot be replayed.
    """
    code = code.strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    now_step = totp_time_step(at)
    for step in (now_step, now_step - 1, now_step + 1):
        if after_step is not None and step <= after_step:
            continue
        candidate = totp.at(step * TOTP_PERIOD)
        if secrets.compare_digest(str(candidate), code):
            return step
    return None


def new_recovery_codes() -> list[str]:
    """Ten codes of 16 characters (~78 bits each), shown once, stored only as hashes."""
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(16))
        codes.append("-".join(raw[i : i + 4] for i in range(0, 16, 4)))
    return codes


def recovery_code_hash(code: str) -> bytes:
    normalized = code.strip().lower().replace("-", "").replace(" ", "")
    return hashlib.sha256(b"quietline recovery code\x00" + normalized.encode()).digest()
