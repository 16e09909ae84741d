"""alerts and budgets: budgets, alert rules, fired alerts, and what the last check saw

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 14:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('budgets',
    sa.Column('subject', sa.Text(), nullable=False),
    sa.Column('credits', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('subject', name=op.f('pk_budgets'))
    )
    op.create_table('alert_rules',
    sa.Column('rule', sa.Text(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('threshold', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('rule', name=op.f('pk_alert_rules'))
    )
    op.create_table('alerts',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('key', sa.Text(), nullable=False),
    sa.Column('rule', sa.Text(), nullable=False),
    sa.Column('fired_at', sa.BigInteger(), nullable=False),
    sa.Column('cleared_at', sa.BigInteger(), nullable=True),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('panel', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alerts'))
    )
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alerts_key'), ['key'], unique=False)
        batch_op.create_index(batch_op.f('ix_alerts_fired_at'), ['fired_at'], unique=False)
    op.create_table('seen_hours',
    sa.Column('hour', sa.BigInteger(), nullable=False),
    sa.Column('credits', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('hour', name=op.f('pk_seen_hours'))
    )
    op.create_table('seen_counts',
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_seen_counts'))
    )


def downgrade() -> None:
    op.drop_table('seen_counts')
    op.drop_table('seen_hours')
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alerts_fired_at'))
        batch_op.drop_index(batch_op.f('ix_alerts_key'))
    op.drop_table('alerts')
    op.drop_table('alert_rules')
    op.drop_table('budgets')
