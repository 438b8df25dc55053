"""Deadlines that a sweep can claim and advance, the outbox of notifications, mutes, and alliance webhooks.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import workflow.persistence.models

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alliances") as batch:
        batch.add_column(sa.Column("webhook_url", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True))
        batch.add_column(sa.Column("webhook_secret", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))

    with op.batch_alter_table("deadlines") as batch:
        batch.add_column(sa.Column("procedure_key", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True))
        batch.add_column(sa.Column("procedure_version", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("stage", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("next_fire_at", workflow.persistence.models.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("claim", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True))
        batch.add_column(sa.Column("lease_until", workflow.persistence.models.UTCDateTime(), nullable=True))
        batch.drop_index("ix_deadlines_status_due")
        batch.create_index("ix_deadlines_status_next_fire", ["status", "next_fire_at"], unique=False)
        batch.create_index(batch.f("ix_deadlines_round_id"), ["round_id"], unique=False)
        batch.create_index(batch.f("ix_deadlines_alliance_id"), ["alliance_id"], unique=False)
    with op.batch_alter_table("deadlines") as batch:
        batch.alter_column("stage", server_default=None)

    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("topic", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("alliance_id", sa.Integer(), nullable=True),
        sa.Column("proposal_id", sa.Integer(), nullable=True),
        sa.Column("deadline_id", sa.Integer(), nullable=True),
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("body", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", workflow.persistence.models.UTCDateTime(), nullable=True),
        sa.Column("claim", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("lease_until", workflow.persistence.models.UTCDateTime(), nullable=True),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("created_at", workflow.persistence.models.UTCDateTime(), nullable=False),
        sa.Column("sent_at", workflow.persistence.models.UTCDateTime(), nullable=True),
        sa.Column("read_at", workflow.persistence.models.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["alliance_id"], ["alliances.id"]),
        sa.ForeignKeyConstraint(["deadline_id"], ["deadlines.id"]),
        sa.ForeignKeyConstraint(["proposal_id"], ["proposals.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    with op.batch_alter_table("outbox") as batch:
        batch.create_index("ix_outbox_status_next_attempt", ["status", "next_attempt_at"], unique=False)
        batch.create_index("ix_outbox_inbox", ["user_id", "channel", "id"], unique=False)

    op.create_table(
        "notification_mutes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("topic", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "topic", "channel"),
    )
    with op.batch_alter_table("notification_mutes") as batch:
        batch.create_index(batch.f("ix_notification_mutes_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_table("notification_mutes")
    op.drop_table("outbox")
    with op.batch_alter_table("deadlines") as batch:
        batch.drop_index("ix_deadlines_alliance_id")
        batch.drop_index("ix_deadlines_round_id")
        batch.drop_index("ix_deadlines_status_next_fire")
        batch.create_index("ix_deadlines_status_due", ["status", "due_at"], unique=False)
        for column in ("lease_until", "claim", "next_fire_at", "stage", "procedure_version", "procedure_key"):
            batch.drop_column(column)
    with op.batch_alter_table("alliances") as batch:
        batch.drop_column("webhook_secret")
        batch.drop_column("webhook_url")
