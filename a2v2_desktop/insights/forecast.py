"""When plan and top-up credits run out at the recent pace, and what auto-recharge costs meanwhile.

The pace is a weighted average of daily spend over a window the user picks: recent
days weigh more (the half-life is a third of the window, so the window still matters),
and a day far above the window's median is counted at a cap, so neither one quiet
week long ago nor one runaway day sets it. The spread of daily spend gives a band:
over d days, spend is taken as pace·d ± spread·√d. Credits stay integers throughout
(integer weights, `isqrt`); only instants are searched for, with a bisection.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone, tzinfo
from decimal import Decimal
from fractions import Fraction
from math import isqrt

from a2v2_desktop.cache.billing_queries import Snapshot
from a2v2_desktop.domain.credits import SCALE, group_thousands
from a2v2_desktop.domain.times import local_date
from a2v2_desktop.insights.ranges import shift_months
from a2v2_desktop.insights.text import credits_text, moment_text

DAY, HOUR = 86400, 3600
DEFAULT_WINDOW_DAYS = 14
MIN_WINDOW_DAYS, MAX_WINDOW_DAYS = 3, 90
HALF_LIFE_SHARE = 3  # the weights halve every window/3 days: 14 days -> a half-life of 4.7 days
SPIKE_FACTOR = 3
_WEIGHT_ONE = 1 << 20
_SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£", "inr": "₹", "brl": "R$", "aud": "A$", "cad": "CA$"}
_ZERO_DECIMAL = frozenset({"jpy", "krw", "clp", "vnd", "isk"})


# ---- words and figures ---------------------------------------------------------------------

def money_text(amount: int, currency: str | None) -> str:
    """Minor units as people read them: 4000 usd -> "$40.00"; unknown currencies keep their code."""
    code = (currency or "").lower()
    digits = 0 if code in _ZERO_DECIMAL else 2
    figure = f"{Decimal(abs(amount)).scaleb(-digits):,.{digits}f}"
    sign = "-" if amount < 0 else ""
    symbol = _SYMBOLS.get(code)
    return f"{sign}{symbol}{figure}" if symbol else f"{sign}{figure} {code.upper()}".rstrip()


def whole_credits(units: int) -> str:
    """ "1,000" for whole credits, "1,000.50" otherwise: allowances and rates read better whole."""
    return group_thousands(units, 0) if units % SCALE == 0 else credits_text(units)


def day_text(epoch: int, tz: tzinfo) -> str:
    moment = datetime.fromtimestamp(epoch, tz)
    return f"{moment.day} {moment:%b}"


def date_text(epoch: int, tz: tzinfo) -> str:
    """ "8 Dec 2026": the Next Billing Date as the dashboard shows a date."""
    moment = datetime.fromtimestamp(epoch, tz)
    return f"{moment.day} {moment:%b %Y}"


def days_between(earlier: int, later: int, tz: tzinfo) -> int:
    """Calendar days from one instant's local date to another's."""
    return (local_date(later, tz) - local_date(earlier, tz)).days


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


# ---- the pace --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Pace:
    """The daily spend the forecast assumes, and how much days vary around it."""

    window_days: int  # asked for
    days: tuple[int, ...]  # spend of each 24 hours counted, most recent first, spikes capped
    per_day: int
    spread: int  # weighted standard deviation of daily spend
    capped: tuple[tuple[int, int], ...] = ()  # (end of the 24 hours, what was really spent)


def daily_spend(hourly: Iterable[tuple[int, int]], end: int, days: int) -> list[int]:
    """Spend in each of the `days` 24-hour stretches before `end`, most recent first."""
    totals = [0] * days
    start = end - days * DAY
    for hour, credits in hourly:
        if start <= hour < end:
            totals[(end - 1 - hour) // DAY] += credits
    return totals


def measure_pace(hourly: list[tuple[int, int]], end: int, window_days: int) -> Pace:
    """The weighted daily spend over the window; days before the first synced usage do not count as quiet."""
    if not hourly:
        return Pace(window_days, (), 0, 0)
    first = min(hour for hour, _credits in hourly)
    days = max(1, min(window_days, -(-(end - first) // DAY)))
    counted, capped = _cap_spikes(daily_spend(hourly, end, days), end)
    weights = [round(_WEIGHT_ONE * 0.5 ** (i * HALF_LIFE_SHARE / window_days)) for i in range(days)]
    total = sum(weights)
    mean = Fraction(sum(w * x for w, x in zip(weights, counted)), total)
    square = Fraction(sum(w * x * x for w, x in zip(weights, counted)), total)
    return Pace(window_days, tuple(counted), max(0, round(mean)), isqrt(max(0, int(square - mean * mean))),
                tuple(capped))


def _cap_spikes(spent: list[int], end: int) -> tuple[list[int], list[tuple[int, int]]]:
    """Count a day above SPIKE_FACTOR × the median day as exactly that, so one runaway does not set the pace."""
    median = sorted(spent)[len(spent) // 2]
    if median <= 0:
        return spent, []
    cap = SPIKE_FACTOR * median
    capped = [(end - i * DAY, x) for i, x in enumerate(spent) if x > cap]
    return [min(x, cap) for x in spent], capped


@dataclass(frozen=True)
class Curve:
    """Cumulative spend some seconds into a stretch: at the pace, or at an edge of the band."""

    per_day: int
    spread: int
    side: int = 0  # -1: the slow edge of the band, +1: the fast edge

    def spent(self, seconds: int) -> int:
        base = self.per_day * seconds // DAY
        if self.side == 0 or seconds <= 0:
            return max(0, base)
        return max(0, base + self.side * isqrt(self.spread * self.spread * seconds // DAY))

    def when(self, units: int, limit: int) -> int | None:
        """The first second by which `units` are spent, or None if not within `limit` seconds."""
        if self.spent(limit) < units:
            return None
        low, high = 0, limit
        while low < high:
            middle = (low + high) // 2
            if self.spent(middle) >= units:
                high = middle
            else:
                low = middle + 1
        return low


# ---- auto-recharge and one billing period ------------------------------------------------------

@dataclass(frozen=True)
class AutoRecharge:
    """The snapshot's auto-recharge settings, as the forecast applies them."""

    enabled: bool
    threshold: int
    credits: int
    price_amount: int | None
    currency: str | None
    cap: int | None  # recharges per billing period; None: the platform states none
    used: int

    @classmethod
    def from_snapshot(cls, s: Snapshot) -> AutoRecharge:
        return cls(s.auto_recharge_enabled, s.auto_recharge_threshold or 0, s.auto_recharge_credits or 0,
                   s.auto_recharge_price_amount, s.auto_recharge_price_currency, s.auto_recharge_max_per_month,
                   s.auto_recharge_used_this_month or 0)

    def left(self, used: int) -> int | None:
        """Recharges that can still fire this period; None: no limit."""
        if not self.enabled or self.credits <= 0:
            return 0
        return None if self.cap is None else max(0, self.cap - used)

    def cost(self, count: int) -> str | None:
        return money_text(count * self.price_amount, self.currency) if self.price_amount is not None else None

    def rate_text(self) -> str:
        """ "$20.00 per 1,000 credits", as the Auto-Recharge panel says it."""
        price = self.cost(1)
        credits = f"{whole_credits(self.credits)} credits"
        return f"{price} per {credits}" if price else f"{credits} per recharge (price not stated)"


@dataclass(frozen=True)
class Wallet:
    """Both pools when a stretch of the forecast starts, and recharges already used in its period."""

    plan: int
    topup: int
    recharges_used: int


class Stretch:
    """One billing period's balances as a pure function of what was spent in it (plan first, then top-up)."""

    def __init__(self, wallet: Wallet, rule: AutoRecharge):
        self.wallet, self.rule = wallet, rule
        self.left = rule.left(wallet.recharges_used)
        self.trigger = wallet.plan + wallet.topup - rule.threshold  # spend beyond which the first recharge fires

    def fired(self, spent: int) -> int:
        """Recharges fired once `spent` was spent: the k-th when the balance falls below the threshold again."""
        over = spent - self.trigger
        if spent <= 0 or over <= 0 or self.left == 0:
            return 0
        count = (over - 1) // self.rule.credits + 1
        return count if self.left is None else min(self.left, count)

    def recharge_spends(self, most: int) -> list[int]:
        """The spend at which each recharge fires, up to `most`."""
        spends: list[int] = []
        while self.left is None or len(spends) < self.left:
            at = max(1, self.trigger + len(spends) * self.rule.credits + 1)
            if at > most:
                break
            spends.append(at)
        return spends

    def exhausted(self) -> int | None:
        """The spend at which no credit is left and no recharge can come; None: recharges never stop."""
        if self.left is None:
            return None
        return self.wallet.plan + self.wallet.topup + self.left * self.rule.credits

    def pools(self, spent: int) -> tuple[int, int]:
        """(plan, topup) after `spent` was asked for; what no credit covered was turned away."""
        total = max(0, self.wallet.plan + self.wallet.topup + self.fired(spent) * self.rule.credits - spent)
        plan = max(0, min(total, self.wallet.plan - spent))
        return plan, total - plan


@dataclass(frozen=True)
class Outlook:
    """One billing period of the forecast: the current one from the snapshot on, then the next."""

    start: int
    end: int  # the renewal
    wallet: Wallet
    plan_out: int | None
    topup_out: int | None  # when the top-up credits held at `start` are spent, recharges aside
    recharges: tuple[int, ...]
    turned_away: int | None  # from here on no credit is left and no recharge can come
    plan_left: int  # expires at `end`
    topup_left: int  # carried over


def outlook(curve: Curve, start: int, end: int, wallet: Wallet, rule: AutoRecharge) -> Outlook:
    """Where one period goes on one spend curve, counted from the period's own start (the band
    widens again from each renewal: what matters there is the spend since the refill)."""
    stretch = Stretch(wallet, rule)
    spent = curve.spent(end - start)

    def at(units: int | None) -> int | None:
        if units is None:
            return None
        second = curve.when(units, end - 1 - start)
        return None if second is None else start + second

    recharges = tuple(at(units) for units in stretch.recharge_spends(spent))
    plan_left, topup_left = stretch.pools(spent)
    return Outlook(start, end, wallet, at(wallet.plan), at(wallet.plan + wallet.topup), recharges,
                   at(stretch.exhausted()), plan_left, topup_left)


# ---- the forecast ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class PoolSeries:
    plan: tuple[int, ...]
    topup: tuple[int, ...]


@dataclass(frozen=True)
class Projection:
    """Both pools on a time grid: at the pace, and at the slow and fast edges of the band."""

    times: tuple[int, ...]
    pace: PoolSeries
    slower: PoolSeries  # less spend: the band's upper edge
    faster: PoolSeries


@dataclass(frozen=True)
class Forecast:
    pace: Pace
    start: int  # the snapshot's as_of
    allowance: int
    rule: AutoRecharge
    outlooks: tuple[Outlook, ...]  # at the pace: this period, then the next
    slower: tuple[Outlook, ...]
    faster: tuple[Outlook, ...]
    projection: Projection


def period_months(snapshot: Snapshot) -> int:
    """How many months a billing period lasts (1 for monthly plans)."""
    return max(1, round((snapshot.period_end - snapshot.period_start) / (30.44 * DAY)))


def renewals(snapshot: Snapshot) -> tuple[int, int]:
    """This period's renewal and the next one's: periods renew on the same day of the month."""
    end = datetime.fromtimestamp(snapshot.period_end, timezone.utc)
    return snapshot.period_end, int(shift_months(end, period_months(snapshot)).timestamp())


def forecast(snapshot: Snapshot, pace: Pace) -> Forecast | None:
    """The forecast from the snapshot on, through the next period; None once the snapshot's period is over."""
    start = snapshot.as_of
    renewal, following = renewals(snapshot)
    if start >= renewal:
        return None
    rule = AutoRecharge.from_snapshot(snapshot)
    wallet = Wallet(snapshot.plan_credits_remaining, snapshot.topup_credits_remaining, rule.used)
    bounds = ((start, renewal), (renewal, following))
    curves = {side: Curve(pace.per_day, pace.spread, side) for side in (0, -1, 1)}
    runs = {side: _periods(curve, bounds, wallet, rule, snapshot.plan_credits_per_period)
            for side, curve in curves.items()}
    times = _grid(start, renewal, following)
    series = {side: _series(curve, runs[side], rule, times) for side, curve in curves.items()}
    return Forecast(pace, start, snapshot.plan_credits_per_period, rule, runs[0], runs[-1], runs[1],
                    Projection(times, series[0], series[-1], series[1]))


def _periods(curve: Curve, bounds, wallet: Wallet, rule: AutoRecharge, allowance: int) -> tuple[Outlook, ...]:
    """Each period in turn; at a renewal the plan is refilled, unused plan credits expire, top-up carries over."""
    result = []
    for start, end in bounds:
        result.append(outlook(curve, start, end, wallet, rule))
        wallet = Wallet(allowance, result[-1].topup_left, 0)
    return tuple(result)


def _grid(start: int, renewal: int, end: int) -> tuple[int, ...]:
    """Hourly instants, plus a second before the renewal so the refill draws as a step."""
    first = start - start % HOUR + HOUR
    return tuple(sorted({start, renewal - 1, renewal, end, *range(first, end, HOUR)}))


def _series(curve: Curve, periods: tuple[Outlook, ...], rule: AutoRecharge, times: tuple[int, ...]) -> PoolSeries:
    """Both pools at each instant of the grid, on one spend curve."""
    stretches = [(p, Stretch(p.wallet, rule)) for p in periods]
    plan, topup = [], []
    for moment in times:
        period, stretch = next((s for s in stretches if s[0].start <= moment < s[0].end), stretches[-1])
        pools = stretch.pools(curve.spent(moment - period.start))
        plan.append(pools[0])
        topup.append(pools[1])
    return PoolSeries(tuple(plan), tuple(topup))


# ---- the sentences on the panel --------------------------------------------------------------------

def describe(result: Forecast, tz: tzinfo) -> tuple[str, ...]:
    """What the forecast says, in the panel's words."""
    now = result.outlooks[0]
    if now.turned_away == now.start:
        return (_empty_now(result, tz), *_next_period(result, tz))
    if result.pace.per_day == 0:
        return (f"{_pace_text(result.pace)} nothing runs out before renewal on {day_text(now.end, tz)}.",)
    sentences = [f"{_pace_text(result.pace)} {_plan_text(result, tz)}."]
    if now.plan_out is not None:
        sentences.append(_gap_text(result, tz))
    sentences += _next_period(result, tz)
    if result.pace.capped:
        sentences.append(_capped_text(result.pace, tz))
    return tuple(sentences)


def _pace_text(pace: Pace) -> str:
    if pace.per_day == 0:
        return f"No credits were spent in the last {_plural(len(pace.days) or pace.window_days, 'day')}:"
    window = (f"At the last {pace.window_days} days' pace" if len(pace.days) >= pace.window_days
              else f"At the pace of the {_plural(len(pace.days), 'day')} synced so far")
    spread = f" ± {group_thousands(pace.spread, 0)}" if pace.spread else ""
    return f"{window} (about {group_thousands(pace.per_day, 0)}{spread} credits a day),"


def _range_text(early: int | None, late: int | None, middle: int, tz: tzinfo) -> str:
    """ " (likely 7–11 Dec)" from the band's fast and slow edges, when it says anything."""
    if early is None or early == middle:
        return ""
    if late is None:
        return f" (from {day_text(early, tz)} if spend picks up)"
    first, last = datetime.fromtimestamp(early, tz), datetime.fromtimestamp(late, tz)
    if first.date() == last.date():
        return ""
    if (first.year, first.month) == (last.year, last.month):
        return f" (likely {first.day}–{day_text(late, tz)})"
    return f" (likely {day_text(early, tz)} – {day_text(late, tz)})"


def _before_renewal(moment: int, renewal: int, tz: tzinfo) -> str:
    days = days_between(moment, renewal, tz)
    return "on the day of renewal" if days == 0 else f"{_plural(days, 'day')} before renewal"


def _plan_text(result: Forecast, tz: tzinfo) -> str:
    now = result.outlooks[0]
    if now.wallet.plan <= 0:
        return f"plan credits are used up until renewal on {day_text(now.end, tz)}"
    if now.plan_out is None:
        return (f"plan credits last until renewal on {day_text(now.end, tz)}, "
                f"with about {group_thousands(now.plan_left, 0)} left to expire")
    spread = _range_text(result.faster[0].plan_out, result.slower[0].plan_out, now.plan_out, tz)
    return (f"plan credits run out on {day_text(now.plan_out, tz)}{spread}, "
            f"{_before_renewal(now.plan_out, now.end, tz)} on {day_text(now.end, tz)}")


def _gap_text(result: Forecast, tz: tzinfo) -> str:
    """After the plan credits: how long the top-up pool lasts, what auto-recharge adds, and what then."""
    now, rule = result.outlooks[0], result.rule
    count, away = len(now.recharges), now.turned_away
    held = f"the {credits_text(now.wallet.topup)} top-up credits" if now.wallet.topup > 0 else ""
    if away is None and not count:
        return f"{_capital(held)} would cover the gap."
    if count:
        cost = rule.cost(count)
        lead = f"{held} last until {day_text(now.topup_out, tz)}; then " if held and now.topup_out else ""
        recharges = _plural(count, "auto-recharge") + (f" ({cost})" if cost else "")
        if away is None:
            return _capital(f"{lead}{recharges} would cover the gap.")
        return _capital(f"{lead}{recharges} would reach the monthly cap of {rule.cap}, and visitors would be "
                        f"turned away from {_away_text(result, tz)}.")
    why = _why_no_more(rule)
    if held:
        return (f"{_capital(held)} last until {day_text(away, tz)}{_away_range(result, tz)}; {why}, so visitors "
                f"would be turned away from then, {_before_renewal(away, now.end, tz)}.")
    return f"No top-up credits are left and {why}: visitors would be turned away from {_away_text(result, tz)}."


def _capital(sentence: str) -> str:
    return sentence[:1].upper() + sentence[1:]


def _away_range(result: Forecast, tz: tzinfo) -> str:
    away = result.outlooks[0].turned_away
    return _range_text(result.faster[0].turned_away, result.slower[0].turned_away, away, tz)


def _away_text(result: Forecast, tz: tzinfo) -> str:
    """ "3 Dec (likely 2–4 Dec), 5 days before renewal"."""
    now = result.outlooks[0]
    return f"{day_text(now.turned_away, tz)}{_away_range(result, tz)}, {_before_renewal(now.turned_away, now.end, tz)}"


def _why_no_more(rule: AutoRecharge) -> str:
    if rule.left(0) == 0:
        return "auto-recharge is off"
    return f"auto-recharge has already used all {rule.cap} recharges this month"


def _empty_now(result: Forecast, tz: tzinfo) -> str:
    now = result.outlooks[0]
    why = _why_no_more(result.rule)
    return (f"No credits are left and {why}: visitors are being turned away until renewal on "
            f"{day_text(now.end, tz)}.")


def _next_period(result: Forecast, tz: tzinfo) -> list[str]:
    """The period after the renewal, with a full allowance."""
    if len(result.outlooks) < 2 or result.pace.per_day == 0:
        return []
    after = result.outlooks[1]
    allowance = whole_credits(result.allowance)
    if after.plan_out is None:
        return [f"After renewal, the {allowance} plan credits would last the whole next period "
                f"(to {day_text(after.end, tz)})."]
    tail = ""
    if after.turned_away is not None:
        tail = f"; visitors would be turned away from {day_text(after.turned_away, tz)}"
    elif after.recharges:
        cost = result.rule.cost(len(after.recharges))
        tail = f"; {_plural(len(after.recharges), 'auto-recharge')}" + (f" ({cost})" if cost else "") + " would follow"
    return [f"After renewal, the {allowance} plan credits would last until {day_text(after.plan_out, tz)}, "
            f"{_before_renewal(after.plan_out, after.end, tz)} on {day_text(after.end, tz)}{tail}."]


def _capped_text(pace: Pace, tz: tzinfo) -> str:
    spikes = "; ".join(f"{group_thousands(spent, 0)} credits in the 24 hours to {moment_text(end, tz)}"
                       for end, spent in pace.capped)
    return f"Unusual spend counts as {SPIKE_FACTOR}× a typical day, so one spike does not set the pace ({spikes})."
