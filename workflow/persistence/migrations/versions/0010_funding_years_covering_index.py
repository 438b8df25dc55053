"""The funding years by proposal with the amounts that bind the budget, so that the budget's sum reads the index
alone; it replaces the plain index on proposal_id (its prefix).

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_funding_years_binding", "funding_years",
                    ["proposal_id", "year", "grant_approved", "grant_requested"])
    op.drop_index("ix_funding_years_proposal_id", table_name="funding_years")


def downgrade() -> None:
    op.create_index("ix_funding_years_proposal_id", "funding_years", ["proposal_id"])
    op.drop_index("ix_funding_years_binding", table_name="funding_years")
