"""Saved settings shared by the command line and the window: a small JSON file.

Typed, with defaults, and free of secrets (those live in the OS keychain). The
window keeps only its geometry in QSettings; everything a command needs is here so
the core never imports Qt.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

from a2v2_desktop import paths
from a2v2_desktop.api.endpoint import DEFAULT_API_URL


DEFAULT_PROFILE = "default"  # the keychain profile the command line reads, and the single account's


@dataclass(frozen=True)
class Organization:
    """One connected organization: its keychain profile, display name and API URL (never its secret).

    The name is untrusted text (from the server or the user): shown as plain text only.
    """

    profile: str
    name: str = ""
    api_url: str = DEFAULT_API_URL
    cache: str = ""  # empty: the default location for the profile

    def cache_location(self, orgs_dir: Path | None = None) -> str:
        """The default profile keeps the single account's cache, so an upgrade finds its data where it was."""
        if self.cache:
            return self.cache
        if self.profile == DEFAULT_PROFILE:
            return str(paths.default_cache_path())
        return str((orgs_dir or paths.orgs_dir()) / self.profile / "cache.sqlite")


@dataclass(frozen=True)
class Settings:
    api_url: str = DEFAULT_API_URL
    cache: str = ""  # empty: the default location in the user data dir
    account_configured: bool = False
    demo_mode: bool = False
    sync_interval_minutes: int = 30  # 0 turns automatic sync off
    report_timezone: str = ""  # empty: the organization's own
    week_start: int = 1  # ISO weekday: 1 = Monday
    tray_icon: bool = False  # an icon in the system tray, where the desktop has one
    keep_running_in_tray: bool = False  # closing the window leaves the app syncing in the tray
    organizations: tuple[Organization, ...] = ()  # `api_url`/`cache` above stay the default profile's
    active_organization: str = ""  # the profile shown when not in demo mode

    def cache_location(self) -> str:
        return self.cache or str(paths.default_cache_path())

    def organization(self, profile: str | None = None) -> Organization | None:
        """The organization with this profile (default: the active one), if it is connected."""
        wanted = self.active_organization if profile is None else profile
        return next((org for org in self.organizations if org.profile == wanted), None)

    def with_organization(self, org: Organization) -> Settings:
        """Add or replace an organization; the default profile's URL and cache are mirrored in the
        top-level fields, which the command line syncs with the default keychain entry."""
        listed = any(o.profile == org.profile for o in self.organizations)
        organizations = (tuple(org if o.profile == org.profile else o for o in self.organizations) if listed
                         else (*self.organizations, org))
        changed = replace(self, organizations=organizations, account_configured=True)
        return replace(changed, api_url=org.api_url, cache=org.cache) if org.profile == DEFAULT_PROFILE else changed

    def without_organization(self, profile: str) -> Settings:
        """Drop an organization; another one (or none) becomes active."""
        kept = tuple(org for org in self.organizations if org.profile != profile)
        active = self.active_organization if self.active_organization != profile else (
            kept[0].profile if kept else "")
        return replace(self, organizations=kept, active_organization=active, account_configured=bool(kept))


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
    return _migrated(replace(defaults, **values, organizations=_organizations(raw.get("organizations"))))


def _organizations(raw: Any) -> tuple[Organization, ...]:
    """Entries with a usable profile and string fields; anything else (hand edits, older files) is skipped."""
    if not isinstance(raw, list):
        return ()
    found: dict[str, Organization] = {}
    names = [f.name for f in fields(Organization)]
    for entry in raw:
        if (isinstance(entry, dict) and all(isinstance(entry.get(n, ""), str) for n in names)
                and _safe_profile(entry.get("profile", "")) and entry["profile"] not in found):
            found[entry["profile"]] = Organization(**{n: entry[n] for n in names if n in entry})
    return tuple(found.values())


def _safe_profile(profile: str) -> bool:
    """Profiles name a folder and a keychain entry: letters, digits, '-' and '_' only."""
    return re.fullmatch(r"[A-Za-z0-9_-]{1,64}", profile) is not None


def _migrated(settings: Settings) -> Settings:
    """A single account saved before organizations existed becomes the first one, under the default
    keychain profile so its stored secret keeps working; an active profile that is gone is dropped."""
    if settings.account_configured and not settings.organizations:
        settings = settings.with_organization(Organization(DEFAULT_PROFILE, "", settings.api_url, settings.cache))
    if settings.organization() is None:
        first = settings.organizations[0].profile if settings.organizations else ""
        settings = replace(settings, active_organization=first)
    return replace(settings, account_configured=bool(settings.organizations))


def save_settings(settings: Settings, path: Path | None = None) -> None:
    """Write atomically, readable by the user only."""
    path = path or settings_path()
    paths.ensure_private_dir(path.parent)
    temporary = path.with_suffix(".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(asdict(settings), handle, indent=2)
    os.replace(temporary, path)
