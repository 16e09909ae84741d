"""SQLAlchemy models for everything the contract serves, plus sync state and history.

Conventions: instants are epoch seconds (BigInteger, UTC); credits are integer
ten-thousandths (BigInteger) and money is minor units with its currency. Feed tables
keep the current version of each record (the highest `seq` for its `id`). There are
no foreign keys from feeds to agents or members on purpose: spend for an agent the
platform no longer lists is still spend, and must still add up.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Index, Integer, MetaData, PrimaryKeyConstraint, String, Table, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Organization(Base):
    __tablename__ = "organization"
    id: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    timezone: Mapped[str] = mapped_column(Text)
    created_at: Mapped[int] = mapped_column(BigInteger)


class Agent(Base):
    __tablename__ = "agents"
    id: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    model: Mapped[str | None] = mapped_column(Text)
    model_tier: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text)
    created_at: Mapped[int] = mapped_column(BigInteger)
    deleted_at: Mapped[int | None] = mapped_column(BigInteger)
    paid_access_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    paid_price_amount: Mapped[int | None] = mapped_column(BigInteger)
    paid_price_currency: Mapped[str | None] = mapped_column(String(3))
    paid_interval: Mapped[str | None] = mapped_column(Text)


class Member(Base):
    __tablename__ = "members"
    id: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(Text)
    role: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text)
    joined_at: Mapped[int] = mapped_column(BigInteger)


class BillingSnapshot(Base):
    """One per sync, kept forever: the platform serves no balance history, only we keep it."""

    __tablename__ = "billing_snapshots"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    synced_at: Mapped[int] = mapped_column(BigInteger, index=True)
    as_of: Mapped[int] = mapped_column(BigInteger)
    plan_id: Mapped[str] = mapped_column(Text)
    plan_name: Mapped[str] = mapped_column(Text)
    plan_credits_per_period: Mapped[int] = mapped_column(BigInteger)
    agent_limit: Mapped[int | None] = mapped_column(Integer)
    member_limit: Mapped[int | None] = mapped_column(Integer)
    period_start: Mapped[int] = mapped_column(BigInteger)
    period_end: Mapped[int] = mapped_column(BigInteger)
    plan_credits_remaining: Mapped[int] = mapped_column(BigInteger)
    topup_credits_remaining: Mapped[int] = mapped_column(BigInteger)
    credits_used_this_period: Mapped[int] = mapped_column(BigInteger)
    auto_recharge_enabled: Mapped[bool] = mapped_column(Boolean)
    auto_recharge_threshold: Mapped[int | None] = mapped_column(BigInteger)
    auto_recharge_credits: Mapped[int | None] = mapped_column(BigInteger)
    auto_recharge_price_amount: Mapped[int | None] = mapped_column(BigInteger)
    auto_recharge_price_currency: Mapped[str | None] = mapped_column(String(3))
    auto_recharge_max_per_month: Mapped[int | None] = mapped_column(Integer)
    auto_recharge_used_this_month: Mapped[int | None] = mapped_column(Integer)
    auto_recharge_last_at: Mapped[int | None] = mapped_column(BigInteger)
    # The feed cursors when the snapshot was stored: a reconstruction "as of" this
    # snapshot counts only records with seq <= these, i.e. what had arrived by then.
    usage_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    credit_transactions_seq: Mapped[int] = mapped_column(BigInteger, default=0)


class UsageLine(Base):
    __tablename__ = "usage"
    id: Mapped[str] = mapped_column(Text, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    hour: Mapped[int] = mapped_column(BigInteger)
    agent_id: Mapped[str] = mapped_column(Text)
    member_id: Mapped[str | None] = mapped_column(Text)
    activity: Mapped[str] = mapped_column(Text)
    model: Mapped[str | None] = mapped_column(Text)
    pool: Mapped[str] = mapped_column(Text)
    quantity: Mapped[int] = mapped_column(BigInteger)
    credits: Mapped[int] = mapped_column(BigInteger)

    # Sums by time, agent, member, activity or model come from the rollups below, so the only
    # index besides the id is `seq`, for the lines that arrived after a billing snapshot.
    __table_args__ = (Index(None, "seq"),)


def _usage_rollup(name: str, *key: str) -> Table:
    """Usage summed per key at two widths, kept in step with `usage` (triggers, and the sync in
    each page's transaction), so views read a few thousand rows instead of millions of lines.

    span 3600: one row per exact `hour` value; span 86400: one row per UTC day (`start` its
    midnight). A range of local days in any zone is whole UTC days plus the hours at its two
    edges (`cache.rollups`), so no zone is baked in. `lines` counts the lines summed: a key
    whose lines all moved elsewhere keeps a row with lines 0, which reads as absent. The
    member of visitors' traffic (no member) and a line without a model are '' (a key column
    cannot be NULL). Plain tables, not mapped classes: nothing reads them through the ORM,
    and start-up is faster.
    """
    columns = [Column(column, Integer if column == "span" else BigInteger if column == "start" else Text,
                      nullable=False) for column in key]
    return Table(name, Base.metadata, *columns,
                 *(Column(column, BigInteger, nullable=False) for column in ("credits", "quantity", "lines")),
                 PrimaryKeyConstraint(*key), sqlite_with_rowid=False)


USAGE_BY_ACTIVITY = _usage_rollup("usage_by_activity", "span", "start", "activity", "pool")
USAGE_BY_AGENT = _usage_rollup("usage_by_agent", "span", "start", "agent_id")
USAGE_BY_MEMBER = _usage_rollup("usage_by_member", "span", "start", "member_id")
USAGE_BY_AGENT_DETAIL = _usage_rollup("usage_by_agent_detail", "agent_id", "span", "start", "member_id", "activity",
                                      "model", "pool")  # keyed by agent first: every figure for one agent at a time

# A change to the usage lines waiting to be added to the rollups. Triggers on `usage` write
# one row per line inserted (+), replaced (- old, + new) or deleted (-), so the rollups stay
# exact whoever writes; another trigger adds each at once. A sync page instead claims the
# lines it inserts (a row in usage_rollup_batch: lines with a higher rowid are the page's):
# the triggers log only changes to other lines, and the page adds its own lines and the
# changes logged here in one pass, emptying this table before it commits.
USAGE_CHANGE = Table(
    "usage_change", Base.metadata,
    Column("id", Integer, primary_key=True),
    *(Column(name, kind, nullable=False) for name, kind in (
        ("hour", BigInteger), ("agent_id", Text), ("member_id", Text), ("activity", Text), ("model", Text),
        ("pool", Text), ("credits", BigInteger), ("quantity", BigInteger), ("lines", BigInteger))),
)
USAGE_ROLLUP_BATCH = Table("usage_rollup_batch", Base.metadata, Column("after_rowid", Integer, primary_key=True))


class ConversationRow(Base):
    __tablename__ = "conversations"
    id: Mapped[str] = mapped_column(Text, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    agent_id: Mapped[str] = mapped_column(Text)
    visitor_id: Mapped[str] = mapped_column(Text)
    channel: Mapped[str | None] = mapped_column(Text)
    country: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[int] = mapped_column(BigInteger)
    last_activity_at: Mapped[int] = mapped_column(BigInteger)
    visitor_messages: Mapped[int] = mapped_column(Integer)
    agent_messages: Mapped[int] = mapped_column(Integer)
    unanswered: Mapped[int] = mapped_column(Integer)
    response_ms_total: Mapped[int] = mapped_column(BigInteger)
    feedback_up: Mapped[int] = mapped_column(Integer)
    feedback_down: Mapped[int] = mapped_column(Integer)
    credits: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (
        Index(None, "started_at", "agent_id"),
        Index(None, "agent_id", "last_activity_at"),
        Index(None, "visitor_id", "started_at", "agent_id"),  # distinct visitors, in order and without the rows
    )


class UnansweredQuestionRow(Base):
    __tablename__ = "unanswered_questions"
    id: Mapped[str] = mapped_column(Text, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    agent_id: Mapped[str] = mapped_column(Text)
    conversation_id: Mapped[str | None] = mapped_column(Text)
    asked_at: Mapped[int] = mapped_column(BigInteger)
    question: Mapped[str] = mapped_column(Text)

    __table_args__ = (Index(None, "agent_id", "asked_at"),)


class CreditTransactionRow(Base):
    __tablename__ = "credit_transactions"
    id: Mapped[str] = mapped_column(Text, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    occurred_at: Mapped[int] = mapped_column(BigInteger, index=True)
    kind: Mapped[str] = mapped_column(Text)
    pool: Mapped[str] = mapped_column(Text)
    credits: Mapped[int] = mapped_column(BigInteger)
    paid_amount: Mapped[int | None] = mapped_column(BigInteger)
    paid_currency: Mapped[str | None] = mapped_column(String(3))
    note: Mapped[str | None] = mapped_column(Text)


class SubscriptionRow(Base):
    __tablename__ = "subscriptions"
    id: Mapped[str] = mapped_column(Text, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    agent_id: Mapped[str] = mapped_column(Text, index=True)
    subscriber_id: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text)
    interval: Mapped[str] = mapped_column(Text)
    price_amount: Mapped[int] = mapped_column(BigInteger)
    price_currency: Mapped[str] = mapped_column(String(3))
    started_at: Mapped[int] = mapped_column(BigInteger)
    current_period_end: Mapped[int | None] = mapped_column(BigInteger)
    canceled_at: Mapped[int | None] = mapped_column(BigInteger)


class TransactionRow(Base):
    __tablename__ = "transactions"
    id: Mapped[str] = mapped_column(Text, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    agent_id: Mapped[str] = mapped_column(Text, index=True)
    subscription_id: Mapped[str | None] = mapped_column(Text)
    subscriber_id: Mapped[str] = mapped_column(Text)
    created_at: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    fee_amount: Mapped[int | None] = mapped_column(BigInteger)
    fee_currency: Mapped[str | None] = mapped_column(String(3))


class FeedCursor(Base):
    """Where each feed stands; written in the same transaction as the page it follows."""

    __tablename__ = "feed_cursors"
    feed: Mapped[str] = mapped_column(Text, primary_key=True)
    after_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    restarts: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[int] = mapped_column(BigInteger)


class SyncRun(Base):
    """One row per sync attempt: what the status bar and "what changed" read."""

    __tablename__ = "sync_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    started_at: Mapped[int] = mapped_column(BigInteger)
    finished_at: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(Text)  # running, ok, failed, cancelled
    records: Mapped[int] = mapped_column(BigInteger, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    changed_from_hour: Mapped[int | None] = mapped_column(BigInteger)
    changed_to_hour: Mapped[int | None] = mapped_column(BigInteger)


FEED_TABLES = {
    "usage": UsageLine.__table__,
    "conversations": ConversationRow.__table__,
    "unanswered_questions": UnansweredQuestionRow.__table__,
    "credit_transactions": CreditTransactionRow.__table__,
    "subscriptions": SubscriptionRow.__table__,
    "transactions": TransactionRow.__table__,
}


# ---- what we own for watching the spend: budgets, alert rules, fired alerts, what was seen ----

class Budget(Base):
    """A budget per billing period, in credits: for the organization (ORG_BUDGET) or one agent (its id)."""

    __tablename__ = "budgets"
    subject: Mapped[str] = mapped_column(Text, primary_key=True)
    credits: Mapped[int] = mapped_column(BigInteger)


class AlertRule(Base):
    """The user's choice for one alert rule; a rule without a row uses its defaults."""

    __tablename__ = "alert_rules"
    rule: Mapped[str] = mapped_column(Text, primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean)
    threshold: Mapped[int | None] = mapped_column(BigInteger)


class AlertRow(Base):
    """One fired alert. `cleared_at` is set once its condition no longer holds: the key may fire again."""

    __tablename__ = "alerts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(Text, index=True)
    rule: Mapped[str] = mapped_column(Text)
    fired_at: Mapped[int] = mapped_column(BigInteger, index=True)
    cleared_at: Mapped[int | None] = mapped_column(BigInteger)
    title: Mapped[str] = mapped_column(Text)
    detail: Mapped[str] = mapped_column(Text)
    panel: Mapped[str] = mapped_column(Text)


class SeenHour(Base):
    """Each hour's usage total as of the last check: which old days later lines or refunds revised."""

    __tablename__ = "seen_hours"
    hour: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    credits: Mapped[int] = mapped_column(BigInteger)


class SeenCount(Base):
    """Counts and instants as of the last check (conversations, payments, when it ran)."""

    __tablename__ = "seen_counts"
    name: Mapped[str] = mapped_column(Text, primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)
