"""When a proposal reached its alliance (was submitted): the steering group sees it from then on, not its drafts.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import workflow.persistence.models

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("proposals") as batch:
        batch.add_column(sa.Column("reached_alliance_at", workflow.persistence.models.UTCDateTime(), nullable=True))
    # Proposals that left their draft before this column existed were seen by the steering group already.
    op.execute("UPDATE proposals SET reached_alliance_at = updated_at WHERE state NOT IN ('draft', 'withdrawn')")


def downgrade() -> None:
    with op.batch_alter_table("proposals") as batch:
        batch.drop_column("reached_alliance_at")
