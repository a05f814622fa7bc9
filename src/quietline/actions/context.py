"""Who is acting: the authenticated user, their device session and their practice."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from quietline.domain.errors import Forbidden
from quietline.domain.models import DeviceSession, Practice, User
from quietline.domain.roles import is_admin


@dataclass(frozen=True, slots=True)
class Actor:
    user: User
    session: DeviceSession
    practice: Practice

    @property
    def practice_id(self) -> UUID:
        return self.practice.id

    @property
    def user_id(self) -> UUID:
        return self.user.id

    @property
    def session_id(self) -> UUID:
        return self.session.id

    @property
    def is_admin(self) -> bool:
        return is_admin(self.user.role)


def check_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise Forbidden("Only a practice owner or admin can do this.")
