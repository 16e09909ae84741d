"""The Billing panel's view data: balance history, snapshot checks, forecast and warnings.

The platform serves balances only as of now, so the history is rebuilt from the
ledger: credit transactions when they occurred, and each hour's usage (from the pool
each line names) at the end of its hour. Every stored snapshot is checked against
the same ledger counted only up to the feed cursors it was stored with. Credits are
integer ten-thousandths throughout.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import tzinfo
from itertools import groupby

from sqlalchemy import Connection

from a2v2_desktop.cache import billing_queries, queries
from a2v2_desktop.cache.billing_queries import CreditTx, Snapshot
from a2v2_desktop.domain.credits import SCALE
from a2v2_desktop.domain.times import zone
from a2v2_desktop.insights import forecast as fc
from a2v2_desktop.insights.text import credits_text, moment_text

HOUR = 3600
POOLS = ("plan", "topup")
POOL_NAMES = {"plan": "Message Credits", "topup": "Top-up Credits"}
MAX_CHECKED = 200  # snapshots checked against the ledger, newest first
DEFAULT_LOW_BALANCE = 500 * SCALE
PERIOD = "period"  # a marker for a period boundary (its grant and expiry together)
KIND_LABELS = {"period_grant": "Plan credits granted", "period_expiry": "Unused plan credits expired",
               "top_up": "Top-up", "auto_recharge": "Auto-recharge", "adjustment": "Adjustment"}
LOW_BALANCE, RUNS_OUT, CAP, RECHARGE_OFF = "low_balance", "runs_out", "cap", "recharge_off"

Hourly = tuple[int, int, int, int]  # (hour, plan credits, top-up credits, all credits), from the cache


# ---- balance history ------------------------------------------------------------------------

@dataclass(frozen=True)
class BalancePoint:
    at: int
    plan: int
    topup: int


@dataclass(frozen=True)
class Marker:
    """Credit transactions at one instant that the chart marks: a period boundary, a top-up, a recharge."""

    at: int
    kind: str  # PERIOD or a transaction kind
    transactions: tuple[CreditTx, ...]


def balance_history(transactions: list[CreditTx], hourly: list[Hourly],
                    until: int | None = None) -> tuple[BalancePoint, ...]:
    """Both pools after each change; two points at one instant draw a jump (a renewal, a recharge).

    Pools other than plan and topup are not balances the platform reports, so they are left out.
    """
    changes: dict[tuple[int, int], dict[str, int]] = defaultdict(lambda: dict.fromkeys(POOLS, 0))
    for hour, plan, topup, _total in hourly:
        end = hour + HOUR if until is None else min(hour + HOUR, until)
        changes[(end, 0)]["plan"] -= plan  # the hour's spend, once the hour is over
        changes[(end, 0)]["topup"] -= topup
    for tx in transactions:
        if tx.pool in POOLS:
            changes[(tx.occurred_at, 1)][tx.pool] += tx.credits
    if not changes:
        return ()
    ordered = sorted(changes)
    balances = dict.fromkeys(POOLS, 0)
    points = [BalancePoint(ordered[0][0], 0, 0)]
    for key in ordered:
        for pool, delta in changes[key].items():
            balances[pool] += delta
        points.append(BalancePoint(key[0], balances["plan"], balances["topup"]))
    if until is not None and until > points[-1].at:
        points.append(BalancePoint(until, balances["plan"], balances["topup"]))
    return tuple(points)


def markers(transactions: list[CreditTx]) -> tuple[Marker, ...]:
    """One marker per instant and kind; a grant and an expiry at the same instant are one period boundary."""
    def category(tx: CreditTx) -> str:
        return PERIOD if tx.kind in ("period_grant", "period_expiry") else tx.kind

    ordered = sorted(transactions, key=lambda tx: (tx.occurred_at, category(tx), tx.seq))
    return tuple(Marker(at, kind, tuple(group))
                 for (at, kind), group in groupby(ordered, key=lambda tx: (tx.occurred_at, category(tx))))


def marker_lines(marker: Marker, tz: tzinfo) -> list[str]:
    """The hover text of a marker, one line per transaction (notes are untrusted: shown as plain text)."""
    lines = [moment_text(marker.at, tz)]
    for tx in marker.transactions:
        sign = "+" if tx.credits > 0 else ""
        line = f"{KIND_LABELS.get(tx.kind, tx.kind)}: {sign}{credits_text(tx.credits)} {POOL_NAMES.get(tx.pool, tx.pool)}"
        if tx.paid_amount is not None:
            line += f" ({fc.money_text(tx.paid_amount, tx.paid_currency)})"
        lines.append(line)
        if tx.note:
            lines.append(f"  {tx.note}")
    return lines


# ---- snapshots against the ledger ---------------------------------------------------------------

@dataclass(frozen=True)
class Disagreement:
    """A snapshot's balance that the ledger up to its cursors does not reproduce."""

    snapshot_id: int
    synced_at: int
    pool: str
    reconstructed: int
    recorded: int
    pending: bool  # the latest snapshot: records that arrived while it synced come with the next sync

    @property
    def difference(self) -> int:
        return self.recorded - self.reconstructed


@dataclass(frozen=True)
class UsageTail:
    """Usage needed to read the pools at any cursor >= `base_seq`: totals up to it, rows after it."""

    base_seq: int
    base_totals: dict[str, int]  # pool -> credits of current records with seq <= base_seq
    rows: tuple[tuple[int, int, str, int], ...]  # (seq, hour, pool, credits) with seq > base_seq, by seq


def usage_tail(hourly: list[Hourly], after: list[tuple[int, int, str, int]], base_seq: int) -> UsageTail:
    """Totals up to `base_seq` are all usage less the rows after it: one scan of the table fewer."""
    totals = {"plan": sum(h[1] for h in hourly), "topup": sum(h[2] for h in hourly)}
    for _seq, _hour, pool, credits in after:
        totals[pool] = totals.get(pool, 0) - credits
    return UsageTail(base_seq, totals, tuple(after))


class _Running:
    """Per-pool running totals of records in seq order: the pools counted up to any cursor."""

    def __init__(self, base: dict[str, int], rows: list[tuple[int, str, int]]):
        self.seqs = [seq for seq, _pool, _credits in rows]
        running = dict(base)
        self.totals = [(running.get("plan", 0), running.get("topup", 0))]
        for _seq, pool, credits in rows:
            running[pool] = running.get(pool, 0) + credits
            self.totals.append((running.get("plan", 0), running.get("topup", 0)))

    def count(self, cursor: int) -> int:
        """How many rows have seq <= cursor (the caller's cursors are all >= the base)."""
        return bisect_right(self.seqs, cursor)


def check_snapshots(snapshots: list[Snapshot], transactions: list[CreditTx],
                    tail: UsageTail) -> tuple[Disagreement, ...]:
    """Every snapshot whose pools differ from the ledger counted up to its cursors.

    A difference that records arriving during that sync explain (some later cursor, before
    the next snapshot's, reproduces it) is timing, not a disagreement.
    """
    ledger = sorted(transactions, key=lambda tx: tx.seq)
    granted = _Running({}, [(tx.seq, tx.pool, tx.credits) for tx in ledger])
    spent = _Running(tail.base_totals, [(seq, pool, credits) for seq, _hour, pool, credits in tail.rows])
    times = _Times([tx.occurred_at for tx in ledger], [hour for _seq, hour, _pool, _credits in tail.rows])
    found: list[Disagreement] = []
    for index, snapshot in enumerate(snapshots):
        following = snapshots[index + 1] if index + 1 < len(snapshots) else None
        g, s = granted.count(snapshot.credit_transactions_seq), spent.count(snapshot.usage_seq)
        rebuilt = _pools(granted.totals[g], spent.totals[s])
        recorded = (snapshot.plan_credits_remaining, snapshot.topup_credits_remaining)
        if rebuilt == recorded or _timing(snapshot, following, granted, spent, times, recorded):
            continue
        found += [Disagreement(snapshot.id, snapshot.synced_at, pool, r, v, following is None)
                  for pool, r, v in zip(POOLS, rebuilt, recorded) if r != v]
    return tuple(found)


@dataclass(frozen=True)
class _Times:
    ledger: list[int]  # occurred_at of each credit transaction, in seq order
    usage: list[int]  # hour of each usage row after the base, in seq order


def _pools(granted: tuple[int, int], spent: tuple[int, int]) -> tuple[int, int]:
    return granted[0] - spent[0], granted[1] - spent[1]


def _timing(snapshot: Snapshot, following: Snapshot | None, granted: _Running, spent: _Running,
            times: _Times, recorded: tuple[int, int]) -> bool:
    """Whether the snapshot equals the ledger at some later cursors it could have seen."""
    g_range = _reachable(granted, times.ledger, snapshot.credit_transactions_seq,
                         following.credit_transactions_seq if following else None, snapshot.as_of)
    s_range = _reachable(spent, times.usage, snapshot.usage_seq,
                         following.usage_seq if following else None, snapshot.as_of)
    spends = {spent.totals[s] for s in s_range}
    return any((granted.totals[g][0] - recorded[0], granted.totals[g][1] - recorded[1]) in spends for g in g_range)


def _reachable(running: _Running, times: list[int], cursor: int, next_cursor: int | None, as_of: int) -> range:
    """Row counts the snapshot may have included: from its cursor up to the next snapshot's, stopping
    at the first record dated after the snapshot (it cannot have been counted, nor anything after it)."""
    first = running.count(cursor)
    last = running.count(next_cursor) if next_cursor is not None else len(running.seqs)
    for position in range(first, last):
        if times[position] > as_of:
            return range(first, position + 1)
    return range(first, last + 1)


# ---- warnings ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class BillingWarning:
    kind: str
    text: str


def billing_warnings(snapshot: Snapshot, outlook: fc.Forecast | None, low_balance: int,
                     last_enabled: Snapshot | None, tz: tzinfo) -> tuple[BillingWarning, ...]:
    """The warnings that stay on the panel while they hold."""
    found = [_low_balance(snapshot, low_balance), _recharge_turned_off(snapshot, last_enabled, tz)]
    if outlook is not None:
        found += [_runs_out_without_recharge(outlook, tz), _cap(outlook, tz)]
    return tuple(w for w in found if w is not None)


def _low_balance(snapshot: Snapshot, threshold: int) -> BillingWarning | None:
    plan, topup = snapshot.plan_credits_remaining, snapshot.topup_credits_remaining
    if plan + topup >= threshold:
        return None
    return BillingWarning(LOW_BALANCE, f"Low balance: {credits_text(plan + topup)} credits left "
                                       f"({credits_text(plan)} Message Credits, {credits_text(topup)} Top-up Credits), "
                                       f"below your alert at {fc.whole_credits(threshold)} credits.")


def _recharge_turned_off(snapshot: Snapshot, last_enabled: Snapshot | None, tz: tzinfo) -> BillingWarning | None:
    if snapshot.auto_recharge_enabled or last_enabled is None:
        return None
    return BillingWarning(RECHARGE_OFF, f"Auto-Recharge was on at the sync of {moment_text(last_enabled.synced_at, tz)} "
                                        "and is off now. The platform turns it off after repeated failed payments: "
                                        "check the payment method and re-enable it on the web dashboard.")


def _runs_out_without_recharge(result: fc.Forecast, tz: tzinfo) -> BillingWarning | None:
    now = result.outlooks[0]
    if result.rule.enabled or now.turned_away is None:
        return None
    if now.turned_away == now.start:
        return BillingWarning(RUNS_OUT, "Auto-Recharge is off and no credits are left: visitors are being turned "
                                        f"away until renewal on {fc.day_text(now.end, tz)}. Top up on the web dashboard.")
    return BillingWarning(RUNS_OUT, f"Auto-Recharge is off and credits run out on {fc.day_text(now.turned_away, tz)}, "
                                    f"{fc.days_between(now.turned_away, now.end, tz):,} days before renewal: visitors "
                                    "would be turned away. Turn Auto-Recharge on or top up on the web dashboard.")


def _cap(result: fc.Forecast, tz: tzinfo) -> BillingWarning | None:
    """The monthly cap reached already, or reached at this pace before renewal."""
    rule, now = result.rule, result.outlooks[0]
    if not rule.enabled or rule.cap is None:
        return None
    renewal = fc.day_text(now.end, tz)
    away = f" Visitors would be turned away from {fc.day_text(now.turned_away, tz)}." if now.turned_away else ""
    if rule.used >= rule.cap:
        return BillingWarning(CAP, f"Auto-Recharge has used all {rule.cap} recharges this month "
                                   f"({rule.used}/{rule.cap}): nothing tops up the balance until the period "
                                   f"renews on {renewal}.{away}")
    if rule.used + len(now.recharges) >= rule.cap:
        return BillingWarning(CAP, f"At this pace Auto-Recharge reaches its monthly cap of {rule.cap} on "
                                   f"{fc.day_text(now.recharges[-1], tz)}; after that nothing tops up the balance "
                                   f"until renewal on {renewal}.{away}")
    return None


# ---- the view ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class BillingRequest:
    now: int
    timezone: str = ""  # empty: the organization's
    window_days: int = fc.DEFAULT_WINDOW_DAYS
    low_balance: int = DEFAULT_LOW_BALANCE


@dataclass(frozen=True)
class BillingData:
    """What the cache holds for billing, read once per refresh."""

    organization: str | None = None
    org_timezone: str = "UTC"
    snapshots: tuple[Snapshot, ...] = ()  # the newest MAX_CHECKED, oldest first
    last_enabled: Snapshot | None = None
    transactions: tuple[CreditTx, ...] = ()
    hourly: tuple[Hourly, ...] = ()
    history: tuple[BalancePoint, ...] = ()
    markers: tuple[Marker, ...] = ()
    disagreements: tuple[Disagreement, ...] = ()

    @property
    def snapshot(self) -> Snapshot | None:
        return self.snapshots[-1] if self.snapshots else None


@dataclass(frozen=True)
class BillingView:
    request: BillingRequest
    data: BillingData
    timezone: str
    forecast: fc.Forecast | None = None
    sentences: tuple[str, ...] = ()
    warnings: tuple[BillingWarning, ...] = ()
    period_spend: dict[str, int] = field(default_factory=dict)  # pool -> credits this period


def load_billing(connection: Connection) -> BillingData:
    """Everything billing needs from the cache, in one short connection."""
    org = queries.organization(connection)
    data = BillingData(org.name if org else None, org.timezone if org else "UTC")
    snapshots = billing_queries.latest_snapshots(connection, MAX_CHECKED)
    if not snapshots:
        return data
    transactions = billing_queries.credit_transactions(connection)
    hourly = billing_queries.usage_by_hour(connection)
    base_seq = min(s.usage_seq for s in snapshots)
    tail = usage_tail(hourly, billing_queries.usage_after(connection, base_seq), base_seq)
    return BillingData(
        data.organization, data.org_timezone, tuple(snapshots), billing_queries.last_enabled_snapshot(connection),
        tuple(transactions), tuple(hourly), balance_history(transactions, hourly, until=snapshots[-1].as_of),
        markers(transactions), check_snapshots(snapshots, transactions, tail),
    )


def build_billing_view(data: BillingData, request: BillingRequest) -> BillingView:
    """The forecast, its sentences and the warnings for one request; cheap, so the window control redoes only this."""
    tz_name = request.timezone or data.org_timezone
    snapshot = data.snapshot
    if snapshot is None:
        return BillingView(request, data, tz_name)
    tz = zone(tz_name)
    pace = fc.measure_pace(hourly_totals(data.hourly), snapshot.as_of, request.window_days)
    result = fc.forecast(snapshot, pace)
    return BillingView(
        request, data, tz_name, result,
        fc.describe(result, tz) if result else ("The last sync is from before the renewal: sync to forecast.",),
        billing_warnings(snapshot, result, request.low_balance, data.last_enabled, tz),
        period_spend(data.hourly, snapshot.period_start, snapshot.period_end),
    )


def read_billing_view(connection: Connection, request: BillingRequest) -> BillingView:
    return build_billing_view(load_billing(connection), request)


def hourly_totals(hourly: tuple[Hourly, ...]) -> list[tuple[int, int]]:
    """Spend per hour over all pools: the pace does not care which pool paid."""
    return [(hour, total) for hour, _plan, _topup, total in hourly]


def period_spend(hourly: tuple[Hourly, ...], start: int, end: int) -> dict[str, int]:
    """Credits spent per pool in [start, end), from the synced usage."""
    inside = [h for h in hourly if start <= h[0] < end]
    return {"plan": sum(h[1] for h in inside), "topup": sum(h[2] for h in inside)}
