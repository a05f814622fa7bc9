"""Practice-approved scheduling templates: the only staff text that may go to a consenting
client in the clear (unless the practice allows checked logistics text, see
:mod:`quietline.actions.client_messages`).

A template's body is the practice's own words with at most four placeholders, each filled
with a strictly checked value, so no free text can ride along:

* ``{time}``: a clock time, ``3:10 pm`` or ``15:10`` (shown as ``3:10 pm``);
* ``{date}``: a calendar date, ``2026-03-03`` (shown as ``Tuesday, March 3``);
* ``{minutes}``: a whole number from 1 to 180;
* ``{clinician}``: the display name of a staff member, named by id (the sender when left out).

Bodies are sealed by the practice key (they may name people). Owners and admins manage
templates; everyone lists them. A practice that never had any gets the defaults the first
time they are listed. A new or changed body that reads as clinical is refused: templates go
out unencrypted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from uuid import UUID, uuid4

from quietline.actions.clients import FieldOpener
from quietline.actions.context import Actor, check_admin
from quietline.crypto.fields import seal_record_field
from quietline.domain.audit import AuditKind
from quietline.domain.errors import InvalidInput, NotFound, present
from quietline.safety.clinical import assess_clinical
from quietline.storage.stores.clients import MAX_TEMPLATES, StoredTemplate
from quietline.storage.unit import Unit

TABLE = "message_templates"
PLACEHOLDERS = ("time", "date", "minutes", "clinician")
MAX_BODY = 320  # two SMS segments
MAX_NAME = 80
MAX_MINUTES = 180
DEFAULT_TEMPLATES: tuple[tuple[str, str], ...] = (
    ("See you then", "No problem, see you at {time}."),
    ("Running late", "Running about {minutes} minutes late, sorry!"),
    ("Confirmed", "Your appointment is confirmed for {date} at {time}."),
    ("Reminder", "Reminder: your appointment with {clinician} is on {date} at {time}."),
    ("Please call", "Can we move your appointment? Please call the office."),
)
_FIELD = re.compile(r"\{([^{}]*)\}")
_TIME_12 = re.compile(r"^(\d{1,2})(?::(\d{2}))?\s*([ap])\.?\s*m\.?$", re.IGNORECASE)
_TIME_24 = re.compile(r"^(\d{1,2}):(\d{2})$")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True, slots=True)
class TemplateView:
    id: UUID
    name: str
    body: str
    placeholders: list[str]
    position: int

    def __repr__(self) -> str:
        return f"TemplateView(id={self.id})"


def placeholders_of(body: str) -> list[str]:
    """The placeholders a body uses, in order of first use."""
    seen: list[str] = []
    for name in _FIELD.findall(body):
        if name not in seen:
            seen.append(name)
    return seen


def check_template_body(body: str) -> str:
    """A body staff may approve: 1 to 320 characters, only the four placeholders, no stray
    braces, and nothing that reads as clinical."""
    clean = " ".join(body.split())
    if not 1 <= len(clean) <= MAX_BODY:
        raise InvalidInput(f"A template is 1 to {MAX_BODY} characters.")
    names = _FIELD.findall(clean)
    if any(name not in PLACEHOLDERS for name in names):
        raise InvalidInput(
            "Templates may use only the placeholders {time}, {date}, {minutes} and {clinician}."
        )
    if "{" in _FIELD.sub("", clean) or "}" in _FIELD.sub("", clean):
        raise InvalidInput(
            "Use braces only around a placeholder: {time}, {date}, {minutes} or {clinician}."
        )
    assessment = assess_clinical(_FIELD.sub("", clean))
    if assessment.clinical:
        raise InvalidInput(
            "Templates go to clients as plain, unencrypted text, and this one reads as "
            f"clinical ({'; '.join(assessment.reasons)}). Keep templates to scheduling."
        )
    return clean


def _name(name: str) -> str:
    clean = " ".join(name.split())
    if not 1 <= len(clean) <= MAX_NAME:
        raise InvalidInput(f"Give the template a name of 1 to {MAX_NAME} characters.")
    return clean


def _seal(unit: Unit, practice_id: UUID, template_id: UUID, body: str) -> bytes:
    stored, key = unit.practice_key(practice_id)
    return seal_record_field(
        key, stored.key_id, practice_id, TABLE, "body_sealed", template_id, body
    )


def _open(unit: Unit, template: StoredTemplate, opener: FieldOpener | None = None) -> TemplateView:
    o = opener or FieldOpener(unit, template.practice_id)
    body = present(o.open(TABLE, "body_sealed", template.id, template.body_sealed), "body")
    return TemplateView(template.id, template.name, body, placeholders_of(body), template.position)


def ensure_default_templates(unit: Unit, practice_id: UUID) -> None:
    """Give a practice that never had a template the defaults (once: a practice that
    retired them all keeps none)."""
    if unit.clients.count_templates(practice_id) > 0:
        return
    for position, (name, body) in enumerate(DEFAULT_TEMPLATES):
        template_id = uuid4()
        unit.clients.insert_template(
            template_id=template_id,
            practice_id=practice_id,
            name=name,
            body_sealed=_seal(unit, practice_id, template_id, body),
            position=position,
            now=unit.now,
        )


def list_templates(unit: Unit, actor: Actor) -> list[TemplateView]:
    """The practice's templates in use, in order (a write: the defaults are made the first
    time)."""
    ensure_default_templates(unit, actor.practice_id)
    opener = FieldOpener(unit, actor.practice_id)
    return [_open(unit, t, opener) for t in unit.clients.templates(actor.practice_id)]


def get_template(unit: Unit, practice_id: UUID, template_id: UUID) -> TemplateView:
    """A template in use (retired ones and other practices' are not found)."""
    template = unit.clients.template(practice_id, template_id)
    if template is None or template.retired_at is not None:
        raise NotFound("template")
    return _open(unit, template)


def _changed(unit: Unit, actor: Actor, template_id: UUID, action: str) -> None:
    unit.audit(
        AuditKind.TEMPLATES_CHANGED,
        actor.practice_id,
        actor_user_id=actor.user_id,
        actor_session_id=actor.session_id,
        subject_type="template",
        subject_id=template_id,
        details={"action": action},
    )


def do_create_template(
    unit: Unit, actor: Actor, *, name: str, body: str, position: int | None = None
) -> TemplateView:
    check_admin(actor)
    ensure_default_templates(unit, actor.practice_id)
    current = unit.clients.templates(actor.practice_id)
    if len(current) >= MAX_TEMPLATES:
        raise InvalidInput(f"A practice can have at most {MAX_TEMPLATES} templates.")
    clean = check_template_body(body)
    template_id = uuid4()
    unit.clients.insert_template(
        template_id=template_id,
        practice_id=actor.practice_id,
        name=_name(name),
        body_sealed=_seal(unit, actor.practice_id, template_id, clean),
        position=position
        if position is not None
        else max((t.position for t in current), default=-1) + 1,
        now=unit.now,
    )
    _changed(unit, actor, template_id, "created")
    return get_template(unit, actor.practice_id, template_id)


def do_update_template(
    unit: Unit,
    actor: Actor,
    template_id: UUID,
    *,
    name: str | None = None,
    body: str | None = None,
    position: int | None = None,
) -> TemplateView:
    check_admin(actor)
    get_template(unit, actor.practice_id, template_id)
    values: dict[str, object] = {}
    if name is not None:
        values["name"] = _name(name)
    if body is not None:
        values["body_sealed"] = _seal(
            unit, actor.practice_id, template_id, check_template_body(body)
        )
    if position is not None:
        values["position"] = position
    if values:
        unit.clients.update_template(actor.practice_id, template_id, **values)
        _changed(unit, actor, template_id, "updated")
    return get_template(unit, actor.practice_id, template_id)


def do_retire_template(unit: Unit, actor: Actor, template_id: UUID) -> None:
    """Take a template out of use (kept for the record, never offered again)."""
    check_admin(actor)
    get_template(unit, actor.practice_id, template_id)
    unit.clients.update_template(actor.practice_id, template_id, retired_at=unit.now)
    _changed(unit, actor, template_id, "retired")


# -- filling in a template ------------------------------------------------------------------------


def _time_value(raw: object) -> str:
    text = str(raw).strip() if isinstance(raw, str) else ""
    if m := _TIME_12.match(text):
        hour, minute = int(m.group(1)), int(m.group(2) or 0)
        if 1 <= hour <= 12 and 0 <= minute <= 59:
            return f"{hour}:{minute:02d} {m.group(3).lower()}m"
    elif m := _TIME_24.match(text):
        hour, minute = int(m.group(1)), int(m.group(2))
        if 0 <= hour <= 23 and 0 <= minute <= 59:
            suffix = "am" if hour < 12 else "pm"
            return f"{(hour % 12) or 12}:{minute:02d} {suffix}"
    raise InvalidInput("{time} takes a clock time like 3:10 pm or 15:10.")


def _date_value(raw: object) -> str:
    try:
        day = date.fromisoformat(raw.strip()) if isinstance(raw, str) else None
    except ValueError:
        day = None
    if day is None:
        raise InvalidInput("{date} takes a date like 2026-03-03.")
    return f"{_WEEKDAYS[day.weekday()]}, {_MONTHS[day.month - 1]} {day.day}"


def _minutes_value(raw: object) -> str:
    number: int | None = None
    if isinstance(raw, int) and not isinstance(raw, bool):
        number = raw
    elif isinstance(raw, str) and raw.strip().isdigit() and len(raw.strip()) <= 3:
        number = int(raw.strip())
    if number is None or not 1 <= number <= MAX_MINUTES:
        raise InvalidInput(f"{{minutes}} takes a whole number from 1 to {MAX_MINUTES}.")
    return str(number)


def _clinician_value(unit: Unit, actor: Actor, raw: object | None) -> str:
    if raw is None:
        return actor.user.display_name
    try:
        user_id = UUID(str(raw))
    except ValueError:
        raise InvalidInput("{clinician} takes the id of a staff member.") from None
    user = unit.users.get(actor.practice_id, user_id)
    if user is None or not user.is_active:
        raise NotFound("user")
    return user.display_name


def render_template(unit: Unit, actor: Actor, template_id: UUID, values: dict[str, object]) -> str:
    """The template's text with its placeholders filled. Every placeholder it uses needs a
    valid value (``{clinician}`` defaults to the sender); a value for a placeholder it does
    not use is refused."""
    template = get_template(unit, actor.practice_id, template_id)
    extra = set(values) - set(template.placeholders)
    if extra:
        raise InvalidInput(
            "This template uses only: "
            + (", ".join("{" + p + "}" for p in template.placeholders) or "no placeholders")
            + "."
        )
    filled: dict[str, str] = {}
    for name in template.placeholders:
        raw = values.get(name)
        if name == "clinician":
            filled[name] = _clinician_value(unit, actor, raw)
            continue
        if raw is None:
            raise InvalidInput(f"This template needs a value for {{{name}}}.")
        if name == "time":
            filled[name] = _time_value(raw)
        elif name == "date":
            filled[name] = _date_value(raw)
        else:
            filled[name] = _minutes_value(raw)
    return _FIELD.sub(lambda m: filled[m.group(1)], template.body)
