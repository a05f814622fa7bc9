"""The key hierarchy: master key (a file outside the database) -> practice keys ->
conversation keys -> one data key per message.

Only wrapped keys are stored in the database. Deleting a message's wrapped data key
destroys the only copy of the key that opens its body (crypto-shredding).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import secrets
import stat
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from quietline.crypto.envelope import (
    KEY_BYTES,
    DecryptionError,
    associated_data,
    new_key,
    open_envelope,
    read_header,
    seal,
)

_MASTER_PREFIX = "quietline-master-key-v1:"


class KeyFileError(Exception):
    """A key file is missing, unreadable, malformed or too widely readable."""


@dataclass(frozen=True, slots=True)
class MasterKey:
    key_id: str
    key: bytes = b""

    def __repr__(self) -> str:  # never print key bytes, even in a debugger or traceback
        return f"MasterKey(key_id={self.key_id!r})"


def master_key_id(key: bytes) -> str:
    """A stable, non-secret id for a master key (a hash prefix: reveals nothing usable)."""
    return "mk-" + hashlib.sha256(b"quietline master key id\x00" + key).hexdigest()[:16]


def _write_secret_file(path: Path, content: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())


def _read_secret_file(path: Path, what: str) -> str:
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError as exc:
        raise KeyFileError(f"{what} file {path} does not exist") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyFileError(f"{what} file {path} cannot be read: {exc.__class__.__name__}") from exc
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyFileError(f"{what} file {path} is readable by other users; run: chmod 600 {path}")
    return text


def create_master_key_file(path: Path) -> MasterKey:
    """Create a new master key file with 0600 permissions; refuses to overwrite."""
    key = new_key()
    _write_secret_file(path, _MASTER_PREFIX + base64.b64encode(key).decode() + "\n")
    return MasterKey(master_key_id(key), key)


def load_master_key_file(path: Path) -> MasterKey:
    text = _read_secret_file(path, "Master key")
    if not text.startswith(_MASTER_PREFIX):
        raise KeyFileError(f"Master key file {path} is not a Quietline master key")
    try:
        key = base64.b64decode(text[len(_MASTER_PREFIX) :], validate=True)
    except ValueError as exc:
        raise KeyFileError(f"Master key file {path} is damaged (not base64)") from exc
    if len(key) != KEY_BYTES:
        raise KeyFileError(f"Master key file {path} is damaged (wrong length)")
    return MasterKey(master_key_id(key), key)


_AUDIT_PREFIX = "quietline-audit-key-v1:"


def create_audit_key_file(path: Path) -> bytes:
    key = secrets.token_bytes(32)
    _write_secret_file(path, _AUDIT_PREFIX + base64.b64encode(key).decode() + "\n")
    return key


def load_audit_key_file(path: Path) -> bytes:
    text = _read_secret_file(path, "Audit key")
    if not text.startswith(_AUDIT_PREFIX):
        raise KeyFileError(f"Audit key file {path} is not a Quietline audit key")
    try:
        key = base64.b64decode(text[len(_AUDIT_PREFIX) :], validate=True)
    except ValueError as exc:
        raise KeyFileError(f"Audit key file {path} is damaged (not base64)") from exc
    if len(key) < 32:
        raise KeyFileError(f"Audit key file {path} is damaged (too short)")
    return key


@dataclass(frozen=True, slots=True)
class WrappedKey:
    key_id: str
    wrapped: bytes


class KeyRing:
    """Unwraps and caches keys. Thread-safe; holds no database handle.

    Callers pass the wrapped material they loaded; the ring only does the cryptography
    and keeps a bounded cache of unwrapped keys so hot paths do not unwrap every time.
    """

    def __init__(self, master_keys: list[MasterKey], *, cache_size: int = 20_000) -> None:
        if not master_keys:
            raise ValueError("at least one master key is required")
        self._masters = {mk.key_id: mk for mk in master_keys}
        self.active_master = master_keys[0]
        self._practice_keys: dict[str, bytes] = {}
        self._conversation_keys: OrderedDict[tuple[UUID, str], bytes] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    # -- practice keys (wrapped by the master key) ---------------------------------
    def new_practice_key(self, practice_id: UUID) -> WrappedKey:
        key_id = "pk-" + secrets.token_hex(8)
        raw = new_key()
        aad = associated_data("practice-key", practice=practice_id, key=key_id)
        wrapped = seal(self.active_master.key, self.active_master.key_id, raw, aad)
        with self._lock:
            self._practice_keys[key_id] = raw
        return WrappedKey(key_id, wrapped)

    def practice_key(self, practice_id: UUID, stored: WrappedKey) -> bytes:
        with self._lock:
            cached = self._practice_keys.get(stored.key_id)
        if cached is not None:
            return cached
        master = self._masters.get(read_header(stored.wrapped).key_id)
        if master is None:
            raise DecryptionError
        aad = associated_data("practice-key", practice=practice_id, key=stored.key_id)
        raw = open_envelope(master.key, stored.wrapped, aad)
        with self._lock:
            self._practice_keys[stored.key_id] = raw
        return raw

    # -- conversation keys (wrapped by a practice key) -----------------------------
    def new_conversation_key(
        self, practice_id: UUID, conversation_id: UUID, practice_key: WrappedKey
    ) -> bytes:
        """Return the wrapped key for a new conversation (sealed by ``practice_key``)."""
        pk = self.practice_key(practice_id, practice_key)
        raw = new_key()
        aad = associated_data(
            "conversation-key", practice=practice_id, conversation=conversation_id
        )
        wrapped = seal(pk, practice_key.key_id, raw, aad)
        self._remember_conversation_key(conversation_id, practice_key.key_id, raw)
        return wrapped

    def cached_conversation_key(self, conversation_id: UUID, practice_key_id: str) -> bytes | None:
        with self._lock:
            return self._conversation_keys.get((conversation_id, practice_key_id))

    def conversation_key(
        self,
        practice_id: UUID,
        conversation_id: UUID,
        wrapped: bytes,
        practice_key: WrappedKey,
    ) -> bytes:
        cache_key = (conversation_id, practice_key.key_id)
        with self._lock:
            cached = self._conversation_keys.get(cache_key)
            if cached is not None:
                self._conversation_keys.move_to_end(cache_key)
                return cached
        if read_header(wrapped).key_id != practice_key.key_id:
            raise DecryptionError
        pk = self.practice_key(practice_id, practice_key)
        aad = associated_data(
            "conversation-key", practice=practice_id, conversation=conversation_id
        )
        raw = open_envelope(pk, wrapped, aad)
        self._remember_conversation_key(conversation_id, practice_key.key_id, raw)
        return raw

    def _remember_conversation_key(self, conversation_id: UUID, pk_id: str, raw: bytes) -> None:
        with self._lock:
            self._conversation_keys[(conversation_id, pk_id)] = raw
            while len(self._conversation_keys) > self._cache_size:
                self._conversation_keys.popitem(last=False)

    def clear(self) -> None:
        """Drop every cached unwrapped key (after a rotation, or in tests)."""
        with self._lock:
            self._practice_keys.clear()
            self._conversation_keys.clear()


def load_or_create_vapid_key(path: Path) -> ec.EllipticCurvePrivateKey:
    """The P-256 key that signs Web Push requests (VAPID). Created on first use: losing it
    only means devices must turn notifications on again, so it need not be in backups."""
    if not path.exists():
        private = ec.generate_private_key(ec.SECP256R1())
        pem = private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        with contextlib.suppress(FileExistsError):  # another process made it first
            _write_secret_file(path, pem.decode("ascii"))
    text = _read_secret_file(path, "Push signing key")
    try:
        key = serialization.load_pem_private_key(text.encode("ascii"), password=None)
    except ValueError as exc:
        raise KeyFileError(f"Push signing key file {path} is damaged") from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise KeyFileError(f"Push signing key file {path} is not a P-256 key")
    return key
