"""First schema, with an append-only audit table enforced by the database itself.

Revision ID: 0001
Revises:
Create Date: 2026-11-20 23:45:03.391392
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import workflow.persistence.models
from workflow.persistence.migrations.audit_guard import allow_audit_changes as _allow_audit_changes
from workflow.persistence.migrations.audit_guard import forbid_audit_changes as _forbid_audit_changes

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('alliances',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('region', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('action_concept_adopted_on', sa.Date(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('organisations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('budgets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('alliance_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['alliance_id'], ['alliances.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('alliance_id', 'year')
    )
    with op.batch_alter_table('budgets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_budgets_alliance_id'), ['alliance_id'], unique=False)

    op.create_table('rounds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('alliance_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('opens_at', workflow.persistence.models.UTCDateTime(), nullable=False),
    sa.Column('closes_at', workflow.persistence.models.UTCDateTime(), nullable=False),
    sa.Column('procedure_key', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('procedure_version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['alliance_id'], ['alliances.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('rounds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rounds_alliance_id'), ['alliance_id'], unique=False)

    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=320), nullable=True),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('alliance_id', sa.Integer(), nullable=True),
    sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.ForeignKeyConstraint(['alliance_id'], ['alliances.id'], ),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_users_alliance_id'), ['alliance_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_users_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('proposals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('alliance_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('summary', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('target_group', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('goals', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('partners', sa.JSON(), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('procedure_key', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('procedure_version', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', workflow.persistence.models.UTCDateTime(), nullable=False),
    sa.Column('updated_at', workflow.persistence.models.UTCDateTime(), nullable=False),
    sa.Column('reached_bank_at', workflow.persistence.models.UTCDateTime(), nullable=True),
    sa.Column('binds_budget', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['alliance_id'], ['alliances.id'], ),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], ),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], ),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.create_index('ix_proposals_alliance_state', ['alliance_id', 'state'], unique=False)
        batch_op.create_index(batch_op.f('ix_proposals_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_proposals_round_id'), ['round_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_proposals_state'), ['state'], unique=False)

    op.create_table('audit_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('at', workflow.persistence.models.UTCDateTime(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('actor_role', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('transition', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('from_state', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True),
    sa.Column('to_state', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('inputs', sa.JSON(), nullable=False),
    sa.Column('request_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('procedure_key', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('procedure_version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('proposal_id', 'seq')
    )
    op.create_table('deadlines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=True),
    sa.Column('round_id', sa.Integer(), nullable=True),
    sa.Column('alliance_id', sa.Integer(), nullable=True),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True),
    sa.Column('due_at', workflow.persistence.models.UTCDateTime(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('created_at', workflow.persistence.models.UTCDateTime(), nullable=False),
    sa.Column('closed_at', workflow.persistence.models.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['alliance_id'], ['alliances.id'], ),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], ),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deadlines_proposal_id'), ['proposal_id'], unique=False)
        batch_op.create_index('ix_deadlines_status_due', ['status', 'due_at'], unique=False)

    op.create_table('funding_years',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('staff_fte', sa.Float(), nullable=False),
    sa.Column('staff_costs', sa.BigInteger(), nullable=False),
    sa.Column('material_costs', sa.BigInteger(), nullable=False),
    sa.Column('total_cost', sa.BigInteger(), nullable=False),
    sa.Column('grant_requested', sa.BigInteger(), nullable=False),
    sa.Column('own_share', sa.BigInteger(), nullable=False),
    sa.Column('own_share_source', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('proposal_id', 'year')
    )
    with op.batch_alter_table('funding_years', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_funding_years_proposal_id'), ['proposal_id'], unique=False)
    _forbid_audit_changes()


def downgrade() -> None:
    _allow_audit_changes()
    with op.batch_alter_table('funding_years', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_funding_years_proposal_id'))

    op.drop_table('funding_years')
    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.drop_index('ix_deadlines_status_due')
        batch_op.drop_index(batch_op.f('ix_deadlines_proposal_id'))

    op.drop_table('deadlines')
    op.drop_table('audit_events')
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proposals_state'))
        batch_op.drop_index(batch_op.f('ix_proposals_round_id'))
        batch_op.drop_index(batch_op.f('ix_proposals_organisation_id'))
        batch_op.drop_index('ix_proposals_alliance_state')

    op.drop_table('proposals')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_users_alliance_id'))

    op.drop_table('users')
    with op.batch_alter_table('rounds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rounds_alliance_id'))

    op.drop_table('rounds')
    with op.batch_alter_table('budgets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_budgets_alliance_id'))

    op.drop_table('budgets')
    op.drop_table('organisations')
    op.drop_table('alliances')
