"""Read queries the Billing panel needs: snapshots, the credit ledger and usage by pool.

Same conventions as `cache.queries`: integer sums of ten-thousandths, epoch seconds.
Rows come back as frozen dataclasses (not ORM objects) so they can cross from the
worker thread to the panel safely.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from sqlalchemy import Connection, select

from a2v2_desktop.cache import rollups
from a2v2_desktop.cache.models import BillingSnapshot, CreditTransactionRow, UsageLine


@dataclass(frozen=True)
class Snapshot:
    """One stored billing snapshot, column for column."""

    id: int
    synced_at: int
    as_of: int
    plan_id: str
    plan_name: str
    plan_credits_per_period: int
    agent_limit: int | None
    member_limit: int | None
    period_start: int
    period_end: int
    plan_credits_remaining: int
    topup_credits_remaining: int
    credits_used_this_period: int
    auto_recharge_enabled: bool
    auto_recharge_threshold: int | None
    auto_recharge_credits: int | None
    auto_recharge_price_amount: int | None
    auto_recharge_price_currency: str | None
    auto_recharge_max_per_month: int | None
    auto_recharge_used_this_month: int | None
    auto_recharge_last_at: int | None
    usage_seq: int
    credit_transactions_seq: int


@dataclass(frozen=True)
class CreditTx:
    """One credit transaction: a grant, an expiry, a top-up, an auto-recharge or an adjustment."""

    seq: int
    occurred_at: int
    kind: str
    pool: str
    credits: int
    paid_amount: int | None
    paid_currency: str | None
    note: str | None  # untrusted text from the platform


_SNAPSHOT_COLUMNS = [BillingSnapshot.__table__.c[f.name] for f in fields(Snapshot)]


def latest_snapshots(connection: Connection, limit: int) -> list[Snapshot]:
    """The newest `limit` snapshots, oldest first."""
    rows = connection.execute(
        select(*_SNAPSHOT_COLUMNS).order_by(BillingSnapshot.id.desc()).limit(limit)
    ).all()
    return [Snapshot(*row) for row in reversed(rows)]


def last_enabled_snapshot(connection: Connection) -> Snapshot | None:
    """The newest snapshot in which auto-recharge was on: tells "turned off" from "never on"."""
    row = connection.execute(
        select(*_SNAPSHOT_COLUMNS).where(BillingSnapshot.auto_recharge_enabled.is_(True))
        .order_by(BillingSnapshot.id.desc()).limit(1)
    ).first()
    return Snapshot(*row) if row else None


def credit_transactions(connection: Connection) -> list[CreditTx]:
    """The whole credit ledger (a few rows a month), in time order."""
    t = CreditTransactionRow
    rows = connection.execute(
        select(t.seq, t.occurred_at, t.kind, t.pool, t.credits, t.paid_amount, t.paid_currency, t.note)
        .order_by(t.occurred_at, t.seq)
    ).all()
    return [CreditTx(*row) for row in rows]


def usage_by_hour(connection: Connection) -> list[tuple[int, int, int, int]]:
    """(hour, plan credits, top-up credits, all credits) per hour with usage, over all history.

    Read from the hourly rollup by pool: a year is some 10^4 rows instead of millions of lines.
    """
    totals: dict[int, list[int]] = {}
    for hour, pool, credits, _quantity in rollups.hourly_by(connection, ("pool",), *rollups.ALL_TIME):
        sums = totals.setdefault(hour, [0, 0, 0])
        sums[0 if pool == "plan" else 1 if pool == "topup" else 2] += credits
    return [(hour, plan, topup, plan + topup + other) for hour, (plan, topup, other) in totals.items()]


def usage_after(connection: Connection, after_seq: int) -> list[tuple[int, int, str, int]]:
    """(seq, hour, pool, credits) of every usage row with seq > after_seq, in seq order (the seq index finds them)."""
    rows = connection.execute(
        select(UsageLine.seq, UsageLine.hour, UsageLine.pool, UsageLine.credits)
        .where(UsageLine.seq > after_seq).order_by(UsageLine.seq)
    ).all()
    return [(int(seq), int(hour), pool, int(credits)) for seq, hour, pool, credits in rows]


def snapshot_periods(connection: Connection) -> list[tuple[int, int]]:
    """(period_start, period_end) of every snapshot in the order they were synced: where periods closed."""
    rows = connection.execute(
        select(BillingSnapshot.period_start, BillingSnapshot.period_end).order_by(BillingSnapshot.id)
    ).all()
    return [(int(start), int(end)) for start, end in rows]
