"""What changed since the last sync: new spend, new conversations, old days revised, payments.

The platform re-sends usage lines (late arrivals, corrections, refunds) for hours long
past, so "new spend" alone would hide that last week's totals moved. Each check keeps
every hour's total (`seen_hours`); an hour that was already over at the previous check
and whose total changed is a revision, reported per local day of the organization.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, Engine

from a2v2_desktop.cache import queries, watch_store
from a2v2_desktop.cache.watch_store import Payments
from a2v2_desktop.domain.times import local_date, zone
from a2v2_desktop.insights.forecast import money_text
from a2v2_desktop.insights.text import MINUS, credits_text, moment_text

HOUR = 3600
CHECKED_AT = "checked_at"


@dataclass(frozen=True)
class RevisedDay:
    day: date
    change: int  # credits, signed: a refund lowers a day's total


@dataclass(frozen=True)
class ChangeSummary:
    since: int | None  # the previous check; None: this was the first
    new_spend: int = 0
    new_conversations: int = 0
    revised_days: tuple[RevisedDay, ...] = ()
    new_subscriptions: int = 0
    received: Payments = Payments(0, ())
    bought: Payments = Payments(0, ())
    timezone: str = "UTC"

    def lines(self) -> list[str]:
        """The summary as sentences people read; untrusted text never enters it."""
        if self.since is None:
            return ["First sync on this computer: everything the platform served is new."]
        lines = [f"Since {moment_text(self.since, zone(self.timezone))}: {credits_text(self.new_spend)} credits "
                 f"of new spend, {_count(self.new_conversations, 'new conversation')}."]
        if self.revised_days:
            net = sum(day.change for day in self.revised_days)
            days = ", ".join(f"{d.day.day} {d.day:%b} ({_signed(d.change)})" for d in self.revised_days[:6])
            more = f" and {len(self.revised_days) - 6} more" if len(self.revised_days) > 6 else ""
            lines.append(f"Late usage lines or refunds revised {_count(len(self.revised_days), 'earlier day')} "
                         f"by {_signed(net)} credits: {days}{more}.")
        if self.new_subscriptions or self.received.count:
            lines.append(f"{_count(self.new_subscriptions, 'subscription')} changed or started; "
                         f"{_count(self.received.count, 'paid-access payment')} received{_amounts(self.received)}.")
        if self.bought.count:
            lines.append(f"{_count(self.bought.count, 'top-up or auto-recharge', 'top-ups or auto-recharges')} "
                         f"paid{_amounts(self.bought)}.")
        return lines


def _count(number: int, word: str, plural: str | None = None) -> str:
    return f"{number:,} {word if number == 1 else plural or word + 's'}"


def _signed(units: int) -> str:
    return ("+" if units > 0 else MINUS if units < 0 else "") + credits_text(abs(units))


def _amounts(payments: Payments) -> str:
    return f" ({', '.join(money_text(amount, currency) for currency, amount in payments.amounts)})" \
        if payments.amounts else ""


def split_changes(current: dict[int, int], seen: dict[int, int], complete_before: int,
                  tz_name: str) -> tuple[int, tuple[RevisedDay, ...]]:
    """(new spend, revised days): hours over at the previous check whose totals moved are revisions."""
    new_spend, revised = 0, defaultdict(int)
    tz = zone(tz_name)
    for hour in current.keys() | seen.keys():
        delta = current.get(hour, 0) - seen.get(hour, 0)
        if not delta:
            continue
        if hour + HOUR <= complete_before:
            revised[local_date(hour, tz)] += delta
        else:
            new_spend += delta
    days = tuple(RevisedDay(day, change) for day, change in sorted(revised.items()) if change)
    return new_spend, days


def summarize(connection: Connection, now: int) -> tuple[ChangeSummary, dict[int, int], dict[str, int]]:
    """The summary against the last check, and the hours (those that moved) and counts to remember."""
    org = queries.organization(connection)
    tz_name = org.timezone if org else "UTC"
    current, counts = watch_store.hourly_credits(connection), watch_store.record_counts(connection)
    seen, seen_hours = watch_store.seen_counts(connection), watch_store.seen_hours(connection)
    moved = {hour: credits for hour, credits in current.items() if seen_hours.get(hour) != credits}
    counts[CHECKED_AT] = now
    if CHECKED_AT not in seen:
        return ChangeSummary(None, timezone=tz_name), moved, counts
    new_spend, revised = split_changes(current, seen_hours, seen[CHECKED_AT], tz_name)
    summary = ChangeSummary(
        seen[CHECKED_AT], new_spend, counts["conversations"] - seen.get("conversations", 0), revised,
        counts["subscriptions"] - seen.get("subscriptions", 0),
        watch_store.payments_received(connection, seen.get("transactions_seq", 0)),
        watch_store.credits_bought(connection, seen.get("credit_transactions_seq", 0)), tz_name)
    return summary, moved, counts


def check_changes(engine: Engine, now: int) -> ChangeSummary:
    """Summarize what the last sync changed and remember where things stand."""
    with engine.begin() as connection:
        summary, moved, counts = summarize(connection, now)
        watch_store.save_seen_hours(connection, moved)
        watch_store.save_seen_counts(connection, counts)
    return summary
