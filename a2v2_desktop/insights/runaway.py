"""Runaway agents: one whose spend over some recent 24 hours is far above its own normal.

The scan looks at every 24-hour window ending on an hour in the last three days (a
runaway that ran overnight is still worth a flag the next afternoon) and compares
the worst one with the agent's average 24 hours over the four weeks before the
scan. Both a ratio and an absolute excess must be met, so a tiny agent going from
0.5 to 3 credits a day is not called a runaway.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from fractions import Fraction
from itertools import accumulate

from sqlalchemy import Connection

from a2v2_desktop.cache import queries, usage_queries
from a2v2_desktop.domain.credits import SCALE

HOUR = 3600
WINDOW_HOURS = 24
SCAN_HOURS = 72
BASELINE_DAYS = 28
MIN_RATIO = 4
MIN_EXCESS = 100 * SCALE  # credits above normal in one window before anyone should worry


@dataclass(frozen=True)
class RunawayAgent:
    agent_id: str
    name: str
    window_end: int  # epoch seconds: the 24 hours up to here were the worst
    spent: int  # credits in that window
    normal: int  # average credits per 24 hours over the baseline

    @property
    def excess(self) -> int:
        return self.spent - self.normal

    @property
    def ratio(self) -> Fraction | None:
        """How many times normal; None when the agent had no spend at all before."""
        return Fraction(self.spent, self.normal) if self.normal > 0 else None


def worst_windows(hourly: list[tuple[int, str, int, int]], first_end: int, last_end: int) -> dict[str, tuple[int, int]]:
    """Per agent, (credits, window end) of the costliest 24-hour window ending in [first_end, last_end].

    One pass over running totals: a window's spend is the total up to its end minus the
    total up to its start, so each agent costs one step per hour scanned, not 24.
    """
    start = first_end - WINDOW_HOURS * HOUR
    slots = (last_end - start) // HOUR
    by_agent: dict[str, list[int]] = defaultdict(lambda: [0] * slots)
    for hour, agent_id, credits, _quantity in hourly:
        spend = by_agent[agent_id]
        if start <= hour < last_end:
            spend[(hour - start) // HOUR] += credits
    worst: dict[str, tuple[int, int]] = {}
    for agent_id, spend in by_agent.items():
        running = list(accumulate(spend, initial=0))
        best = max(range(WINDOW_HOURS, slots + 1),  # the earliest of equal windows
                   key=lambda end: (running[end] - running[end - WINDOW_HOURS], -end))
        worst[agent_id] = (running[best] - running[best - WINDOW_HOURS], start + best * HOUR)
    return worst


def is_runaway(spent: int, normal: int) -> bool:
    """Far above normal by both measures."""
    return spent - normal >= MIN_EXCESS and spent >= MIN_RATIO * normal


def find_runaways(connection: Connection, now: int) -> list[RunawayAgent]:
    """Agents running away now or in the last three days, worst first."""
    last_end = now - now % HOUR + HOUR  # the current, partial hour counts
    first_end = last_end - (SCAN_HOURS - WINDOW_HOURS) * HOUR
    scan_start = first_end - WINDOW_HOURS * HOUR
    baseline_start = scan_start - BASELINE_DAYS * 24 * HOUR
    hourly = usage_queries.spend_by_hour_and_agent(connection, scan_start, last_end)
    baseline = {row.key: row for row in queries.spend_by_agent(connection, baseline_start, scan_start)}
    names = {row.key: row.name for row in queries.spend_by_agent(connection, scan_start, last_end)}
    found = []
    for agent_id, (spent, end) in worst_windows(hourly, first_end, last_end).items():
        before = baseline.get(agent_id)
        normal = round(Fraction(before.credits, BASELINE_DAYS)) if before else 0
        if is_runaway(spent, normal):
            found.append(RunawayAgent(agent_id, names[agent_id], end, spent, normal))
    return sorted(found, key=lambda r: (-r.excess, r.agent_id))
