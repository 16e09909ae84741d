"""API records to cache rows: flattening Money into amount/currency columns.

Feed rows are tuples in the table's column order, ready for the driver's executemany:
building a dict per record and binding it through SQLAlchemy costs more than the
validation itself.
"""

from __future__ import annotations

from functools import cache
from operator import attrgetter
from typing import Any

from a2v2_desktop.api import records as rec
from a2v2_desktop.cache.models import FEED_TABLES


def _money(prefix: str, money: rec.Money | None) -> dict[str, Any]:
    if money is None:
        return {f"{prefix}_amount": None, f"{prefix}_currency": None}
    return {f"{prefix}_amount": money.amount, f"{prefix}_currency": money.currency}


def _plain(record: rec.Record) -> dict[str, Any]:
    return dict(record.__dict__)


def _credit_transaction(record: rec.CreditTransaction) -> dict[str, Any]:
    row = _plain(record)
    row.update(_money("paid", row.pop("paid")))
    return row


def _subscription(record: rec.Subscription) -> dict[str, Any]:
    row = _plain(record)
    row.update(_money("price", row.pop("price")))
    return row


def _transaction(record: rec.Transaction) -> dict[str, Any]:
    row = _plain(record)
    amount = row.pop("amount")
    row.update(amount=amount.amount, currency=amount.currency)
    row.update(_money("fee", row.pop("fee")))
    return row


_FLATTEN = {
    "credit_transactions": _credit_transaction,
    "subscriptions": _subscription,
    "transactions": _transaction,
}


def feed_columns(feed: str) -> tuple[str, ...]:
    return tuple(column.name for column in FEED_TABLES[feed].columns)


@cache
def _row_maker(feed: str):
    """Records of this feed to tuples: plain attribute reads in C for the feeds without Money."""
    columns = feed_columns(feed)
    flatten = _FLATTEN.get(feed)
    if flatten is None:
        return attrgetter(*columns)
    return lambda record: tuple(flatten(record)[column] for column in columns)


def feed_rows(feed: str, records: list[rec.FeedRecord]) -> list[tuple]:
    """The records as row tuples in `feed_columns(feed)` order."""
    return list(map(_row_maker(feed), records))


def agent_row(agent: rec.Agent) -> dict[str, Any]:
    row = _plain(agent)
    access = row.pop("paid_access") or rec.PaidAccess()
    row.update(paid_access_enabled=access.enabled, paid_interval=access.interval)
    row.update(_money("paid_price", access.price))
    return row


def member_row(member: rec.Member) -> dict[str, Any]:
    return _plain(member)


def organization_row(org: rec.Organization) -> dict[str, Any]:
    return _plain(org)


def billing_row(snapshot: rec.BillingSnapshot, synced_at: int) -> dict[str, Any]:
    plan, period, balance, auto = snapshot.plan, snapshot.period, snapshot.balance, snapshot.auto_recharge
    price = _money("auto_recharge_price", auto.price_per_recharge)
    return {
        "synced_at": synced_at,
        "as_of": snapshot.as_of,
        "plan_id": plan.id,
        "plan_name": plan.name,
        "plan_credits_per_period": plan.credits_per_period,
        "agent_limit": plan.agent_limit,
        "member_limit": plan.member_limit,
        "period_start": period.start,
        "period_end": period.end,
        "plan_credits_remaining": balance.plan_credits_remaining,
        "topup_credits_remaining": balance.topup_credits_remaining,
        "credits_used_this_period": balance.credits_used_this_period,
        "auto_recharge_enabled": auto.enabled,
        "auto_recharge_threshold": auto.threshold_credits,
        "auto_recharge_credits": auto.credits_per_recharge,
        "auto_recharge_max_per_month": auto.max_recharges_per_month,
        "auto_recharge_used_this_month": auto.recharges_used_this_month,
        "auto_recharge_last_at": auto.last_recharged_at,
        **price,
    }
