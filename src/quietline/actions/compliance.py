"""Which safeguards are in force, for a practice's owners and admins: each check a state,
a sentence with the numbers, and one plain line on why it matters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from quietline.actions.context import Actor, check_admin
from quietline.crypto.envelope import read_header
from quietline.storage.stores.maintenance import MaintenanceEvent
from quietline.storage.unit import Unit

BACKUP_WARNING_AGE = timedelta(hours=26)  # a daily backup, with slack
BACKUP_PROBLEM_AGE = timedelta(days=7)
RESTORE_TEST_WARNING_AGE = timedelta(days=90)
VERIFY_WARNING_AGE = timedelta(days=31)
KEY_ROTATION_WARNING_AGE = timedelta(days=400)  # a yearly rotation, with slack
STALE_DEVICE_AGE = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class Check:
    key: str
    title: str
    state: str  # "ok", "warning", "problem" or "unknown"
    summary: str
    explanation: str


def _age(now: datetime, at: datetime) -> str:
    hours = int((now - at).total_seconds() // 3600)
    if hours < 1:
        return "less than an hour ago"
    if hours < 48:
        return f"{hours} hour{'s' if hours != 1 else ''} ago"
    return f"{hours // 24} days ago"


def _second_factor(unit: Unit, actor: Actor) -> Check:
    staff = [u for u in unit.users.list_for_practice(actor.practice_id) if u.is_active]
    with_passkey = unit.passkeys.users_with_passkeys(actor.practice_id)
    covered = sum(1 for u in staff if u.has_second_factor or u.id in with_passkey)
    required = actor.practice.policy.require_second_factor
    state = "ok" if covered == len(staff) else ("warning" if required else "problem")
    summary = f"{covered} of {len(staff)} active staff have a second factor."
    if required:
        summary += " The practice requires one: the others can only set one up."
    return Check(
        "second_factor",
        "Second factor",
        state,
        summary,
        "A stolen password alone must not open anyone's messages (45 CFR 164.312(d)).",
    )


def _encryption(unit: Unit, actor: Actor) -> Check:
    stored = unit.practices.active_key(actor.practice_id)
    master = read_header(stored.wrapped).key_id
    return Check(
        "encryption",
        "Encryption at rest",
        "ok",
        f"Messages, channel names and secrets are AES-256-GCM ciphertext; practice key "
        f"{stored.key_id}, wrapped by master key {master}.",
        "A copy of the database alone reads as noise without the master key file.",
    )


def _maintenance_check(
    unit: Unit,
    key: str,
    title: str,
    kind: str,
    explanation: str,
    warn_after: timedelta,
    problem_after: timedelta | None,
    never: str,
    mine: set[str] | None = None,
) -> Check:
    events: list[MaintenanceEvent] = unit.maintenance.recent(kind, 50)
    if mine is not None:
        events = [e for e in events if mine & set(e.details.get("practices", []))]
    if not events:
        return Check(
            key, title, "unknown" if problem_after is None else "problem", never, explanation
        )
    last = events[0]
    last_ok = next((e for e in events if e.ok), None)
    if not last.ok:
        when = (
            f"the last good one was {_age(unit.now, last_ok.at)}" if last_ok else "none succeeded"
        )
        return Check(
            key,
            title,
            "problem",
            f"The last one, {_age(unit.now, last.at)}, failed; {when}.",
            explanation,
        )
    age = unit.now - last.at
    state = "ok"
    if problem_after is not None and age > problem_after:
        state = "problem"
    elif age > warn_after:
        state = "warning"
    return Check(
        key, title, state, f"The last one succeeded {_age(unit.now, last.at)}.", explanation
    )


def _stale_devices(unit: Unit, actor: Actor) -> Check:
    stale = unit.sessions.count_unused_since(actor.practice_id, unit.now - STALE_DEVICE_AGE)
    return Check(
        "stale_devices",
        "Devices not seen for 30 days",
        "ok" if stale == 0 else "warning",
        "No device sessions unused for 30 days."
        if stale == 0
        else f"{stale} device session{'s' if stale != 1 else ''} unused for 30 days or more: "
        "revoke them on the Devices page.",
        "A forgotten phone or computer should not stay signed in (they can no longer read "
        "anything once the idle limit passes, but revoking closes them for good).",
    )


def compliance_checks(unit: Unit, actor: Actor) -> list[Check]:
    check_admin(actor)
    return [
        _second_factor(unit, actor),
        _encryption(unit, actor),
        _maintenance_check(
            unit,
            "backup",
            "Backups",
            "backup",
            "Data must be restorable within 72 hours of a loss; that needs a recent backup.",
            BACKUP_WARNING_AGE,
            BACKUP_PROBLEM_AGE,
            "No backup has been recorded. Run 'quietline backup' on a schedule.",
        ),
        _maintenance_check(
            unit,
            "restore_test",
            "Restore test",
            "restore_test",
            "A backup is only as good as the last time it was restored.",
            RESTORE_TEST_WARNING_AGE,
            None,
            "No restore test has been recorded. Run 'quietline restore --test' on a backup.",
        ),
        _maintenance_check(
            unit,
            "audit_verification",
            "Audit trail verification",
            "audit_verify",
            "The keyed chain proves nobody edited, deleted or reordered audit entries.",
            VERIFY_WARNING_AGE,
            None,
            "The audit chain has not been verified yet. Verify it on the Audit page.",
            mine={str(actor.practice_id)},
        ),
        _maintenance_check(
            unit,
            "key_rotation",
            "Key rotation",
            "key_rotation",
            "Rotating keys yearly limits what one leaked key file can open.",
            KEY_ROTATION_WARNING_AGE,
            None,
            "Keys have not been rotated yet. Run 'quietline keys rotate' once a year.",
        ),
        _stale_devices(unit, actor),
    ]
