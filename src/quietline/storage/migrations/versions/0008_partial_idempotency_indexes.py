"""idempotency keys: partial unique indexes, one per kind of sender

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 22:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (name, sender column): a key is unique per sender of that kind.
_KEYS = [
    ("uq_messages_sender_idempotency", "sender_id"),
    ("uq_messages_client_idempotency", "sender_client_id"),
]


def upgrade() -> None:
    # A staff message has no client sender (and a client's no staff sender), yet the full
    # unique constraints indexed the empty side too: one more random index page written by
    # every send (decision 0024). The partial indexes enforce the same rule. On SQLite,
    # dropping a table constraint rebuilds the table (a copy, in one transaction).
    with op.batch_alter_table("messages", schema=None) as batch_op:
        for name, _column in _KEYS:
            batch_op.drop_constraint(name, type_="unique")
    for name, column in _KEYS:
        where = sa.text(f"{column} IS NOT NULL")
        op.create_index(
            name,
            "messages",
            [column, "idempotency_key"],
            unique=True,
            sqlite_where=where,
            postgresql_where=where,
        )


def downgrade() -> None:
    for name, _column in _KEYS:
        op.drop_index(name, table_name="messages")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        for name, column in _KEYS:
            batch_op.create_unique_constraint(name, [column, "idempotency_key"])
