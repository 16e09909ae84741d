"""Usage rollups: kept in step with the usage lines, and read back for any range of local days.

Write side: triggers log every change to `usage` into usage_change and add it to the
rollups at once (models.UsageChange), so any writer keeps them exact. A sync transaction
instead claims the lines it inserts (`hold_changes`), so no trigger logs them, and adds them,
with the changes the triggers logged for older lines, to every rollup in one pass
(`fold_changes`) before it commits: the lines are read back from the table once, summed by
the finest key into a temporary table, and each rollup takes its sums from there. One pass
for the many pages of a transaction costs a third of one pass per page: the lines of the
same key are summed first, and each rollup's busy pages are written once.

Read side: a half-open range [lo, hi) of epoch seconds is whole UTC days (span 86400
rows) plus the hours at its edges (span 3600 rows), whatever the zone the range came
from: a year costs a few hundred day rows per key instead of millions of lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection

HOUR, DAY = 3600, 86400
VISITORS_KEY = ""  # the member key of lines without a member (a key column cannot be NULL)
NO_MODEL_KEY = ""  # the model key of lines without a model
ALL_TIME = (-2**62, 2**62)  # a range holding every hour there is
_DAY_OF = f"hour - ((hour % {DAY}) + {DAY}) % {DAY}"  # the UTC midnight before, negative hours too
_SUMS = "sum(credits), sum(quantity), sum(lines)"
_ADD = ("ON CONFLICT DO UPDATE SET credits = credits + excluded.credits, quantity = quantity + excluded.quantity, "
        "lines = lines + excluded.lines")


@dataclass(frozen=True)
class Rollup:
    table: str
    dimensions: tuple[str, ...]  # key columns besides span and start

    def add(self, source: str, source_key: Sequence[str], span: int) -> str:
        """The statement adding the sums in the temporary table `source` to this rollup's rows of `span`,
        grouped in the order of `source_key`, so that the table's own key does the grouping where it can."""
        start = "hour" if span == HOUR else "day"
        names = ", ".join(self.dimensions)
        group = ", ".join(name for name in source_key if name in {"day", start, *self.dimensions})
        return (f"INSERT INTO {self.table} (span, start, {names}, credits, quantity, lines) "
                f"SELECT {span}, {start}, {names}, {_SUMS} FROM {source} WHERE true GROUP BY {group} {_ADD}")


ACTIVITY = Rollup("usage_by_activity", ("activity", "pool"))
AGENT = Rollup("usage_by_agent", ("agent_id",))
MEMBER = Rollup("usage_by_member", ("member_id",))
DETAIL = Rollup("usage_by_agent_detail", ("agent_id", "member_id", "activity", "model", "pool"))
ROLLUPS = (ACTIVITY, AGENT, MEMBER, DETAIL)

# A page's changes summed by the finest key (DETAIL's), and again without agent and model (a
# few dozen rows) for the activity and member rollups. Keyed in the order the rollups group
# by, so summing needs no sort and DETAIL takes its rows in its own key order.
_PAGE_LINES = "usage_page_lines"
_PAGE_HOURS = "usage_page_hours"
_LINE_KEY = ("agent_id", "day", "hour", "member_id", "activity", "model", "pool")
_HOUR_KEY = ("day", "hour", "member_id", "activity", "pool")
_FROM_TABLE = (f"agent_id, {_DAY_OF}, hour, coalesce(member_id, ''), activity, coalesce(model, ''), pool, "
               "credits, quantity, 1 FROM usage WHERE rowid > (SELECT after_rowid FROM usage_rollup_batch)")
_FROM_LOG = f"agent_id, {_DAY_OF}, hour, member_id, activity, model, pool, credits, quantity, lines FROM usage_change"


def _temporary(name: str, key: Sequence[str]) -> str:
    return (f"CREATE TEMP TABLE IF NOT EXISTS {name} ({', '.join(key)}, credits, quantity, lines, "
            f"PRIMARY KEY ({', '.join(key)})) WITHOUT ROWID")


_FOLD = (
    _temporary(_PAGE_LINES, _LINE_KEY), _temporary(_PAGE_HOURS, _HOUR_KEY),
    f"INSERT INTO {_PAGE_LINES} SELECT {_FROM_TABLE} {_ADD}",
    f"INSERT INTO {_PAGE_LINES} SELECT {_FROM_LOG} WHERE true {_ADD}",
    *(rollup.add(_PAGE_LINES, _LINE_KEY, span) for rollup in (DETAIL, AGENT) for span in (HOUR, DAY)),
    f"INSERT INTO {_PAGE_HOURS} SELECT {', '.join(_HOUR_KEY)}, credits, quantity, lines FROM {_PAGE_LINES} WHERE true {_ADD}",
    *(rollup.add(_PAGE_HOURS, _HOUR_KEY, span) for rollup in (ACTIVITY, MEMBER) for span in (HOUR, DAY)),
)
_CLEAR = ("DELETE FROM usage_change", "DELETE FROM usage_rollup_batch", f"DELETE FROM {_PAGE_LINES}",
          f"DELETE FROM {_PAGE_HOURS}")


def hold_changes(connection: Connection) -> None:
    """Claim the lines this transaction inserts from now on, until `fold_changes`: the triggers leave
    them (and later changes to them) alone, and hold back what they log for other lines. Once
    claimed, calling again keeps the claim as it is."""
    connection.exec_driver_sql("INSERT INTO usage_rollup_batch (after_rowid) SELECT (SELECT coalesce(max(rowid), 0) "
                               "FROM usage) WHERE NOT EXISTS (SELECT 1 FROM usage_rollup_batch)")


def fold_changes(connection: Connection) -> tuple[int, int] | None:
    """Add the claimed lines and the waiting changes to every rollup, and clear them; the span of hours
    touched. Without a claim there is nothing waiting (the triggers added every change at once).

    A line claimed by rowid stays exact because SQLite gives a new line the highest rowid plus
    one (usage never reaches 2**63 lines), and an upsert keeps a replaced line's rowid.
    """
    if connection.exec_driver_sql("SELECT 1 FROM usage_rollup_batch").first() is None:
        return None
    for statement in _FOLD:
        connection.exec_driver_sql(statement)
    first, last = connection.exec_driver_sql(f"SELECT min(hour), max(hour) FROM {_PAGE_HOURS}").one()
    for statement in _CLEAR:
        connection.exec_driver_sql(statement)
    return None if first is None else (int(first), int(last))


# ---- reading ---------------------------------------------------------------------------------


def pieces(lo: int, hi: int) -> list[tuple[int, int, int]]:
    """[lo, hi) as (span, from, to) pieces: edge hours at span 3600, whole UTC days at span 86400."""
    first_day, last_day = -(-lo // DAY) * DAY, hi // DAY * DAY
    if first_day >= last_day:
        return [(HOUR, lo, hi)] if lo < hi else []
    edges = [(HOUR, lo, first_day), (DAY, first_day, last_day), (HOUR, last_day, hi)]
    return [piece for piece in edges if piece[1] < piece[2]]


@dataclass(frozen=True)
class Sums:
    credits: int
    quantity: int


def marks(connection: Connection, count: int) -> str:
    """`count` positional placeholders in the driver's own style, for exec_driver_sql."""
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    return ", ".join([mark] * count)


def agent_filter(connection: Connection, agent_ids: Sequence[str] | None, column: str) -> tuple[str, tuple]:
    if agent_ids is None:
        return "", ()
    return f" AND {column} IN ({marks(connection, len(agent_ids))})", tuple(agent_ids)


def bucket_sums(connection: Connection, rollup: Rollup, group: Sequence[str], buckets: Sequence[tuple[int, int]],
                agent_ids: Sequence[str] | None = None) -> dict[tuple, Sums]:
    """{(bucket index, *group values): sums} over each [lo, hi) bucket; keys without lines are absent.

    `group` is some of the rollup's dimensions; `agent_ids` filters on agent_id (a rollup
    that has it). Buckets may overlap: each is summed on its own.
    """
    rows = [(index, *piece) for index, (lo, hi) in enumerate(buckets) for piece in pieces(lo, hi)]
    if not rows:
        return {}
    values = ", ".join([f"({marks(connection, 4)})"] * len(rows))
    selected = "".join(f", r.{name}" for name in group)
    where, agents = agent_filter(connection, agent_ids, "r.agent_id")
    sql = (f"WITH piece(bucket, span, lo, hi) AS (VALUES {values}) "
           f"SELECT piece.bucket{selected}, sum(r.credits), sum(r.quantity) "
           f"FROM piece CROSS JOIN {rollup.table} AS r "
           f"WHERE r.span = piece.span AND r.start >= piece.lo AND r.start < piece.hi{where} "
           f"GROUP BY piece.bucket{selected} HAVING sum(r.lines) > 0")
    params = tuple(value for row in rows for value in row) + agents
    return {tuple(row[:-2]): Sums(int(row[-2]), int(row[-1])) for row in connection.exec_driver_sql(sql, params).all()}


def hourly_sums(connection: Connection, rollup: Rollup, group: Sequence[str], lo: int, hi: int,
                agent_ids: Sequence[str] | None = None) -> list[tuple]:
    """(hour, *group values, credits, quantity) per hour in [lo, hi), in hour order; keys without lines are absent."""
    selected = "".join(f", {name}" for name in group)
    where, agents = agent_filter(connection, agent_ids, "agent_id")
    mark = marks(connection, 1)
    sql = (f"SELECT start{selected}, sum(credits), sum(quantity) FROM {rollup.table} "
           f"WHERE span = {HOUR} AND start >= {mark} AND start < {mark}{where} "
           f"GROUP BY start{selected} HAVING sum(lines) > 0 ORDER BY start")
    return [(int(row[0]), *row[1:-2], int(row[-2]), int(row[-1]))
            for row in connection.exec_driver_sql(sql, (lo, hi) + agents).all()]


def rollup_for(dimensions: Sequence[str], agent_ids: Sequence[str] | None) -> Rollup:
    """The smallest rollup that has these dimensions; an agent filter reads the one keyed by agent first."""
    if agent_ids is None:
        for rollup in (ACTIVITY, AGENT, MEMBER):
            if set(dimensions) <= set(rollup.dimensions):
                return rollup
    return DETAIL


def visitors_as_none(rows: list[tuple], dimensions: Sequence[str], first: int) -> list[tuple]:
    """Member keys back to None for visitors' traffic; `first` is where the dimensions start in a row."""
    if "member_id" not in dimensions:
        return rows
    at = first + list(dimensions).index("member_id")
    return [row[:at] + (None,) + row[at + 1:] if row[at] == VISITORS_KEY else row for row in rows]


def sums_by(connection: Connection, dimensions: Sequence[str], buckets: Sequence[tuple[int, int]],
            agent_ids: Sequence[str] | None = None) -> dict[tuple, Sums]:
    """{(bucket index, *dimension values): sums} for each [lo, hi) bucket (visitors' member is None)."""
    found = bucket_sums(connection, rollup_for(dimensions, agent_ids), dimensions, buckets, agent_ids)
    return dict(zip(visitors_as_none(list(found), dimensions, 1), found.values()))


def hourly_by(connection: Connection, dimensions: Sequence[str], lo: int, hi: int,
              agent_ids: Sequence[str] | None = None) -> list[tuple]:
    """(hour, *dimension values, credits, quantity) per hour in [lo, hi), in hour order."""
    rows = hourly_sums(connection, rollup_for(dimensions, agent_ids), dimensions, lo, hi, agent_ids)
    return visitors_as_none(rows, dimensions, 1)
