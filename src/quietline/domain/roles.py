"""Staff roles and what each may do."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    SUPERVISOR = "supervisor"
    CLINICIAN = "clinician"
    FRONT_DESK = "front_desk"


ADMIN_ROLES = frozenset({Role.OWNER, Role.ADMIN})


def is_admin(role: Role) -> bool:
    return role in ADMIN_ROLES


def may_assign_role(actor: Role, target: Role) -> bool:
    """Only an owner makes owners; admins manage everyone else."""
    if actor == Role.OWNER:
        return True
    return actor == Role.ADMIN and target != Role.OWNER
