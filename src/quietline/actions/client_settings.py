"""The practice's client-messaging settings: office hours and holidays, the words of its
automatic replies, its consent warning, guard policy, limits and which roles may send to
clients (a :class:`~quietline.domain.client_policy.ClientMessagingPolicy`), and the
practice's own SMS number and e-mail sender.

Every member of staff may read them (they are the practice's own words, and staff should know
what clients are sent automatically); only owners and admins change them. A change is checked
as a whole before anything is stored, and the audit entry names the fields that changed, never
their text. Three rules keep a practice from configuring itself into danger: the crisis reply
must keep 988 and 911, the after-hours reply must keep 911, and owners always may message
clients (so no practice locks itself out).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from functools import lru_cache
from itertools import pairwise
from typing import Any, get_args
from uuid import UUID
from zoneinfo import ZoneInfo, available_timezones

from quietline.actions.clients import do_sync_client_threads, normalise_phone
from quietline.actions.context import Actor, check_admin
from quietline.crypto.envelope import read_header
from quietline.crypto.fields import open_record_field, seal_record_field
from quietline.crypto.tokens import keyed_hash
from quietline.domain.audit import AuditKind
from quietline.domain.client_policy import (
    ClientMessagingPolicy,
    GuardMode,
    OpeningHours,
    PlainMessages,
)
from quietline.domain.errors import Conflict, InvalidInput
from quietline.domain.events import Event
from quietline.domain.roles import Role
from quietline.storage.unit import Unit

SMS_TEXT_MAX = 480  # three concatenated SMS of plain characters: a hard limit
NOTICE_TEXT_MAX = 300  # the link (about 100 characters) is added to it
CONSENT_WARNING_MAX = 2000  # client_consents.warning_text keeps it word for word
MAX_HOURS_ENTRIES = 21
MAX_HOLIDAYS = 100
MAX_REMINDER_HOURS = 7 * 24
MAX_LINK_TTL_HOURS = 14 * 24
EMAIL_RE = re.compile(r"^[^@\s<>()\[\],;:\"]+@[^@\s<>()\[\],;:\"]+\.[^@\s<>()\[\],;:\"]+$")
_HHMM = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
_NUMBER = {n: re.compile(rf"(?<![0-9]){n}(?![0-9])") for n in ("988", "911")}
# GSM 03.38: the basic table costs one unit, the extension table two; anything else makes
# the whole text UCS-2 (70 characters a segment instead of 160).
_GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENDED = frozenset("^{}\\[~]|€")

# The automatic replies: (field, how a person calls it).
_REPLY_LABELS = {
    "crisis_reply": "crisis reply",
    "crisis_reply_spanish": "Spanish crisis reply",
    "after_hours_reply": "after-hours reply",
    "late_reply": "running-late reply",
    "help_reply": "HELP reply",
}
SETTING_FIELDS = frozenset(
    set(ClientMessagingPolicy.__dataclass_fields__) | {"sms_number", "email_from"}
)


@dataclass(frozen=True, slots=True)
class ClientMessagingSettings:
    """What the settings page shows."""

    policy: ClientMessagingPolicy
    sms_number: str | None  # E.164
    email_from: str | None
    updated_at: datetime | None
    open_now: bool
    warnings: tuple[str, ...]  # advice (long texts), not errors


# -- rules used by other parts --------------------------------------------------------------
@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def zone(policy: ClientMessagingPolicy) -> ZoneInfo:
    """The practice's time zone (checked when it was set)."""
    return ZoneInfo(policy.timezone)


def is_open(policy: ClientMessagingPolicy, at: datetime) -> bool:
    """Whether the office is open at ``at`` (an aware instant): the local date is no
    holiday and the local time falls in one of that weekday's ``[opens, closes)`` ranges."""
    local = at.astimezone(zone(policy))
    if local.date() in policy.holidays:
        return False
    now = local.time().replace(tzinfo=None)
    return any(h.weekday == local.weekday() and h.opens <= now < h.closes for h in policy.hours)


def sms_segments(text: str) -> int:
    """How many SMS a text is sent as (GSM-7: 160, or 153 each when split; otherwise UCS-2:
    70, or 67 each)."""
    if all(c in _GSM_BASIC or c in _GSM_EXTENDED for c in text):
        units = sum(2 if c in _GSM_EXTENDED else 1 for c in text)
        return 1 if units <= 160 else -(-units // 153)
    units = sum(2 if ord(c) > 0xFFFF else 1 for c in text)
    return 1 if units <= 70 else -(-units // 67)


def practice_sms_number(unit: Unit, practice_id: UUID) -> str | None:
    """The practice's own SMS number (E.164), opened; None when it has none."""
    sealed = unit.practice_messaging.get(practice_id).sms_number_sealed
    if sealed is None:
        return None
    key_id = read_header(sealed).key_id
    key = unit.keyring.practice_key(practice_id, unit.practices.key(practice_id, key_id))
    return open_record_field(
        key, practice_id, "practice_messaging", "sms_number_sealed", practice_id, sealed
    )


# -- checks ---------------------------------------------------------------------------------
def _text(name: str, value: object, label: str, maximum: int) -> str:
    if not isinstance(value, str):
        raise InvalidInput(f"The {label} must be text.")
    cleaned = value.strip()
    if not cleaned:
        raise InvalidInput(f"The {label} cannot be empty.")
    if len(cleaned) > maximum:
        raise InvalidInput(
            f"The {label} can be at most {maximum} characters; it has {len(cleaned)}."
        )
    if any(not (c.isprintable() or c == "\n") for c in cleaned):
        raise InvalidInput(
            f"The {label} holds a character that cannot be sent (a control or invisible "
            "character); use plain words and line breaks only."
        )
    if name != "notice_text" and ("{" in cleaned or "}" in cleaned):
        raise InvalidInput(
            f"The {label} is sent word for word: it cannot hold placeholders or the "
            "characters { and }."
        )
    return cleaned


def _notice(value: object) -> str:
    text = _text("notice_text", value, "notice text", NOTICE_TEXT_MAX)
    if text.count("{link}") != 1 or text.count("{") != 1 or text.count("}") != 1:
        raise InvalidInput(
            "The notice text must contain {link} exactly once (where the secure link goes) "
            "and no other braces or placeholders."
        )
    return text


def _reply(name: str, value: object) -> str:
    label = _REPLY_LABELS[name]
    text = _text(name, value, label, SMS_TEXT_MAX)
    if name in ("crisis_reply", "crisis_reply_spanish"):
        missing = [n for n, pattern in _NUMBER.items() if not pattern.search(text)]
        if missing:
            raise InvalidInput(
                f"The {label} may be reworded but must keep the crisis resources: call or "
                "text 988 (Suicide & Crisis Lifeline) and call 911 "
                f"(missing: {' and '.join(missing)})."
            )
    if name == "after_hours_reply" and not _NUMBER["911"].search(text):
        raise InvalidInput(
            "The after-hours reply must still say what to do in an emergency: keep 'call 911' "
            "(and, ideally, 988 for a crisis)."
        )
    if name == "help_reply" and "stop" not in text.lower():
        raise InvalidInput(
            "The HELP reply must say how to stop text messages (reply STOP); phone carriers "
            "require it."
        )
    return text


def _hhmm(value: object, what: str) -> time:
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0, tzinfo=None)
    if not isinstance(value, str) or not _HHMM.match(value):
        raise InvalidInput(
            f"Each {what} time must be written as HH:MM on a 24-hour clock, from 00:00 to "
            "23:59 (for example 09:00 or 17:30)."
        )
    return time.fromisoformat(value)


def _hours(value: object) -> tuple[OpeningHours, ...]:
    if not isinstance(value, list | tuple):
        raise InvalidInput("The office hours must be a list of {weekday, opens, closes}.")
    if len(value) > MAX_HOURS_ENTRIES:
        raise InvalidInput(f"At most {MAX_HOURS_ENTRIES} ranges of office hours can be set.")
    parsed: list[OpeningHours] = []
    for item in value:
        weekday: object
        opens: object
        closes: object
        if isinstance(item, OpeningHours):
            weekday, opens, closes = item.weekday, item.opens, item.closes
        elif isinstance(item, Mapping):
            weekday, opens, closes = item.get("weekday"), item.get("opens"), item.get("closes")
        else:
            raise InvalidInput("Each range of office hours needs a weekday, opens and closes.")
        if not isinstance(weekday, int) or isinstance(weekday, bool) or not 0 <= weekday <= 6:
            raise InvalidInput(
                "The weekday of office hours is a number from 0 (Monday) to 6 (Sunday)."
            )
        start, end = _hhmm(opens, "opening"), _hhmm(closes, "closing")
        if end <= start:
            raise InvalidInput(
                "Office hours must close after they open on the same day (ranges across "
                "midnight are two ranges: until 23:59, and from 00:00 the next day)."
            )
        parsed.append(OpeningHours(weekday, start, end))
    parsed.sort(key=lambda h: (h.weekday, h.opens))
    for before, after in pairwise(parsed):
        if before.weekday == after.weekday and after.opens < before.closes:
            raise InvalidInput("Two ranges of office hours on the same day overlap.")
    return tuple(parsed)


def _holidays(value: object) -> tuple[date, ...]:
    if not isinstance(value, list | tuple):
        raise InvalidInput("Holidays must be a list of dates (YYYY-MM-DD).")
    if len(value) > MAX_HOLIDAYS:
        raise InvalidInput(f"At most {MAX_HOLIDAYS} holidays can be set; remove past ones.")
    days: set[date] = set()
    for item in value:
        if isinstance(item, datetime):
            raise InvalidInput("Holidays are dates without a time (YYYY-MM-DD).")
        if isinstance(item, date):
            day = item
        elif isinstance(item, str):
            try:
                day = date.fromisoformat(item)
            except ValueError:
                raise InvalidInput("Holidays must be dates written as YYYY-MM-DD.") from None
        else:
            raise InvalidInput("Holidays must be dates written as YYYY-MM-DD.")
        if not 2000 <= day.year <= 2100:
            raise InvalidInput("Holidays must be dates between the years 2000 and 2100.")
        days.add(day)
    return tuple(sorted(days))


def _timezone(value: object) -> str:
    if not isinstance(value, str) or value not in _zones() or value.lower() == "localtime":
        raise InvalidInput(
            "The time zone must be an IANA time zone name, such as America/New_York or "
            "Europe/Berlin."
        )
    return value


def _bool(value: object, label: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(f"{label} must be true or false.")
    return value


def _int(value: object, label: str, low: int, high: int, unit: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise InvalidInput(f"{label} must be a whole number of {unit} from {low} to {high}.")
    return value


def _choice(value: object, label: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise InvalidInput(f"The setting {label} must be one of: {', '.join(allowed)}.")
    return str(value)


_ROLE_NAMES = ", ".join(r.value for r in Role)


def _senders(value: object) -> tuple[Role, ...]:
    """Who may message clients: a list of role names that keeps ``owner``."""
    if not isinstance(value, list | tuple) or any(not isinstance(v, str) for v in value):
        raise InvalidInput(
            f"Who may message clients is a list of roles, from: {_ROLE_NAMES} (for example "
            '["owner", "clinician"]).'
        )
    if not value:
        raise InvalidInput(
            "Who may message clients cannot be empty: owners always may, so the practice can "
            'never lock itself out. Send at least ["owner"].'
        )
    known = {r.value for r in Role}
    if any(v not in known for v in value):
        raise InvalidInput(
            "Who may message clients names a role that does not exist. The roles are: "
            f"{_ROLE_NAMES}."
        )
    if Role.OWNER.value not in value:
        raise InvalidInput(
            "Owners always may message clients, so the practice can never lock itself out: "
            "keep owner in who may message clients."
        )
    return tuple(r for r in Role if r.value in value)


def check_policy_change(
    policy: ClientMessagingPolicy, changes: Mapping[str, object]
) -> ClientMessagingPolicy:
    """The policy with ``changes`` applied (field name to new value), every value checked;
    raises :class:`InvalidInput` with a sentence about the first that cannot be used."""
    unknown = set(changes) - SETTING_FIELDS
    if unknown:
        raise InvalidInput(
            f"Unknown client-messaging setting: {sorted(unknown)[0][:40]}. Check the name."
        )
    values: dict[str, Any] = {}
    for name, value in changes.items():
        if name in ("sms_number", "email_from"):
            continue
        if name in _REPLY_LABELS:
            values[name] = _reply(name, value)
        elif name == "notice_text":
            values[name] = _notice(value)
        elif name == "consent_warning":
            values[name] = _text(name, value, "consent warning", CONSENT_WARNING_MAX)
        elif name == "timezone":
            values[name] = _timezone(value)
        elif name == "hours":
            values[name] = _hours(value)
        elif name == "holidays":
            values[name] = _holidays(value)
        elif name == "front_desk_in_client_threads":
            values[name] = _bool(value, "Whether the front desk joins client threads")
        elif name == "require_date_of_birth":
            values[name] = _bool(value, "Whether the secure page asks for the date of birth")
        elif name == "plain_messages":
            values[name] = _choice(value, "plain_messages", get_args(PlainMessages))
        elif name == "clinical_guard":
            values[name] = _choice(value, "clinical_guard", get_args(GuardMode))
        elif name == "reminder_hours_before":
            values[name] = _int(value, "Reminders (0: none)", 0, MAX_REMINDER_HOURS, "hours before")
        elif name == "link_ttl_hours":
            values[name] = _int(value, "A secure link's lifetime", 1, MAX_LINK_TTL_HOURS, "hours")
        elif name == "client_session_idle_minutes":
            values[name] = _int(value, "The client page's idle limit", 1, 60, "minutes")
        elif name == "client_session_absolute_minutes":
            values[name] = _int(value, "The client page's session limit", 5, 240, "minutes")
        elif name == "client_senders":
            values[name] = _senders(value)
    updated = replace(policy, **values)
    if updated.client_session_absolute_minutes < updated.client_session_idle_minutes:
        raise InvalidInput(
            "The client page's session limit must be at least as long as its idle limit."
        )
    return updated


def _sms_number(raw: str) -> str:
    """E.164, normalised exactly as an inbound text's number is (the lookup must match)."""
    if not raw.strip().startswith("+"):
        raise InvalidInput(
            "The SMS number must be in international format: a plus sign, the country code "
            "and the number, for example +15551234567."
        )
    return normalise_phone(raw)


def _email_from(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value.strip()) > 254 or not EMAIL_RE.match(value.strip()):
        raise InvalidInput(
            "The sender address must be one e-mail address, such as office@example.com."
        )
    return value.strip()


def warnings_for(policy: ClientMessagingPolicy) -> tuple[str, ...]:
    """Advice on texts that will be split into several SMS."""
    found = []
    for name, label in _REPLY_LABELS.items():
        text: str = getattr(policy, name)
        n = sms_segments(text)
        if n > 1:
            found.append(
                f"The {label} is sent as {n} text messages ({len(text)} characters); some "
                "phones show them out of order. One message holds 160 plain characters."
            )
    return tuple(found)


# -- actions --------------------------------------------------------------------------------
def _settings(unit: Unit, practice_id: UUID) -> ClientMessagingSettings:
    row = unit.practice_messaging.get(practice_id)
    return ClientMessagingSettings(
        policy=row.policy,
        sms_number=practice_sms_number(unit, practice_id),
        email_from=row.email_from,
        updated_at=row.updated_at,
        open_now=is_open(row.policy, unit.now),
        warnings=warnings_for(row.policy),
    )


def get_client_messaging(unit: Unit, actor: Actor) -> ClientMessagingSettings:
    """Any member of staff: the practice's hours, automatic replies and client settings."""
    return _settings(unit, actor.practice_id)


def do_update_client_messaging(
    unit: Unit, actor: Actor, lookup_key: bytes, changes: Mapping[str, object]
) -> ClientMessagingSettings:
    """Owners and admins change some settings (the names in ``changes``; the others stay).
    Everything is checked before anything is stored; the audit entry lists the names of the
    fields that changed (and, for who may message clients, the roles before and after)."""
    check_admin(actor)
    practice_id = actor.practice_id
    row = unit.practice_messaging.get(practice_id)
    policy = check_policy_change(row.policy, changes)
    changed = sorted(
        name
        for name in ClientMessagingPolicy.__dataclass_fields__
        if getattr(policy, name) != getattr(row.policy, name)
    )
    if "email_from" in changes:
        email_from = _email_from(changes["email_from"])
        if email_from != row.email_from:
            unit.practice_messaging.set_email_from(practice_id, email_from, now=unit.now)
            changed.append("email_from")
    if "sms_number" in changes:
        raw = changes["sms_number"]
        if raw is not None and not isinstance(raw, str):
            raise InvalidInput("The SMS number must be text, or null to remove it.")
        number = _sms_number(raw) if raw else None
        if number != practice_sms_number(unit, practice_id):
            _set_sms_number(unit, practice_id, lookup_key, number)
            changed.append("sms_number")
    if policy != row.policy:
        unit.practice_messaging.save_policy(practice_id, policy, now=unit.now)
        if policy.front_desk_in_client_threads != row.policy.front_desk_in_client_threads:
            do_sync_client_threads(unit, practice_id, actor)
        if policy.client_senders != row.policy.client_senders:
            # Open apps learn who may message clients now (role names only).
            unit.emit(
                Event(
                    practice_id,
                    "client_senders.changed",
                    (f"practice:{practice_id}",),
                    {"client_senders": [r.value for r in policy.client_senders]},
                )
            )
    if changed:
        details: dict[str, object] = {"fields": sorted(changed)}
        if "client_senders" in changed:
            # Role names, not text: who may message clients, before and after.
            details["client_senders"] = {
                "from": [r.value for r in row.policy.client_senders],
                "to": [r.value for r in policy.client_senders],
            }
        unit.audit(
            AuditKind.CLIENT_MESSAGING_SETTINGS_CHANGED,
            practice_id,
            actor_user_id=actor.user_id,
            actor_session_id=actor.session_id,
            subject_type="practice",
            subject_id=practice_id,
            details=details,
        )
    return _settings(unit, practice_id)


def _set_sms_number(unit: Unit, practice_id: UUID, lookup_key: bytes, number: str | None) -> None:
    if number is None:
        unit.practice_messaging.set_sms_number(practice_id, sealed=None, lookup=None, now=unit.now)
        return
    lookup = keyed_hash(lookup_key, number)
    owner = unit.practice_messaging.practice_for_sms_number(lookup)
    if owner is not None and owner != practice_id:
        raise Conflict(
            "That SMS number is already used by another practice on this server. Each "
            "practice needs a number of its own, so replies reach the right practice."
        )
    stored, key = unit.practice_key(practice_id)
    sealed = seal_record_field(
        key,
        stored.key_id,
        practice_id,
        "practice_messaging",
        "sms_number_sealed",
        practice_id,
        number,
    )
    unit.practice_messaging.set_sms_number(practice_id, sealed=sealed, lookup=lookup, now=unit.now)
