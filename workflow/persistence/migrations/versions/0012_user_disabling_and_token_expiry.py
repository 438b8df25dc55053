"""Accounts can be disabled, and an API token may expire: two nullable times on users.

A disabled account's token and password no longer sign in (workflow/people/accounts.py); enabling it again restores
both. A token without an expiry keeps working until it is replaced.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from workflow.persistence.models import UTCDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("disabled_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("token_expires_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("token_expires_at")
        batch.drop_column("disabled_at")
