"""conversation visitors: an index by visitor, start and agent for counting distinct visitors

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 19:40:00

Counting a year's distinct visitors went through the start index to every conversation and
then sorted the visitor ids (0.75 s on the large organization). Scanning this index instead
meets the visitor ids already in order and needs no row: 0.1 s.
"""

from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

NAME = 'ix_conversations_visitor_id_started_at_agent_id'


def upgrade() -> None:
    op.create_index(NAME, 'conversations', ['visitor_id', 'started_at', 'agent_id'])


def downgrade() -> None:
    op.drop_index(NAME, table_name='conversations')
