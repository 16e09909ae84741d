"""The printed spend summary's data: one range and scope, every figure from `insights` and the JSON report.

Qt-free. Everything is read in one connection (one snapshot of the cache), and every
figure comes from the functions the Usage and Billing panels use, so paper, CSV and the
JSON behind a statement agree with the panels and `report --format json` to the last digit.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import Connection

from a2v2_desktop.cache import queries, usage_queries
from a2v2_desktop.cache.billing_queries import CreditTx, Snapshot
from a2v2_desktop.domain.times import zone
from a2v2_desktop.insights import forecast as fc
from a2v2_desktop.insights import ranges
from a2v2_desktop.insights.billing import BillingData, BillingRequest, build_billing_view, load_billing
from a2v2_desktop.insights.ranges import BillingPeriod, DateRange
from a2v2_desktop.insights.runaway import HOUR, SCAN_HOURS, WINDOW_HOURS, RunawayAgent, find_runaways
from a2v2_desktop.insights.usage import (
    BreakdownRow,
    Cards,
    ChartSeries,
    UsageRequest,
    agent_rows,
    build_cards,
    build_chart,
    member_rows,
    resolve_scope,
)
from a2v2_desktop.reports.spend import ReportError, SpendReport, read_spend_report

PURCHASE_KINDS = ("top_up", "auto_recharge")
SCAN_STEP = (SCAN_HOURS - WINDOW_HOURS) * HOUR  # one runaway scan covers windows ending in this span


@dataclass(frozen=True)
class SummaryRequest:
    """What to summarize; `now` is when it is made (also "today" for presets and the like-for-like change)."""

    span: DateRange | None  # the dates of a custom range; None: the preset's, resolved as the Usage panel does
    now: int
    agent_ids: tuple[str, ...] = ()  # empty: every agent
    timezone: str = ""  # empty: the organization's
    preset: str = ranges.CUSTOM
    label: str = ""  # what the range is called on paper; a preset goes by its own name
    demo: bool = False
    window_days: int = fc.DEFAULT_WINDOW_DAYS
    title: str = "Spend summary"


@dataclass(frozen=True)
class Balance:
    """Both pools at one moment and the renewal after it."""

    at: int
    plan: int
    topup: int
    next_billing: int
    recorded: bool  # the platform's own snapshot; False: rebuilt from the credit ledger


@dataclass(frozen=True)
class ForecastNote:
    """The Billing panel's run-out forecast, as it stood at `at`."""

    at: int
    sentences: tuple[str, ...]


@dataclass(frozen=True)
class Revision:
    """An earlier statement whose total changed since it was saved (late usage lines, refunds)."""

    first: date
    last: date
    stated: int
    current: int


@dataclass(frozen=True)
class SpendSummary:
    request: SummaryRequest
    span: DateRange
    report: SpendReport  # the JSON report's figures: the contract
    data_as_of: int | None  # the end of the last successful sync
    scope_names: tuple[str, ...]  # the chosen agents' names; empty: all agents
    cards: Cards
    compared: DateRange  # the elapsed part of the range, compared with `previous`
    previous: DateRange
    agents: tuple[BreakdownRow, ...]
    members: tuple[BreakdownRow, ...]
    chart: ChartSeries  # credits per activity per day
    runaways: tuple[RunawayAgent, ...]
    balance_end: Balance | None  # None: no billing synced
    balance_now: Balance | None
    purchases: tuple[CreditTx, ...]
    forecast: ForecastNote | None
    revisions: tuple[Revision, ...] = ()

    @property
    def label(self) -> str:
        request = self.request
        return request.label or (request.preset if request.preset != ranges.CUSTOM else "")

    @property
    def timezone(self) -> str:
        return self.report.timezone


def build_summary(connection: Connection, request: SummaryRequest) -> SpendSummary:
    """Everything the printed summary shows, read in one connection."""
    org = queries.organization(connection)
    if org is None:
        raise ReportError("The cache is empty: run `a2v2-desktop sync` first.")
    tz_name = request.timezone or org.timezone
    tz = zone(tz_name)
    billing = usage_queries.latest_billing_summary(connection)
    period = BillingPeriod(billing.period_start, billing.period_end) if billing else None
    asked = UsageRequest(preset=request.preset, now=request.now, custom=request.span, timezone=tz_name,
                         granularity=ranges.DAY)
    resolved = resolve_scope(asked, tz, period)
    if resolved is None:
        raise ReportError("No billing period was synced yet: sync first, or pick another range.")
    span = resolved.span
    report = read_spend_report(connection, span.first, span.last, tz_name, request.agent_ids or None)
    scope = replace(resolved, agent_ids=list(report.agent_ids) if report.agent_ids else None)
    start, end = scope.bounds(span)
    runaways = runaways_in(connection, start, end, request.now, report.agent_ids)
    flagged = {r.agent_id for r in runaways}
    data = load_billing(connection)
    return SpendSummary(
        request=request,
        span=span,
        report=report,
        data_as_of=queries.last_successful_sync(connection),
        scope_names=_names(connection, report.agent_ids),
        cards=build_cards(connection, scope, billing),
        compared=scope.compared,
        previous=scope.previous,
        agents=tuple(replace(row, runaway=row.key in flagged) for row in agent_rows(connection, scope)),
        members=tuple(member_rows(connection, scope)),
        chart=build_chart(connection, scope, asked),
        runaways=runaways,
        balance_end=balance_at(data, end),
        balance_now=balance_at(data, data.snapshot.as_of) if data.snapshot else None,
        purchases=tuple(tx for tx in data.transactions if tx.kind in PURCHASE_KINDS and start <= tx.occurred_at < end),
        forecast=forecast_at(data, end, tz_name, request.window_days),
    )


def _names(connection: Connection, agent_ids: tuple[str, ...] | None) -> tuple[str, ...]:
    if not agent_ids:
        return ()
    names = {choice.id: choice.name for choice in usage_queries.agent_choices(connection)}
    return tuple(names[agent_id] for agent_id in agent_ids)


def runaways_in(connection: Connection, start: int, end: int, now: int,
                agent_ids: tuple[str, ...] | None) -> tuple[RunawayAgent, ...]:
    """Agents the Usage panel's runaway scan flags at some moment in [start, end), worst window each.

    One scan looks at windows ending in the two days before its `now`, so the scan is run
    back from the range's end in two-day steps: the same test, not a new one.
    """
    last = min(end, now - now % HOUR + HOUR)
    worst: dict[str, RunawayAgent] = {}
    moment = last
    while moment > start:
        for found in find_runaways(connection, moment - HOUR):
            wanted = agent_ids is None or found.agent_id in agent_ids
            held = worst.get(found.agent_id)
            if wanted and start < found.window_end <= last and (held is None or found.excess > held.excess):
                worst[found.agent_id] = found
        moment -= SCAN_STEP
    return tuple(sorted(worst.values(), key=lambda r: (-r.excess, r.agent_id)))


def billing_period_at(snapshot: Snapshot, moment: int) -> BillingPeriod:
    """The billing period `moment` falls in, stepping back from the snapshot's (periods renew monthly)."""
    period = BillingPeriod(snapshot.period_start, snapshot.period_end)
    while moment < period.start:
        period = ranges.previous_billing_period(period)
    return period


def snapshot_at(data: BillingData, moment: int) -> Snapshot | None:
    """The billing snapshot as it would have read at `moment`: the latest one if `moment` is not
    earlier, else the last earlier snapshot's settings with the pools rebuilt from the ledger."""
    latest = data.snapshot
    if latest is None or moment >= latest.as_of:
        return latest
    earlier = [s for s in data.snapshots if s.as_of <= moment]
    base = earlier[-1] if earlier else data.snapshots[0]
    if base.as_of == moment:
        return base
    history = data.history
    point = history[bisect_right([p.at for p in history], moment) - 1] if history and history[0].at <= moment else None
    period = billing_period_at(latest, moment)
    recharges = sum(1 for tx in data.transactions
                    if tx.kind == "auto_recharge" and period.start <= tx.occurred_at <= moment)
    return replace(base, as_of=moment, period_start=period.start, period_end=period.end,
                   plan_credits_remaining=point.plan if point else 0,
                   topup_credits_remaining=point.topup if point else 0,
                   auto_recharge_used_this_month=recharges)


def balance_at(data: BillingData, moment: int) -> Balance | None:
    """Both pools at `moment`, or at the last sync when `moment` is later (nothing newer is known)."""
    snapshot = snapshot_at(data, moment)
    if snapshot is None:
        return None
    return Balance(snapshot.as_of, snapshot.plan_credits_remaining, snapshot.topup_credits_remaining,
                   snapshot.period_end, recorded=snapshot in data.snapshots)


def forecast_at(data: BillingData, moment: int, tz_name: str, window_days: int) -> ForecastNote | None:
    """The Billing panel's forecast sentences, made from the snapshot as it read at the report's end."""
    snapshot = snapshot_at(data, moment)
    if snapshot is None:
        return None
    view = build_billing_view(replace(data, snapshots=(snapshot,)),
                              BillingRequest(now=snapshot.as_of, timezone=tz_name, window_days=window_days))
    return ForecastNote(snapshot.as_of, view.sentences)


def summary_for_period(connection: Connection, period: BillingPeriod, now: int, demo: bool,
                       title: str = "Statement") -> SpendSummary:
    """The spend summary of one billing period, in the organization's zone (a statement)."""
    org = queries.organization(connection)
    if org is None:
        raise ReportError("The cache is empty: run `a2v2-desktop sync` first.")
    span = ranges.billing_range(period, zone(org.timezone))
    return build_summary(connection, SummaryRequest(span, now, label="Billing period", demo=demo, title=title))
