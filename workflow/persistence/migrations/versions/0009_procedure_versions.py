"""Published procedure versions (their fingerprints) and migrations of running proposals between versions.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from workflow.persistence.models import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "procedure_versions",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=100), primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("fingerprint", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("published_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "procedure_migrations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("plan_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("procedure_key", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("from_version", sa.Integer(), nullable=False),
        sa.Column("to_version", sa.Integer(), nullable=False),
        sa.Column("plan", sa.JSON(), nullable=False),
        sa.Column("plan_fingerprint", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("moved", sa.Integer(), nullable=False),
        sa.Column("planned", sa.Integer(), nullable=False),
        sa.Column("started_by", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("started_by_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("claim", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("lease_until", UTCDateTime(), nullable=True),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.UniqueConstraint("procedure_key", "plan_id"),
    )
    # The runner finds the proposals still on the old version, by procedure version and state.
    op.create_index("ix_proposals_procedure_state", "proposals", ["procedure_key", "procedure_version", "state"])


def downgrade() -> None:
    op.drop_index("ix_proposals_procedure_state", table_name="proposals")
    op.drop_table("procedure_migrations")
    op.drop_table("procedure_versions")
