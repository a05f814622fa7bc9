"""the unread index also covers the urgent flag

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 21:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD = ["conversation_id", "seq", "sender_id", "recalled_at", "expires_at"]


def upgrade() -> None:
    # The conversation list asks, per conversation, whether an unread message is urgent: with
    # the flag in the index that is answered without reading message rows (measured: the
    # list with nothing read went from 15 to 79 ms when it had to read them).
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index("ix_messages_unread")
        batch_op.create_index("ix_messages_unread", [*_OLD, "urgent"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index("ix_messages_unread")
        batch_op.create_index("ix_messages_unread", _OLD, unique=False)
