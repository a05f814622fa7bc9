"""Key rotation (``quietline keys rotate``): the master key, and the practice keys.

A **master key rotation** writes a new master key file and re-wraps every practice key with
it; nothing below the practice keys changes. A **practice key rotation** gives the practice a
new active key, re-wraps every conversation key and re-seals every value the old key sealed
(authenticator seeds, push subscriptions, quick replies, emergency-access and legal-hold
reasons), and then deletes the old key. Message bodies, their data keys and channel names are
sealed by the conversation keys, which do not change: no message is re-encrypted.

Crash safety: every batch commits in its own transaction, and what is left to do is read from
the rows themselves (the key id in each envelope's header, ``conversations.practice_key_id``).
At every moment every row is sealed by a key that the key files or the ``practice_keys`` table
still hold, so an interrupted rotation leaves everything readable, and running the command
again finishes it. A run that finds an unfinished rotation finishes it and starts nothing new.
The design, including the master key files' protocol and the running server, is in
docs/decisions/0013-key-rotation.md.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import pwd
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from uuid import UUID

from sqlalchemy import Column, LargeBinary
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError

from quietline.actions.auth import TOTP_PURPOSE
from quietline.actions.notifications import _PURPOSE as PUSH_SUBSCRIPTION_PURPOSE
from quietline.actions.practices import _QUICK_REPLIES_PURPOSE as QUICK_REPLIES_PURPOSE
from quietline.app import Services
from quietline.crypto.envelope import (
    ALG_AES_256_GCM,
    FORMAT_VERSION,
    DecryptionError,
    associated_data,
    read_header,
    reseal,
)
from quietline.crypto.fields import legal_hold_aad, record_field_aad
from quietline.crypto.keys import (
    KeyFileError,
    MasterKey,
    fsync_directory,
    load_master_key_file,
    new_master_key,
    next_master_key_path,
    previous_master_key_path,
    retired_master_key_path,
    write_master_key_file_atomically,
)
from quietline.domain.audit import AuditKind
from quietline.storage.stores.practices import StoredPracticeKey
from quietline.storage.tables import (
    emergency_access,
    legal_holds,
    metadata,
    practices,
    push_subscriptions,
    users,
)
from quietline.storage.unit import Unit

log = logging.getLogger(__name__)

MAINTENANCE_KIND = "key_rotation"
DEFAULT_BATCH_SIZE = 500
# How often the last step of a practice rotation may find values that appeared under the old
# key meanwhile (a write that was already in flight) before giving up.
_FINISH_ATTEMPTS = 5


class RotationError(Exception):
    """The rotation cannot go on. The message says why and what to do; everything stays
    readable, and the command can be run again once the cause is dealt with."""


Hook = Callable[[str], None]
"""Called with a step's name after the step committed; tests raise from it to simulate a
crash at that point. The steps: ``master.staged``, ``master.previous_saved``,
``master.swapped``, ``master.batch`` (each batch), ``master.recorded``, ``master.retired``;
``practice.switched``, ``practice.conversation_keys`` (each batch), ``practice.<table>.<column>``
(each batch of a SEALED_BY_PRACTICE_KEY column), ``practice.finished``."""


class Progress(Protocol):
    def start(self, label: str, total: int) -> None: ...

    def advance(self, label: str, amount: int) -> None: ...


class _NoProgress:
    def start(self, label: str, total: int) -> None:
        pass

    def advance(self, label: str, amount: int) -> None:
        pass


# -- what seals what --------------------------------------------------------------------------
def envelope_header(key_id: str) -> bytes:
    """The first bytes of every envelope sealed by ``key_id`` (docs/decisions/0001)."""
    kid = key_id.encode("ascii")
    return bytes((FORMAT_VERSION, ALG_AES_256_GCM, len(kid))) + kid


@dataclass(frozen=True)
class SealedColumn:
    """A column whose values the practice key seals, and how to rebuild their associated
    data (the same as the code that seals them: see crypto/fields.py and the actions)."""

    column: Column[Any]
    scope: Column[Any]  # the column holding the practice id
    aad: Callable[[UUID, Row[Any]], bytes]
    with_columns: tuple[Column[Any], ...] = ()

    @property
    def name(self) -> str:
        return f"{self.column.table.name}.{self.column.name}"


def _user_secret(purpose: str) -> Callable[[UUID, Row[Any]], bytes]:
    return lambda practice_id, row: associated_data(
        f"user-secret/{purpose}", practice=practice_id, user=row.id
    )


SEALED_BY_PRACTICE_KEY: tuple[SealedColumn, ...] = (
    SealedColumn(users.c.totp_secret_sealed, users.c.practice_id, _user_secret(TOTP_PURPOSE)),
    SealedColumn(users.c.totp_pending_sealed, users.c.practice_id, _user_secret(TOTP_PURPOSE)),
    SealedColumn(
        push_subscriptions.c.subscription_sealed,
        push_subscriptions.c.practice_id,
        lambda practice_id, row: associated_data(
            f"user-secret/{PUSH_SUBSCRIPTION_PURPOSE}", practice=practice_id, user=row.user_id
        ),
        (push_subscriptions.c.user_id,),
    ),
    SealedColumn(
        practices.c.quick_replies_sealed,
        practices.c.id,
        # Sealed like a per-user secret, bound to the practice id in both places.
        lambda practice_id, _row: associated_data(
            f"user-secret/{QUICK_REPLIES_PURPOSE}", practice=practice_id, user=practice_id
        ),
    ),
    SealedColumn(
        emergency_access.c.reason_sealed,
        emergency_access.c.practice_id,
        lambda practice_id, row: associated_data(
            "emergency-access-reason",
            practice=practice_id,
            conversation=row.conversation_id,
            grant=row.id,
        ),
        (emergency_access.c.conversation_id,),
    ),
    SealedColumn(
        legal_holds.c.reason_sealed,
        legal_holds.c.practice_id,
        lambda practice_id, row: legal_hold_aad(
            practice_id, row.conversation_id, row.client_id, row.id
        ),
        (legal_holds.c.conversation_id, legal_holds.c.client_id),
    ),
)
# Every other binary column, by what seals it. tests/test_key_rotation.py checks that each
# binary column of the schema is named here or above, so a new sealed column cannot be
# forgotten; and should one be forgotten anyway, a practice rotation refuses to delete an old
# key that still seals a value in it (see _unsupported_columns).
# Record fields sealed with seal_record_field (crypto/fields.py): bound to table, column, row.
RECORD_FIELDS: tuple[tuple[str, str, str], ...] = (
    # (table, sealed column, column holding the row id)
    ("clients", "name_sealed", "id"),
    ("clients", "preferred_name_sealed", "id"),
    ("clients", "phone_sealed", "id"),
    ("clients", "email_sealed", "id"),
    ("clients", "date_of_birth_sealed", "id"),
    ("clients", "notes_sealed", "id"),
    ("practice_messaging", "sms_number_sealed", "practice_id"),
    ("message_templates", "body_sealed", "id"),
    ("outbound_messages", "to_sealed", "id"),
    ("outbound_messages", "body_sealed", "id"),
)


def _record_field(table: str, column: str, row_key: str) -> SealedColumn:
    t = metadata.tables[table]
    return SealedColumn(
        t.c[column],
        t.c.practice_id,
        lambda practice_id, row: record_field_aad(
            practice_id, table, column, getattr(row, row_key)
        ),
        (t.c[row_key],) if row_key != "id" else (),
    )


SEALED_BY_PRACTICE_KEY = SEALED_BY_PRACTICE_KEY + tuple(
    _record_field(*field) for field in RECORD_FIELDS
)
WRAPPED_BY_MASTER_KEY = frozenset({"practice_keys.wrapped_key"})
WRAPPED_BY_PRACTICE_KEY = frozenset({"conversations.key_wrapped"})  # see practice_key_id
SEALED_BY_CONVERSATION_OR_DATA_KEY = frozenset(
    {"conversations.title_sealed", "messages.dek_wrapped", "messages.body_sealed"}
)
NOT_CIPHERTEXT = frozenset(
    {
        "recovery_codes.code_hash",
        "device_sessions.token_hash",
        "login_throttle.key_hash",
        "passkeys.credential_id",
        "passkeys.public_key",
        "webauthn_challenges.challenge",
        "staff_invites.token_hash",
        "audit_events.prev_mac",
        "audit_events.mac",
        "audit_heads.last_mac",
        # keyed hashes (blind indexes) and token hashes of client messaging
        "clients.phone_lookup",
        "clients.email_lookup",
        "practice_messaging.sms_number_lookup",
        "client_links.token_hash",
        "client_codes.code_hash",
        "client_sessions.token_hash",
    }
)


def binary_columns() -> list[str]:
    return sorted(
        f"{table.name}.{column.name}"
        for table in metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, LargeBinary)
    )


def unclassified_columns() -> list[str]:
    known = (
        {c.name for c in SEALED_BY_PRACTICE_KEY}
        | WRAPPED_BY_MASTER_KEY
        | WRAPPED_BY_PRACTICE_KEY
        | SEALED_BY_CONVERSATION_OR_DATA_KEY
        | NOT_CIPHERTEXT
    )
    return [name for name in binary_columns() if name not in known]


def _unsupported_columns() -> list[tuple[Column[Any], Column[Any]]]:
    """Binary columns of practice data this version does not know how to re-seal."""
    found = []
    for name in unclassified_columns():
        table_name, column_name = name.split(".")
        table = metadata.tables[table_name]
        if "practice_id" in table.c:
            found.append((table.c[column_name], table.c.practice_id))
    return found


# -- the master key files -------------------------------------------------------------------
@dataclass(frozen=True)
class MasterKeyFiles:
    active: Path
    previous: Path
    next: Path
    lock: Path

    @classmethod
    def of(cls, active: Path) -> MasterKeyFiles:
        return cls(
            active=active,
            previous=previous_master_key_path(active),
            next=next_master_key_path(active),
            lock=active.with_name(f"{active.stem}.rotation.lock"),
        )

    @property
    def unfinished(self) -> bool:
        return self.previous.exists() or self.next.exists()


def _load_optional(path: Path) -> MasterKey | None:
    return load_master_key_file(path) if path.exists() else None


@contextlib.contextmanager
def rotation_lock(files: MasterKeyFiles) -> Iterator[None]:
    """One rotation at a time per installation (a lock file beside the master key)."""
    fd = os.open(files.lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RotationError(
                "Another key rotation is running on this installation (it holds "
                f"{files.lock}). Wait for it to finish, then run the command again if needed."
            ) from None
        yield
    finally:
        os.close(fd)


# -- results ----------------------------------------------------------------------------------
@dataclass
class MasterRotation:
    old_key_ids: list[str]
    new_key_id: str
    practice_keys: int  # re-wrapped by this run
    retired_file: Path | None


@dataclass
class PracticeRotation:
    practice_id: UUID
    slug: str
    old_key_ids: list[str]
    new_key_id: str
    conversation_keys: int  # re-wrapped by this run
    sealed_values: int  # re-sealed by this run


@dataclass
class RotationOutcome:
    resumed: bool = False  # an unfinished rotation was found and finished; nothing new began
    master: MasterRotation | None = None
    practices: list[PracticeRotation] = field(default_factory=list)


@dataclass
class _Run:
    services: Services
    files: MasterKeyFiles
    batch_size: int
    progress: Progress
    hook: Hook | None
    outcome: RotationOutcome
    last_step: str = "start"

    def step(self, name: str) -> None:
        self.last_step = name
        if self.hook is not None:
            self.hook(name)

    def write(self, fn: Callable[[Unit], Any]) -> Any:
        return self.services.db.write_sync(fn)

    def read(self, fn: Callable[[Unit], Any]) -> Any:
        return self.services.db.read_sync(fn)


# -- the command ------------------------------------------------------------------------------
def rotate_keys(
    services: Services,
    *,
    practice_codes: Sequence[str] = (),
    all_practices: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Progress | None = None,
    hook: Hook | None = None,
) -> RotationOutcome:
    """Rotate the master key, or with ``practice_codes`` / ``all_practices`` practice keys.

    If a rotation was interrupted, finish it instead (whatever was asked) and start nothing
    new. Raises :class:`RotationError` with a sentence for the operator.
    """
    if batch_size < 1:
        raise RotationError("The batch size must be at least 1.")
    files = MasterKeyFiles.of(services.settings.master_key_path)
    _check_file_owner(files)
    run = _Run(services, files, batch_size, progress or _NoProgress(), hook, RotationOutcome())
    with rotation_lock(files):
        try:
            unfinished: list[UUID] = run.read(lambda u: u.practices.practices_with_inactive_keys())
            if files.unfinished or unfinished:
                run.outcome.resumed = True
                if files.unfinished:
                    run.outcome.master = _rotate_master(run)
                for practice_id in unfinished:
                    run.outcome.practices.append(_finish_practice(run, practice_id))
            elif practice_codes or all_practices:
                practice_ids = _practice_ids(run, practice_codes, all_practices)
                _switch_practice_keys(run, practice_ids)
                for practice_id in practice_ids:
                    run.outcome.practices.append(_finish_practice(run, practice_id))
            else:
                run.outcome.master = _rotate_master(run)
        except BaseException as exc:
            if run.last_step != "start" or run.outcome.resumed:  # not when nothing began
                _record_failure(run, exc)
            raise
    return run.outcome


def _check_file_owner(files: MasterKeyFiles) -> None:
    """The key files a rotation writes belong to whoever runs it: that must be the user the
    server runs as (the owner of the master key file), or the server could not read them."""
    try:
        owner = files.active.stat().st_uid
    except OSError as exc:
        raise RotationError(
            f"Master key file {files.active} cannot be read ({exc.__class__.__name__})."
        ) from None
    if owner != os.geteuid():
        try:
            name = pwd.getpwuid(owner).pw_name
        except KeyError:
            name = str(owner)
        raise RotationError(
            f"Run the command as the user that owns {files.active} ({name}), for example "
            f"with 'sudo -u {name}': the new key files must belong to the user the server runs "
            "as. Nothing was changed."
        )


def _record_failure(run: _Run, exc: BaseException) -> None:
    details = {"step": run.last_step, "error": exc.__class__.__name__}
    try:
        run.write(
            lambda unit: unit.maintenance.record(
                MAINTENANCE_KIND, unit.now, ok=False, details=details
            )
        )
    except Exception as failure:  # the database may be what failed: the error above counts
        log.error("could not record the failed key rotation: %s", failure.__class__.__name__)


def _practice_ids(run: _Run, codes: Sequence[str], all_practices: bool) -> list[UUID]:
    def find(unit: Unit) -> list[UUID]:
        if all_practices:
            return [p.id for p in unit.practices.list_all()]
        found = []
        for code in codes:
            practice = unit.practices.get_by_slug(code.strip().lower())
            if practice is None:
                raise RotationError(
                    f"No practice has the code '{code}'. Nothing was changed. "
                    "'quietline keys status' lists the practices."
                )
            if practice.id not in found:
                found.append(practice.id)
        return found

    ids: list[UUID] = run.read(find)
    return ids


# -- master key -------------------------------------------------------------------------------
def _rotate_master(run: _Run) -> MasterRotation:
    """Start or finish a master key rotation. The file steps, in order, each durable before
    the next (a crash between any two leaves files every process can load):

    1. write the new key to ``master.next.key``;
    2. copy the active key to ``master.previous.key``;
    3. rename ``master.next.key`` over ``master.key``: new practice keys are wrapped with the
       new key from now on, and the old one is still loaded from ``master.previous.key``;
    4. re-wrap the practice keys in batches; record the rotation (audit, maintenance event);
    5. move ``master.previous.key`` aside to ``master.retired-<time>-<id>.key``.
    """
    files = run.files
    keyring = run.services.keyring
    _remove_unused_copies(files)
    try:
        active = load_master_key_file(files.active)
        previous = _load_optional(files.previous)
        staged = _load_optional(files.next)
    except KeyFileError as exc:
        raise RotationError(f"{exc}. Nothing was changed.") from None
    if previous is None and staged is None:
        staged = new_master_key()
        write_master_key_file_atomically(files.next, staged)
        run.step("master.staged")
    if staged is not None:
        if previous is None:
            write_master_key_file_atomically(files.previous, active)
            previous = active
            run.step("master.previous_saved")
        elif previous.key_id != active.key_id:
            raise RotationError(
                f"The key files do not fit together: {files.previous.name} and "
                f"{files.next.name} both exist and {files.previous.name} is not a copy of "
                f"{files.active.name}. Nothing was changed; restore the key folder from its "
                "backup, or ask for help."
            )
        os.replace(files.next, files.active)
        fsync_directory(files.active.parent)
        active = staged
        run.step("master.swapped")
    if previous is None or previous.key_id == active.key_id:
        raise RotationError(
            f"{files.previous.name} holds the same key as {files.active.name} and there is "
            f"no {files.next.name}: it is a leftover copy. Delete {files.previous} and run the "
            "command again."
        )
    keyring.add_master_key(previous)
    keyring.add_master_key(active, active=True)

    old_ids = {previous.key_id}
    rewrapped = _rewrap_practice_keys(run, active, old_ids)

    def record(unit: Unit) -> bool:
        if unit.practices.keys_not_wrapped_by(envelope_header(active.key_id), 1):
            return False  # a practice key was added meanwhile under the old key: re-wrap it
        last = unit.maintenance.last(MAINTENANCE_KIND, ok_only=True)
        if last is not None and last.details.get("new_master_key_id") == active.key_id:
            return True  # recorded by the run that was interrupted after recording
        per_practice: dict[UUID, int] = {}
        for key in unit.practices.all_keys():
            per_practice[key.practice_id] = per_practice.get(key.practice_id, 0) + 1
        details = {"old_master_key_ids": sorted(old_ids), "new_master_key_id": active.key_id}
        for practice in unit.practices.list_all():
            unit.audit(
                AuditKind.MASTER_KEY_ROTATED,
                practice.id,
                subject_type="practice",
                subject_id=practice.id,
                details={**details, "practice_keys": per_practice.get(practice.id, 0)},
            )
        unit.maintenance.record(
            MAINTENANCE_KIND,
            unit.now,
            ok=True,
            details={
                "scope": "master",
                **details,
                "practice_keys": sum(per_practice.values()),
                "practices": len(per_practice),
            },
        )
        return True

    for _ in range(_FINISH_ATTEMPTS):
        if run.write(record):
            break
        rewrapped += _rewrap_practice_keys(run, active, old_ids)
    else:
        raise RotationError(
            "Practice keys keep appearing under the old master key (is 'quietline init' "
            "running?). Everything is readable; run the command again when it is done."
        )
    run.step("master.recorded")

    retired = retired_master_key_path(files.active, previous.key_id, run.services.clock.now())
    os.rename(files.previous, retired)
    _remove_unused_copies(files)
    fsync_directory(files.active.parent)
    run.step("master.retired")
    # A process that loaded the old key before step 3 (say, 'quietline init' adding a
    # practice) may have wrapped a key with it since: this run still holds the old key.
    rewrapped += _rewrap_practice_keys(run, active, old_ids)
    return MasterRotation(sorted(old_ids), active.key_id, rewrapped, retired)


def _remove_unused_copies(files: MasterKeyFiles) -> None:
    """A write interrupted before its rename leaves ``<name>.tmp``: a key nothing was wrapped
    with, or a copy of the one in ``master.key``. Never needed; never left lying around."""
    for path in (files.next, files.previous):
        path.with_name(path.name + ".tmp").unlink(missing_ok=True)


def _rewrap_practice_keys(run: _Run, master: MasterKey, old_ids: set[str]) -> int:
    keyring = run.services.keyring
    header = envelope_header(master.key_id)
    label = "Practice keys (master key)"
    todo: list[StoredPracticeKey] = run.read(
        lambda unit: unit.practices.keys_not_wrapped_by(header, 1_000_000)
    )
    if not todo:
        return 0
    run.progress.start(label, len(todo))

    def batch(unit: Unit) -> tuple[int, int]:
        rows = unit.practices.keys_not_wrapped_by(header, run.batch_size)
        done = 0
        for row in rows:
            wrapped_by = read_header(row.wrapped).key_id
            if keyring.master_key(wrapped_by) is None:
                raise RotationError(_unknown_master(run.files, row, wrapped_by))
            old_ids.add(wrapped_by)
            new = keyring.rewrap_practice_key(row.practice_id, row.wrapped_key, master)
            done += unit.practices.replace_wrapped_key(row.key_id, row.wrapped, new)
        return len(rows), done

    total = 0
    idle = 0
    while True:
        found, done = run.write(batch)
        if found == 0:
            return total
        total += done
        run.progress.advance(label, done)
        run.step("master.batch")
        idle = idle + 1 if done == 0 else 0
        if idle >= _FINISH_ATTEMPTS:  # every row changed under us, again and again
            raise RotationError("Practice keys keep changing during the rotation; run it again.")


def _unknown_master(files: MasterKeyFiles, row: StoredPracticeKey, key_id: str) -> str:
    retired = sorted(files.active.parent.glob(f"{files.active.stem}.retired-*-{key_id}*"))
    where = (
        f"It was retired to {retired[-1]}: move that file to {files.previous} and run the "
        "command again."
        if retired
        else f"Put the file holding it at {files.previous} and run the command again."
    )
    return (
        f"Practice key {row.key_id} is wrapped by master key {key_id}, which no key file "
        f"holds. {where} Nothing else was changed by this step."
    )


# -- practice keys ----------------------------------------------------------------------------
def _switch_practice_keys(run: _Run, practice_ids: list[UUID]) -> None:
    """One transaction for all of them: from then on the rows say which practices the run
    covers (those with an old, inactive key), so a second run finishes exactly those."""

    def switch(unit: Unit) -> None:
        for practice_id in practice_ids:
            new = unit.keyring.new_practice_key(practice_id)
            unit.practices.switch_active_key(practice_id, new, unit.now)

    run.write(switch)
    run.step("practice.switched")


@dataclass
class _PracticeKeys:
    practice_id: UUID
    slug: str
    new: StoredPracticeKey
    old: dict[str, StoredPracticeKey]
    raw: dict[str, bytes]


class _Leftovers(Exception):
    """The last step found values still under an old key; roll back and re-seal them."""


def _practice_keys(run: _Run, practice_id: UUID) -> _PracticeKeys:
    def read(unit: Unit) -> tuple[str, list[StoredPracticeKey]]:
        practice = unit.practices.get(practice_id)
        slug = practice.slug if practice is not None else str(practice_id)
        return slug, unit.practices.keys_of(practice_id)

    slug, keys = run.read(read)
    active = [k for k in keys if k.active]
    if len(active) != 1:
        raise RotationError(
            f"Practice {slug} has {len(active)} active keys instead of one. Nothing was "
            "changed; ask for help."
        )
    raw = {}
    for key in keys:
        try:
            raw[key.key_id] = run.services.keyring.practice_key(practice_id, key.wrapped_key)
        except DecryptionError:
            raise RotationError(
                f"Practice key {key.key_id} of practice {slug} cannot be opened with the "
                "master key files present. Nothing was changed: put back the master key file "
                "that wraps it (as master.previous.key) and run the command again."
            ) from None
    old = {k.key_id: k for k in keys if not k.active}
    return _PracticeKeys(practice_id, slug, active[0], old, raw)


def _finish_practice(run: _Run, practice_id: UUID) -> PracticeRotation:
    keys = _practice_keys(run, practice_id)
    label = f"Practice {keys.slug}"
    header = envelope_header(keys.new.key_id)
    old_ids = sorted(keys.old)

    def todo(unit: Unit) -> int:
        count = unit.conversations.count_keys_wrapped_by(practice_id, old_ids)
        for sealed in SEALED_BY_PRACTICE_KEY:
            count += unit.practices.count_sealed_not_under(
                sealed.column, sealed.scope, practice_id, header
            )
        return count

    run.progress.start(label, run.read(todo))
    result = PracticeRotation(practice_id, keys.slug, old_ids, keys.new.key_id, 0, 0)
    for _ in range(_FINISH_ATTEMPTS):
        result.conversation_keys += _rewrap_conversation_keys(run, keys, label)
        for sealed in SEALED_BY_PRACTICE_KEY:
            result.sealed_values += _reseal_column(run, keys, sealed, label)
        try:
            run.write(lambda unit: _delete_old_keys(run, unit, keys, result))
        except (_Leftovers, IntegrityError):
            continue  # a write in flight sealed with the old key: one more pass
        break
    else:
        raise RotationError(
            f"Values keep appearing under the old key of practice {keys.slug}. Everything is "
            "readable; run the command again."
        )
    run.step("practice.finished")
    return result


def _rewrap_conversation_keys(run: _Run, keys: _PracticeKeys, label: str) -> int:
    keyring = run.services.keyring
    new = keys.new.wrapped_key

    def batch(unit: Unit) -> tuple[int, int]:
        rows = unit.conversations.keys_not_wrapped_by(
            keys.practice_id, keys.new.key_id, run.batch_size
        )
        done = 0
        for conversation_id, wrapped, practice_key_id in rows:
            old = keys.old.get(practice_key_id)
            if old is None:
                raise RotationError(
                    f"Conversation {conversation_id} of practice {keys.slug} names practice key "
                    f"{practice_key_id}, which is not one of its keys. Nothing was deleted; "
                    "ask for help."
                )
            rewrapped = keyring.rewrap_conversation_key(
                keys.practice_id, conversation_id, wrapped, old.wrapped_key, new
            )
            done += unit.conversations.rewrap_key(
                keys.practice_id, conversation_id, practice_key_id, keys.new.key_id, rewrapped
            )
        return len(rows), done

    return _in_batches(run, batch, label, "practice.conversation_keys")


def _reseal_column(run: _Run, keys: _PracticeKeys, sealed: SealedColumn, label: str) -> int:
    header = envelope_header(keys.new.key_id)
    new_raw = keys.raw[keys.new.key_id]
    primary = [c.name for c in sealed.column.table.primary_key.columns]
    extra = [c for c in sealed.with_columns if c.name not in primary]

    def batch(unit: Unit) -> tuple[int, int]:
        rows = unit.practices.sealed_not_under(
            sealed.column,
            sealed.scope,
            keys.practice_id,
            header,
            with_columns=extra,
            limit=run.batch_size,
        )
        done = 0
        for row in rows:
            value = bytes(row._mapping[sealed.column.name])
            sealed_by = read_header(value).key_id
            if sealed_by not in keys.old:
                raise RotationError(
                    f"A value in {sealed.name} of practice {keys.slug} is sealed by key "
                    f"{sealed_by}, which is not one of the practice's keys. Nothing was "
                    "deleted; ask for help."
                )
            resealed = reseal(
                keys.raw[sealed_by],
                new_raw,
                keys.new.key_id,
                value,
                sealed.aad(keys.practice_id, row),
            )
            where = {name: row._mapping[name] for name in primary}
            done += unit.practices.replace_sealed(sealed.column, where, value, resealed)
        return len(rows), done

    return _in_batches(run, batch, label, f"practice.{sealed.name}")


def _in_batches(run: _Run, batch: Callable[[Unit], tuple[int, int]], label: str, step: str) -> int:
    total = 0
    idle = 0
    while True:
        found, done = run.write(batch)
        if found == 0:
            return total
        total += done
        run.progress.advance(label, done)
        run.step(step)
        idle = idle + 1 if done == 0 else 0
        if idle >= _FINISH_ATTEMPTS:
            raise RotationError("Rows keep changing during the rotation; run it again.")


def _delete_old_keys(run: _Run, unit: Unit, keys: _PracticeKeys, result: PracticeRotation) -> None:
    """The last step, in one transaction: delete the old keys, then check that nothing is
    sealed by them. Deleting first matters on PostgreSQL: the delete waits for every write
    still holding one of them (share lock, see PracticeStore.active_key), so the check sees
    what those wrote."""
    practice_id = keys.practice_id
    header = envelope_header(keys.new.key_id)
    for key_id in keys.old:
        unit.practices.delete_inactive_key(practice_id, key_id)
    if unit.conversations.count_keys_wrapped_by(practice_id, list(keys.old)):
        raise _Leftovers
    counts = {
        "conversation_keys": unit.conversations.count_keys_wrapped_by(
            practice_id, [keys.new.key_id]
        )
    }
    for sealed in SEALED_BY_PRACTICE_KEY:
        if unit.practices.count_sealed_not_under(sealed.column, sealed.scope, practice_id, header):
            raise _Leftovers
        counts[sealed.name] = unit.practices.count_sealed(
            sealed.column, sealed.scope, practice_id, header
        )
    for column, scope in _unsupported_columns():
        for key_id in keys.old:
            if unit.practices.count_sealed(column, scope, practice_id, envelope_header(key_id)):
                raise RotationError(
                    f"{column.table.name}.{column.name} holds values sealed by the old key of "
                    f"practice {keys.slug}, and this version of Quietline cannot re-seal them. "
                    "The old key was kept, so everything stays readable; upgrade Quietline and "
                    "run the command again."
                )
    unit.audit(
        AuditKind.PRACTICE_KEY_ROTATED,
        practice_id,
        subject_type="practice",
        subject_id=practice_id,
        details={"old_key_ids": sorted(keys.old), "new_key_id": keys.new.key_id, **counts},
    )
    if not unit.practices.practices_with_inactive_keys():
        # The last practice of the run: record the run (in the same transaction, so a
        # finished run is always recorded and a recorded run is always finished).
        finished = [*run.outcome.practices, result]
        unit.maintenance.record(
            MAINTENANCE_KIND,
            unit.now,
            ok=True,
            details={
                "scope": "practice",
                "practices": len(finished),
                "practice_ids": [str(p.practice_id) for p in finished],
                "new_key_ids": [p.new_key_id for p in finished],
                "conversation_keys": sum(p.conversation_keys for p in finished),
                "sealed_values": sum(p.sealed_values for p in finished),
                "resumed": run.outcome.resumed,
            },
        )


# -- status -----------------------------------------------------------------------------------
@dataclass
class PracticeKeyStatus:
    slug: str
    active_key_id: str
    old_key_ids: list[str]
    wrapped_by: list[str]  # the master key ids wrapping this practice's keys


@dataclass
class KeyStatus:
    master_key_id: str
    previous_master_key_id: str | None
    next_master_key_id: str | None
    practices: list[PracticeKeyStatus]

    @property
    def unfinished(self) -> bool:
        return (
            self.previous_master_key_id is not None
            or self.next_master_key_id is not None
            or any(p.old_key_ids for p in self.practices)
        )


def key_status(services: Services) -> KeyStatus:
    files = MasterKeyFiles.of(services.settings.master_key_path)
    active = load_master_key_file(files.active)
    previous = _load_optional(files.previous)
    staged = _load_optional(files.next)

    def read(unit: Unit) -> list[PracticeKeyStatus]:
        found = []
        for practice in unit.practices.list_all():
            keys = unit.practices.keys_of(practice.id)
            found.append(
                PracticeKeyStatus(
                    slug=practice.slug,
                    active_key_id=next((k.key_id for k in keys if k.active), "none"),
                    old_key_ids=[k.key_id for k in keys if not k.active],
                    wrapped_by=sorted({read_header(k.wrapped).key_id for k in keys}),
                )
            )
        return found

    return KeyStatus(
        active.key_id,
        previous.key_id if previous else None,
        staged.key_id if staged else None,
        services.db.read_sync(read),
    )
