"""The command line's contract: settings precedence, progress, output files, clean errors."""

import json
import os
import subprocess
import sys
from datetime import date

import keyring
import pytest
from keyring.backend import KeyringBackend
from sqlalchemy import func, select

from a2v2_desktop import __version__, keychain
from a2v2_desktop.api.client import Credentials
from a2v2_desktop.cache.db import open_cache
from a2v2_desktop.cache.models import FEED_TABLES
from a2v2_desktop.cli import build_parser, main, resolve
from a2v2_desktop.settings import DEFAULT_PROFILE, Organization, Settings, save_settings
from a2v2_desktop.standin.generator import DemoOrg, OrgSpec
from a2v2_desktop.standin.server import StandinServer
from tests.conftest import FIXED_NOW
from tests.expected import _current, comparable, expected_report

SMALL = OrgSpec(seed=11, agents=4, members=3, days=10)


def test_version_from_package_metadata():
    out = subprocess.run([sys.executable, "-m", "a2v2_desktop", "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == f"a2v2-desktop {__version__}" and __version__ != "0.0.0+source"


def test_flags_beat_environment_beat_saved_settings(monkeypatch, tmp_path):
    save_settings(Settings(api_url="https://saved.example/v1/open", cache=str(tmp_path / "saved.sqlite")))
    parse = build_parser().parse_args
    assert resolve(parse(["sync"])).api_url == "https://saved.example/v1/open"
    monkeypatch.setenv("A2V2_API_URL", "https://env.example/v1/open")
    monkeypatch.setenv("A2V2_CACHE", str(tmp_path / "env.sqlite"))
    assert resolve(parse(["sync"])) .api_url == "https://env.example/v1/open"
    assert resolve(parse(["sync"])).cache == str(tmp_path / "env.sqlite")
    flagged = resolve(parse(["--api-url", "https://flag.example/v1/open", "sync", "--cache", "x.sqlite"]))
    assert (flagged.api_url, flagged.cache) == ("https://flag.example/v1/open", "x.sqlite")


def test_sync_prints_progress_per_feed_and_report_writes_file(standin, demo_env, cache_path, capsys, tmp_path):
    server = standin(SMALL)
    assert main(["--api-url", server.base_url, "--cache", str(cache_path), "sync"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert any(line.startswith("usage: ") and line.endswith(" records") for line in err)
    assert err[-1].startswith("synced ") and "records in" in err[-1]
    output = tmp_path / "out" / "report.json"
    output.parent.mkdir()
    assert main(["--cache", str(cache_path), "report", "--from", "2026-11-01", "--to", "2026-11-30",
                 "--output", str(output)]) == 0
    assert json.loads(output.read_text(encoding="utf-8"))["from"] == "2026-11-01"
    assert capsys.readouterr().out == ""


def test_a_cache_from_an_older_version_is_upgraded_saying_so(tmp_path, capsys):
    from a2v2_desktop.cache.db import current_revision, head_revision
    from tests.test_lean_usage import at_revision

    at_revision(tmp_path / "old.sqlite", "0003").dispose()
    report = ["--cache", str(tmp_path / "old.sqlite"), "report", "--from", "2026-11-01", "--to", "2026-11-02"]
    assert main(report) == 1  # upgraded, and then: nothing synced into it yet
    said = capsys.readouterr().err.splitlines()
    assert said[0].startswith("Updating the cache for this version of A2V2 Desktop") and "is empty" in said[1]
    engine = open_cache(tmp_path / "old.sqlite")
    assert current_revision(engine) == head_revision()
    engine.dispose()
    assert main(report) == 1
    assert "Updating" not in capsys.readouterr().err  # once


def test_report_without_a_cache_says_what_to_do(tmp_path, capsys):
    code = main(["--cache", str(tmp_path / "missing.sqlite"), "report", "--from", "2026-11-01", "--to", "2026-11-02"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and err == [f"error: no cache at {tmp_path / 'missing.sqlite'}: run `a2v2-desktop sync` first, or pass --cache"]
    assert not (tmp_path / "missing.sqlite").exists()


def test_report_rejects_an_unknown_zone_and_a_reversed_range(standin, demo_env, cache_path, capsys):
    server = standin(SMALL)
    assert main(["--api-url", server.base_url, "--cache", str(cache_path), "sync", "--quiet"]) == 0
    capsys.readouterr()
    assert main(["--cache", str(cache_path), "report", "--from", "2026-11-01", "--to", "2026-11-02", "--timezone", "Mars/Base"]) == 1
    assert capsys.readouterr().err.strip() == "error: unknown time zone: 'Mars/Base'"
    assert main(["--cache", str(cache_path), "report", "--from", "2026-11-05", "--to", "2026-11-02"]) == 1
    assert "before it starts" in capsys.readouterr().err


def test_sync_without_credentials_says_how_to_give_them(cache_path, capsys):
    assert main(["--cache", str(cache_path), "sync"]) == 1
    assert capsys.readouterr().err.startswith("error: no API key: set A2V2_API_KEY and A2V2_API_SECRET")


# ---- several organizations: sync --org, sync --all ------------------------------------------------

A_KEY, A_SECRET, B_KEY, B_SECRET = "cli-key-a", "cli-secret-a", "cli-key-b", "cli-secret-b"
B_PROFILE = "org-b"


class MemoryKeyring(KeyringBackend):
    """An OS keychain in memory: entries per service and user name, as keyring stores them."""

    priority = 1

    def __init__(self):
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.entries.get((service, username))

    def set_password(self, service, username, password):
        self.entries[(service, username)] = password

    def delete_password(self, service, username):
        self.entries.pop((service, username), None)


@pytest.fixture
def two_orgs(standin, monkeypatch):
    """Two stand-ins that each accept only their own key and secret, connected as in the app: A under the
    default profile, B under its own; both secrets in the (in-memory) keychain only."""
    servers = []
    for seed, key, secret in ((3, A_KEY, A_SECRET), (11, B_KEY, B_SECRET)):
        org = DemoOrg(OrgSpec(seed=seed, agents=4, members=3, days=40), now=FIXED_NOW)
        servers.append(StandinServer(org, port=0, api_key=key, api_secret=secret).start())
    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    keychain.save_credentials(Credentials(A_KEY, A_SECRET), DEFAULT_PROFILE)
    keychain.save_credentials(Credentials(B_KEY, B_SECRET), B_PROFILE)
    settings = (Settings().with_organization(Organization(DEFAULT_PROFILE, "", servers[0].base_url))
                .with_organization(Organization(B_PROFILE, "Blue Harbor Media", servers[1].base_url)))
    save_settings(settings)
    yield servers, [org.cache_location() for org in settings.organizations]
    keyring.set_keyring(previous)
    for server in servers:
        server.stop()


def feed_rows(cache) -> dict[str, int]:
    engine = open_cache(cache)
    try:
        with engine.connect() as connection:
            return {feed: connection.execute(select(func.count()).select_from(table)).scalar_one()
                    for feed, table in FEED_TABLES.items()}
    finally:
        engine.dispose()


def cached_report(capsys, cache) -> dict:
    capsys.readouterr()
    assert main(["--cache", cache, "report", "--from", "2000-01-01", "--to", "2100-01-01"]) == 0
    return comparable(json.loads(capsys.readouterr().out))


def test_sync_all_syncs_each_organization_exactly_with_its_own_secret(two_orgs, capsys, tmp_path):
    servers, caches = two_orgs
    assert main(["sync", "--all", "--quiet"]) == 0
    out = capsys.readouterr().out.splitlines()
    summaries = [line for line in out if not line.startswith("alert: ")]
    assert [line.split(": synced ")[0] for line in summaries] == ["Orbital Bakery Co.", "Blue Harbor Media"]
    assert [line for line in out if line.startswith("alert: ")]
    assert all(line.startswith(("alert: Orbital Bakery Co.: ", "alert: Blue Harbor Media: "))
               for line in out if line.startswith("alert: "))
    for server, cache in zip(servers, caches):
        assert feed_rows(cache) == {feed: len(_current(records)) for feed, records in server.org.feeds.items()}
        assert cached_report(capsys, cache) == expected_report(server.org, date(2000, 1, 1), date(2100, 1, 1))
    assert caches[1].endswith(f"/orgs/{B_PROFILE}/cache.sqlite") and caches[0] != caches[1]
    stored = b"".join(open(cache, "rb").read() for cache in caches)
    assert not any(secret.encode() in stored for secret in (A_KEY, A_SECRET, B_KEY, B_SECRET))

    assert main(["sync", "--all", "--quiet"]) == 0  # nothing new: no record, and no alert again
    assert [line.split(": ")[1].split(" in ")[0] for line in capsys.readouterr().out.splitlines()] == [
        "synced 0 records", "synced 0 records"]


def test_sync_org_by_name_or_profile_syncs_that_one_only(two_orgs, capsys):
    servers, caches = two_orgs
    assert main(["sync", "--org", "blue harbor media", "--quiet"]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("Blue Harbor Media: synced ")
    assert feed_rows(caches[1])["usage"] == len(_current(servers[1].org.feeds["usage"]))
    assert not os.path.exists(caches[0])
    assert main(["sync", "--org", DEFAULT_PROFILE, "--quiet"]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("Orbital Bakery Co.: synced ")
    assert main(["sync", "--org", "Nobody", "--quiet"]) == 1
    assert capsys.readouterr().err.strip() == ("error: no connected organization is called 'Nobody'; connected: "
                                               "default, org-b (Blue Harbor Media)")


def test_sync_all_goes_on_after_a_failure_and_exits_non_zero(two_orgs, capsys):
    servers, caches = two_orgs
    keychain.save_credentials(Credentials(B_KEY, A_SECRET), B_PROFILE)  # A's secret is no good for B
    assert main(["sync", "--all", "--quiet"]) == 1
    out = [line for line in capsys.readouterr().out.splitlines() if not line.startswith("alert: ")]
    assert out[0].startswith("Orbital Bakery Co.: synced ")
    assert out[1].startswith("Blue Harbor Media: failed: ") and A_SECRET not in out[1]
    for _ in range(2):
        assert main(["sync", "--all", "--quiet"]) == 1
    assert "alert: Blue Harbor Media: Sync keeps failing: The last 3 syncs failed" in capsys.readouterr().out
    assert feed_rows(caches[0])["usage"] == len(_current(servers[0].org.feeds["usage"]))
