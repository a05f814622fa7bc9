"""administration: invites, emergency access, offboarding, legal holds, policies

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 20:10:58.374975
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import quietline.storage.tables

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "staff_invites",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("practice_id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("token_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at", quietline.storage.tables.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "expires_at", quietline.storage.tables.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("used_at", quietline.storage.tables.UTCDateTime(timezone=True), nullable=True),
        sa.Column("used_by", sa.Uuid(), nullable=True),
        sa.Column("revoked_at", quietline.storage.tables.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["practice_id"],
            ["practices.id"],
            name=op.f("fk_staff_invites_practice_id_practices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_invites")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_staff_invites_token_hash")),
    )
    with op.batch_alter_table("staff_invites", schema=None) as batch_op:
        batch_op.create_index(
            "ix_staff_invites_practice", ["practice_id", "created_at"], unique=False
        )

    op.create_table(
        "offboarding_records",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("practice_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("performed_by", sa.Uuid(), nullable=False),
        sa.Column(
            "performed_at", quietline.storage.tables.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("handed_to", sa.Uuid(), nullable=True),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["practice_id"],
            ["practices.id"],
            name=op.f("fk_offboarding_records_practice_id_practices"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_offboarding_records_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offboarding_records")),
    )
    with op.batch_alter_table("offboarding_records", schema=None) as batch_op:
        batch_op.create_index(
            "ix_offboarding_records_practice", ["practice_id", "performed_at"], unique=False
        )

    op.create_table(
        "emergency_access",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("practice_id", sa.Uuid(), nullable=False),
        sa.Column("conversation_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("reason_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("opened_at", quietline.storage.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "expires_at", quietline.storage.tables.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("closed_at", quietline.storage.tables.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_emergency_access_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["practice_id"],
            ["practices.id"],
            name=op.f("fk_emergency_access_practice_id_practices"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_emergency_access_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_emergency_access")),
    )
    with op.batch_alter_table("emergency_access", schema=None) as batch_op:
        batch_op.create_index(
            "ix_emergency_access_lookup", ["conversation_id", "user_id", "expires_at"], unique=False
        )

    op.create_table(
        "legal_holds",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("practice_id", sa.Uuid(), nullable=False),
        sa.Column("conversation_id", sa.Uuid(), nullable=True),
        sa.Column("reason_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("placed_by", sa.Uuid(), nullable=False),
        sa.Column("placed_at", quietline.storage.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("released_by", sa.Uuid(), nullable=True),
        sa.Column(
            "released_at", quietline.storage.tables.UTCDateTime(timezone=True), nullable=True
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_legal_holds_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["practice_id"],
            ["practices.id"],
            name=op.f("fk_legal_holds_practice_id_practices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legal_holds")),
    )
    with op.batch_alter_table("legal_holds", schema=None) as batch_op:
        batch_op.create_index(
            "ix_legal_holds_conversation", ["conversation_id", "released_at"], unique=False
        )

    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("logistics_only", sa.Boolean(), server_default=sa.false(), nullable=False)
        )

    with op.batch_alter_table("practices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("retention_days", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("notification_text", sa.String(length=120), nullable=True))
        batch_op.add_column(
            sa.Column(
                "supervisor_visibility", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("practices", schema=None) as batch_op:
        batch_op.drop_column("supervisor_visibility")
        batch_op.drop_column("notification_text")
        batch_op.drop_column("retention_days")

    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_column("logistics_only")

    with op.batch_alter_table("legal_holds", schema=None) as batch_op:
        batch_op.drop_index("ix_legal_holds_conversation")

    op.drop_table("legal_holds")
    with op.batch_alter_table("emergency_access", schema=None) as batch_op:
        batch_op.drop_index("ix_emergency_access_lookup")

    op.drop_table("emergency_access")
    with op.batch_alter_table("offboarding_records", schema=None) as batch_op:
        batch_op.drop_index("ix_offboarding_records_practice")

    op.drop_table("offboarding_records")
    with op.batch_alter_table("staff_invites", schema=None) as batch_op:
        batch_op.drop_index("ix_staff_invites_practice")

    op.drop_table("staff_invites")
