"""Date ranges of local days: the Usage panel's presets, previous periods and chart buckets.

A range is inclusive local dates; it becomes epoch seconds only through
`domain.times.local_day_bounds`, so a DST day has 23 or 25 hours and still counts
as one day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from a2v2_desktop.domain.times import local_date, local_day_bounds

THIS_BILLING_PERIOD = "This billing period"
LAST_BILLING_PERIOD = "Last billing period"
TODAY = "Today"
LAST_7_DAYS = "Last 7 days"
LAST_30_DAYS = "Last 30 days"
LAST_90_DAYS = "Last 90 days"
MONTH_TO_DATE = "Month to date"
LAST_MONTH = "Last month"
CUSTOM = "Custom range"
PRESETS = (THIS_BILLING_PERIOD, LAST_BILLING_PERIOD, TODAY, LAST_7_DAYS, LAST_30_DAYS, LAST_90_DAYS,
           MONTH_TO_DATE, LAST_MONTH, CUSTOM)
BILLING_PRESETS = (THIS_BILLING_PERIOD, LAST_BILLING_PERIOD)

DAY, WEEK, MONTH, AUTO = "day", "week", "month", "auto"
GRANULARITIES = (AUTO, DAY, WEEK, MONTH)


@dataclass(frozen=True)
class DateRange:
    """Inclusive local dates first..last."""

    first: date
    last: date

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise ValueError(f"the range ends ({self.last}) before it starts ({self.first})")

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def bounds(self, tz: ZoneInfo) -> tuple[int, int]:
        return local_day_bounds(self.first, self.last, tz)

    def previous(self) -> DateRange:
        """The same number of days just before: what "Compare to previous period" compares with."""
        return DateRange(self.first - timedelta(days=self.days), self.first - timedelta(days=1))

    def elapsed(self, today: date) -> DateRange:
        """The part up to today: averages and comparisons must not count days still to come."""
        return DateRange(self.first, min(self.last, max(today, self.first)))

    def label(self) -> str:
        if self.first == self.last:
            return _day_text(self.first)
        return f"{_day_text(self.first)} – {_day_text(self.last)}"


def _day_text(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


@dataclass(frozen=True)
class BillingPeriod:
    """The current billing period from the latest snapshot, as UTC instants [start, end)."""

    start: int
    end: int


def shift_months(moment: datetime, months: int) -> datetime:
    """The same day and time `months` later (earlier if negative), clamped to the month's end."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    next_month = date(year + month // 12, month % 12 + 1, 1)
    return moment.replace(year=year, month=month, day=min(moment.day, (next_month - timedelta(days=1)).day))


def previous_billing_period(period: BillingPeriod) -> BillingPeriod:
    """The period before: periods renew on the same day of the month, so step back whole months."""
    start = datetime.fromtimestamp(period.start, timezone.utc)
    months = max(1, round((period.end - period.start) / 86400 / 30.44))
    return BillingPeriod(int(shift_months(start, -months).timestamp()), period.start)


def billing_range(period: BillingPeriod, tz: ZoneInfo) -> DateRange:
    """Local dates from the period's first day up to the day before the next period's first day.

    A day a period renews on belongs to the period that starts on it, so the two
    billing presets never count one day twice.
    """
    first = local_date(period.start, tz)
    return DateRange(first, max(first, local_date(period.end, tz) - timedelta(days=1)))


def preset_range(preset: str, today: date, tz: ZoneInfo, period: BillingPeriod | None) -> DateRange | None:
    """The dates of a preset; None for a billing preset before any billing was synced, and for Custom."""
    if preset in BILLING_PRESETS:
        if period is None:
            return None
        chosen = period if preset == THIS_BILLING_PERIOD else previous_billing_period(period)
        return billing_range(chosen, tz)
    fixed = {
        TODAY: lambda: DateRange(today, today),
        LAST_7_DAYS: lambda: _last_days(today, 7),
        LAST_30_DAYS: lambda: _last_days(today, 30),
        LAST_90_DAYS: lambda: _last_days(today, 90),
        MONTH_TO_DATE: lambda: DateRange(today.replace(day=1), today),
        LAST_MONTH: lambda: _last_month(today),
    }
    return fixed[preset]() if preset in fixed else None


def _last_days(today: date, days: int) -> DateRange:
    return DateRange(today - timedelta(days=days - 1), today)


def _last_month(today: date) -> DateRange:
    end = today.replace(day=1) - timedelta(days=1)
    return DateRange(end.replace(day=1), end)


def auto_granularity(days: int) -> str:
    """About 7 to 60 bars whatever the range."""
    if days <= 60:
        return DAY
    return WEEK if days <= 366 else MONTH


def buckets(span: DateRange, granularity: str, week_start: int = 1) -> list[DateRange]:
    """Consecutive buckets covering the range; the first and last may be cut by its ends.

    `week_start` is the ISO weekday weeks begin on (1 = Monday, 7 = Sunday).
    """
    if granularity == AUTO:
        granularity = auto_granularity(span.days)
    result, first = [], span.first
    while first <= span.last:
        last = min(span.last, _bucket_end(first, granularity, week_start))
        result.append(DateRange(first, last))
        first = last + timedelta(days=1)
    return result


def _bucket_end(first: date, granularity: str, week_start: int) -> date:
    if granularity == DAY:
        return first
    if granularity == WEEK:
        return first + timedelta(days=(week_start - first.isoweekday() - 1) % 7)
    return shift_months(datetime(first.year, first.month, 1), 1).date() - timedelta(days=1)


def split_evenly(span: DateRange, parts: int) -> list[DateRange]:
    """At most `parts` buckets of nearly equal length: the points of a small trend line."""
    parts = max(1, min(parts, span.days))
    edges = [span.first + timedelta(days=span.days * i // parts) for i in range(parts + 1)]
    return [DateRange(edges[i], edges[i + 1] - timedelta(days=1)) for i in range(parts)]
