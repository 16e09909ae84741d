"""The words and figures people read: changes, shares, trends and where the data stands.

Qt-free so the status line and the tables' wording are tested with plain pytest.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction

from a2v2_desktop.domain.credits import SCALE, group_thousands

SPARKS = "▁▂▃▄▅▆▇█"
MINUS = "\u2212"
CLOCK_SLACK = 60  # seconds a moment may lie ahead of the clock and still be "just now"
STAGE_NAMES = {"unanswered_questions": "unanswered questions", "credit_transactions": "credit transactions"}


def credits_text(units: int) -> str:
    """Credits as shown everywhere in the app: grouped, two decimals."""
    return group_thousands(units, 2)


def exact_credits_text(units: int) -> str:
    """Credits to the last digit, grouped, at least two decimals: "11,914.625". Paper and statements
    use it so their totals equal the JSON report's exactly (the panel's two decimals are this, rounded)."""
    whole, fraction = divmod(abs(units), SCALE)
    digits = f"{fraction:04d}".rstrip("0").ljust(2, "0")
    return f"{'-' if units < 0 else ''}{whole:,}.{digits}"


def percent(value: Fraction, decimals: int = 1) -> str:
    """A fraction as a percentage rounded half-even, e.g. Fraction(1, 8) -> "12.5%"."""
    scaled = Decimal(value.numerator * 100) / Decimal(value.denominator)
    return f"{scaled.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_EVEN)}%"


def change(current: int, previous: int) -> Fraction | None:
    """Relative change; None when there is nothing to compare with."""
    return Fraction(current - previous, previous) if previous > 0 else None


def change_text(current: int, previous: int) -> str:
    """"+12.5%", "−4.0%", "new" (nothing before) or "—" (nothing either time)."""
    ratio = change(current, previous)
    if ratio is None:
        return "new" if current > 0 else "—"
    text = percent(abs(ratio))
    if text == "0.0%":
        return "0.0%"
    return ("+" if ratio > 0 else MINUS) + text


def share_text(part: int, total: int) -> str:
    return percent(Fraction(part, total)) if total > 0 else "—"


def sparkline(values: tuple[int, ...] | list[int]) -> str:
    """A small trend as block characters, scaled to the largest value (negatives count as 0)."""
    if not values:
        return ""
    top = max(max(values), 0)
    if top == 0:
        return SPARKS[0] * len(values)
    return "".join(SPARKS[max(value, 0) * (len(SPARKS) - 1) // top] for value in values)


def moment_text(epoch: int, tz: tzinfo | None = None) -> str:
    """"24 Nov 2026, 14:02" in the given zone (the computer's own by default)."""
    moment = datetime.fromtimestamp(epoch, tz) if tz else datetime.fromtimestamp(epoch).astimezone()
    return f"{moment.day} {moment:%b %Y, %H:%M}"


def ago_text(then: int, now: int) -> str:
    """"just now", "3 minutes ago", "2 hours ago", "5 days ago"."""
    seconds = max(0, now - then)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''} ago"
    return "just now"


def synced_text(last_ok: int | None, now: int) -> str:
    """"Synced 3 minutes ago"; a sync stamped later than the clock now reads (the clock was put back,
    or was ahead then) is named by its moment, since "just now" would hide how old it may be."""
    if last_ok is None:
        return "Not synced yet"
    if last_ok > now + CLOCK_SLACK:
        return f"Synced {moment_text(last_ok)} (ahead of this computer's clock)"
    return f"Synced {ago_text(last_ok, now)}"


def progress_text(stage: str, stage_records: int) -> str:
    """"Syncing usage… 41,000 records"; lists and billing have no count worth showing."""
    name = STAGE_NAMES.get(stage, stage)
    if stage_records:
        return f"Syncing {name}… {stage_records:,} records"
    return f"Syncing {name}…"


def waiting_text(reason: str, seconds_left: float) -> str:
    """"Rate limited — resuming in 40 s"."""
    return f"{reason} — resuming in {max(0, round(seconds_left))} s"


def cached_text(last_ok: int | None, tz: tzinfo | None = None) -> str:
    if last_ok is None:
        return "no data cached yet"
    return f"showing data cached on {moment_text(last_ok, tz)}"


def failure_text(kind: str, message: str, last_ok: int | None, tz: tzinfo | None = None) -> str:
    """The status line after a failed sync: what failed, and that the cached figures remain."""
    cached = cached_text(last_ok, tz)
    if kind == "offline":
        return f"Offline — {cached}"
    return f"Sync failed — {cached}. {message}"
