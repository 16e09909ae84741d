"""usage rollups: usage summed per hour and per UTC day, by activity, agent, member and agent detail

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 15:00:00

Triggers keep the rollups in step with every write to `usage` (see models.UsageChange).
An existing cache is backfilled from its lines, so the rollups hold exactly what the
lines add up to from the first moment they exist.
"""

from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

# (table, key columns in primary-key order) — frozen here, as this revision creates them
ROLLUPS = (
    ('usage_by_activity', ('span', 'start', 'activity', 'pool')),
    ('usage_by_agent', ('span', 'start', 'agent_id')),
    ('usage_by_member', ('span', 'start', 'member_id')),
    ('usage_by_agent_detail', ('agent_id', 'span', 'start', 'member_id', 'activity', 'pool')),
)
DAY_START = "{hour} - (({hour} % 86400) + 86400) % 86400"  # the UTC midnight before, negative hours too
LINE = "{row}.hour, {row}.agent_id, coalesce({row}.member_id, ''), {row}.activity, {row}.pool"


def _dimensions(key: tuple[str, ...]) -> list[str]:
    return [name for name in key if name not in ('span', 'start')]


def _create(table: str, key: tuple[str, ...]) -> None:
    columns = [sa.Column(name, sa.Integer() if name == 'span' else sa.BigInteger() if name == 'start' else sa.Text(),
                         nullable=False) for name in key]
    op.create_table(table, *columns,
                    sa.Column('credits', sa.BigInteger(), nullable=False),
                    sa.Column('quantity', sa.BigInteger(), nullable=False),
                    sa.Column('lines', sa.BigInteger(), nullable=False),
                    sa.PrimaryKeyConstraint(*key, name=op.f(f'pk_{table}')),
                    sqlite_with_rowid=False)


def _backfill(table: str, key: tuple[str, ...]) -> None:
    dimensions = _dimensions(key)
    expressions = ["coalesce(member_id, '')" if name == 'member_id' else name for name in dimensions]
    for span, start in ((3600, 'hour'), (86400, DAY_START.format(hour='hour'))):
        op.execute(
            f"INSERT INTO {table} (span, start, {', '.join(dimensions)}, credits, quantity, lines) "
            f"SELECT {span}, {start}, {', '.join(expressions)}, sum(credits), sum(quantity), count(*) FROM usage "
            f"GROUP BY {', '.join(str(i) for i in range(2, len(dimensions) + 3))}"
        )


def _fold_one(table: str, key: tuple[str, ...]) -> str:
    """Add the change row NEW to `table` at both spans."""
    dimensions = _dimensions(key)
    statements = []
    for span, start in ((3600, 'NEW.hour'), (86400, DAY_START.format(hour='NEW.hour'))):
        statements.append(
            f"INSERT INTO {table} (span, start, {', '.join(dimensions)}, credits, quantity, lines) "
            f"VALUES ({span}, {start}, {', '.join('NEW.' + name for name in dimensions)}, "
            f"NEW.credits, NEW.quantity, NEW.lines) "
            f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET credits = credits + excluded.credits, "
            f"quantity = quantity + excluded.quantity, lines = lines + excluded.lines;")
    return "\n".join(statements)


def _log(row: str, sign: str) -> str:
    return (f"INSERT INTO usage_change (hour, agent_id, member_id, activity, pool, credits, quantity, lines) "
            f"VALUES ({LINE.format(row=row)}, {sign}{row}.credits, {sign}{row}.quantity, {sign}1);")


def _triggers() -> None:
    op.execute(f"CREATE TRIGGER usage_logs_insert AFTER INSERT ON usage BEGIN {_log('NEW', '')} END")
    op.execute(f"CREATE TRIGGER usage_logs_update AFTER UPDATE ON usage BEGIN {_log('OLD', '-')} {_log('NEW', '')} END")
    op.execute(f"CREATE TRIGGER usage_logs_delete AFTER DELETE ON usage BEGIN {_log('OLD', '-')} END")
    folds = "\n".join(_fold_one(table, key) for table, key in ROLLUPS)
    op.execute(f"CREATE TRIGGER usage_change_folds AFTER INSERT ON usage_change "
               f"WHEN NOT EXISTS (SELECT 1 FROM usage_rollup_batch) BEGIN {folds} "
               f"DELETE FROM usage_change WHERE id = NEW.id; END")


def upgrade() -> None:
    for table, key in ROLLUPS:
        _create(table, key)
        _backfill(table, key)
    op.create_table('usage_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('hour', sa.BigInteger(), nullable=False),
    sa.Column('agent_id', sa.Text(), nullable=False),
    sa.Column('member_id', sa.Text(), nullable=False),
    sa.Column('activity', sa.Text(), nullable=False),
    sa.Column('pool', sa.Text(), nullable=False),
    sa.Column('credits', sa.BigInteger(), nullable=False),
    sa.Column('quantity', sa.BigInteger(), nullable=False),
    sa.Column('lines', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_usage_change'))
    )
    op.create_table('usage_rollup_batch',
    sa.Column('page', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('page', name=op.f('pk_usage_rollup_batch'))
    )
    _triggers()


def downgrade() -> None:
    for trigger in ('usage_change_folds', 'usage_logs_delete', 'usage_logs_update', 'usage_logs_insert'):
        op.execute(f"DROP TRIGGER {trigger}")
    op.drop_table('usage_rollup_batch')
    op.drop_table('usage_change')
    for table, _key in reversed(ROLLUPS):
        op.drop_table(table)
