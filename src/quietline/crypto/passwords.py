"""Password hashing with argon2id (argon2-cffi). Parameters come from settings so tests can
turn the cost down; hashes made with weaker parameters are upgraded at the next sign-in."""

from __future__ import annotations

from dataclasses import dataclass, field

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024


@dataclass(frozen=True, slots=True)
class PasswordCheck:
    ok: bool
    needs_rehash: bool = False


@dataclass(frozen=True, slots=True)
class NewSecret:
    """A new password or PIN with its argon2id hash, made before the write that stores it.

    Hashing takes tens of milliseconds of CPU (it releases the GIL); made on a worker thread
    before the write job, it never holds up the single writer and every write queued behind
    it (decision 0003). The action still checks ``plain`` against its rules."""

    plain: str = field(repr=False)
    hashed: str = field(repr=False)


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

    def new_secret(self, plain: str) -> NewSecret:
        return NewSecret(plain, self.hash(plain))

    def verified(self, stored_hash: str, secret: str, checked: tuple[str, bool] | None) -> bool:
        """Whether ``secret`` matches ``stored_hash``. ``checked``: (hash, ok), the same secret
        already checked outside the transaction; used only if that is still the stored hash,
        so that the writer does not spend an argon2id check when it need not."""
        if checked is not None and checked[0] == stored_hash:
            return checked[1]
        return self.verify(stored_hash, secret).ok

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
