"""A practice's security policy: one row, applied to everyone at once."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from quietline.domain.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class PracticePolicy:
    require_second_factor: bool = False
    session_idle_minutes: int = 30
    session_absolute_hours: int = 12
    app_lock_minutes: int = 5
    default_message_ttl_seconds: int | None = None
    recall_window_minutes: int = 60
    retention_days: int | None = None  # None: messages are kept until their TTL, if any
    notification_text: str | None = None  # None: "New secure message"
    supervisor_visibility: bool = False

    @property
    def idle_timeout(self) -> timedelta:
        return timedelta(minutes=self.session_idle_minutes)

    @property
    def absolute_lifetime(self) -> timedelta:
        return timedelta(hours=self.session_absolute_hours)

    def retention_cutoff(self, now: datetime) -> datetime | None:
        """Messages created before this instant are past retention (None: no retention)."""
        return None if self.retention_days is None else now - timedelta(days=self.retention_days)


# Bounds a policy change must stay within (validated by the API and the action alike).
POLICY_BOUNDS = {
    "session_idle_minutes": (1, 24 * 60),
    "session_absolute_hours": (1, 24 * 30),
    "app_lock_minutes": (1, 240),
    "default_message_ttl_seconds": (60, 60 * 60 * 24 * 3650),
    "recall_window_minutes": (1, 60 * 24 * 30),
    "retention_days": (1, 36500),
}
MIN_TTL_SECONDS = 10
MAX_TTL_SECONDS = 60 * 60 * 24 * 3650
# Settings whose null means something ("no default TTL", "no retention", "the default text").
POLICY_NULLABLE = frozenset({"default_message_ttl_seconds", "retention_days", "notification_text"})

# The generic words of every push notification. A practice may choose its own words, never
# content: no sender, channel or text is ever added, so nothing that looks like a placeholder
# is accepted either.
DEFAULT_NOTIFICATION_TEXT = "New secure message"
NOTIFICATION_TEXT_MAX = 60
NOTIFICATION_TEXT_REFUSED = frozenset("{}[]<>%$\\`")


def check_notification_text(text: str) -> str:
    """The practice's notification words, outer spaces trimmed and inner runs of spaces made
    one; raises :class:`InvalidInput` with a sentence when they cannot be used."""
    cleaned = re.sub(" {2,}", " ", text.strip(" "))
    if not 1 <= len(cleaned) <= NOTIFICATION_TEXT_MAX:
        raise InvalidInput(
            f"The notification text must be 1 to {NOTIFICATION_TEXT_MAX} characters."
        )
    if not cleaned.isprintable():
        raise InvalidInput(
            "The notification text must be plain words on one line "
            "(no line breaks, tabs or invisible characters)."
        )
    if any(c in NOTIFICATION_TEXT_REFUSED for c in cleaned):
        raise InvalidInput(
            "The notification text is the same fixed words for every message: it cannot hold "
            "placeholders or the characters { } [ ] < > % $ \\ `. Sender, channel and message "
            "text are never shown in a notification."
        )
    return cleaned
