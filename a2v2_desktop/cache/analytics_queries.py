"""Read queries for Agent Analytics: one agent's conversations, questions, spend and paid access.

Same conventions as `cache.queries`: half-open [start, end) ranges of epoch seconds,
integer sums (credits in ten-thousandths, money in minor units). Conversation
tables hold only the current version of each record, so every count is of the
latest `seq`. Instants that the caller turns into local days or hours are grouped
by quarter hour: every time zone's offset is a whole number of quarter hours, so a
quarter hour never straddles two local hours or days and the grouping loses nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, ColumnElement, and_, distinct, func, select

from a2v2_desktop.cache import rollups
from a2v2_desktop.cache.models import (
    USAGE_BY_AGENT_DETAIL,
    Agent,
    BillingSnapshot,
    ConversationRow,
    FeedCursor,
    SubscriptionRow,
    TransactionRow,
    UnansweredQuestionRow,
)

QUARTER = 900  # seconds


@dataclass(frozen=True)
class AgentRecord:
    """An agent as the cache lists it, with its paid-access offer."""

    id: str
    name: str
    status: str
    paid_access: bool
    paid_price_amount: int | None
    paid_price_currency: str | None
    paid_interval: str | None


@dataclass(frozen=True)
class ConversationTotals:
    """Sums over a set of conversations (their lifetime figures, latest version)."""

    conversations: int = 0
    visitor_messages: int = 0
    agent_messages: int = 0
    unanswered: int = 0
    response_ms: int = 0
    feedback_up: int = 0
    feedback_down: int = 0


@dataclass(frozen=True)
class ConversationCredits:
    """Credits the platform reported per conversation, for conversations that report them."""

    credits: int
    conversations: int
    answered_messages: int  # agent_messages - unanswered of those conversations


@dataclass(frozen=True)
class Question:
    id: str
    conversation_id: str | None
    asked_at: int
    text: str


@dataclass(frozen=True)
class Subscription:
    id: str
    subscriber_id: str
    status: str
    interval: str
    price_amount: int
    price_currency: str
    started_at: int
    current_period_end: int | None
    canceled_at: int | None


@dataclass(frozen=True)
class Transaction:
    id: str
    subscription_id: str | None
    subscriber_id: str
    created_at: int
    kind: str
    status: str
    amount: int
    currency: str
    fee_amount: int | None
    fee_currency: str | None


@dataclass(frozen=True)
class TopupPrice:
    """What the latest billing snapshot says one auto-recharge costs."""

    amount: int  # minor units
    currency: str
    credits: int  # ten-thousandths


def agents(connection: Connection) -> list[AgentRecord]:
    rows = connection.execute(select(
        Agent.id, Agent.name, Agent.status, Agent.paid_access_enabled, Agent.paid_price_amount,
        Agent.paid_price_currency, Agent.paid_interval)).all()
    return [AgentRecord(agent_id, name, status, bool(paid), *price) for agent_id, name, status, paid, *price in rows]


def has_history(connection: Connection, agent_id: str) -> bool:
    """Whether any usage or conversation of the agent was ever synced (one seek each: the agent detail
    rollup is keyed by agent first, and a key whose lines all moved away holds none)."""
    detail = USAGE_BY_AGENT_DETAIL.c
    return any(connection.execute(select(column).where(column == agent_id, *held).limit(1)).first() is not None
               for column, held in ((detail.agent_id, (detail.lines > 0,)), (ConversationRow.agent_id, ())))


def new_conversations_by_agent(connection: Connection, start: int, end: int) -> dict[str, int]:
    """Conversations started in the range, per agent: the count beside each name in the list."""
    rows = connection.execute(
        select(ConversationRow.agent_id, func.count())
        .where(ConversationRow.started_at >= start, ConversationRow.started_at < end)
        .group_by(ConversationRow.agent_id)
    ).all()
    return {agent_id: int(count) for agent_id, count in rows}


def _started(agent_id: str, start: int, end: int) -> ColumnElement[bool]:
    return and_(ConversationRow.agent_id == agent_id, ConversationRow.started_at >= start,
                ConversationRow.started_at < end)


def _active(agent_id: str, start: int, end: int) -> ColumnElement[bool]:
    """Any activity in the range: started before its end and last active at or after its start."""
    return and_(ConversationRow.agent_id == agent_id, ConversationRow.started_at < end,
                ConversationRow.last_activity_at >= start)


def _totals_columns():
    c = ConversationRow
    return (func.count(), *(func.coalesce(func.sum(column), 0) for column in (
        c.visitor_messages, c.agent_messages, c.unanswered, c.response_ms_total, c.feedback_up, c.feedback_down)))


def new_conversation_totals(connection: Connection, agent_id: str, start: int, end: int) -> ConversationTotals:
    """Sums over the conversations the agent started in the range."""
    row = connection.execute(select(*_totals_columns()).where(_started(agent_id, start, end))).one()
    return ConversationTotals(*(int(value) for value in row))


def starts_by_quarter(connection: Connection, agent_id: str, start: int,
                      end: int) -> list[tuple[int, ConversationTotals]]:
    """(quarter-hour start, sums) of conversations started in the range: input for days, weeks and hours."""
    quarter = ConversationRow.started_at // QUARTER
    rows = connection.execute(
        select(quarter, *_totals_columns()).where(_started(agent_id, start, end)).group_by(quarter).order_by(quarter)
    ).all()
    return [(int(q) * QUARTER, ConversationTotals(*(int(v) for v in values))) for q, *values in rows]


def active_totals(connection: Connection, agent_id: str, start: int, end: int) -> tuple[int, int]:
    """(active conversations, distinct visitors among them) in the range."""
    row = connection.execute(
        select(func.count(), func.count(distinct(ConversationRow.visitor_id))).where(_active(agent_id, start, end))
    ).one()
    return int(row[0]), int(row[1])


def active_spans(connection: Connection, agent_id: str, start: int, end: int) -> list[tuple[int, int, int]]:
    """(first quarter hour, last quarter hour, conversations) of conversations active in the range."""
    first = ConversationRow.started_at // QUARTER
    last = ConversationRow.last_activity_at // QUARTER
    rows = connection.execute(
        select(first, last, func.count()).where(_active(agent_id, start, end)).group_by(first, last)
    ).all()
    return [(int(f) * QUARTER, int(la) * QUARTER, int(n)) for f, la, n in rows]


def new_conversations_by(connection: Connection, dimension: str, agent_id: str, start: int,
                         end: int) -> dict[str | None, int]:
    """Conversations started in the range per "channel" or "country" (None: not known)."""
    column = {"channel": ConversationRow.channel, "country": ConversationRow.country}[dimension]
    rows = connection.execute(
        select(column, func.count()).where(_started(agent_id, start, end)).group_by(column)
    ).all()
    return {key: int(count) for key, count in rows}


def conversation_credits(connection: Connection, agent_id: str, start: int, end: int) -> ConversationCredits:
    """Credits of the conversations started in the range that report them."""
    c = ConversationRow
    row = connection.execute(
        select(func.coalesce(func.sum(c.credits), 0), func.count(),
               func.coalesce(func.sum(c.agent_messages - c.unanswered), 0))
        .where(_started(agent_id, start, end), c.credits.is_not(None))
    ).one()
    return ConversationCredits(int(row[0]), int(row[1]), int(row[2]))


def unanswered_questions(connection: Connection, agent_id: str, start: int, end: int) -> list[Question]:
    q = UnansweredQuestionRow
    rows = connection.execute(
        select(q.id, q.conversation_id, q.asked_at, q.question)
        .where(q.agent_id == agent_id, q.asked_at >= start, q.asked_at < end)
        .order_by(q.asked_at, q.id)
    ).all()
    return [Question(*row) for row in rows]


def agent_spend_by_hour(connection: Connection, agent_id: str, start: int,
                        end: int) -> list[tuple[int, str, str | None, int, int]]:
    """(UTC hour, activity, model, credits, quantity) of one agent: cost by activity and by model, from the
    agent detail rollup's hours (a line without a model is None)."""
    rows = rollups.hourly_by(connection, ("activity", "model"), start, end, [agent_id])
    return [(h, a, None if m == rollups.NO_MODEL_KEY else m, c, n) for h, a, m, c, n in rows]


def subscriptions(connection: Connection, agent_id: str) -> list[Subscription]:
    """Every subscription to the agent (few per agent): the history charts need those started earlier."""
    s = SubscriptionRow
    rows = connection.execute(
        select(s.id, s.subscriber_id, s.status, s.interval, s.price_amount, s.price_currency, s.started_at,
               s.current_period_end, s.canceled_at)
        .where(s.agent_id == agent_id).order_by(s.started_at, s.id)
    ).all()
    return [Subscription(*row) for row in rows]


def transactions(connection: Connection, agent_id: str, before: int) -> list[Transaction]:
    """The agent's transactions up to `before`: those in a range, and earlier charges that show who pays."""
    t = TransactionRow
    rows = connection.execute(
        select(t.id, t.subscription_id, t.subscriber_id, t.created_at, t.kind, t.status, t.amount, t.currency,
               t.fee_amount, t.fee_currency)
        .where(t.agent_id == agent_id, t.created_at < before).order_by(t.created_at, t.id)
    ).all()
    return [Transaction(*row) for row in rows]


def latest_topup_price(connection: Connection) -> TopupPrice | None:
    """The auto-recharge price of the newest billing snapshot, when it states one."""
    b = BillingSnapshot
    row = connection.execute(
        select(b.auto_recharge_price_amount, b.auto_recharge_price_currency, b.auto_recharge_credits)
        .order_by(b.id.desc()).limit(1)
    ).first()
    if row is None or None in row or row[2] <= 0:
        return None
    return TopupPrice(int(row[0]), row[1], int(row[2]))


def synced_feeds(connection: Connection) -> frozenset[str]:
    """Feeds the platform has served at least once: a tab whose feed never arrived says "coming soon"."""
    return frozenset(connection.execute(select(FeedCursor.feed)).scalars())
