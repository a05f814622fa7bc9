"""Encrypted, consistent backups of the whole database, and restoring them.

A backup is one file: a plaintext preamble (format version, master key id, key salt), then
a stream of AES-256-GCM chunks under a key derived with HKDF from the master key. The
plaintext inside is a sequence of records: a header (schema revision, tables, columns, row
counts), then per table its rows in batches and a trailer with the row count and a SHA-256
of the table's encoded rows, then an end record. ``docs/decisions/0012-backup-format.md``
describes every byte.

* :func:`create_backup` reads every table in one snapshot (SQLite: one read transaction,
  which WAL keeps at one point in time; PostgreSQL: REPEATABLE READ, READ ONLY) and streams
  it out, so a running server keeps serving and memory stays bounded.
* :func:`verify_backup` decrypts and checks everything without touching a database.
* :func:`restore_backup` loads a backup into an empty SQLite or PostgreSQL database (either
  one, whatever the source was), verifies the audit chains and installs the restored chain
  heads as the audit anchor.
* :func:`run_restore_test` restores into a throwaway SQLite database and opens every message.

Every function raises :class:`BackupError` with a sentence for the operator. Each run is
recorded in ``maintenance_events`` (counts only).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import struct
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from pathlib import Path
from typing import IO, Any, Protocol
from uuid import UUID

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Integer,
    LargeBinary,
    MetaData,
    Select,
    String,
    Table,
    Uuid,
    func,
    inspect,
    literal,
    select,
)
from sqlalchemy import table as bare_table
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.types import TypeEngine

from quietline.actions.audit import verify_all
from quietline.crypto.audit_chain import ChainReport
from quietline.crypto.envelope import DecryptionError, read_header
from quietline.crypto.fields import SealedMessage, open_conversation_title, open_message_body
from quietline.crypto.keys import KeyRing, MasterKey, WrappedKey
from quietline.domain.clock import Clock, SystemClock
from quietline.storage.audit_anchor import AuditAnchor, AuditAnchorError, Head
from quietline.storage.database import make_engine, make_migration_engine
from quietline.storage.migrate import alembic_config, head_revision, upgrade
from quietline.storage.stores.maintenance import MaintenanceStore
from quietline.storage.tables import (
    UTCDateTime,
    audit_events,
    conversations,
    messages,
    metadata,
    practice_keys,
)
from quietline.storage.unit import Unit

FORMAT_VERSION = 1
MAGIC = b"QUIETLINE-BACKUP"
KDF_INFO = b"quietline/backup-key/v1"
SALT_BYTES = 32
# magic, format version, length of the public header that follows
_PREAMBLE = struct.Struct(">16sHI")
# final flag, ciphertext length
_FRAME = struct.Struct(">BI")
_U32 = struct.Struct(">I")
_I64 = struct.Struct(">q")
_MAX_PUBLIC_HEADER = 64 * 1024
_TAG_BYTES = 16
_BATCH_ROWS = 1000
_BATCH_BYTES = 1024 * 1024
# A record is at most one batch (1 MiB plus its last row) or the header: anything much
# larger is a damaged length field, refused before reading it into memory.
_MAX_CHUNK = 64 * 1024 * 1024
_RECORD_HEADER = b"H"
_RECORD_TABLE = b"T"
_RECORD_ROWS = b"R"
_RECORD_TABLE_END = b"E"
_RECORD_END = b"Z"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)

# Maintenance event kinds (``maintenance_events.kind``).
KIND_BACKUP = "backup"
KIND_VERIFY = "backup_verify"
KIND_RESTORE = "restore"
KIND_RESTORE_TEST = "restore_test"


class BackupError(Exception):
    """A backup cannot be written, read or restored; the message says why and what to do."""


class ProgressSink(Protocol):
    """Told about each table as it is written, checked or restored (rows per table)."""

    def table_started(self, name: str, rows: int) -> None: ...

    def rows_done(self, count: int) -> None: ...


class _Silent:
    def table_started(self, name: str, rows: int) -> None:
        pass

    def rows_done(self, count: int) -> None:
        pass


# -- what a backup holds ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    name: str
    type: str  # one of _CODECS
    nullable: bool


@dataclass(frozen=True, slots=True)
class TableSpec:
    name: str
    rows: int
    columns: tuple[ColumnSpec, ...]


@dataclass(frozen=True, slots=True)
class BackupHeader:
    format: int
    created_at: datetime
    revision: str
    source_backend: str
    master_key_id: str
    audit_key_id: str | None
    quietline_version: str
    tables: tuple[TableSpec, ...]

    @property
    def total_rows(self) -> int:
        return sum(t.rows for t in self.tables)


@dataclass(frozen=True, slots=True)
class TableCheck:
    name: str
    rows: int
    sha256: str


@dataclass(frozen=True, slots=True)
class BackupSummary:
    """What a backup holds, after every chunk and table checksum was checked."""

    path: Path
    header: BackupHeader
    tables: tuple[TableCheck, ...]
    size: int
    chunks: int
    # Master key ids that seal the practice keys inside (needed to read the messages).
    sealed_by: tuple[str, ...]
    record_problem: str | None = None

    @property
    def total_rows(self) -> int:
        return sum(t.rows for t in self.tables)

    def counts(self) -> dict[str, int]:
        return {t.name: t.rows for t in self.tables}


@dataclass(frozen=True, slots=True)
class RestoreReport:
    summary: BackupSummary
    target: str
    audit: tuple[ChainReport, ...]
    heads: dict[UUID, Head]
    upgraded_from: str | None
    anchor_path: Path
    previous_anchor: Path | None
    anchor_notes: tuple[str, ...]
    warnings: tuple[str, ...]
    record_problem: str | None = None

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.audit)


@dataclass(frozen=True, slots=True)
class RestoreTestReport:
    restore: RestoreReport
    practice_keys_checked: int
    titles_checked: int
    messages_checked: int
    failures: tuple[str, ...]  # what could not be opened, by id (never content)
    record_problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.restore.ok and not self.failures


# -- value encoding -------------------------------------------------------------------------
#
# Each value: one byte, 0 for NULL or 1 for a value, then the value by its column's type.
# Fixed-width integers are big-endian; variable-length values carry a u32 length.


def _encode_bool(value: Any, out: bytearray) -> None:
    if not isinstance(value, bool):
        raise TypeError
    out.append(1 if value else 0)


def _encode_int(value: Any, out: bytearray) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError
    out += _I64.pack(value)


def _encode_blob(data: bytes, out: bytearray) -> None:
    out += _U32.pack(len(data))
    out += data


def _encode_str(value: Any, out: bytearray) -> None:
    if not isinstance(value, str):
        raise TypeError
    _encode_blob(value.encode("utf-8"), out)


def _encode_bytes(value: Any, out: bytearray) -> None:
    if not isinstance(value, bytes | bytearray | memoryview):
        raise TypeError
    _encode_blob(bytes(value), out)


def _encode_uuid(value: Any, out: bytearray) -> None:
    if not isinstance(value, UUID):
        raise TypeError
    out += value.bytes


def _encode_datetime(value: Any, out: bytearray) -> None:
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise TypeError
    out += _I64.pack((value - _EPOCH) // _MICROSECOND)


def canonical_json(value: Any) -> bytes:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def _encode_json(value: Any, out: bytearray) -> None:
    _encode_blob(canonical_json(value), out)


class _Malformed(Exception):
    pass


def _take(buf: bytes, pos: int, n: int) -> tuple[bytes, int]:
    end = pos + n
    if end > len(buf):
        raise _Malformed
    return buf[pos:end], end


def _take_blob(buf: bytes, pos: int) -> tuple[bytes, int]:
    raw, pos = _take(buf, pos, 4)
    return _take(buf, pos, _U32.unpack(raw)[0])


def _decode_bool(buf: bytes, pos: int) -> tuple[Any, int]:
    raw, pos = _take(buf, pos, 1)
    if raw not in (b"\x00", b"\x01"):
        raise _Malformed
    return raw == b"\x01", pos


def _decode_int(buf: bytes, pos: int) -> tuple[Any, int]:
    raw, pos = _take(buf, pos, 8)
    return _I64.unpack(raw)[0], pos


def _decode_str(buf: bytes, pos: int) -> tuple[Any, int]:
    raw, pos = _take_blob(buf, pos)
    try:
        return raw.decode("utf-8"), pos
    except UnicodeDecodeError as exc:
        raise _Malformed from exc


def _decode_bytes(buf: bytes, pos: int) -> tuple[Any, int]:
    return _take_blob(buf, pos)


def _decode_uuid(buf: bytes, pos: int) -> tuple[Any, int]:
    raw, pos = _take(buf, pos, 16)
    return UUID(bytes=raw), pos


def _decode_datetime(buf: bytes, pos: int) -> tuple[Any, int]:
    raw, pos = _take(buf, pos, 8)
    try:
        return _EPOCH + _I64.unpack(raw)[0] * _MICROSECOND, pos
    except OverflowError as exc:
        raise _Malformed from exc


def _decode_json(buf: bytes, pos: int) -> tuple[Any, int]:
    raw, pos = _take_blob(buf, pos)
    try:
        return json.loads(raw), pos
    except ValueError as exc:
        raise _Malformed from exc


_Encoder = Callable[[Any, bytearray], None]
_Decoder = Callable[[bytes, int], tuple[Any, int]]


@dataclass(frozen=True, slots=True)
class _Codec:
    encode: _Encoder
    decode: _Decoder
    sql_type: Callable[[], TypeEngine[Any]]


_CODECS: dict[str, _Codec] = {
    "bool": _Codec(_encode_bool, _decode_bool, Boolean),
    "int": _Codec(_encode_int, _decode_int, BigInteger),
    "str": _Codec(_encode_str, _decode_str, String),
    "bytes": _Codec(_encode_bytes, _decode_bytes, LargeBinary),
    "uuid": _Codec(_encode_uuid, _decode_uuid, Uuid),
    "datetime": _Codec(_encode_datetime, _decode_datetime, UTCDateTime),
    "json": _Codec(_encode_json, _decode_json, JSON),
}


def _type_name(column: Column[Any]) -> str:
    kind = column.type
    if isinstance(kind, UTCDateTime):
        return "datetime"
    if isinstance(kind, Uuid):
        return "uuid"
    if isinstance(kind, Boolean):
        return "bool"
    if isinstance(kind, Integer):
        return "int"
    if isinstance(kind, LargeBinary):
        return "bytes"
    if isinstance(kind, JSON):
        return "json"
    if isinstance(kind, String):
        return "str"
    raise BackupError(
        f"Column {column.table.name}.{column.name} has a type the backup format does not "
        "know yet; this is a bug in Quietline."
    )


class _RowEncoder:
    def __init__(self, spec: TableSpec) -> None:
        self._name = spec.name
        self._columns = [(c.name, c.nullable, _CODECS[c.type].encode) for c in spec.columns]

    def encode(self, row: Sequence[Any], out: bytearray) -> None:
        for (name, nullable, encode), value in zip(self._columns, row, strict=True):
            if value is None:
                if not nullable:
                    raise BackupError(f"{self._name}.{name} is NULL in a NOT NULL column.")
                out.append(0)
                continue
            out.append(1)
            try:
                encode(value, out)
            except (TypeError, struct.error, ValueError) as exc:
                raise BackupError(
                    f"{self._name}.{name} holds a value the backup format cannot store "
                    f"({value.__class__.__name__}); this is a bug in Quietline."
                ) from exc


def _decode_rows(spec: TableSpec, body: bytes, count: int) -> list[tuple[Any, ...]]:
    decoders = [_CODECS[c.type].decode for c in spec.columns]
    rows: list[tuple[Any, ...]] = []
    pos = 0
    for _ in range(count):
        values: list[Any] = []
        for decode in decoders:
            present, pos = _take(body, pos, 1)
            if present == b"\x00":
                values.append(None)
            elif present == b"\x01":
                value, pos = decode(body, pos)
                values.append(value)
            else:
                raise _Malformed
        rows.append(tuple(values))
    if pos != len(body):
        raise _Malformed
    return rows


# -- chunks ------------------------------------------------------------------------------------


def _nonce(index: int, final: bool) -> bytes:
    """The chunk's position and whether it is the last one: 11 bytes of counter, 1 flag."""
    return index.to_bytes(11, "big") + (b"\x01" if final else b"\x00")


def derive_backup_key(master: MasterKey, salt: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=KDF_INFO).derive(master.key)


def audit_key_id(key: bytes) -> str:
    """A non-secret id for an audit key (a hash prefix), so a restore can name the one it needs."""
    return "ak-" + hashlib.sha256(b"quietline audit key id\x00" + key).hexdigest()[:16]


class _ChunkWriter:
    def __init__(self, handle: IO[bytes], key: bytes, aad: bytes) -> None:
        self._handle = handle
        self._aead = AESGCM(key)
        self._aad = aad
        self.count = 0

    def write(self, record: bytes, *, final: bool = False) -> None:
        sealed = self._aead.encrypt(_nonce(self.count, final), record, self._aad)
        self._handle.write(_FRAME.pack(1 if final else 0, len(sealed)))
        self._handle.write(sealed)
        self.count += 1


def _json_record(kind: bytes, document: dict[str, Any]) -> bytes:
    return kind + canonical_json(document)


def _truncated(index: int, inside: bool) -> BackupError:
    if not inside and index == 0:
        return BackupError(
            "The backup file is incomplete: it ends before its first chunk (it was truncated). "
            "Use another copy of the backup."
        )
    if inside:
        return BackupError(
            f"The backup file is incomplete: it ends inside chunk {index} (it was truncated, "
            "for instance by an interrupted copy). Use another copy of the backup."
        )
    return BackupError(
        f"The backup file is incomplete: it ends after chunk {index - 1}, before its final "
        "chunk (it was truncated). Use another copy of the backup."
    )


def _tampered(index: int) -> BackupError:
    return BackupError(
        f"Chunk {index} of the backup file fails authentication: the file was edited or "
        "damaged, or its chunks were reordered. Nothing in it can be trusted; use another copy "
        "of the backup."
    )


class _Reader:
    """Opens a backup: checks the preamble, picks the master key, decrypts chunk by chunk."""

    def __init__(self, path: Path, masters: Sequence[MasterKey]) -> None:
        self.path = path
        try:
            self._handle: IO[bytes] = path.open("rb")
        except FileNotFoundError:
            raise BackupError(f"There is no file {path}.") from None
        except OSError as exc:
            raise BackupError(f"{path} cannot be read ({exc.__class__.__name__}).") from None
        try:
            self._open(masters)
        except BaseException:
            self._handle.close()
            raise
        self.chunks = 0
        self._records = self._decrypt()

    def _open(self, masters: Sequence[MasterKey]) -> None:
        preamble = self._read(_PREAMBLE.size)
        if len(preamble) < _PREAMBLE.size or not preamble.startswith(MAGIC):
            raise BackupError(f"{self.path} is not a Quietline backup file.")
        _magic, version, length = _PREAMBLE.unpack(preamble)
        if version != FORMAT_VERSION:
            raise BackupError(
                f"{self.path} is a Quietline backup in format version {version}, which this "
                f"version of Quietline cannot read (it reads format version {FORMAT_VERSION}). "
                "Use the Quietline version that made the backup, or a newer one."
            )
        if length > _MAX_PUBLIC_HEADER:
            raise BackupError(f"The header of {self.path} is damaged. Use another copy.")
        raw = self._read(length)
        if len(raw) < length:
            raise _truncated(0, inside=True)
        try:
            public = json.loads(raw)
            key_id = str(public["master_key_id"])
            salt = bytes.fromhex(public["salt"])
            usable = public["cipher"] == "AES-256-GCM" and public["kdf"] == "HKDF-SHA256"
        except (ValueError, KeyError, TypeError):
            raise BackupError(f"The header of {self.path} is damaged. Use another copy.") from None
        if not usable or len(salt) != SALT_BYTES:
            raise BackupError(f"The header of {self.path} is damaged. Use another copy.")
        self.master_key_id = key_id
        master = next((m for m in masters if m.key_id == key_id), None)
        if master is None:
            configured = ", ".join(m.key_id for m in masters) or "none"
            raise BackupError(
                f"This backup was encrypted with master key {key_id}, but the configured master "
                f"key is {configured}. Set QUIETLINE_MASTER_KEY_FILE to the master key file that "
                "was in use when the backup was made (the backup is useless without it)."
            )
        self._aead = AESGCM(derive_backup_key(master, salt))
        self._aad = preamble + raw

    def _read(self, size: int = -1) -> bytes:
        try:
            return self._handle.read(size)
        except OSError as exc:
            raise BackupError(
                f"{self.path} cannot be read ({exc.strerror or exc.__class__.__name__})."
            ) from None

    def _decrypt(self) -> Iterator[bytes]:
        index = 0
        while True:
            frame = self._read(_FRAME.size)
            if not frame:
                raise _truncated(index, inside=False)
            if len(frame) < _FRAME.size:
                raise _truncated(index, inside=True)
            flag, length = _FRAME.unpack(frame)
            if flag not in (0, 1) or not _TAG_BYTES <= length <= _MAX_CHUNK:
                raise _tampered(index)
            sealed = self._read(length)
            if len(sealed) < length:
                raise _truncated(index, inside=True)
            try:
                record = self._aead.decrypt(_nonce(index, flag == 1), sealed, self._aad)
            except InvalidTag:
                raise _tampered(index) from None
            index += 1
            self.chunks = index
            if flag == 1:
                extra = len(self._read())
                if extra:
                    raise BackupError(
                        f"The backup file has {extra} bytes after its final chunk: it was "
                        "edited or joined with another file. Use another copy of the backup."
                    )
                yield record
                return
            yield record

    def next_record(self) -> bytes | None:
        return next(self._records, None)

    def close(self) -> None:
        self._handle.close()

    def __enter__(self) -> _Reader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _malformed(what: str) -> BackupError:
    return BackupError(
        f"The backup decrypts but its contents are malformed ({what}). It was probably made "
        "by a faulty version of Quietline; use another backup."
    )


def _parse_json(record: bytes, what: str) -> dict[str, Any]:
    try:
        document = json.loads(record[1:])
    except ValueError:
        raise _malformed(what) from None
    if not isinstance(document, dict):
        raise _malformed(what)
    return document


def _read_header(reader: _Reader) -> BackupHeader:
    record = reader.next_record()
    if record is None or record[:1] != _RECORD_HEADER:
        raise _malformed("no header")
    doc = _parse_json(record, "header")
    try:
        tables = tuple(
            TableSpec(
                name=str(t["name"]),
                rows=int(t["rows"]),
                columns=tuple(
                    ColumnSpec(str(c["name"]), str(c["type"]), bool(c["nullable"]))
                    for c in t["columns"]
                ),
            )
            for t in doc["tables"]
        )
        header = BackupHeader(
            format=int(doc["format"]),
            created_at=datetime.fromisoformat(doc["created_at"]),
            revision=str(doc["revision"]),
            source_backend=str(doc["source_backend"]),
            master_key_id=str(doc["master_key_id"]),
            audit_key_id=doc.get("audit_key_id"),
            quietline_version=str(doc.get("quietline_version", "unknown")),
            tables=tables,
        )
    except (KeyError, TypeError, ValueError):
        raise _malformed("header") from None
    unknown = {c.type for t in tables for c in t.columns} - set(_CODECS)
    if unknown or header.format != FORMAT_VERSION or header.master_key_id != reader.master_key_id:
        raise _malformed("header")
    return header


@dataclass(slots=True)
class _TableStart:
    spec: TableSpec


@dataclass(slots=True)
class _Rows:
    spec: TableSpec
    rows: list[tuple[Any, ...]]


@dataclass(slots=True)
class _TableEnd:
    check: TableCheck


@dataclass(slots=True)
class _End:
    sealed_by: tuple[str, ...]


_Item = _TableStart | _Rows | _TableEnd | _End


def _contents(reader: _Reader, header: BackupHeader) -> Iterator[_Item]:
    """Every table's rows, decoded, with the counts and checksums checked as they end."""
    for spec in header.tables:
        record = reader.next_record()
        if record is None or record[:1] != _RECORD_TABLE:
            raise _malformed(f"table {spec.name} does not start where expected")
        if _parse_json(record, "table start").get("name") != spec.name:
            raise _malformed(f"table {spec.name} is out of place")
        yield _TableStart(spec)
        digest = hashlib.sha256()
        count = 0
        while True:
            record = reader.next_record()
            if record is None:
                raise _malformed(f"table {spec.name} has no end")
            kind = record[:1]
            if kind == _RECORD_ROWS:
                if len(record) < 5:
                    raise _malformed(f"rows of {spec.name}")
                n = _U32.unpack(record[1:5])[0]
                body = record[5:]
                try:
                    rows = _decode_rows(spec, body, n)
                except _Malformed:
                    raise _malformed(f"rows of {spec.name}") from None
                digest.update(body)
                count += n
                yield _Rows(spec, rows)
                continue
            if kind != _RECORD_TABLE_END:
                raise _malformed(f"table {spec.name} has no end")
            end = _parse_json(record, "table end")
            if end.get("name") != spec.name or end.get("rows") != count or count != spec.rows:
                raise BackupError(
                    f"Table {spec.name} in the backup holds {count} rows, but its header says "
                    f"{spec.rows}. The backup is not consistent; use another backup."
                )
            if end.get("sha256") != digest.hexdigest():
                raise BackupError(
                    f"Table {spec.name} does not match its SHA-256 checksum in the backup. "
                    "The backup is not consistent; use another backup."
                )
            yield _TableEnd(TableCheck(spec.name, count, digest.hexdigest()))
            break
    record = reader.next_record()
    if record is None or record[:1] != _RECORD_END:
        raise _malformed("no end record")
    end = _parse_json(record, "end")
    if end.get("tables") != len(header.tables) or end.get("rows") != header.total_rows:
        raise _malformed("end record")
    if reader.next_record() is not None:
        raise _malformed("records after the end")
    yield _End(tuple(str(k) for k in end.get("sealed_by", [])))


# -- databases ---------------------------------------------------------------------------------


def _backend(url: str) -> str:
    return make_url(url).get_backend_name()


def describe_database(url: str) -> str:
    """Where a database is, for messages (never with a password)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return f"the SQLite database {parsed.database}"
    return f"the PostgreSQL database {parsed.render_as_string(hide_password=True)}"


def _sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return None
    return Path(parsed.database)


def _database_failed(url: str, doing: str, exc: SQLAlchemyError) -> BackupError:
    # The type only: a driver's message could quote data.
    where = describe_database(url)
    return BackupError(
        f"{where[:1].upper()}{where[1:]} could not be {doing} ({exc.__class__.__name__}). "
        "Check that it is running and reachable, and the settings that name it."
    )


def _existing_database_engine(url: str, *, write: bool) -> Engine:
    """An engine for a database that must already exist (never creates a SQLite file)."""
    path = _sqlite_path(url)
    if path is not None:
        if not path.is_file():
            raise BackupError(f"There is no database at {path}. Check QUIETLINE_DATA_DIR.")
        return make_migration_engine(url) if write else make_engine(url, writer=False, pool_size=1)
    return make_migration_engine(url)


def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config("sqlite://"))


def _revisions_up_to(revision: str) -> set[str] | None:
    """``revision`` and every revision before it, or None if this code does not know it."""
    try:
        return {r.revision for r in _script().iterate_revisions(revision, "base")}
    except CommandError:
        return None


def record_maintenance(
    url: str, kind: str, at: datetime, *, ok: bool, details: dict[str, Any]
) -> str | None:
    """Record an operation in ``maintenance_events``; a sentence if that was impossible."""
    try:
        engine = _existing_database_engine(url, write=True)
    except BackupError as exc:
        return f"It was not recorded in the database: {exc}"
    try:
        with engine.begin() as conn:
            MaintenanceStore(conn).record(kind, at, ok=ok, details=details)
    except SQLAlchemyError as exc:
        return (
            f"It was not recorded in {describe_database(url)} ({exc.__class__.__name__}); "
            "is its schema up to date?"
        )
    finally:
        engine.dispose()
    return None


# -- backup ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Plan:
    spec: TableSpec
    query: Select[Any]


def _plan(conn: Connection, revision: str) -> list[_Plan]:
    """Every table present, in foreign-key order, with the columns this revision has."""
    inspector = inspect(conn)
    present = set(inspector.get_table_names()) - {"alembic_version"}
    known = {t.name for t in metadata.sorted_tables}
    at_head = revision == head_revision()
    strange = sorted(present - known)
    if strange:
        raise BackupError(
            f"The database holds tables this version of Quietline does not know "
            f"({', '.join(strange)}). Back it up with the Quietline version that matches it."
        )
    plans = []
    for table in metadata.sorted_tables:
        if table.name not in present:
            if at_head:
                raise BackupError(
                    f"The database has no table {table.name} although its schema is current. "
                    "Run 'quietline migrate' and check the database."
                )
            continue
        columns_present = {c["name"] for c in inspector.get_columns(table.name)}
        extra = sorted(columns_present - set(table.c.keys()))
        if extra or (at_head and len(columns_present) != len(table.columns)):
            raise BackupError(
                f"Table {table.name} does not have the columns this version of Quietline "
                "expects. Run 'quietline migrate', or back up with the matching version."
            )
        columns = [c for c in table.columns if c.name in columns_present]
        order = [c for c in table.primary_key.columns if c.name in columns_present]
        rows = conn.execute(select(func.count()).select_from(table)).scalar_one()
        spec = TableSpec(
            name=table.name,
            rows=int(rows),
            columns=tuple(ColumnSpec(c.name, _type_name(c), bool(c.nullable)) for c in columns),
        )
        plans.append(_Plan(spec, select(*columns).order_by(*order)))
    return plans


def _quietline_version() -> str:
    try:
        return package_version("quietline")
    except PackageNotFoundError:
        return "unknown"


def create_backup(
    url: str,
    destination: Path,
    *,
    master: MasterKey,
    audit_key: bytes | None = None,
    clock: Clock | None = None,
    progress: ProgressSink | None = None,
    record: bool = True,
) -> BackupSummary:
    """Write an encrypted backup of the database at ``url`` to the new file ``destination``.

    Reads everything in one snapshot while the server keeps running. The file appears only
    when it is complete (written beside it, fsynced, then linked into place) and is never
    overwritten. Recorded in the source's ``maintenance_events`` (``record``).
    """
    clock = clock or SystemClock()
    progress = progress or _Silent()
    destination = Path(destination)
    if destination.exists():
        raise BackupError(
            f"{destination} already exists. Choose a new file name; backups are never overwritten."
        )
    if not destination.parent.is_dir():
        raise BackupError(f"The folder {destination.parent} does not exist.")
    engine = _existing_database_engine(url, write=False)
    partial = destination.with_name(f".{destination.name}.{secrets.token_hex(4)}.partial")
    started = clock.now()
    counted = _Counting(progress)
    try:
        summary = _write_backup(
            url, engine, partial, destination, master, audit_key, clock, counted
        )
    except Exception as exc:
        partial.unlink(missing_ok=True)
        if record:
            record_maintenance(
                url, KIND_BACKUP, started, ok=False, details={"rows_written": counted.rows}
            )
        if isinstance(exc, OSError):
            raise BackupError(
                f"The backup could not be written to {destination} "
                f"({exc.strerror or exc.__class__.__name__})."
            ) from None
        if isinstance(exc, SQLAlchemyError):
            raise _database_failed(url, "read", exc) from None
        raise
    finally:
        engine.dispose()
    if not record:
        return summary
    problem = record_maintenance(
        url,
        KIND_BACKUP,
        summary.header.created_at,
        ok=True,
        details={
            "tables": len(summary.tables),
            "rows": summary.total_rows,
            "bytes": summary.size,
            "chunks": summary.chunks,
        },
    )
    return replace(summary, record_problem=problem)


class _Counting:
    def __init__(self, inner: ProgressSink) -> None:
        self._inner = inner
        self.rows = 0

    def table_started(self, name: str, rows: int) -> None:
        self._inner.table_started(name, rows)

    def rows_done(self, count: int) -> None:
        self.rows += count
        self._inner.rows_done(count)


def _snapshot(conn: Connection, backend: str) -> None:
    if backend == "postgresql":
        # One snapshot for every statement of the transaction; nothing is locked that
        # writers need. (SQLite: the engine's plain BEGIN plus WAL give the same.)
        conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)


def _write_backup(
    url: str,
    engine: Engine,
    partial: Path,
    destination: Path,
    master: MasterKey,
    audit_key: bytes | None,
    clock: Clock,
    progress: ProgressSink,
) -> BackupSummary:
    backend = _backend(url)
    with engine.connect() as conn:
        _snapshot(conn, backend)
        with conn.begin():
            # The first read fixes the snapshot; everything below sees the same moment.
            revision = MigrationContext.configure(conn).get_current_revision()
            if revision is None:
                where = describe_database(url)
                raise BackupError(
                    f"{where[:1].upper()}{where[1:]} has no Quietline schema. Run 'quietline init' "
                    "or 'quietline migrate' first."
                )
            if _revisions_up_to(revision) is None:
                raise BackupError(
                    f"The database schema is at revision {revision}, which this version of "
                    "Quietline does not know. Back it up with the Quietline version that "
                    "migrated it."
                )
            plans = _plan(conn, revision)
            created_at = clock.now()
            audit_id = audit_key_id(audit_key) if audit_key is not None else None
            header = {
                "format": FORMAT_VERSION,
                "created_at": created_at.isoformat(),
                "revision": revision,
                "source_backend": backend,
                "master_key_id": master.key_id,
                "audit_key_id": audit_id,
                "quietline_version": _quietline_version(),
                "tables": [
                    {
                        "name": p.spec.name,
                        "rows": p.spec.rows,
                        "columns": [
                            {"name": c.name, "type": c.type, "nullable": c.nullable}
                            for c in p.spec.columns
                        ],
                    }
                    for p in plans
                ],
            }
            salt = secrets.token_bytes(SALT_BYTES)
            public = canonical_json(
                {
                    "format": FORMAT_VERSION,
                    "created_at": created_at.isoformat(),
                    "master_key_id": master.key_id,
                    "cipher": "AES-256-GCM",
                    "kdf": "HKDF-SHA256",
                    "salt": salt.hex(),
                }
            )
            preamble = _PREAMBLE.pack(MAGIC, FORMAT_VERSION, len(public))
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(preamble + public)
                writer = _ChunkWriter(handle, derive_backup_key(master, salt), preamble + public)
                writer.write(_json_record(_RECORD_HEADER, header))
                checks = []
                sealed_by: set[str] = set()
                for plan in plans:
                    checks.append(_write_table(conn, writer, plan, progress, sealed_by))
                writer.write(
                    _json_record(
                        _RECORD_END,
                        {
                            "tables": len(plans),
                            "rows": sum(c.rows for c in checks),
                            "sealed_by": sorted(sealed_by),
                        },
                    ),
                    final=True,
                )
                handle.flush()
                os.fsync(handle.fileno())
                size = handle.tell()
    appeared = BackupError(f"{destination} appeared while the backup was written.")
    try:
        os.link(partial, destination)  # fails rather than replace a file made meanwhile
    except FileExistsError:
        raise appeared from None
    except OSError:
        # A file system without hard links: check again, then rename.
        if destination.exists():
            raise appeared from None
        os.replace(partial, destination)
    finally:
        partial.unlink(missing_ok=True)
    _fsync_folder(destination.parent)
    parsed = BackupHeader(
        format=FORMAT_VERSION,
        created_at=created_at,
        revision=revision,
        source_backend=backend,
        master_key_id=master.key_id,
        audit_key_id=audit_id,
        quietline_version=_quietline_version(),
        tables=tuple(p.spec for p in plans),
    )
    return BackupSummary(
        destination, parsed, tuple(checks), size, writer.count, tuple(sorted(sealed_by))
    )


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_table(
    conn: Connection,
    writer: _ChunkWriter,
    plan: _Plan,
    progress: ProgressSink,
    sealed_by: set[str],
) -> TableCheck:
    spec = plan.spec
    progress.table_started(spec.name, spec.rows)
    writer.write(_json_record(_RECORD_TABLE, {"name": spec.name}))
    encoder = _RowEncoder(spec)
    wrapped_at = (
        [c.name for c in spec.columns].index("wrapped_key")
        if spec.name == practice_keys.name
        else None
    )
    digest = hashlib.sha256()
    count = 0
    body = bytearray()
    in_batch = 0

    def flush() -> None:
        nonlocal body, in_batch
        if in_batch:
            digest.update(body)
            writer.write(_RECORD_ROWS + _U32.pack(in_batch) + bytes(body))
            progress.rows_done(in_batch)
        body, in_batch = bytearray(), 0

    result = conn.execute(plan.query, execution_options={"yield_per": _BATCH_ROWS})
    for partition in result.partitions():
        for row in partition:
            encoder.encode(row, body)
            if wrapped_at is not None:
                with contextlib.suppress(DecryptionError):
                    sealed_by.add(read_header(bytes(row[wrapped_at])).key_id)
            in_batch += 1
            count += 1
            if in_batch >= _BATCH_ROWS or len(body) >= _BATCH_BYTES:
                flush()
    flush()
    if count != spec.rows:
        raise BackupError(
            f"Table {spec.name} changed while it was read ({count} rows, {spec.rows} counted); "
            "the snapshot did not hold. Run the backup again."
        )
    writer.write(
        _json_record(
            _RECORD_TABLE_END, {"name": spec.name, "rows": count, "sha256": digest.hexdigest()}
        )
    )
    return TableCheck(spec.name, count, digest.hexdigest())


# -- verify ------------------------------------------------------------------------------------


def _read_all(
    reader: _Reader,
    header: BackupHeader,
    progress: ProgressSink,
    on_rows: Callable[[_Rows], None] | None = None,
) -> tuple[list[TableCheck], tuple[str, ...]]:
    checks: list[TableCheck] = []
    sealed_by: tuple[str, ...] = ()
    for item in _contents(reader, header):
        if isinstance(item, _TableStart):
            progress.table_started(item.spec.name, item.spec.rows)
        elif isinstance(item, _Rows):
            if on_rows is not None:
                on_rows(item)
            progress.rows_done(len(item.rows))
        elif isinstance(item, _TableEnd):
            checks.append(item.check)
        else:
            sealed_by = item.sealed_by
    return checks, sealed_by


def verify_backup(
    path: Path,
    *,
    masters: Sequence[MasterKey],
    progress: ProgressSink | None = None,
    record_in: str | None = None,
    clock: Clock | None = None,
) -> BackupSummary:
    """Decrypt every chunk and check every table of a backup; no database is touched except
    to record the result in ``record_in``'s ``maintenance_events``."""
    clock = clock or SystemClock()
    progress = progress or _Silent()
    checked = 0
    try:
        with _Reader(path, masters) as reader:
            header = _read_header(reader)

            def count(rows: _Rows) -> None:
                nonlocal checked
                checked += len(rows.rows)

            checks, sealed_by = _read_all(reader, header, progress, count)
            chunks = reader.chunks
    except BackupError:
        if record_in is not None:
            record_maintenance(
                record_in, KIND_VERIFY, clock.now(), ok=False, details={"rows_checked": checked}
            )
        raise
    summary = BackupSummary(
        path, header, tuple(checks), path.stat().st_size, chunks, sealed_by, None
    )
    if record_in is None:
        return summary
    problem = record_maintenance(
        record_in,
        KIND_VERIFY,
        clock.now(),
        ok=True,
        details={"tables": len(checks), "rows": summary.total_rows, "chunks": chunks},
    )
    return replace(summary, record_problem=problem)


# -- restore -----------------------------------------------------------------------------------


def _check_target(url: str, backup_revision: str) -> None:
    """Refuse a target that holds data, or whose (empty) schema is newer than the backup's."""
    where = describe_database(url)
    where = where[:1].upper() + where[1:]  # it starts the sentences below
    path = _sqlite_path(url)
    if path is not None and (not path.exists() or path.stat().st_size == 0):
        return
    engine = make_migration_engine(url)
    try:
        with engine.connect() as conn:
            names = set(inspect(conn).get_table_names())
            if not names:
                return
            if "alembic_version" not in names:
                raise BackupError(
                    f"{where} already holds tables that are not Quietline's. Restore only into "
                    "an empty database: a new data folder (SQLite) or a new database made with "
                    "createdb (PostgreSQL)."
                )
            revision = MigrationContext.configure(conn).get_current_revision()
            holding = [
                name
                for name in sorted(names - {"alembic_version"})
                if conn.execute(select(literal(1)).select_from(bare_table(name)).limit(1)).first()
                is not None
            ]
    finally:
        engine.dispose()
    if holding:
        shown = ", ".join(holding[:5]) + (", ..." if len(holding) > 5 else "")
        raise BackupError(
            f"{where} is not empty (it holds rows in {shown}). A restore never overwrites data: "
            "restore into a new data folder (SQLite) or a new database made with createdb "
            "(PostgreSQL)."
        )
    allowed = _revisions_up_to(backup_revision) or set()
    if revision is not None and revision not in allowed:
        raise BackupError(
            f"{where} holds no data but already has the schema of revision {revision}, which is "
            f"not the backup's ({backup_revision}) or older. Restore into a new, empty database."
        )


def _insert_statement(spec: TableSpec) -> Any:
    table = Table(
        spec.name,
        MetaData(),
        *(Column(c.name, _CODECS[c.type].sql_type(), nullable=c.nullable) for c in spec.columns),
    )
    return table.insert()


def _load(url: str, reader: _Reader, header: BackupHeader, progress: ProgressSink) -> BackupSummary:
    engine = make_migration_engine(url)
    try:
        with engine.connect() as conn, conn.begin():
            statements: dict[str, Any] = {}

            def insert(rows: _Rows) -> None:
                statement = statements.get(rows.spec.name)
                if statement is None:
                    statement = statements[rows.spec.name] = _insert_statement(rows.spec)
                names = [c.name for c in rows.spec.columns]
                conn.execute(statement, [dict(zip(names, row, strict=True)) for row in rows.rows])

            checks, sealed_by = _read_all(reader, header, progress, insert)
    finally:
        engine.dispose()
    return BackupSummary(
        reader.path, header, tuple(checks), reader.path.stat().st_size, reader.chunks, sealed_by
    )


def _verify_restored(
    url: str,
    audit_key: bytes,
    keyring: KeyRing,
    clock: Clock,
    previous: dict[UUID, Head],
) -> tuple[list[ChainReport], dict[UUID, Head], list[str]]:
    """The restored chains (as ``quietline audit verify`` checks them), their heads, and how
    they compare with the anchor that was there before."""
    engine = make_migration_engine(url)
    try:
        with engine.connect() as conn, conn.begin():
            unit = Unit(conn, read_only=True, clock=clock, keyring=keyring, audit_key=audit_key)
            reports = verify_all(unit, audit_key, {})
            heads = {}
            for report in reports:
                head = unit.audit_log.head(report.practice_id)
                if head is not None:
                    heads[report.practice_id] = head
            notes = []
            for practice_id, (seq, mac) in sorted(previous.items()):
                restored = heads.get(practice_id)
                if restored is None:
                    notes.append(
                        f"The previous anchor recorded the audit trail of practice {practice_id}, "
                        "which the backup does not hold."
                    )
                    continue
                if seq > restored[0]:
                    notes.append(
                        f"Practice {practice_id}: the previous anchor recorded audit entry {seq}, "
                        f"the backup ends at entry {restored[0]}; the {seq - restored[0]} entries "
                        "written after the backup are not in the restored database."
                    )
                    continue
                stored = conn.execute(
                    select(audit_events.c.mac).where(
                        audit_events.c.practice_id == practice_id, audit_events.c.seq == seq
                    )
                ).scalar_one_or_none()
                if stored is None or bytes(stored) != mac:
                    notes.append(
                        f"Practice {practice_id}: audit entry {seq} differs from the one the "
                        "previous anchor recorded; that anchor belonged to another database."
                    )
    finally:
        engine.dispose()
    return reports, heads, notes


def _install_anchor(
    anchor_path: Path, heads: dict[UUID, Head], now: datetime
) -> tuple[Path | None, list[str]]:
    """Write the restored chain heads as the anchor; keep any previous anchor beside it."""
    saved: Path | None = None
    notes: list[str] = []
    if anchor_path.exists():
        saved = anchor_path.with_name(
            f"{anchor_path.name}.before-restore-{now.strftime('%Y%m%dT%H%M%SZ')}"
        )
        os.replace(anchor_path, saved)
    try:
        AuditAnchor(anchor_path).replace(heads)
    except OSError as exc:
        notes.append(
            f"The audit anchor {anchor_path} could not be written ({exc.__class__.__name__}); "
            "'quietline audit verify' cannot vouch for the end of the restored trail until "
            "the server has written it."
        )
    return saved, notes


def restore_backup(
    path: Path,
    url: str,
    *,
    masters: Sequence[MasterKey],
    audit_key: bytes,
    anchor_path: Path,
    clock: Clock | None = None,
    progress: ProgressSink | None = None,
    record: bool = True,
) -> RestoreReport:
    """Load a backup into the empty database at ``url`` (SQLite or PostgreSQL).

    Creates the schema at the backup's revision, inserts every table in foreign-key order in
    one transaction (a failure leaves the database without rows, so the restore can simply
    be run again), upgrades to this version's schema, verifies the audit chains and writes
    their heads to the anchor file (any previous one is kept beside it).
    """
    clock = clock or SystemClock()
    progress = progress or _Silent()
    try:
        return _restore(path, url, masters, audit_key, anchor_path, clock, progress, record)
    except SQLAlchemyError as exc:
        raise _database_failed(url, "restored into", exc) from None


def _restore(
    path: Path,
    url: str,
    masters: Sequence[MasterKey],
    audit_key: bytes,
    anchor_path: Path,
    clock: Clock,
    progress: ProgressSink,
    record: bool,
) -> RestoreReport:
    with _Reader(path, masters) as reader:
        header = _read_header(reader)
        if _revisions_up_to(header.revision) is None:
            raise BackupError(
                f"This backup has schema revision {header.revision}, which is newer than this "
                f"version of Quietline knows (it knows up to {head_revision()}). Install the "
                "Quietline version that made the backup, or a newer one, to restore it."
            )
        _check_target(url, header.revision)
        sqlite_path = _sqlite_path(url)
        created = sqlite_path is not None and not sqlite_path.exists()
        if sqlite_path is not None:
            sqlite_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            upgrade(url, header.revision)
            summary = _load(url, reader, header, progress)
        except BaseException:
            if created and sqlite_path is not None:
                for suffix in ("", "-wal", "-shm", "-journal"):
                    Path(f"{sqlite_path}{suffix}").unlink(missing_ok=True)
            raise
    upgraded_from = None
    if header.revision != head_revision():
        upgrade(url, "head")
        upgraded_from = header.revision
    keyring = KeyRing(list(masters))
    try:
        previous = AuditAnchor(anchor_path).read()
        damaged = False
    except AuditAnchorError:
        previous, damaged = {}, True
    reports, heads, notes = _verify_restored(url, audit_key, keyring, clock, previous)
    if damaged:
        notes.append("The previous audit anchor was damaged; it was set aside.")
    saved, problems = _install_anchor(anchor_path, heads, clock.now())
    warnings = list(problems)
    if header.audit_key_id is not None and header.audit_key_id != audit_key_id(audit_key):
        warnings.append(
            f"The backup's audit trail was chained with audit key {header.audit_key_id}, but "
            f"the configured audit key is {audit_key_id(audit_key)}: set "
            "QUIETLINE_AUDIT_KEY_FILE to the audit key of the installation the backup came from."
        )
    missing = [k for k in summary.sealed_by if k not in {m.key_id for m in masters}]
    if missing:
        warnings.append(
            f"The practice keys in this backup are sealed by master key {', '.join(missing)}, "
            "which is not configured: messages cannot be read until it is."
        )
    report = RestoreReport(
        summary=summary,
        target=describe_database(url),
        audit=tuple(reports),
        heads=heads,
        upgraded_from=upgraded_from,
        anchor_path=anchor_path,
        previous_anchor=saved,
        anchor_notes=tuple(notes),
        warnings=tuple(warnings),
    )
    if not record:
        return report
    problem = record_maintenance(
        url,
        KIND_RESTORE,
        clock.now(),
        ok=report.ok,
        details={
            "tables": len(summary.tables),
            "rows": summary.total_rows,
            "practices": len(reports),
            "audit_entries": sum(r.entries for r in reports),
            "broken_chains": sum(1 for r in reports if not r.ok),
        },
    )
    return replace(report, record_problem=problem)


# -- restore test ------------------------------------------------------------------------------


@dataclass(slots=True)
class _ContentCheck:
    practice_keys: int = 0
    titles: int = 0
    messages: int = 0
    failures: list[str] = field(default_factory=list)

    def fail(self, what: str) -> None:
        if len(self.failures) < 20:
            self.failures.append(what)
        elif len(self.failures) == 20:
            self.failures.append("... and more")


def check_content(url: str, keyring: KeyRing) -> _ContentCheck:
    """Open every practice key, channel title and message body still held (by id only)."""
    result = _ContentCheck()
    engine = make_migration_engine(url)
    try:
        with engine.connect() as conn, conn.begin():
            keys = {
                (row.practice_id, row.key_id): WrappedKey(row.key_id, bytes(row.wrapped_key))
                for row in conn.execute(select(practice_keys))
            }
            for (practice_id, key_id), wrapped in keys.items():
                result.practice_keys += 1
                try:
                    keyring.practice_key(practice_id, wrapped)
                except DecryptionError:
                    result.fail(f"practice key {key_id}")

            def conversation_key(practice_id: UUID, cid: UUID, wrapped: bytes, pk: str) -> bytes:
                return keyring.conversation_key(practice_id, cid, wrapped, keys[(practice_id, pk)])

            titled = select(
                conversations.c.id,
                conversations.c.practice_id,
                conversations.c.key_wrapped,
                conversations.c.practice_key_id,
                conversations.c.title_sealed,
            ).where(conversations.c.title_sealed.is_not(None))
            for row in conn.execute(titled, execution_options={"yield_per": _BATCH_ROWS}):
                result.titles += 1
                try:
                    key = conversation_key(
                        row.practice_id, row.id, bytes(row.key_wrapped), row.practice_key_id
                    )
                    open_conversation_title(key, row.practice_id, row.id, bytes(row.title_sealed))
                except (DecryptionError, KeyError, UnicodeDecodeError):
                    result.fail(f"title of conversation {row.id}")
            held = (
                select(
                    messages.c.id,
                    messages.c.practice_id,
                    messages.c.conversation_id,
                    messages.c.body_sealed,
                    messages.c.dek_wrapped,
                    conversations.c.key_wrapped,
                    conversations.c.practice_key_id,
                )
                .join(conversations, conversations.c.id == messages.c.conversation_id)
                .where(messages.c.body_sealed.is_not(None), messages.c.dek_wrapped.is_not(None))
                .order_by(messages.c.conversation_id, messages.c.seq)
            )
            for msg in conn.execute(held, execution_options={"yield_per": _BATCH_ROWS}):
                result.messages += 1
                try:
                    key = conversation_key(
                        msg.practice_id,
                        msg.conversation_id,
                        bytes(msg.key_wrapped),
                        msg.practice_key_id,
                    )
                    open_message_body(
                        key,
                        msg.practice_id,
                        msg.conversation_id,
                        msg.id,
                        SealedMessage(bytes(msg.body_sealed), bytes(msg.dek_wrapped)),
                    )
                except (DecryptionError, KeyError, UnicodeDecodeError):
                    result.fail(f"message {msg.id}")
    finally:
        engine.dispose()
    return result


def run_restore_test(
    path: Path,
    *,
    masters: Sequence[MasterKey],
    audit_key: bytes,
    clock: Clock | None = None,
    progress: ProgressSink | None = None,
    work_dir: Path | None = None,
    record_in: str | None = None,
) -> RestoreTestReport:
    """Restore into a temporary SQLite database, open every message and verify every audit
    chain, then delete it. Recorded in ``record_in``'s ``maintenance_events``."""
    clock = clock or SystemClock()
    try:
        with tempfile.TemporaryDirectory(prefix="quietline-restore-test-", dir=work_dir) as tmp:
            folder = Path(tmp)
            url = f"sqlite:///{folder / 'quietline.db'}"
            restored = restore_backup(
                path,
                url,
                masters=masters,
                audit_key=audit_key,
                anchor_path=folder / "audit-anchor.json",
                clock=clock,
                progress=progress,
                record=False,
            )
            content = check_content(url, KeyRing(list(masters)))
    except BackupError:
        if record_in is not None:
            record_maintenance(record_in, KIND_RESTORE_TEST, clock.now(), ok=False, details={})
        raise
    report = RestoreTestReport(
        restore=restored,
        practice_keys_checked=content.practice_keys,
        titles_checked=content.titles,
        messages_checked=content.messages,
        failures=tuple(content.failures),
    )
    if record_in is None:
        return report
    problem = record_maintenance(
        record_in,
        KIND_RESTORE_TEST,
        clock.now(),
        ok=report.ok,
        details={
            "tables": len(restored.summary.tables),
            "rows": restored.summary.total_rows,
            "messages_checked": content.messages,
            "failures": len(content.failures),
            "practices": len(restored.audit),
            "broken_chains": sum(1 for r in restored.audit if not r.ok),
        },
    )
    return replace(report, record_problem=problem)
