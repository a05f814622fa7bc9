"""Errors an action raises. Each becomes an RFC 9457 problem with a sentence a person can act on.

Messages must never include message text, names, phone numbers or tokens: they are shown to
users and may be logged.
"""

from __future__ import annotations

from typing import TypeVar

T = TypeVar("T")


class QuietlineError(Exception):
    status = 400
    code = "bad-request"
    title = "Bad request"

    def __init__(
        self,
        detail: str,
        *,
        headers: dict[str, str] | None = None,
        extra: dict[str, object] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers or {}
        # More members of the problem body (RFC 9457 extensions); never user content.
        self.extra = extra or {}


class InvalidInput(QuietlineError):
    status = 422
    code = "invalid-input"
    title = "Invalid input"


class Unauthenticated(QuietlineError):
    status = 401
    code = "unauthenticated"
    title = "Sign-in required"


class SecondFactorRequired(QuietlineError):
    status = 401
    code = "second-factor-required"
    title = "Second factor required"


class AppLocked(QuietlineError):
    """The web app on this device is locked: unlock with the PIN, a passkey or the password."""

    status = 423
    code = "app-locked"
    title = "App locked"


class Forbidden(QuietlineError):
    status = 403
    code = "forbidden"
    title = "Not allowed"


class NotFound(QuietlineError):
    """Also used for records of another practice: the answer must be indistinguishable."""

    status = 404
    code = "not-found"
    title = "Not found"

    def __init__(self, what: str) -> None:
        super().__init__(f"No {what} with that id exists, or you do not have access to it.")


class Conflict(QuietlineError):
    status = 409
    code = "conflict"
    title = "Conflict"


class Gone(QuietlineError):
    status = 410
    code = "gone"
    title = "Gone"


class TooManyRequests(QuietlineError):
    status = 429
    code = "too-many-requests"
    title = "Too many attempts"


def present(value: T | None, what: str) -> T:
    """For values that must exist (a row this same transaction wrote or locked)."""
    if value is None:
        raise RuntimeError(f"{what} is unexpectedly missing")
    return value
