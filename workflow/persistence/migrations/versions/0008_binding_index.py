"""An index of the proposals that bind budget money, by alliance (a partial index on SQLite and PostgreSQL).

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_proposals_binding", "proposals", ["alliance_id"], sqlite_where=sa.text("binds_budget = 1"),
                    postgresql_where=sa.text("binds_budget"))


def downgrade() -> None:
    op.drop_index("ix_proposals_binding", table_name="proposals")
