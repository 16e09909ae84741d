"""Budgets, alert rules, fired alerts and what the last check saw: rows we own, one set per cache.

Each organization has its own cache, so each keeps its own budgets and alert history.
These are the only writes outside the sync engine; they run after a sync has finished,
in their own short transactions. Rows cross threads as frozen dataclasses.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, and_, delete, func, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from a2v2_desktop.cache import rollups
from a2v2_desktop.cache.models import (
    AlertRow,
    AlertRule,
    Budget,
    ConversationRow,
    CreditTransactionRow,
    SeenCount,
    SeenHour,
    SubscriptionRow,
    SyncRun,
    TransactionRow,
)

ORG_BUDGET = "*"  # the budget row of the whole organization; agent budgets use the agent id


@dataclass(frozen=True)
class RuleSetting:
    rule: str
    enabled: bool
    threshold: int | None


@dataclass(frozen=True)
class Alert:
    """One alert as fired: `key` names the rule, subject and occurrence, so it fires once."""

    key: str
    rule: str
    title: str
    detail: str
    panel: str
    fired_at: int = 0
    cleared_at: int | None = None
    id: int | None = None


def _upsert(connection: Connection, table, rows: list[dict], key: str) -> None:
    """Insert or replace rows by their primary key, in one statement."""
    if not rows:
        return
    statement = sqlite_insert(table)
    connection.execute(statement.on_conflict_do_update(
        index_elements=[key], set_={name: statement.excluded[name] for name in rows[0] if name != key}), rows)


# ---- budgets and rules -----------------------------------------------------------------------

def budgets(connection: Connection) -> dict[str, int]:
    """subject -> credits (ten-thousandths)."""
    return {subject: int(credits) for subject, credits in connection.execute(select(Budget.subject, Budget.credits))}


def save_budget(connection: Connection, subject: str, credits: int | None) -> None:
    """Set a budget; None (or 0) removes it."""
    if not credits:
        connection.execute(delete(Budget).where(Budget.subject == subject))
    else:
        _upsert(connection, Budget.__table__, [{"subject": subject, "credits": credits}], "subject")


def rule_settings(connection: Connection) -> dict[str, RuleSetting]:
    rows = connection.execute(select(AlertRule.rule, AlertRule.enabled, AlertRule.threshold))
    return {rule: RuleSetting(rule, bool(enabled), threshold) for rule, enabled, threshold in rows}


def save_rule_setting(connection: Connection, setting: RuleSetting) -> None:
    _upsert(connection, AlertRule.__table__,
            [{"rule": setting.rule, "enabled": setting.enabled, "threshold": setting.threshold}], "rule")


def save_rule_threshold(connection: Connection, rule: str, threshold: int) -> None:
    """Change a rule's threshold and keep whether it is on (a rule never saved is on)."""
    saved = rule_settings(connection).get(rule)
    save_rule_setting(connection, RuleSetting(rule, saved.enabled if saved else True, threshold))


# ---- fired alerts ------------------------------------------------------------------------------

_ALERT_COLUMNS = (AlertRow.key, AlertRow.rule, AlertRow.title, AlertRow.detail, AlertRow.panel, AlertRow.fired_at,
                  AlertRow.cleared_at, AlertRow.id)


def open_alert_keys(connection: Connection) -> set[str]:
    """Keys that fired and whose condition has not cleared since: they must not fire again."""
    return set(connection.execute(select(AlertRow.key).where(AlertRow.cleared_at.is_(None))).scalars())


def record_alerts(connection: Connection, alerts: Iterable[Alert], now: int) -> list[Alert]:
    """Store new alerts as fired now; returns them with their ids."""
    stored = []
    for alert in alerts:
        row_id = connection.execute(AlertRow.__table__.insert().values(
            key=alert.key, rule=alert.rule, title=alert.title, detail=alert.detail, panel=alert.panel,
            fired_at=now)).inserted_primary_key[0]
        stored.append(Alert(alert.key, alert.rule, alert.title, alert.detail, alert.panel, now, None, row_id))
    return stored


def clear_alerts(connection: Connection, keys: Iterable[str], now: int) -> None:
    """Re-arm keys whose condition no longer holds."""
    keys = list(keys)
    if keys:
        connection.execute(update(AlertRow).where(AlertRow.key.in_(keys), AlertRow.cleared_at.is_(None))
                           .values(cleared_at=now))


def recent_alerts(connection: Connection, limit: int = 200) -> list[Alert]:
    """The newest alerts first."""
    rows = connection.execute(select(*_ALERT_COLUMNS).order_by(AlertRow.fired_at.desc(), AlertRow.id.desc())
                              .limit(limit))
    return [Alert(*row) for row in rows]


# ---- what the last check saw --------------------------------------------------------------------

def hourly_credits(connection: Connection) -> dict[int, int]:
    """Usage credits per UTC hour over all history, from the smallest hourly rollup, not the lines."""
    return {hour: credits for hour, credits, _quantity in rollups.hourly_by(connection, (), *rollups.ALL_TIME)}


def seen_hours(connection: Connection) -> dict[int, int]:
    return {int(hour): int(credits) for hour, credits in connection.execute(select(SeenHour.hour, SeenHour.credits))}


def save_seen_hours(connection: Connection, hours: dict[int, int]) -> None:
    _upsert(connection, SeenHour.__table__, [{"hour": h, "credits": c} for h, c in hours.items()], "hour")


def seen_counts(connection: Connection) -> dict[str, int]:
    return {name: int(value) for name, value in connection.execute(select(SeenCount.name, SeenCount.value))}


def save_seen_counts(connection: Connection, counts: dict[str, int]) -> None:
    _upsert(connection, SeenCount.__table__, [{"name": n, "value": v} for n, v in counts.items()], "name")


def record_counts(connection: Connection) -> dict[str, int]:
    """Rows held per feed whose newcomers the summary counts (rows are never deleted), and the
    highest seq of the payment feeds, above which a row arrived after the check that stored it."""
    counts = {name: int(connection.execute(select(func.count()).select_from(model)).scalar_one())
              for name, model in (("conversations", ConversationRow), ("subscriptions", SubscriptionRow))}
    for name, model in (("transactions_seq", TransactionRow), ("credit_transactions_seq", CreditTransactionRow)):
        counts[name] = int(connection.execute(select(func.coalesce(func.max(model.seq), 0))).scalar_one())
    return counts


@dataclass(frozen=True)
class Payments:
    """Payments of one kind that arrived after a seq, per currency."""

    count: int
    amounts: tuple[tuple[str, int], ...]  # (currency, minor units)


def _payments(connection: Connection, amount, currency, condition) -> Payments:
    rows = connection.execute(select(currency, func.count(), func.sum(amount)).where(condition)
                              .group_by(currency).order_by(currency)).all()
    return Payments(sum(int(n) for _c, n, _a in rows), tuple((c or "", int(a)) for c, _n, a in rows))


def payments_received(connection: Connection, after_seq: int) -> Payments:
    """Paid-access charges that succeeded, arrived after `after_seq`."""
    t = TransactionRow
    return _payments(connection, t.amount, t.currency,
                     and_(t.seq > after_seq, t.kind == "charge", t.status == "succeeded"))


def credits_bought(connection: Connection, after_seq: int) -> Payments:
    """Top-ups and auto-recharges the organization paid for, arrived after `after_seq`."""
    c = CreditTransactionRow
    return _payments(connection, c.paid_amount, c.paid_currency, and_(c.seq > after_seq, c.paid_amount.is_not(None)))


def failed_runs_in_a_row(connection: Connection) -> tuple[int, str | None]:
    """How many of the latest finished sync runs failed one after the other, and the last error."""
    rows = connection.execute(select(SyncRun.status, SyncRun.error).where(SyncRun.status != "running")
                              .order_by(SyncRun.id.desc()).limit(50)).all()
    count = 0
    for status, _error in rows:
        if status != "failed":
            break
        count += 1
    return count, rows[0][1] if count else None
