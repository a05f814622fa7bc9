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
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
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
    reseal,
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
    _write_secret_file(path, _master_key_text(key))
    return MasterKey(master_key_id(key), key)


def _master_key_text(key: bytes) -> str:
    return _MASTER_PREFIX + base64.b64encode(key).decode() + "\n"


# -- the master key files during a rotation ------------------------------------------
# Beside the active file (``master.key``) a rotation keeps, for as long as it is unfinished,
# ``master.next.key`` (the new key, written before anything is wrapped with it) and then
# ``master.previous.key`` (the old key, until no practice key is wrapped with it any more).
# Every process loads all three that exist, so every row stays readable at every moment.
# A finished rotation moves the previous file aside to ``master.retired-<time>-<id>.key``,
# which nothing loads. See docs/decisions/0013-key-rotation.md.


def _sibling(path: Path, label: str) -> Path:
    return path.with_name(f"{path.stem}.{label}{path.suffix}")


def previous_master_key_path(path: Path) -> Path:
    return _sibling(path, "previous")


def next_master_key_path(path: Path) -> Path:
    return _sibling(path, "next")


def retired_master_key_path(path: Path, key_id: str, at: datetime) -> Path:
    return _sibling(path, f"retired-{at.astimezone(UTC):%Y%m%dT%H%M%SZ}-{key_id}")


def new_master_key() -> MasterKey:
    key = new_key()
    return MasterKey(master_key_id(key), key)


def fsync_directory(path: Path) -> None:
    """Make a rename or a new file in ``path`` (a folder) survive a power cut."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_master_key_file_atomically(path: Path, master: MasterKey) -> None:
    """Write ``master`` to ``path`` (0600) so that the file either does not exist or is
    complete and on disk: a temporary file, fsync, a hard link to ``path`` (a rename where
    the file system has no links), fsync of the folder. Refuses to replace an existing
    ``path``."""
    if path.exists():
        raise FileExistsError(path)
    temporary = path.with_name(path.name + ".tmp")
    temporary.unlink(missing_ok=True)  # left by an interrupted write: never loaded, never used
    _write_secret_file(temporary, _master_key_text(master.key))
    try:
        os.link(temporary, path)  # fails if ``path`` appeared meanwhile: no silent replace
    except FileExistsError:
        temporary.unlink()
        raise
    except OSError:  # a file system without hard links; the caller holds the rotation lock
        os.rename(temporary, path)
    else:
        temporary.unlink()
    fsync_directory(path.parent)


def load_master_keys(path: Path) -> list[MasterKey]:
    """The active master key (``path``, required) first, then the previous and next keys of
    an unfinished rotation when their files exist."""
    keys = [load_master_key_file(path)]
    for extra in (previous_master_key_path(path), next_master_key_path(path)):
        try:
            key = load_master_key_file(extra)
        except KeyFileError:
            if not extra.exists():
                continue  # the usual case (or renamed by a rotation a moment ago)
            raise
        if all(key.key_id != known.key_id for known in keys):
            keys.append(key)
    return keys


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

    def __init__(
        self,
        master_keys: list[MasterKey],
        *,
        cache_size: int = 20_000,
        reload: Callable[[], list[MasterKey]] | None = None,
    ) -> None:
        """``master_keys[0]`` wraps new practice keys; every one of them opens old ones.

        ``reload`` (the key files, read again, active key first) is called when a wrapped
        practice key names a master key the ring does not hold: a running server learns the
        new key of a master key rotation that way, without a restart. The active key becomes
        the one the files now name as active.
        """
        if not master_keys:
            raise ValueError("at least one master key is required")
        self._masters = {mk.key_id: mk for mk in master_keys}
        self.active_master = master_keys[0]
        self._reload = reload
        self._reload_lock = threading.Lock()
        self._practice_keys: dict[str, bytes] = {}
        self._conversation_keys: OrderedDict[tuple[UUID, str], bytes] = OrderedDict()
        # Opened conversation titles, keyed by conversation id and ciphertext: the conversation
        # list shows up to hundreds at a time, and opening them was a sixth of its time. A
        # renamed title has a new ciphertext, so an entry is never stale; a ciphertext moved to
        # another conversation misses and fails authentication as before; it holds nothing the
        # cached conversation key would not open anyway.
        self._titles: OrderedDict[tuple[UUID, bytes], str] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    # -- master keys --------------------------------------------------------------------
    @property
    def master_key_ids(self) -> list[str]:
        with self._lock:
            return list(self._masters)

    def add_master_key(self, master: MasterKey, *, active: bool = False) -> None:
        """Hold one more master key (a rotation's new key); ``active`` wraps new practice keys
        with it from now on."""
        with self._lock:
            self._masters.setdefault(master.key_id, master)
            if active:
                self.active_master = self._masters[master.key_id]

    def master_key(self, key_id: str) -> MasterKey | None:
        """The master key with this id, reading the key files again if the ring lacks it."""
        with self._lock:
            found = self._masters.get(key_id)
        if found is not None or self._reload is None:
            return found
        with self._reload_lock:
            with self._lock:
                found = self._masters.get(key_id)
            if found is not None:
                return found  # another thread reloaded meanwhile
            try:
                loaded = self._reload()
            except KeyFileError:
                return None
            with self._lock:
                for master in loaded:
                    self._masters.setdefault(master.key_id, master)
                if loaded:
                    self.active_master = self._masters[loaded[0].key_id]
                return self._masters.get(key_id)

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
        raw = self._open_practice_key(practice_id, stored)
        with self._lock:
            self._practice_keys[stored.key_id] = raw
        return raw

    def _open_practice_key(self, practice_id: UUID, stored: WrappedKey) -> bytes:
        master = self.master_key(read_header(stored.wrapped).key_id)
        if master is None:
            raise DecryptionError
        aad = associated_data("practice-key", practice=practice_id, key=stored.key_id)
        return open_envelope(master.key, stored.wrapped, aad)

    def rewrap_practice_key(
        self, practice_id: UUID, stored: WrappedKey, master: MasterKey
    ) -> bytes:
        """The same practice key, wrapped by ``master`` instead (master key rotation)."""
        old = self.master_key(read_header(stored.wrapped).key_id)
        if old is None:
            raise DecryptionError
        aad = associated_data("practice-key", practice=practice_id, key=stored.key_id)
        return reseal(old.key, master.key, master.key_id, stored.wrapped, aad)

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

    def rewrap_conversation_key(
        self,
        practice_id: UUID,
        conversation_id: UUID,
        wrapped: bytes,
        old: WrappedKey,
        new: WrappedKey,
    ) -> bytes:
        """The same conversation key, wrapped by the practice key ``new`` instead of ``old``
        (practice key rotation). Its messages and title need nothing: they are sealed by the
        conversation key itself, which does not change."""
        if read_header(wrapped).key_id != old.key_id:
            raise DecryptionError
        aad = associated_data(
            "conversation-key", practice=practice_id, conversation=conversation_id
        )
        return reseal(
            self.practice_key(practice_id, old),
            self.practice_key(practice_id, new),
            new.key_id,
            wrapped,
            aad,
        )

    def _remember_conversation_key(self, conversation_id: UUID, pk_id: str, raw: bytes) -> None:
        with self._lock:
            self._conversation_keys[(conversation_id, pk_id)] = raw
            while len(self._conversation_keys) > self._cache_size:
                self._conversation_keys.popitem(last=False)

    # -- opened conversation titles ------------------------------------------------------
    def cached_title(self, conversation_id: UUID, sealed: bytes) -> str | None:
        with self._lock:
            return self._titles.get((conversation_id, sealed))

    def remember_title(self, conversation_id: UUID, sealed: bytes, title: str) -> None:
        with self._lock:
            self._titles[(conversation_id, sealed)] = title
            while len(self._titles) > self._cache_size:
                self._titles.popitem(last=False)

    def clear(self) -> None:
        """Drop every cached unwrapped key and opened title (after a rotation, or in tests)."""
        with self._lock:
            self._practice_keys.clear()
            self._conversation_keys.clear()
            self._titles.clear()


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
