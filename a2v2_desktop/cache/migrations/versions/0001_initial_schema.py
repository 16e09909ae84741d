"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-27 09:12:23.655694
"""

from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('agents',
    sa.Column('id', sa.Text(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('model', sa.Text(), nullable=True),
    sa.Column('model_tier', sa.Text(), nullable=True),
    sa.Column('status', sa.Text(), nullable=False),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.Column('deleted_at', sa.BigInteger(), nullable=True),
    sa.Column('paid_access_enabled', sa.Boolean(), nullable=False),
    sa.Column('paid_price_amount', sa.BigInteger(), nullable=True),
    sa.Column('paid_price_currency', sa.String(length=3), nullable=True),
    sa.Column('paid_interval', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agents'))
    )
    op.create_table('billing_snapshots',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('synced_at', sa.BigInteger(), nullable=False),
    sa.Column('as_of', sa.BigInteger(), nullable=False),
    sa.Column('plan_id', sa.Text(), nullable=False),
    sa.Column('plan_name', sa.Text(), nullable=False),
    sa.Column('plan_credits_per_period', sa.BigInteger(), nullable=False),
    sa.Column('agent_limit', sa.Integer(), nullable=True),
    sa.Column('member_limit', sa.Integer(), nullable=True),
    sa.Column('period_start', sa.BigInteger(), nullable=False),
    sa.Column('period_end', sa.BigInteger(), nullable=False),
    sa.Column('plan_credits_remaining', sa.BigInteger(), nullable=False),
    sa.Column('topup_credits_remaining', sa.BigInteger(), nullable=False),
    sa.Column('credits_used_this_period', sa.BigInteger(), nullable=False),
    sa.Column('auto_recharge_enabled', sa.Boolean(), nullable=False),
    sa.Column('auto_recharge_threshold', sa.BigInteger(), nullable=True),
    sa.Column('auto_recharge_credits', sa.BigInteger(), nullable=True),
    sa.Column('auto_recharge_price_amount', sa.BigInteger(), nullable=True),
    sa.Column('auto_recharge_price_currency', sa.String(length=3), nullable=True),
    sa.Column('auto_recharge_max_per_month', sa.Integer(), nullable=True),
    sa.Column('auto_recharge_used_this_month', sa.Integer(), nullable=True),
    sa.Column('auto_recharge_last_at', sa.BigInteger(), nullable=True),
    sa.Column('usage_seq', sa.BigInteger(), nullable=False),
    sa.Column('credit_transactions_seq', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_billing_snapshots'))
    )
    with op.batch_alter_table('billing_snapshots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_billing_snapshots_synced_at'), ['synced_at'], unique=False)

    op.create_table('conversations',
    sa.Column('id', sa.Text(), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('agent_id', sa.Text(), nullable=False),
    sa.Column('visitor_id', sa.Text(), nullable=False),
    sa.Column('channel', sa.Text(), nullable=True),
    sa.Column('country', sa.Text(), nullable=True),
    sa.Column('started_at', sa.BigInteger(), nullable=False),
    sa.Column('last_activity_at', sa.BigInteger(), nullable=False),
    sa.Column('visitor_messages', sa.Integer(), nullable=False),
    sa.Column('agent_messages', sa.Integer(), nullable=False),
    sa.Column('unanswered', sa.Integer(), nullable=False),
    sa.Column('response_ms_total', sa.BigInteger(), nullable=False),
    sa.Column('feedback_up', sa.Integer(), nullable=False),
    sa.Column('feedback_down', sa.Integer(), nullable=False),
    sa.Column('credits', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conversations'))
    )
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_conversations_agent_id_last_activity_at'), ['agent_id', 'last_activity_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_conversations_started_at_agent_id'), ['started_at', 'agent_id'], unique=False)

    op.create_table('credit_transactions',
    sa.Column('id', sa.Text(), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('occurred_at', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.Text(), nullable=False),
    sa.Column('pool', sa.Text(), nullable=False),
    sa.Column('credits', sa.BigInteger(), nullable=False),
    sa.Column('paid_amount', sa.BigInteger(), nullable=True),
    sa.Column('paid_currency', sa.String(length=3), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credit_transactions'))
    )
    with op.batch_alter_table('credit_transactions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_credit_transactions_occurred_at'), ['occurred_at'], unique=False)

    op.create_table('feed_cursors',
    sa.Column('feed', sa.Text(), nullable=False),
    sa.Column('after_seq', sa.BigInteger(), nullable=False),
    sa.Column('restarts', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('feed', name=op.f('pk_feed_cursors'))
    )
    op.create_table('members',
    sa.Column('id', sa.Text(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('email', sa.Text(), nullable=True),
    sa.Column('role', sa.Text(), nullable=False),
    sa.Column('status', sa.Text(), nullable=False),
    sa.Column('joined_at', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_members'))
    )
    op.create_table('organization',
    sa.Column('id', sa.Text(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('timezone', sa.Text(), nullable=False),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organization'))
    )
    op.create_table('subscriptions',
    sa.Column('id', sa.Text(), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('agent_id', sa.Text(), nullable=False),
    sa.Column('subscriber_id', sa.Text(), nullable=False),
    sa.Column('status', sa.Text(), nullable=False),
    sa.Column('interval', sa.Text(), nullable=False),
    sa.Column('price_amount', sa.BigInteger(), nullable=False),
    sa.Column('price_currency', sa.String(length=3), nullable=False),
    sa.Column('started_at', sa.BigInteger(), nullable=False),
    sa.Column('current_period_end', sa.BigInteger(), nullable=True),
    sa.Column('canceled_at', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subscriptions'))
    )
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subscriptions_agent_id'), ['agent_id'], unique=False)

    op.create_table('sync_runs',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('started_at', sa.BigInteger(), nullable=False),
    sa.Column('finished_at', sa.BigInteger(), nullable=True),
    sa.Column('status', sa.Text(), nullable=False),
    sa.Column('records', sa.BigInteger(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('changed_from_hour', sa.BigInteger(), nullable=True),
    sa.Column('changed_to_hour', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_runs'))
    )
    op.create_table('transactions',
    sa.Column('id', sa.Text(), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('agent_id', sa.Text(), nullable=False),
    sa.Column('subscription_id', sa.Text(), nullable=True),
    sa.Column('subscriber_id', sa.Text(), nullable=False),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.Text(), nullable=False),
    sa.Column('status', sa.Text(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('fee_amount', sa.BigInteger(), nullable=True),
    sa.Column('fee_currency', sa.String(length=3), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transactions'))
    )
    with op.batch_alter_table('transactions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transactions_agent_id'), ['agent_id'], unique=False)

    op.create_table('unanswered_questions',
    sa.Column('id', sa.Text(), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('agent_id', sa.Text(), nullable=False),
    sa.Column('conversation_id', sa.Text(), nullable=True),
    sa.Column('asked_at', sa.BigInteger(), nullable=False),
    sa.Column('question', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unanswered_questions'))
    )
    with op.batch_alter_table('unanswered_questions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_unanswered_questions_agent_id_asked_at'), ['agent_id', 'asked_at'], unique=False)

    op.create_table('usage',
    sa.Column('id', sa.Text(), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('hour', sa.BigInteger(), nullable=False),
    sa.Column('agent_id', sa.Text(), nullable=False),
    sa.Column('member_id', sa.Text(), nullable=True),
    sa.Column('activity', sa.Text(), nullable=False),
    sa.Column('model', sa.Text(), nullable=True),
    sa.Column('pool', sa.Text(), nullable=False),
    sa.Column('quantity', sa.BigInteger(), nullable=False),
    sa.Column('credits', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_usage'))
    )
    with op.batch_alter_table('usage', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_usage_agent_id_hour_credits_quantity'), ['agent_id', 'hour', 'credits', 'quantity'], unique=False)
        batch_op.create_index(batch_op.f('ix_usage_hour_agent_id_activity_credits_quantity'), ['hour', 'agent_id', 'activity', 'credits', 'quantity'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('usage', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_usage_hour_agent_id_activity_credits_quantity'))
        batch_op.drop_index(batch_op.f('ix_usage_agent_id_hour_credits_quantity'))

    op.drop_table('usage')
    with op.batch_alter_table('unanswered_questions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_unanswered_questions_agent_id_asked_at'))

    op.drop_table('unanswered_questions')
    with op.batch_alter_table('transactions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_transactions_agent_id'))

    op.drop_table('transactions')
    op.drop_table('sync_runs')
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_subscriptions_agent_id'))

    op.drop_table('subscriptions')
    op.drop_table('organization')
    op.drop_table('members')
    op.drop_table('feed_cursors')
    with op.batch_alter_table('credit_transactions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_credit_transactions_occurred_at'))

    op.drop_table('credit_transactions')
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_conversations_started_at_agent_id'))
        batch_op.drop_index(batch_op.f('ix_conversations_agent_id_last_activity_at'))

    op.drop_table('conversations')
    with op.batch_alter_table('billing_snapshots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_billing_snapshots_synced_at'))

    op.drop_table('billing_snapshots')
    op.drop_table('agents')
