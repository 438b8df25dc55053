"""An alliance names its funding bank (an organisation); bank officers see only that bank's proposals.

Existing alliances get no funding bank: until an operator names one (PUT /alliances/{id}/funding-bank), no bank
officer sees their proposals. Forwarding and deciding on the bank's letter by the managing member still work.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

FK = "fk_alliances_funding_bank_id_organisations"


def upgrade() -> None:
    with op.batch_alter_table("alliances") as batch:
        batch.add_column(sa.Column("funding_bank_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(FK, "organisations", ["funding_bank_id"], ["id"])
        batch.create_index(batch.f("ix_alliances_funding_bank_id"), ["funding_bank_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("alliances") as batch:
        batch.drop_index(batch.f("ix_alliances_funding_bank_id"))
        batch.drop_constraint(FK, type_="foreignkey")
        batch.drop_column("funding_bank_id")
