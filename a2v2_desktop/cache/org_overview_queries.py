"""One line per organization for the All organizations overview, read from that organization's cache only.

Each cache is opened read-only for one short connection (never migrated or written), so an
overview can read caches that are not the one on screen, even while another process syncs them.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import Connection, create_engine, func, select
from sqlalchemy.pool import NullPool

from a2v2_desktop.cache import queries
from a2v2_desktop.cache.billing_queries import latest_snapshots
from a2v2_desktop.cache.models import AlertRow


@dataclass(frozen=True)
class OrgFigures:
    """What one cache says about its organization; None where it holds nothing yet."""

    name: str | None  # untrusted text from the platform
    spend_this_period: int | None  # credits used in the latest snapshot's billing period
    balance: int | None  # Message Credits + Top-up Credits of the latest snapshot
    open_alerts: int
    last_sync: int | None


def org_figures(connection: Connection) -> OrgFigures:
    """Spend this period and balance from the latest billing snapshot, and the alerts not cleared yet."""
    org = queries.organization(connection)
    snapshots = latest_snapshots(connection, 1)
    snapshot = snapshots[-1] if snapshots else None
    spend = queries.spend_total(connection, snapshot.period_start, snapshot.period_end)[0] if snapshot else None
    balance = snapshot.plan_credits_remaining + snapshot.topup_credits_remaining if snapshot else None
    open_alerts = connection.execute(select(func.count()).select_from(AlertRow)
                                     .where(AlertRow.cleared_at.is_(None))).scalar_one()
    return OrgFigures(org.name if org else None, spend, balance, int(open_alerts),
                      queries.last_successful_sync(connection))


def read_org_figures(location: str) -> OrgFigures | None:
    """The figures of the cache file at `location` (a path), or None when it does not exist yet."""
    path = Path(location)
    if not path.is_file():
        return None
    uri = f"file:{quote(str(path.resolve()))}?mode=ro"
    engine = create_engine("sqlite://", creator=lambda: sqlite3.connect(uri, uri=True, timeout=5),
                           poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return org_figures(connection)
    finally:
        engine.dispose()
