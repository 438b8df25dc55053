"""Indexes that a transition no longer rewrites: the procedure's index without the state (every step changes it),
and the indexes of nullable references over the rows that have one (most audit rows have no session, a proposal's
deadline has no round and no alliance). A step writes about a third fewer pages (README "Performance").

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_PARTIAL = (("ix_audit_events_session_id", "audit_events", "session_id"),
            ("ix_deadlines_round_id", "deadlines", "round_id"),
            ("ix_deadlines_alliance_id", "deadlines", "alliance_id"))


def upgrade() -> None:
    op.create_index("ix_proposals_procedure", "proposals", ["procedure_key", "procedure_version"])
    op.drop_index("ix_proposals_procedure_state", table_name="proposals")
    for name, table, column in _PARTIAL:
        condition = sa.text(f"{column} IS NOT NULL")
        op.drop_index(name, table_name=table)
        op.create_index(name, table, [column], sqlite_where=condition, postgresql_where=condition)


def downgrade() -> None:
    for name, table, column in _PARTIAL:
        op.drop_index(name, table_name=table)
        op.create_index(name, table, [column])
    op.create_index("ix_proposals_procedure_state", "proposals", ["procedure_key", "procedure_version", "state"])
    op.drop_index("ix_proposals_procedure", table_name="proposals")
