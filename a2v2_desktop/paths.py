"""Where the app keeps its files on each OS (platformdirs). Computed on call, never at import."""

from __future__ import annotations

from pathlib import Path

import platformdirs

APP_NAME = "a2v2-desktop"
APP_AUTHOR = "A2V2"


def data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR))


def config_dir() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME, APP_AUTHOR))


def log_dir() -> Path:
    return Path(platformdirs.user_log_dir(APP_NAME, APP_AUTHOR))


def default_cache_path() -> Path:
    return data_dir() / "cache.sqlite"


def demo_cache_path() -> Path:
    """The demo gets its own cache so it never mixes with a real organization's data."""
    return data_dir() / "demo-cache.sqlite"


def orgs_dir() -> Path:
    """Each organization added after the first keeps its cache in a folder of its own here."""
    return data_dir() / "orgs"


def ensure_private_dir(path: Path) -> Path:
    """Create a directory readable by the user only (0700 on POSIX)."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path
