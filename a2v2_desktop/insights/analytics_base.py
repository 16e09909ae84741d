"""What every Agent Analytics tab shares: the resolved range, its buckets and KPI figures.

Figures are exact (ints, or Fractions for averages and shares) and become text
only through `kpi_text` / `kpi_change_text`, rounded half-even once.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

from a2v2_desktop.insights import ranges, text
from a2v2_desktop.insights.ranges import DateRange

COUNT, AVERAGE, SECONDS, PERCENT, CREDITS = "count", "average", "seconds", "percent", "credits"
Number = int | Fraction


@dataclass(frozen=True)
class Scope:
    """A request resolved against the zone: the range, the period it is compared with, and now."""

    tz: ZoneInfo
    span: DateRange
    previous: DateRange  # the same number of elapsed days just before
    now: int

    def bounds(self, which: DateRange | None = None) -> tuple[int, int]:
        return (which or self.span).bounds(self.tz)

    @property
    def previous_bounds(self) -> tuple[int, int]:
        return self.previous.bounds(self.tz)


class Bucketing:
    """Days, weeks or months of a range as [start, end) instants; finds an instant's bucket exactly."""

    def __init__(self, span: DateRange, granularity: str, week_start: int, tz: ZoneInfo):
        self.ranges = tuple(ranges.buckets(span, granularity, week_start))
        self.edges = [bucket.bounds(tz)[0] for bucket in self.ranges] + [span.bounds(tz)[1]]

    def __len__(self) -> int:
        return len(self.ranges)

    def position(self, moment: int) -> int | None:
        """The bucket holding the instant, None outside the range."""
        if not self.edges[0] <= moment < self.edges[-1]:
            return None
        return bisect_right(self.edges, moment) - 1

    def zeros(self) -> list[int]:
        return [0] * len(self.ranges)

    def span_positions(self, first: int, last: int) -> range:
        """The buckets an activity from `first` to `last` (inclusive) touches."""
        low = max(0, bisect_right(self.edges, first) - 1)
        high = min(len(self.ranges) - 1, bisect_right(self.edges, last) - 1)
        return range(low, high + 1)


def aligned(values: Sequence, length: int, filler=0) -> tuple:
    """The previous period's buckets matched by position (months and cut weeks may differ in count)."""
    return tuple(values[:length]) + (filler,) * max(0, length - len(values))


def ratio(numerator: int, denominator: int) -> Fraction | None:
    """An exact average or share; None when there is nothing to divide by."""
    return Fraction(numerator, denominator) if denominator else None


@dataclass(frozen=True)
class Kpi:
    """One card: exact values now and in the previous period (None: undefined, e.g. no conversations)."""

    title: str
    current: Number | None
    previous: Number | None
    unit: str = COUNT
    definition: str = ""
    lower_is_better: bool = False


def local_time_text(moment: int, tz: ZoneInfo) -> str:
    """"2026-11-20 14:02" in the report zone: tables and CSV."""
    return datetime.fromtimestamp(moment, tz).strftime("%Y-%m-%d %H:%M")


def decimal_text(value: Fraction | int, places: int) -> str:
    exact = Decimal(value.numerator) / Decimal(value.denominator) if isinstance(value, Fraction) else Decimal(value)
    return f"{exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN):,.{places}f}"


def value_text(value: Number | None, unit: str) -> str:
    """A figure as the cards show it; "—" when it is undefined."""
    if value is None:
        return "—"
    if unit == COUNT:
        return f"{value:,}"
    if unit == PERCENT:
        return text.percent(Fraction(value))
    if unit == SECONDS:
        return f"{decimal_text(value, 1)} s"
    if unit == CREDITS:
        return text.credits_text(round(value))
    return decimal_text(value, 2)


def kpi_text(kpi: Kpi) -> str:
    return value_text(kpi.current, kpi.unit)


def kpi_change_text(kpi: Kpi) -> str:
    """The change against the previous period: relative, or in points for shares."""
    current, previous = kpi.current, kpi.previous
    if current is None or previous is None:
        return "—"
    if kpi.unit == PERCENT:
        points = (Fraction(current) - Fraction(previous)) * 100
        sign = "+" if points > 0 else text.MINUS if points < 0 else ""
        return f"{sign}{decimal_text(abs(points), 1)} pts"
    return text.change_text(current, previous)


def kpi_trend(kpi: Kpi) -> int:
    """+1 better, -1 worse, 0 same or unknown: picks the note's colour."""
    if kpi.current is None or kpi.previous is None or kpi.current == kpi.previous:
        return 0
    better = kpi.current > kpi.previous
    return -1 if better == kpi.lower_is_better else 1
