"""lean usage lines: no covering indexes, model in the agent detail rollup, sync pages claim their lines

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 16:00:00

The rollups answer every reader of `usage` but one, so its two covering indexes (a third of
the file, and most of the cost of writing a line) go; billing's "lines after a seq" gets a
`seq` index. The agent detail rollup is keyed by `model` too, for the cost-by-model chart,
and rebuilt from the lines. A sync page claims the lines it inserts (usage_rollup_batch holds
the highest rowid before them): the triggers log only changes to other lines, and the page
adds its own lines to the rollups straight from the table.
"""

import importlib.util
from pathlib import Path

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def _revision_0003():
    """0003's own helpers (table shapes, fold statements, its triggers), to build and to restore."""
    spec = importlib.util.spec_from_file_location('revision_0003', Path(__file__).with_name('0003_usage_rollups.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


V3 = _revision_0003()
OLD_DETAIL = V3.ROLLUPS[-1][1]
# (table, key columns in primary-key order) — frozen here, as this revision makes them: 0003's, with model
ROLLUPS = (*V3.ROLLUPS[:-1], ('usage_by_agent_detail', (*OLD_DETAIL[:-1], 'model', OLD_DETAIL[-1])))
NULLABLE = ('member_id', 'model')  # '' in a rollup key
LINE = "{row}.hour, {row}.agent_id, coalesce({row}.member_id, ''), {row}.activity, coalesce({row}.model, ''), {row}.pool"
UNCLAIMED = "NOT EXISTS (SELECT 1 FROM usage_rollup_batch WHERE after_rowid < {row}.rowid)"
LOGS = ('usage_logs_insert', 'usage_logs_update', 'usage_logs_delete')
OLD_INDEXES = (
    ('ix_usage_hour_agent_id_activity_credits_quantity', ['hour', 'agent_id', 'activity', 'credits', 'quantity']),
    ('ix_usage_agent_id_hour_credits_quantity', ['agent_id', 'hour', 'credits', 'quantity']),
)


def _backfill(table: str, key: tuple[str, ...]) -> None:
    dimensions = [name for name in key if name not in ('span', 'start')]
    expressions = [f"coalesce({name}, '')" if name in NULLABLE else name for name in dimensions]
    for span, start in ((3600, 'hour'), (86400, "hour - ((hour % 86400) + 86400) % 86400")):
        op.execute(
            f"INSERT INTO {table} (span, start, {', '.join(dimensions)}, credits, quantity, lines) "
            f"SELECT {span}, {start}, {', '.join(expressions)}, sum(credits), sum(quantity), count(*) FROM usage "
            f"GROUP BY {', '.join(str(i) for i in range(2, len(dimensions) + 3))}"
        )


def _rebuild_detail(key: tuple[str, ...]) -> None:
    op.drop_table('usage_by_agent_detail')
    V3._create('usage_by_agent_detail', key)
    _backfill('usage_by_agent_detail', key)


def _drop_triggers() -> None:
    for trigger in ('usage_change_folds', *reversed(LOGS)):
        op.execute(f"DROP TRIGGER {trigger}")


def _log(row: str, sign: str) -> str:
    return (f"INSERT INTO usage_change (hour, agent_id, member_id, activity, model, pool, credits, quantity, lines) "
            f"VALUES ({LINE.format(row=row)}, {sign}{row}.credits, {sign}{row}.quantity, {sign}1);")


def _triggers() -> None:
    for name, (event, row, logs) in zip(LOGS, (('INSERT', 'NEW', _log('NEW', '')),
                                               ('UPDATE', 'OLD', f"{_log('OLD', '-')} {_log('NEW', '')}"),
                                               ('DELETE', 'OLD', _log('OLD', '-')))):
        op.execute(f"CREATE TRIGGER {name} AFTER {event} ON usage WHEN {UNCLAIMED.format(row=row)} BEGIN {logs} END")
    folds = "\n".join(V3._fold_one(table, key) for table, key in ROLLUPS)
    op.execute(f"CREATE TRIGGER usage_change_folds AFTER INSERT ON usage_change "
               f"WHEN NOT EXISTS (SELECT 1 FROM usage_rollup_batch) BEGIN {folds} "
               f"DELETE FROM usage_change WHERE id = NEW.id; END")


def _change_tables(model: bool, batch_key: str) -> None:
    """usage_change (with or without `model`) and usage_rollup_batch keyed by `batch_key`."""
    op.create_table('usage_change',
    sa.Column('id', sa.Integer(), nullable=False),
    *(sa.Column(name, sa.BigInteger() if name == 'hour' else sa.Text(), nullable=False)
      for name in ('hour', 'agent_id', 'member_id', 'activity', *(('model',) if model else ()), 'pool')),
    *(sa.Column(name, sa.BigInteger(), nullable=False) for name in ('credits', 'quantity', 'lines')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_usage_change'))
    )
    op.create_table('usage_rollup_batch',
    sa.Column(batch_key, sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint(batch_key, name=op.f('pk_usage_rollup_batch'))
    )


def upgrade() -> None:
    _drop_triggers()
    op.drop_table('usage_rollup_batch')
    op.drop_table('usage_change')  # empty: every transaction folds its changes before it commits
    for name, _columns in OLD_INDEXES:
        op.drop_index(name, table_name='usage')
    op.create_index(op.f('ix_usage_seq'), 'usage', ['seq'])
    _rebuild_detail(ROLLUPS[-1][1])
    _change_tables(model=True, batch_key='after_rowid')
    _triggers()


def downgrade() -> None:
    _drop_triggers()
    op.drop_table('usage_rollup_batch')
    op.drop_table('usage_change')
    op.drop_index(op.f('ix_usage_seq'), table_name='usage')
    for name, columns in OLD_INDEXES:
        op.create_index(name, 'usage', columns)
    _rebuild_detail(OLD_DETAIL)
    _change_tables(model=False, batch_key='page')
    V3._triggers()
