"""How a practice talks to its clients: office hours, the words of its automatic replies,
its consent warning, its guard policy and which roles on staff may send to clients. Stored as
JSON in ``practice_messaging.settings``; nothing here is client data (a practice's own words,
times and choices only).

The defaults are what a solo therapist gets with no setup at all.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from datetime import date, time
from typing import Any, Literal

from quietline.domain.roles import Role

PlainMessages = Literal["templates_only", "logistics"]
GuardMode = Literal["warn", "block"]

DEFAULT_TIMEZONE = "America/New_York"

# Plain-language warning shown (and stored word for word) when consent is recorded.
DEFAULT_CONSENT_WARNING = (
    "Regular text messages and e-mail are not encrypted. Your phone company, e-mail "
    "provider or anyone who sees your phone could read them. If you agree, we will send "
    "only scheduling messages (times, reminders, confirmations) this way, never anything "
    "about your care. Anything else comes as a link to our secure page. You can change "
    "your mind at any time; reply STOP to stop text messages."
)
DEFAULT_CRISIS_REPLY = (
    "We got your message. If you are thinking about harming yourself or someone else, or "
    "are in danger, please call or text 988 (Suicide & Crisis Lifeline) now, or call 911. "
    "Your care team has been alerted."
)
# Sent instead when the message that raised the alarm was written in Spanish (the detector's
# Spanish rules fired). 988 answers in Spanish: press 2 on a call, or text AYUDA. Accented
# letters make it UCS-2 (67 characters a part): kept to 3 SMS.
DEFAULT_CRISIS_REPLY_SPANISH = (
    "Recibimos su mensaje. Si piensa en hacerse daño o en dañar a alguien, o si está en "
    "peligro, llame o envíe un texto al 988 (oprima 2 o envíe AYUDA para español) o llame al "
    "911. Ya avisamos a su equipo."
)
DEFAULT_AFTER_HOURS_REPLY = (
    "Thanks for your message. Our office is closed; we will reply on the next business day. "
    "In an emergency call 911. In a crisis, call or text 988 (Suicide & Crisis Lifeline)."
)
DEFAULT_LATE_REPLY = "Thanks for letting us know. See you soon."
DEFAULT_HELP_REPLY = (
    "Scheduling messages from your care team. Reply STOP to stop text messages, START to "
    "start again. In an emergency call 911; in a crisis call or text 988."
)
DEFAULT_NOTICE = "You have a new message from your care team: {link}"
# Who may send to clients by default: every role that can be in a client's thread.
ALL_ROLES: tuple[Role, ...] = tuple(Role)


@dataclass(frozen=True, slots=True)
class OpeningHours:
    weekday: int  # 0 Monday .. 6 Sunday
    opens: time
    closes: time


def _weekdays_nine_to_five() -> tuple[OpeningHours, ...]:
    return tuple(OpeningHours(d, time(9, 0), time(17, 0)) for d in range(5))


@dataclass(frozen=True, slots=True)
class ClientMessagingPolicy:
    timezone: str = DEFAULT_TIMEZONE
    hours: tuple[OpeningHours, ...] = field(default_factory=_weekdays_nine_to_five)
    holidays: tuple[date, ...] = ()
    after_hours_reply: str = DEFAULT_AFTER_HOURS_REPLY
    crisis_reply: str = DEFAULT_CRISIS_REPLY
    crisis_reply_spanish: str = DEFAULT_CRISIS_REPLY_SPANISH
    late_reply: str = DEFAULT_LATE_REPLY
    help_reply: str = DEFAULT_HELP_REPLY
    notice_text: str = DEFAULT_NOTICE  # must contain {link} and nothing else variable
    consent_warning: str = DEFAULT_CONSENT_WARNING
    # Whether the front desk are members of every client thread.
    front_desk_in_client_threads: bool = True
    # What may go in the clear to a consenting client: approved templates only (the
    # default), or any logistics text that passes the clinical-content guard.
    plain_messages: PlainMessages = "templates_only"
    clinical_guard: GuardMode = "warn"
    # The secure page also asks for the date of birth (when the client record has one).
    require_date_of_birth: bool = False
    reminder_hours_before: int = 24  # 0: no reminders
    link_ttl_hours: int = 72
    client_session_idle_minutes: int = 10
    client_session_absolute_minutes: int = 30
    # The roles whose members may send to clients (thread messages, one-tap appointment
    # texts). Owners always may, so a practice cannot lock itself out; staff-only notes and
    # the practice's automatic replies are not sending as anyone.
    client_senders: tuple[Role, ...] = ALL_ROLES

    def may_message_clients(self, role: Role) -> bool:
        """Whether a member of staff with ``role`` may send to clients."""
        return role == Role.OWNER or role in self.client_senders

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["hours"] = [
            {
                "weekday": h.weekday,
                "opens": h.opens.isoformat("minutes"),
                "closes": h.closes.isoformat("minutes"),
            }
            for h in self.hours
        ]
        data["holidays"] = [d.isoformat() for d in self.holidays]
        data["client_senders"] = [r.value for r in self.client_senders]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ClientMessagingPolicy:
        """Read stored settings; keys unknown to this version are ignored, missing ones take
        their defaults (so settings written by an older version still load)."""
        known = {f.name for f in fields(cls)}
        values: dict[str, Any] = {k: v for k, v in data.items() if k in known}
        if "hours" in values:
            values["hours"] = tuple(
                OpeningHours(
                    int(h["weekday"]),
                    time.fromisoformat(h["opens"]),
                    time.fromisoformat(h["closes"]),
                )
                for h in values["hours"]
            )
        if "holidays" in values:
            values["holidays"] = tuple(date.fromisoformat(d) for d in values["holidays"])
        if "client_senders" in values:
            # Roles this version does not know are left out; owners always may anyway.
            stored = {str(r) for r in values["client_senders"]}
            values["client_senders"] = tuple(r for r in Role if r.value in stored)
        return replace(cls(), **values)
