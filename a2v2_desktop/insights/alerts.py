"""Alert rules checked after every sync: budgets, runaways, balance, Auto-Recharge, answers, sync.

The facts are read from the cache once (`gather`), each rule is a pure function from
facts and its setting to the conditions holding now, and `reconcile` turns those into
alerts: a condition fires once, under a key naming the rule, its subject and the
occurrence (e.g. the billing period), and re-arms when it no longer holds. Figures and
wording come from the panels' own code (runaway scan, billing warnings, forecast,
answer quality) so an alert never disagrees with the panel it links to.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction

from sqlalchemy import Connection, Engine

from a2v2_desktop.cache import analytics_queries as aq
from a2v2_desktop.cache import queries, watch_store
from a2v2_desktop.cache.analytics_queries import ConversationTotals
from a2v2_desktop.cache.billing_queries import Snapshot
from a2v2_desktop.cache.watch_store import ORG_BUDGET, Alert, RuleSetting
from a2v2_desktop.domain.times import zone
from a2v2_desktop.insights import billing
from a2v2_desktop.insights import forecast as fc
from a2v2_desktop.insights.analytics_base import ratio
from a2v2_desktop.insights.runaway import MIN_EXCESS, RunawayAgent, find_runaways
from a2v2_desktop.insights.text import credits_text, percent

DAY = 86400
BUDGET, RUNAWAY, LOW_BALANCE, LOW_RUNWAY = "budget", "runaway", "low_balance", "low_runway"
RUNS_OUT, CAP, RECHARGE_OFF, UNANSWERED, SYNC_FAILING = "runs_out", "cap", "recharge_off", "unanswered", "sync_failing"
BUDGET_LEVELS = (50, 80, 100)
UNANSWERED_DAYS = 7
MIN_REPLIES = 30  # fewer agent replies in either week: a jump means nothing
USAGE, BILLING_PANEL, ANALYTICS, ALERTS = "usage", "billing", "analytics", "alerts"

# Units of a rule's threshold, as the editor shows them.
PERCENT_UNIT, CREDITS_UNIT, DAYS_UNIT, POINTS_UNIT, TIMES_UNIT = "%", "credits", "days", "points", "in a row"


@dataclass(frozen=True)
class RuleSpec:
    """What a rule watches, its default threshold (None: on or off only) and the panel that shows it."""

    rule: str
    name: str
    description: str
    default_threshold: int | None
    unit: str = ""
    panel: str = BILLING_PANEL


RULES = (
    RuleSpec(BUDGET, "Budget reached", "Spend this billing period reaches 50, 80 or 100 % of a budget, "
             "from the level set here.", 50, PERCENT_UNIT, USAGE),
    RuleSpec(RUNAWAY, "Runaway agent", "An agent spends far above its normal in 24 hours, as flagged on "
             "Usage, by at least this many credits.", MIN_EXCESS, CREDITS_UNIT, USAGE),
    RuleSpec(LOW_BALANCE, "Low balance", "Message Credits and Top-up Credits together fall below this.",
             billing.DEFAULT_LOW_BALANCE, CREDITS_UNIT),
    RuleSpec(LOW_RUNWAY, "Few days of credits left", "At the recent pace, credits run out within this many "
             "days.", 7, DAYS_UNIT),
    RuleSpec(RUNS_OUT, "Credits run out before renewal", "The forecast says credits run out before the "
             "period renews while Auto-Recharge is off.", None),
    RuleSpec(CAP, "Auto-Recharge cap", "Auto-Recharge reaches its monthly cap, or will at this pace "
             "before renewal.", None),
    RuleSpec(RECHARGE_OFF, "Auto-Recharge turned off", "Auto-Recharge was on and is off now.", None),
    RuleSpec(UNANSWERED, "Unanswered replies jump", "An agent's share of unanswered replies over the last "
             "7 days rises by at least this many points over the 7 days before.", 10, POINTS_UNIT, ANALYTICS),
    RuleSpec(SYNC_FAILING, "Sync keeps failing", "This many syncs in a row failed.", 3, TIMES_UNIT, ALERTS),
)
SPECS = {spec.rule: spec for spec in RULES}


def effective_settings(saved: dict[str, RuleSetting]) -> dict[str, RuleSetting]:
    """Every rule's setting: the saved one, or on with its default threshold."""
    return {spec.rule: saved.get(spec.rule, RuleSetting(spec.rule, True, spec.default_threshold)) for spec in RULES}


def low_balance_threshold(connection: Connection) -> int:
    """The low-balance rule's threshold, the one figure the Billing panel warns at too (per organization)."""
    return effective_settings(watch_store.rule_settings(connection))[LOW_BALANCE].threshold or 0


# ---- the facts ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Facts:
    """What the rules look at, read once after a sync; hand-built in tests."""

    now: int
    timezone: str = "UTC"
    period: tuple[int, int] | None = None  # the billing period of the latest snapshot
    org_spend: int = 0  # credits spent this period
    agent_spend: dict[str, int] = field(default_factory=dict)
    agent_names: dict[str, str] = field(default_factory=dict)
    budgets: dict[str, int] = field(default_factory=dict)
    runaways: tuple[RunawayAgent, ...] = ()
    snapshot: Snapshot | None = None
    warnings: tuple[billing.BillingWarning, ...] = ()  # the Billing panel's, at the low-balance rule's threshold
    runway_days: int | None = None  # days until no credit is left and no recharge can come
    unanswered: dict[str, tuple[ConversationTotals, ConversationTotals]] = field(default_factory=dict)
    failed_runs: int = 0
    last_error: str | None = None

    def name(self, agent_id: str) -> str:
        return self.agent_names.get(agent_id, f"Unknown agent {agent_id}")


def gather(connection: Connection, now: int, settings: dict[str, RuleSetting]) -> Facts:
    """Everything the rules need from the cache, in one connection."""
    org = queries.organization(connection)
    tz_name = org.timezone if org else "UTC"
    view = billing.read_billing_view(connection, billing.BillingRequest(
        now, low_balance=settings[LOW_BALANCE].threshold or 0))
    snapshot = view.data.snapshot
    period = (snapshot.period_start, snapshot.period_end) if snapshot else None
    spend = queries.spend_by_agent(connection, *period) if period else []
    failed, error = watch_store.failed_runs_in_a_row(connection)
    return Facts(
        now=now, timezone=tz_name, period=period, org_spend=sum(row.credits for row in spend),
        agent_spend={row.key: row.credits for row in spend},
        agent_names={agent.id: agent.name for agent in aq.agents(connection)} | {r.key: r.name for r in spend},
        budgets=watch_store.budgets(connection), runaways=tuple(find_runaways(connection, now)),
        snapshot=snapshot, warnings=view.warnings, runway_days=runway_days(view.forecast, tz_name),
        unanswered=_unanswered_weeks(connection, now), failed_runs=failed, last_error=error,
    )


def runway_days(result: fc.Forecast | None, tz_name: str) -> int | None:
    """Calendar days from the forecast's start until visitors would be turned away; None: not in sight."""
    if result is None:
        return None
    away = next((o.turned_away for o in result.outlooks if o.turned_away is not None), None)
    return None if away is None else fc.days_between(result.start, away, zone(tz_name))


def _unanswered_weeks(connection: Connection, now: int) -> dict[str, tuple[ConversationTotals, ConversationTotals]]:
    """Per live agent: totals of conversations started in the last 7 days and in the 7 before."""
    span = UNANSWERED_DAYS * DAY
    return {agent.id: (aq.new_conversation_totals(connection, agent.id, now - span, now),
                       aq.new_conversation_totals(connection, agent.id, now - 2 * span, now - span))
            for agent in aq.agents(connection) if agent.status != "deleted"}


# ---- the rules -----------------------------------------------------------------------------------

def _alert(rule: str, key: str, title: str, detail: str) -> Alert:
    return Alert(key, rule, title, detail, SPECS[rule].panel)


def budget_alerts(facts: Facts, threshold: int) -> list[Alert]:
    """The highest budget level reached this period, from `threshold` % up, per budget."""
    if facts.period is None:
        return []
    found = []
    for subject, budget in sorted(facts.budgets.items()):
        spent = facts.org_spend if subject == ORG_BUDGET else facts.agent_spend.get(subject, 0)
        reached = [level for level in BUDGET_LEVELS if level >= threshold and spent * 100 >= level * budget]
        if budget > 0 and reached:
            found.append(_budget_alert(facts, subject, spent, budget, reached[-1]))
    return found


def _budget_alert(facts: Facts, subject: str, spent: int, budget: int, level: int) -> Alert:
    who = "the organization" if subject == ORG_BUDGET else facts.name(subject)
    detail = (f"{credits_text(spent)} of the {credits_text(budget)} credits budgeted for {who} were spent this "
              f"billing period ({percent(Fraction(spent, budget), 0)}).")
    return _alert(BUDGET, f"{BUDGET}:{subject}:{facts.period[0]}:{level}", f"Budget {level}% reached: {who}", detail)


def runaway_alerts(facts: Facts, threshold: int) -> list[Alert]:
    """Agents flagged on Usage whose excess over normal is at least `threshold` credits."""
    found = []
    for agent in facts.runaways:
        if agent.excess >= threshold:
            times = f", {round(agent.ratio):,}× normal" if agent.ratio is not None else ""
            detail = (f"{credits_text(agent.spent)} credits in 24 hours against a normal "
                      f"{credits_text(agent.normal)}{times}.")
            found.append(_alert(RUNAWAY, f"{RUNAWAY}:{agent.agent_id}", f"Runaway agent: {agent.name}", detail))
    return found


def _warning_alert(facts: Facts, rule: str, kind: str, title: str, occurrence: str = "") -> list[Alert]:
    """A Billing panel warning as an alert, with the panel's own sentence."""
    key = f"{rule}:{occurrence}" if occurrence else rule
    return [_alert(rule, key, title, warning.text) for warning in facts.warnings if warning.kind == kind]


def low_balance_alerts(facts: Facts, _threshold: int) -> list[Alert]:
    """The threshold went into the billing warnings `gather` read."""
    return _warning_alert(facts, LOW_BALANCE, billing.LOW_BALANCE, "Low balance")


def low_runway_alerts(facts: Facts, threshold: int) -> list[Alert]:
    days = facts.runway_days
    if days is None or days > threshold:
        return []
    when = "today" if days <= 0 else f"in {days} day{'s' if days != 1 else ''}"
    return [_alert(LOW_RUNWAY, LOW_RUNWAY, "Few days of credits left",
                   f"At the recent pace no credit is left and no recharge can come {when}.")]


def runs_out_alerts(facts: Facts, _threshold: int | None) -> list[Alert]:
    period = facts.period[1] if facts.period else ""
    return _warning_alert(facts, RUNS_OUT, billing.RUNS_OUT, "Credits run out before renewal", str(period))


def cap_alerts(facts: Facts, _threshold: int | None) -> list[Alert]:
    """Reached and about to be reached are two occurrences: reaching it after the warning fires again."""
    snapshot = facts.snapshot
    if snapshot is None:
        return []
    rule = fc.AutoRecharge.from_snapshot(snapshot)
    reached = rule.cap is not None and rule.used >= rule.cap
    state = "reached" if reached else "soon"
    title = "Auto-Recharge cap reached" if reached else "Auto-Recharge cap ahead"
    return _warning_alert(facts, CAP, billing.CAP, title, f"{snapshot.period_start}:{state}")


def recharge_off_alerts(facts: Facts, _threshold: int | None) -> list[Alert]:
    return _warning_alert(facts, RECHARGE_OFF, billing.RECHARGE_OFF, "Auto-Recharge turned off")


def unanswered_alerts(facts: Facts, threshold: int) -> list[Alert]:
    """Agents whose unanswered share rose by `threshold` points or more, week over week."""
    found = []
    for agent_id, (now, before) in sorted(facts.unanswered.items()):
        if min(now.agent_messages, before.agent_messages) < MIN_REPLIES:
            continue
        share, earlier = ratio(now.unanswered, now.agent_messages), ratio(before.unanswered, before.agent_messages)
        if (share - earlier) * 100 >= threshold:
            detail = (f"{percent(share)} of replies in the last {UNANSWERED_DAYS} days were unanswered, against "
                      f"{percent(earlier)} in the {UNANSWERED_DAYS} days before.")
            found.append(_alert(UNANSWERED, f"{UNANSWERED}:{agent_id}",
                                f"Unanswered replies up: {facts.name(agent_id)}", detail))
    return found


def sync_failing_alerts(facts: Facts, threshold: int) -> list[Alert]:
    if facts.failed_runs < max(1, threshold):
        return []
    detail = f"The last {facts.failed_runs} syncs failed" + (f": {facts.last_error}" if facts.last_error else ".")
    return [_alert(SYNC_FAILING, SYNC_FAILING, "Sync keeps failing", detail)]


CHECKS: dict[str, Callable[[Facts, int | None], list[Alert]]] = {
    BUDGET: budget_alerts, RUNAWAY: runaway_alerts, LOW_BALANCE: low_balance_alerts, LOW_RUNWAY: low_runway_alerts,
    RUNS_OUT: runs_out_alerts, CAP: cap_alerts, RECHARGE_OFF: recharge_off_alerts, UNANSWERED: unanswered_alerts,
    SYNC_FAILING: sync_failing_alerts,
}


def conditions(facts: Facts, settings: dict[str, RuleSetting]) -> list[Alert]:
    """Every condition holding now, for the rules that are on."""
    held = []
    for rule, setting in effective_settings(settings).items():
        if setting.enabled:
            held += CHECKS[rule](facts, setting.threshold)
    return held


def reconcile(held: list[Alert], open_keys: set[str]) -> tuple[list[Alert], set[str]]:
    """(alerts to fire: held and not already fired, keys to re-arm: fired and no longer held)."""
    fresh = [alert for alert in held if alert.key not in open_keys]
    return fresh, open_keys - {alert.key for alert in held}


# ---- one check, after a sync ------------------------------------------------------------------------

def check_alerts(engine: Engine, now: int) -> list[Alert]:
    """Evaluate every rule on the cache and record what fired and what cleared; returns the new alerts."""
    with engine.connect() as connection:
        settings = effective_settings(watch_store.rule_settings(connection))
        facts = gather(connection, now, settings)
    with engine.begin() as connection:
        fresh, cleared = reconcile(conditions(facts, settings), watch_store.open_alert_keys(connection))
        watch_store.clear_alerts(connection, cleared, now)
        return watch_store.record_alerts(connection, fresh, now)
