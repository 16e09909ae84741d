"""UTC instants as integer epoch seconds, and local-day arithmetic in IANA zones.

The cache stores instants as epoch seconds (exact, sortable, zone-free); local
dates are computed only at the edges, with zoneinfo, so DST days have 23 or 25
hours and half-hour zones work.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

UTC = timezone.utc


class TimeFormatError(ValueError):
    """A timestamp that is not RFC 3339."""


def parse_rfc3339(text: str) -> int:
    """RFC 3339 ("2026-10-01T12:00:00Z") to epoch seconds."""
    try:
        moment = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        raise TimeFormatError(f"not an RFC 3339 time: {text!r}") from None
    if moment.tzinfo is None:
        raise TimeFormatError(f"time without a zone: {text!r}")
    return int(moment.timestamp())


def format_rfc3339(epoch: int) -> str:
    """Epoch seconds to the API's form, UTC with a Z suffix."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def to_datetime(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def zone(name: str) -> ZoneInfo:
    """An IANA zone, with a ValueError a person can read when the name is unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone: {name!r}") from None


def local_midnight(day: date, tz: ZoneInfo) -> int:
    """Epoch seconds of the first instant of `day` in `tz`."""
    return int(datetime(day.year, day.month, day.day, tzinfo=tz).timestamp())


def local_day_bounds(first: date, last: date, tz: ZoneInfo) -> tuple[int, int]:
    """[start, end) in epoch seconds covering the inclusive local dates first..last."""
    return local_midnight(first, tz), local_midnight(last + timedelta(days=1), tz)


def local_date(epoch: int, tz: ZoneInfo) -> date:
    """The local date on which the instant falls."""
    return datetime.fromtimestamp(epoch, tz).date()


def days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]
