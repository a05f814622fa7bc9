"""Password hashing with argon2id (argon2-cffi). Parameters come from settings so tests can
turn the cost down; hashes made with weaker parameters are upgraded at the next sign-in."""

from __future__ import annotations

from dataclasses import dataclass

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024


@dataclass(frozen=True, slots=True)
class PasswordCheck:
    ok: bool
    needs_rehash: bool = False


class Passwords:
    def __init__(self, *, time_cost: int = 3, memory_cost_kib: int = 65536, parallelism: int = 2):
        self._hasher = PasswordHasher(
            time_cost=time_cost,
            memory_cost=memory_cost_kib,
            parallelism=parallelism,
            type=Type.ID,
        )
        # Verified against when an account does not exist, so timing does not reveal that.
        self._dummy = self._hasher.hash("quietline-dummy-password")

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, stored_hash: str | None, password: str) -> PasswordCheck:
        try:
            self._hasher.verify(stored_hash or self._dummy, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return PasswordCheck(ok=False)
        if stored_hash is None:
            return PasswordCheck(ok=False)
        return PasswordCheck(ok=True, needs_rehash=self._hasher.check_needs_rehash(stored_hash))


def password_problem(password: str) -> str | None:
    """A sentence a person can act on, or None when the password is acceptable."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Choose a password of at least {MIN_PASSWORD_LENGTH} characters."
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Choose a password of at most {MAX_PASSWORD_LENGTH} characters."
    if len(set(password)) < 4:
        return "Choose a password with more variety than a few repeated characters."
    return None
