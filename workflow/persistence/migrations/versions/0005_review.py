"""The steering group's work: sessions and agendas, scoring schemes and scores, second-reading conditions,
resolutions, reserve pools and drawings, early-start requests; approved amounts per plan year.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21 02:23:12.503354
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import workflow.persistence.models
from workflow.persistence.migrations.audit_guard import allow_audit_changes, forbid_audit_changes

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('reserve_pools',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('alliance_ids', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name', 'year')
    )
    op.create_table('steering_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('alliance_id', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('held_at', workflow.persistence.models.UTCDateTime(), nullable=False),
    sa.Column('created_at', workflow.persistence.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['alliance_id'], ['alliances.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('steering_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_steering_sessions_alliance_id'), ['alliance_id'], unique=False)

    op.create_table('reserve_draws',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pool_id', sa.Integer(), nullable=False),
    sa.Column('alliance_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=True),
    sa.Column('drawn_by', sa.Integer(), nullable=True),
    sa.Column('drawn_at', workflow.persistence.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['alliance_id'], ['alliances.id'], ),
    sa.ForeignKeyConstraint(['drawn_by'], ['users.id'], ),
    sa.ForeignKeyConstraint(['pool_id'], ['reserve_pools.id'], ),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('reserve_draws', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reserve_draws_alliance_id'), ['alliance_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reserve_draws_pool_id'), ['pool_id'], unique=False)

    op.create_table('resolutions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=True),
    sa.Column('decided_on', sa.Date(), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('body', sa.JSON(), nullable=False),
    sa.Column('ranking', sa.JSON(), nullable=False),
    sa.Column('recorded_by', sa.Integer(), nullable=True),
    sa.Column('recorded_at', workflow.persistence.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['recorded_by'], ['users.id'], ),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], ),
    sa.ForeignKeyConstraint(['session_id'], ['steering_sessions.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('round_id', 'version')
    )
    with op.batch_alter_table('resolutions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_resolutions_round_id'), ['round_id'], unique=False)

    op.create_table('scoring_schemes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('scheme', sa.JSON(), nullable=False),
    sa.Column('set_by', sa.Integer(), nullable=True),
    sa.Column('set_at', workflow.persistence.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], ),
    sa.ForeignKeyConstraint(['set_by'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('round_id')
    )
    op.create_table('agenda_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('purpose', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], ),
    sa.ForeignKeyConstraint(['session_id'], ['steering_sessions.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('session_id', 'proposal_id')
    )
    with op.batch_alter_table('agenda_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agenda_items_proposal_id'), ['proposal_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_agenda_items_session_id'), ['session_id'], unique=False)

    op.create_table('conditions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('reading_seq', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('text', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('responsible', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('answer', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('answered_at', workflow.persistence.models.UTCDateTime(), nullable=True),
    sa.Column('answered_by', sa.Integer(), nullable=True),
    sa.Column('judged_at', workflow.persistence.models.UTCDateTime(), nullable=True),
    sa.Column('judged_by', sa.Integer(), nullable=True),
    sa.Column('judgement_note', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('session_id', sa.Integer(), nullable=True),
    sa.Column('created_at', workflow.persistence.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['answered_by'], ['users.id'], ),
    sa.ForeignKeyConstraint(['judged_by'], ['users.id'], ),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], ),
    sa.ForeignKeyConstraint(['session_id'], ['steering_sessions.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('conditions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_conditions_proposal_id'), ['proposal_id'], unique=False)

    op.create_table('early_starts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('wanted_from', sa.Date(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('requested_by', sa.Integer(), nullable=True),
    sa.Column('requested_at', workflow.persistence.models.UTCDateTime(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('answer_note', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('answered_by', sa.Integer(), nullable=True),
    sa.Column('answered_at', workflow.persistence.models.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['answered_by'], ['users.id'], ),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], ),
    sa.ForeignKeyConstraint(['requested_by'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('early_starts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_early_starts_proposal_id'), ['proposal_id'], unique=False)

    op.create_table('scores',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('scorer_id', sa.Integer(), nullable=False),
    sa.Column('points', sa.JSON(), nullable=False),
    sa.Column('ko', sa.JSON(), nullable=False),
    sa.Column('comment', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_at', workflow.persistence.models.UTCDateTime(), nullable=False),
    sa.Column('updated_at', workflow.persistence.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], ),
    sa.ForeignKeyConstraint(['scorer_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('proposal_id', 'scorer_id')
    )
    with op.batch_alter_table('scores', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scores_proposal_id'), ['proposal_id'], unique=False)

    # Plain ADD COLUMN, not a batch copy: a copied audit table would lose its append-only triggers.
    if op.get_bind().dialect.name == "sqlite":
        # alembic will not add a column with a foreign key on SQLite, though SQLite itself can.
        op.execute("ALTER TABLE audit_events ADD COLUMN session_id INTEGER "
                   "CONSTRAINT fk_audit_events_session_id REFERENCES steering_sessions (id)")
    else:
        op.add_column("audit_events", sa.Column(
            "session_id", sa.Integer(), sa.ForeignKey("steering_sessions.id", name="fk_audit_events_session_id"),
            nullable=True))
    op.create_index(op.f("ix_audit_events_session_id"), "audit_events", ["session_id"], unique=False)
    op.add_column("funding_years", sa.Column("grant_approved", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    op.drop_column("funding_years", "grant_approved")
    op.drop_index(op.f("ix_audit_events_session_id"), table_name="audit_events")
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint("fk_audit_events_session_id", "audit_events", type_="foreignkey")
        op.drop_column("audit_events", "session_id")
    else:
        # SQLite drops a column with a foreign key only by copying the table; the copy needs the triggers again.
        allow_audit_changes()
        with op.batch_alter_table("audit_events") as batch:
            batch.drop_column("session_id")
        forbid_audit_changes()
    with op.batch_alter_table('scores', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scores_proposal_id'))

    op.drop_table('scores')
    with op.batch_alter_table('early_starts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_early_starts_proposal_id'))

    op.drop_table('early_starts')
    with op.batch_alter_table('conditions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_conditions_proposal_id'))

    op.drop_table('conditions')
    with op.batch_alter_table('agenda_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agenda_items_session_id'))
        batch_op.drop_index(batch_op.f('ix_agenda_items_proposal_id'))

    op.drop_table('agenda_items')
    op.drop_table('scoring_schemes')
    with op.batch_alter_table('resolutions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_resolutions_round_id'))

    op.drop_table('resolutions')
    with op.batch_alter_table('reserve_draws', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reserve_draws_pool_id'))
        batch_op.drop_index(batch_op.f('ix_reserve_draws_alliance_id'))

    op.drop_table('reserve_draws')
    with op.batch_alter_table('steering_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_steering_sessions_alliance_id'))

    op.drop_table('steering_sessions')
    op.drop_table('reserve_pools')
