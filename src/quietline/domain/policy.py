"""A practice's security policy: one row, applied to everyone at once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


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


# Bounds a policy change must stay within (validated by the API and the action alike).
POLICY_BOUNDS = {
    "session_idle_minutes": (1, 24 * 60),
    "session_absolute_hours": (1, 24 * 30),
    "app_lock_minutes": (1, 240),
    "default_message_ttl_seconds": (60, 60 * 60 * 24 * 3650),
    "recall_window_minutes": (1, 60 * 24 * 30),
}
MIN_TTL_SECONDS = 10
MAX_TTL_SECONDS = 60 * 60 * 24 * 3650
