"""API records to cache rows: flattening Money into amount/currency columns.

A feed page's rows are one list of values, row after row in the table's column order, laid
out in C from the page's columns (`rec.FeedColumns`): building a dict per record and binding
it through SQLAlchemy costs more than the validation itself, and a tuple per row (then
flattened for SQLite's multi-row INSERT) held the GIL for about 10 ms of each 5,000-line page
(the usage feed alone, 200 pages over HTTP, medians of 6 alternating runs: 47,328 → 49,044
lines/s).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from a2v2_desktop.api import records as rec
from a2v2_desktop.cache.models import FEED_TABLES


def _money(prefix: str, money: rec.Money | None) -> dict[str, Any]:
    if money is None:
        return {f"{prefix}_amount": None, f"{prefix}_currency": None}
    return {f"{prefix}_amount": money.amount, f"{prefix}_currency": money.currency}


def _plain(record: rec.Record) -> dict[str, Any]:
    return dict(record.__dict__)


# Table columns holding a field of a nested Money, by feed; every other column is the field of its name.
_NESTED_COLUMNS = {
    "credit_transactions": {"paid_amount": "paid.amount", "paid_currency": "paid.currency"},
    "subscriptions": {"price_amount": "price.amount", "price_currency": "price.currency"},
    "transactions": {"amount": "amount.amount", "currency": "amount.currency",
                     "fee_amount": "fee.amount", "fee_currency": "fee.currency"},
}


def feed_columns(feed: str) -> tuple[str, ...]:
    return tuple(column.name for column in FEED_TABLES[feed].columns)


@cache
def _field_paths(feed: str) -> tuple[str, ...]:
    nested = _NESTED_COLUMNS.get(feed, {})
    return tuple(nested.get(column, column) for column in feed_columns(feed))


def column_values(feed: str, columns: dict[str, list]) -> list:
    """A page's columns (`rec.FeedColumns.columns`) as one list, row after row in `feed_columns(feed)`
    order: the shape SQLite's multi-row INSERT binds, laid out by slice assignment in C."""
    fields = [columns[path] for path in _field_paths(feed)]
    values = [None] * (len(fields) * len(fields[0]))
    for at, field in enumerate(fields):
        values[at::len(fields)] = field
    return values


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
