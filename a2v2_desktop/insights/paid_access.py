"""The Subscriptions tab of a paid agent: revenue per currency, subscribers, churn, MRR and
transactions, and revenue beside what the agent's credits would cost at the top-up rate.

Definitions (money in minor units, never summed across currencies):

- **Gross**: succeeded charges. **Refunds**: succeeded refunds, money back to the
  subscriber. **Fees**: the platform's fees on succeeded transactions, in the fee's
  own currency. **Net** = gross − refunds − fees. Failed and pending transactions
  are listed but move no money.
- **Subscribed at an instant t**: started before t and not canceled before t
  (trials included). So subscribers at the end = at the start + new − canceled.
- **Paying at t**: subscribed and with a succeeded charge before t (a trial has none).
- **MRR**: the monthly-normalized price of the subscriptions paying at the range's
  end (a yearly price / 12). Intervals other than day, week, month, year are left out.
- **Churn rate**: subscriptions canceled in the range over those subscribed at its start.
- **Cost**: the agent's credits in the range valued at the top-up rate.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from fractions import Fraction
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from a2v2_desktop.cache import analytics_queries as aq
from a2v2_desktop.cache.analytics_queries import Subscription, Transaction
from a2v2_desktop.insights.agent_cost import TopupRate
from a2v2_desktop.insights.analytics_base import COUNT, PERCENT, Bucketing, Kpi, Scope, local_time_text, ratio
from a2v2_desktop.insights.money import money_text

TRANSACTION_COLUMNS = ("Date", "Subscriber", "Kind", "Status", "Amount", "Fee", "Net")
MONTHLY = {"day": Fraction(365, 12), "week": Fraction(52, 12), "month": Fraction(1), "year": Fraction(1, 12)}
SUCCEEDED, CHARGE, REFUND = "succeeded", "charge", "refund"


@dataclass(frozen=True)
class CurrencyRevenue:
    """Money of one currency per bucket."""

    currency: str
    gross: tuple[int, ...]
    refunds: tuple[int, ...]
    fees: tuple[int, ...]
    previous_net: int

    @property
    def net(self) -> tuple[int, ...]:
        return tuple(g - r - f for g, r, f in zip(self.gross, self.refunds, self.fees))

    def total(self, series: str) -> int:
        return sum(getattr(self, series))


@dataclass(frozen=True)
class PaidAccess:
    enabled: bool  # paid access is switched on for the agent now
    offer: str | None  # "9.99 USD / month"
    has_history: bool  # any subscription or transaction was ever synced
    kpis: tuple[Kpi, ...]
    revenue: tuple[CurrencyRevenue, ...]
    mrr: dict[str, Fraction]
    previous_mrr: dict[str, Fraction]
    subscribers: tuple[int, ...]  # subscribed at each bucket's end
    new: tuple[int, ...]
    canceled: tuple[int, ...]
    transactions: tuple[Transaction, ...]  # in the range, newest first
    cost: tuple[Fraction, ...]  # the agent's credits per bucket at the top-up rate
    rate: TopupRate

    @property
    def shown(self) -> bool:
        """Whether the tab has anything to show: an offer now, or history from before."""
        return self.enabled or self.has_history

    def net_in(self, currency: str) -> tuple[int, ...] | None:
        return next((r.net for r in self.revenue if r.currency == currency), None)


def subscribed_at(subscription: Subscription, moment: int) -> bool:
    canceled = subscription.canceled_at
    return subscription.started_at < moment and (canceled is None or canceled >= moment)


def paying_ids(transactions: list[Transaction], moment: int) -> set[str]:
    return {t.subscription_id for t in transactions
            if t.kind == CHARGE and t.status == SUCCEEDED and t.created_at < moment and t.subscription_id}


def mrr_at(subscriptions: list[Subscription], transactions: list[Transaction], moment: int) -> dict[str, Fraction]:
    """Monthly recurring revenue per currency of the subscriptions paying at `moment`."""
    paying = paying_ids(transactions, moment)
    mrr: dict[str, Fraction] = defaultdict(Fraction)
    for s in subscriptions:
        if s.id in paying and subscribed_at(s, moment) and s.interval in MONTHLY:
            mrr[s.price_currency] += s.price_amount * MONTHLY[s.interval]
    return dict(mrr)


def revenue_by_currency(transactions: list[Transaction], bucketing: Bucketing,
                        previous_bounds: tuple[int, int]) -> tuple[CurrencyRevenue, ...]:
    """Gross, refunds and fees per bucket and currency; net of the previous period for the change."""
    series: dict[str, dict[str, list[int]]] = defaultdict(
        lambda: {"gross": bucketing.zeros(), "refunds": bucketing.zeros(), "fees": bucketing.zeros()})
    previous: dict[str, int] = defaultdict(int)
    for t in transactions:
        if t.status != SUCCEEDED or t.kind not in (CHARGE, REFUND):
            continue
        money_in = t.amount if t.kind == CHARGE else -t.amount
        fee_currency = t.fee_currency or t.currency
        position = bucketing.position(t.created_at)
        if position is not None:
            series[t.currency]["gross" if t.kind == CHARGE else "refunds"][position] += t.amount
            series[fee_currency]["fees"][position] += t.fee_amount or 0
        elif previous_bounds[0] <= t.created_at < previous_bounds[1]:
            previous[t.currency] += money_in
            previous[fee_currency] -= t.fee_amount or 0
    return tuple(CurrencyRevenue(code, tuple(series[code]["gross"]), tuple(series[code]["refunds"]),
                                 tuple(series[code]["fees"]), previous[code])
                 for code in sorted(set(series) | set(previous)))


def _offer(agent: aq.AgentRecord | None) -> str | None:
    if agent is None or agent.paid_price_amount is None or not agent.paid_price_currency:
        return None
    price = money_text(agent.paid_price_amount, agent.paid_price_currency)
    return f"{price} / {agent.paid_interval}" if agent.paid_interval else price


def subscriber_kpis(subscriptions: list[Subscription], bounds: tuple[int, int]) -> dict[str, int | Fraction | None]:
    start, end = bounds
    at_start = sum(subscribed_at(s, start) for s in subscriptions)
    canceled = sum(s.canceled_at is not None and start <= s.canceled_at < end for s in subscriptions)
    return {
        "Active subscribers": sum(subscribed_at(s, end) for s in subscriptions),
        "New subscribers": sum(start <= s.started_at < end for s in subscriptions),
        "Canceled": canceled,
        "Churn rate": ratio(canceled, at_start),
    }


DEFINITIONS = {
    "Active subscribers": "Subscribed at the end of the range, trials included.",
    "New subscribers": "Subscriptions started in the range.",
    "Canceled": "Subscriptions canceled in the range.",
    "Churn rate": "Canceled in the range over those subscribed at its start.",
}


def build_paid_access(connection: Connection, scope: Scope, agent_id: str, bucketing: Bucketing,
                      credits: tuple[int, ...], rate: TopupRate) -> PaidAccess:
    start, end = scope.bounds()
    subscriptions = aq.subscriptions(connection, agent_id)
    transactions = aq.transactions(connection, agent_id, end)
    agent = next((a for a in aq.agents(connection) if a.id == agent_id), None)
    now, before = subscriber_kpis(subscriptions, (start, end)), subscriber_kpis(subscriptions, scope.previous_bounds)
    kpis = tuple(Kpi(title, value, before[title], PERCENT if title == "Churn rate" else COUNT, DEFINITIONS[title],
                     lower_is_better=title in ("Canceled", "Churn rate")) for title, value in now.items())
    new, canceled = bucketing.zeros(), bucketing.zeros()
    for s in subscriptions:
        for moment, series in ((s.started_at, new), (s.canceled_at, canceled)):
            position = bucketing.position(moment) if moment is not None else None
            if position is not None:
                series[position] += 1
    return PaidAccess(
        enabled=bool(agent and agent.paid_access), offer=_offer(agent),
        has_history=bool(subscriptions or transactions),
        kpis=kpis, revenue=revenue_by_currency(transactions, bucketing, scope.previous_bounds),
        mrr=mrr_at(subscriptions, transactions, end), previous_mrr=mrr_at(subscriptions, transactions, start),
        subscribers=tuple(sum(subscribed_at(s, edge) for s in subscriptions) for edge in bucketing.edges[1:]),
        new=tuple(new), canceled=tuple(canceled),
        transactions=tuple(reversed([t for t in transactions if t.created_at >= start])),
        cost=tuple(rate.value(c) for c in credits), rate=rate,
    )


def transaction_cells(t: Transaction, tz: ZoneInfo) -> tuple[str, ...]:
    """A transaction's row: a refund's amount is money back (negative); failed and pending ones move none.

    Net subtracts the fee only when it is in the same currency.
    """
    signed = t.amount if t.kind == CHARGE else -t.amount
    fee_currency = t.fee_currency or t.currency
    fee = money_text(t.fee_amount, fee_currency) if t.fee_amount is not None else "—"
    fee_taken = (t.fee_amount or 0) if fee_currency == t.currency else 0
    net = money_text(signed - fee_taken, t.currency) if t.status == SUCCEEDED else "—"
    return (local_time_text(t.created_at, tz), t.subscriber_id, t.kind, t.status, money_text(signed, t.currency),
            fee, net)
