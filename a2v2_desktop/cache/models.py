"""The cache's tables, for everything the contract serves, plus sync state and history.

Conventions: instants are epoch seconds (BigInteger, UTC); credits are integer
ten-thousandths (BigInteger) and money is minor units with its currency. Feed tables
keep the current version of each record (the highest `seq` for its `id`). There are
no foreign keys from feeds to agents or members on purpose: spend for an agent the
platform no longer lists is still spend, and must still add up.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Index, Integer, MetaData, PrimaryKeyConstraint, String, Table, Text

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "pk": "pk_%(table_name)s",
}
METADATA = MetaData(naming_convention=NAMING)


class Model:
    """A table whose columns read as attributes (`Agent.name`); `__table__` is the table, and SQLAlchemy
    takes the model wherever it takes the table (`select(Agent)`).

    SQLAlchemy Core tables, not ORM classes: every reader and writer uses the Core, and importing
    the ORM cost a tenth of a second of each start of the window."""

    def __init__(self, table: Table):
        self.__table__ = table
        self.__dict__.update((column.key, column) for column in table.columns)

    def __clause_element__(self) -> Table:
        return self.__table__


def _model(name: str, *items: Column | Index) -> Model:
    return Model(Table(name, METADATA, *items))


Organization = _model(
    "organization",
    Column("id", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("timezone", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
)


Agent = _model(
    "agents",
    Column("id", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("model", Text),
    Column("model_tier", Text),
    Column("status", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("deleted_at", BigInteger),
    Column("paid_access_enabled", Boolean, default=False, nullable=False),
    Column("paid_price_amount", BigInteger),
    Column("paid_price_currency", String(3)),
    Column("paid_interval", Text),
)


Member = _model(
    "members",
    Column("id", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("email", Text),
    Column("role", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("joined_at", BigInteger, nullable=False),
)


# One per sync, kept forever: the platform serves no balance history, only we keep it.
BillingSnapshot = _model(
    "billing_snapshots",
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("synced_at", BigInteger, index=True, nullable=False),
    Column("as_of", BigInteger, nullable=False),
    Column("plan_id", Text, nullable=False),
    Column("plan_name", Text, nullable=False),
    Column("plan_credits_per_period", BigInteger, nullable=False),
    Column("agent_limit", Integer),
    Column("member_limit", Integer),
    Column("period_start", BigInteger, nullable=False),
    Column("period_end", BigInteger, nullable=False),
    Column("plan_credits_remaining", BigInteger, nullable=False),
    Column("topup_credits_remaining", BigInteger, nullable=False),
    Column("credits_used_this_period", BigInteger, nullable=False),
    Column("auto_recharge_enabled", Boolean, nullable=False),
    Column("auto_recharge_threshold", BigInteger),
    Column("auto_recharge_credits", BigInteger),
    Column("auto_recharge_price_amount", BigInteger),
    Column("auto_recharge_price_currency", String(3)),
    Column("auto_recharge_max_per_month", Integer),
    Column("auto_recharge_used_this_month", Integer),
    Column("auto_recharge_last_at", BigInteger),
    # The feed cursors when the snapshot was stored: a reconstruction "as of" this
    # snapshot counts only records with seq <= these, i.e. what had arrived by then.
    Column("usage_seq", BigInteger, default=0, nullable=False),
    Column("credit_transactions_seq", BigInteger, default=0, nullable=False),
)


UsageLine = _model(
    "usage",
    Column("id", Text, primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("hour", BigInteger, nullable=False),
    Column("agent_id", Text, nullable=False),
    Column("member_id", Text),
    Column("activity", Text, nullable=False),
    Column("model", Text),
    Column("pool", Text, nullable=False),
    Column("quantity", BigInteger, nullable=False),
    Column("credits", BigInteger, nullable=False),
    # Sums by time, agent, member, activity or model come from the rollups below, so the only
    # index besides the id is `seq`, for the lines that arrived after a billing snapshot.
    Index(None, "seq"),
)


def _usage_rollup(name: str, *key: str) -> Table:
    """Usage summed per key at two widths, kept in step with `usage` (triggers, and the sync once
    per transaction, before it commits), so views read a few thousand rows instead of millions of lines.

    span 3600: one row per exact `hour` value; span 86400: one row per UTC day (`start` its
    midnight). A range of local days in any zone is whole UTC days plus the hours at its two
    edges (`cache.rollups`), so no zone is baked in. `lines` counts the lines summed: a key
    whose lines all moved elsewhere keeps a row with lines 0, which reads as absent. The
    member of visitors' traffic (no member) and a line without a model are '' (a key column
    cannot be NULL). Bare tables (no `Model`): `cache.rollups` reads them in SQL of its own,
    the analytics queries through `table.c`.
    """
    columns = [Column(column, Integer if column == "span" else BigInteger if column == "start" else Text,
                      nullable=False) for column in key]
    return Table(name, METADATA, *columns,
                 *(Column(column, BigInteger, nullable=False) for column in ("credits", "quantity", "lines")),
                 PrimaryKeyConstraint(*key), sqlite_with_rowid=False)


USAGE_BY_ACTIVITY = _usage_rollup("usage_by_activity", "span", "start", "activity", "pool")
USAGE_BY_AGENT = _usage_rollup("usage_by_agent", "span", "start", "agent_id")
USAGE_BY_MEMBER = _usage_rollup("usage_by_member", "span", "start", "member_id")
USAGE_BY_AGENT_DETAIL = _usage_rollup("usage_by_agent_detail", "agent_id", "span", "start", "member_id", "activity",
                                      "model", "pool")  # keyed by agent first: every figure for one agent at a time

# A change to the usage lines waiting to be added to the rollups. Triggers on `usage` write
# one row per line inserted (+), replaced (- old, + new) or deleted (-), so the rollups stay
# exact whoever writes; another trigger adds each at once. A sync transaction instead claims
# the lines it inserts (a row in usage_rollup_batch: lines with a higher rowid are its own):
# the triggers log only changes to other lines, and the transaction adds its own lines and
# the changes logged here in one pass, emptying this table before it commits.
USAGE_CHANGE = Table(
    "usage_change", METADATA,
    Column("id", Integer, primary_key=True),
    *(Column(name, kind, nullable=False) for name, kind in (
        ("hour", BigInteger), ("agent_id", Text), ("member_id", Text), ("activity", Text), ("model", Text),
        ("pool", Text), ("credits", BigInteger), ("quantity", BigInteger), ("lines", BigInteger))),
)
USAGE_ROLLUP_BATCH = Table("usage_rollup_batch", METADATA, Column("after_rowid", Integer, primary_key=True))


ConversationRow = _model(
    "conversations",
    Column("id", Text, primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("agent_id", Text, nullable=False),
    Column("visitor_id", Text, nullable=False),
    Column("channel", Text),
    Column("country", Text),
    Column("started_at", BigInteger, nullable=False),
    Column("last_activity_at", BigInteger, nullable=False),
    Column("visitor_messages", Integer, nullable=False),
    Column("agent_messages", Integer, nullable=False),
    Column("unanswered", Integer, nullable=False),
    Column("response_ms_total", BigInteger, nullable=False),
    Column("feedback_up", Integer, nullable=False),
    Column("feedback_down", Integer, nullable=False),
    Column("credits", BigInteger),
    Index(None, "started_at", "agent_id"),
    Index(None, "agent_id", "last_activity_at"),
    Index(None, "visitor_id", "started_at", "agent_id"),  # distinct visitors, in order and without the rows
)


UnansweredQuestionRow = _model(
    "unanswered_questions",
    Column("id", Text, primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("agent_id", Text, nullable=False),
    Column("conversation_id", Text),
    Column("asked_at", BigInteger, nullable=False),
    Column("question", Text, nullable=False),
    Index(None, "agent_id", "asked_at"),
)


CreditTransactionRow = _model(
    "credit_transactions",
    Column("id", Text, primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("occurred_at", BigInteger, index=True, nullable=False),
    Column("kind", Text, nullable=False),
    Column("pool", Text, nullable=False),
    Column("credits", BigInteger, nullable=False),
    Column("paid_amount", BigInteger),
    Column("paid_currency", String(3)),
    Column("note", Text),
)


SubscriptionRow = _model(
    "subscriptions",
    Column("id", Text, primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("agent_id", Text, index=True, nullable=False),
    Column("subscriber_id", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("interval", Text, nullable=False),
    Column("price_amount", BigInteger, nullable=False),
    Column("price_currency", String(3), nullable=False),
    Column("started_at", BigInteger, nullable=False),
    Column("current_period_end", BigInteger),
    Column("canceled_at", BigInteger),
)


TransactionRow = _model(
    "transactions",
    Column("id", Text, primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("agent_id", Text, index=True, nullable=False),
    Column("subscription_id", Text),
    Column("subscriber_id", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("kind", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("fee_amount", BigInteger),
    Column("fee_currency", String(3)),
)


# Where each feed stands; written in the same transaction as the page it follows.
FeedCursor = _model(
    "feed_cursors",
    Column("feed", Text, primary_key=True),
    Column("after_seq", BigInteger, default=0, nullable=False),
    Column("restarts", Integer, default=0, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)


# One row per sync attempt: what the status bar and "what changed" read.
SyncRun = _model(
    "sync_runs",
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("started_at", BigInteger, nullable=False),
    Column("finished_at", BigInteger),
    Column("status", Text, nullable=False),  # running, ok, failed, cancelled
    Column("records", BigInteger, default=0, nullable=False),
    Column("error", Text),
    Column("changed_from_hour", BigInteger),
    Column("changed_to_hour", BigInteger),
)


FEED_TABLES = {
    "usage": UsageLine.__table__,
    "conversations": ConversationRow.__table__,
    "unanswered_questions": UnansweredQuestionRow.__table__,
    "credit_transactions": CreditTransactionRow.__table__,
    "subscriptions": SubscriptionRow.__table__,
    "transactions": TransactionRow.__table__,
}


# ---- what we own for watching the spend: budgets, alert rules, fired alerts, what was seen ----

# A budget per billing period, in credits: for the organization (ORG_BUDGET) or one agent (its id).
Budget = _model(
    "budgets",
    Column("subject", Text, primary_key=True),
    Column("credits", BigInteger, nullable=False),
)


# The user's choice for one alert rule; a rule without a row uses its defaults.
AlertRule = _model(
    "alert_rules",
    Column("rule", Text, primary_key=True),
    Column("enabled", Boolean, nullable=False),
    Column("threshold", BigInteger),
)


# One fired alert. `cleared_at` is set once its condition no longer holds: the key may fire again.
AlertRow = _model(
    "alerts",
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", Text, index=True, nullable=False),
    Column("rule", Text, nullable=False),
    Column("fired_at", BigInteger, index=True, nullable=False),
    Column("cleared_at", BigInteger),
    Column("title", Text, nullable=False),
    Column("detail", Text, nullable=False),
    Column("panel", Text, nullable=False),
)


# Each hour's usage total as of the last check: which old days later lines or refunds revised.
SeenHour = _model(
    "seen_hours",
    Column("hour", BigInteger, primary_key=True),
    Column("credits", BigInteger, nullable=False),
)


# Counts and instants as of the last check (conversations, payments, when it ran).
SeenCount = _model(
    "seen_counts",
    Column("name", Text, primary_key=True),
    Column("value", BigInteger, nullable=False),
)
