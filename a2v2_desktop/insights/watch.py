"""One look at an organization's cache after a sync: its alert rules, and what changed.

The window (for the organization on screen and, in "sync all", for every other one) and
`a2v2-desktop sync` call the same function, so an alert fires once, whichever saw it first.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from a2v2_desktop.cache import queries
from a2v2_desktop.cache.watch_store import Alert
from a2v2_desktop.insights.alerts import check_alerts
from a2v2_desktop.insights.changes import ChangeSummary, check_changes


@dataclass(frozen=True)
class Watched:
    """What one check found; crosses threads as it is."""

    organization: str | None  # the cache's name for it (untrusted text); None before its first sync
    alerts: tuple[Alert, ...]  # fired by this check, never before
    changes: ChangeSummary | None = None


def watch(engine: Engine, now: int, with_changes: bool = False) -> Watched:
    """Check the rules (after a failed sync too: "a sync that keeps failing" is one); the summary of
    what changed only when asked, after a sync that succeeded."""
    summary = check_changes(engine, now) if with_changes else None
    fired = check_alerts(engine, now)
    with engine.connect() as connection:
        org = queries.organization(connection)
    return Watched(org.name if org else None, tuple(fired), summary)


def titled(title: str, organization: str) -> str:
    """An alert's title that names its organization, for alerts about one that is not on screen."""
    return f"{organization}: {title}"
