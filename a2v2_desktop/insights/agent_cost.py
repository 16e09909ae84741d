"""The Cost tab: one agent's credits over time by activity and by model, what a conversation
and an answered message cost, its share of the organization's spend, and the runaway flag.

"Credits per conversation" and "per answered message" use the credits the platform
reports on each conversation started in the range (visitors' traffic only:
documents and team members' test chats are not conversations). An answered
message is an agent reply not flagged unanswered.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from fractions import Fraction

from sqlalchemy import Connection

from a2v2_desktop.cache import analytics_queries as aq
from a2v2_desktop.cache import queries
from a2v2_desktop.domain.credits import SCALE
from a2v2_desktop.insights.analytics_base import CREDITS, PERCENT, Bucketing, Kpi, Scope, ratio
from a2v2_desktop.insights.runaway import RunawayAgent, find_runaways
from a2v2_desktop.insights.usage import ACTIVITIES

OTHER_ACTIVITIES = "Other activities"  # usage lines without a model: documents, voice, tools


@dataclass(frozen=True)
class TopupRate:
    """What credits cost when bought: the latest snapshot's auto-recharge price, or the documented rate."""

    amount: int  # minor units
    currency: str
    credits: int  # ten-thousandths
    from_billing: bool

    def value(self, credits: int) -> Fraction:
        """Credits (ten-thousandths) in minor units of the rate's currency, exactly."""
        return Fraction(credits * self.amount, self.credits)


DOCUMENTED_RATE = TopupRate(2000, "usd", 1000 * SCALE, False)  # $20.00 per 1,000 credits


def topup_rate(connection: Connection) -> TopupRate:
    price = aq.latest_topup_price(connection)
    if price is None:
        return DOCUMENTED_RATE
    return TopupRate(price.amount, price.currency, price.credits, True)


@dataclass(frozen=True)
class AgentCost:
    kpis: tuple[Kpi, ...]
    credits: tuple[int, ...]  # per bucket
    by_activity: dict[str, tuple[int, ...]]
    by_model: dict[str, tuple[int, ...]]  # most credits first
    runaway: RunawayAgent | None
    rate: TopupRate


def cost_kpis(connection: Connection, agent_id: str, bounds: tuple[int, int]) -> dict[str, int | Fraction | None]:
    credits, _quantity = queries.spend_total(connection, *bounds, [agent_id])
    organization, _ = queries.spend_total(connection, *bounds)
    per = aq.conversation_credits(connection, agent_id, *bounds)
    return {
        "Credits used": credits,
        "Share of organization's spend": ratio(credits, organization),
        "Credits per conversation": ratio(per.credits, per.conversations),
        "Credits per answered message": ratio(per.credits, per.answered_messages),
    }


DEFINITIONS = {
    "Credits used": "Everything the agent spent in the range: messages, documents, voice and tools.",
    "Share of organization's spend": "The agent's credits over all agents' credits in the range.",
    "Credits per conversation": "Credits of the conversations started in the range, per conversation.",
    "Credits per answered message": "Credits of those conversations per agent reply not flagged unanswered.",
}


def build_cost(connection: Connection, scope: Scope, agent_id: str, bucketing: Bucketing) -> AgentCost:
    now = cost_kpis(connection, agent_id, scope.bounds())
    before = cost_kpis(connection, agent_id, scope.previous_bounds)
    kpis = tuple(Kpi(title, value, before[title], PERCENT if title.startswith("Share") else CREDITS,
                     DEFINITIONS[title], lower_is_better=True)
                 for title, value in now.items())
    by_activity = {activity: bucketing.zeros() for activity in ACTIVITIES}
    by_model: dict[str, list[int]] = defaultdict(bucketing.zeros)
    for hour, activity, model, credits, _quantity in aq.agent_spend_by_hour(connection, agent_id, *scope.bounds()):
        position = bucketing.position(hour)
        by_activity[activity if activity in by_activity else "other"][position] += credits
        by_model[model or OTHER_ACTIVITIES][position] += credits
    runaway = next((r for r in find_runaways(connection, scope.now) if r.agent_id == agent_id), None)
    return AgentCost(
        kpis=kpis,
        credits=tuple(sum(values) for values in zip(*by_activity.values())),
        by_activity={activity: tuple(values) for activity, values in by_activity.items()},
        by_model={model: tuple(values) for model, values in sorted(by_model.items(), key=lambda kv: -sum(kv[1]))},
        runaway=runaway,
        rate=topup_rate(connection),
    )
