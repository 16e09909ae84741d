"""Saved settings shared by the command line and the window: a small JSON file.

Typed, with defaults, and free of secrets (those live in the OS keychain). The
window keeps only its geometry in QSettings; everything a command needs is here so
the core never imports Qt.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

from a2v2_desktop import paths
from a2v2_desktop.api.client import DEFAULT_API_URL


@dataclass(frozen=True)
class Settings:
    api_url: str = DEFAULT_API_URL
    cache: str = ""  # empty: the default location in the user data dir
    account_configured: bool = False
    demo_mode: bool = False
    sync_interval_minutes: int = 30  # 0 turns automatic sync off
    report_timezone: str = ""  # empty: the organization's own
    week_start: int = 1  # ISO weekday: 1 = Monday
    low_balance_credits: int = 500  # whole credits; the Billing panel warns below this

    def cache_location(self) -> str:
        return self.cache or str(paths.default_cache_path())


def settings_path() -> Path:
    return paths.config_dir() / "settings.json"


def load_settings(path: Path | None = None) -> Settings:
    """Read saved settings; a missing or unreadable file gives the defaults, unknown keys are ignored."""
    path = path or settings_path()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return Settings()
    if not isinstance(raw, dict):
        return Settings()
    known = {f.name: f.type for f in fields(Settings)}
    defaults = Settings()
    values = {k: v for k, v in raw.items() if k in known and type(v) is type(getattr(defaults, k))}
    return replace(defaults, **values)


def save_settings(settings: Settings, path: Path | None = None) -> None:
    """Write atomically, readable by the user only."""
    path = path or settings_path()
    paths.ensure_private_dir(path.parent)
    temporary = path.with_suffix(".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(asdict(settings), handle, indent=2)
    os.replace(temporary, path)
