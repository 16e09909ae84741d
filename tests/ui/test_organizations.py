"""Several organizations: the switcher shows one organization's cache only, secrets never mix,
old single-account settings migrate, removing forgets the secret, sync all, the overview, Ctrl+Q."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from a2v2_desktop.api.client import Credentials
from a2v2_desktop.cache import queries, watch_store
from a2v2_desktop.cache.db import open_cache
from a2v2_desktop.cache.org_overview_queries import read_org_figures
from a2v2_desktop.domain.times import zone
from a2v2_desktop.insights import text
from a2v2_desktop.settings import DEFAULT_PROFILE, Organization, Settings, load_settings, save_settings
from a2v2_desktop.standin.generator import DemoOrg, OrgSpec
from a2v2_desktop.standin.server import StandinServer
from a2v2_desktop.sync.engine import SyncResult
from a2v2_desktop.ui.organizations import ADD
from a2v2_desktop.ui.services import ACCOUNT, DEMO

A_KEY, A_SECRET = "key-of-a", "secret-of-a"
B_KEY, B_SECRET = "key-of-b", "secret-of-b"
B_PROFILE = "org-b"


class FakeKeychain:
    """A keychain that works, holding entries per profile like the OS one."""

    def __init__(self):
        self.entries: dict[str, Credentials] = {}

    def load_credentials(self, profile="default"):
        return self.entries.get(profile)

    def save_credentials(self, credentials, profile="default"):
        self.entries[profile] = credentials

    def delete_credentials(self, profile="default"):
        self.entries.pop(profile, None)


@pytest.fixture
def two_servers(now):
    """Two stand-ins with different organizations and different keys and secrets."""
    servers = [StandinServer(DemoOrg(OrgSpec(seed=seed, agents=4, members=3, days=40), now=now), port=0,
                             api_key=key, api_secret=secret).start()
               for seed, key, secret in ((3, A_KEY, A_SECRET), (11, B_KEY, B_SECRET))]
    yield servers
    for server in servers:
        server.stop()


@pytest.fixture
def two_orgs(make_app, account_settings, two_servers, qtbot, settle):
    """The app with organization A (the migrated default) synced, then B added and shown."""
    a, b = two_servers
    keychain = FakeKeychain()
    keychain.save_credentials(Credentials(A_KEY, A_SECRET))
    services, window = make_app(account_settings(api_url=a.base_url), keychain_backend=keychain)
    with qtbot.waitSignal(services.sync.succeeded, timeout=30_000):
        services.sync.start()
    settle(services)
    services.credentials.save(Credentials(B_KEY, B_SECRET), profile=B_PROFILE)
    with qtbot.waitSignal(services.sync.succeeded, timeout=30_000):
        services.add_organization(Organization(B_PROFILE, "B (until synced)", b.base_url))
    settle(services)
    qtbot.waitUntil(lambda: services.settings.organization(B_PROFILE).name == "Blue Harbor Media", timeout=10_000)
    settle(services)
    return services, window, keychain


B_NAME = "Blue Harbor Media"


@pytest.fixture
def b_in_background(make_app, account_settings, two_servers, qtbot, settle, now):
    """A shown and synced; B connected (its own key and secret) but never shown, with an organization
    budget of 1 credit waiting in its cache. The clock moves on by a minute before each sync all."""
    a, b = two_servers
    keychain = FakeKeychain()
    keychain.save_credentials(Credentials(A_KEY, A_SECRET))
    clock = [now.timestamp()]
    services, window = make_app(account_settings(api_url=a.base_url), keychain_backend=keychain,
                                clock=lambda: clock[0])
    with qtbot.waitSignal(services.sync.succeeded, timeout=30_000):
        services.sync.start()
    settle(services)
    services.credentials.save(Credentials(B_KEY, B_SECRET), profile=B_PROFILE)
    services.save_organization(Organization(B_PROFILE, "B (until synced)", b.base_url))
    write_cache(services.organization_cache(services.settings.organization(B_PROFILE)),
                lambda connection: watch_store.save_budget(connection, watch_store.ORG_BUDGET, 10_000))
    notified = []
    window.notifier.notified.connect(lambda title, message: notified.append(title))

    def sync_all() -> list[str]:
        """Sync every organization; the notification titles it brought."""
        clock[0] += 60
        before = len(notified)
        with qtbot.waitSignal(services.sync_all.finished, timeout=60_000):
            assert services.sync_all.start()
        settle(services)
        return notified[before:]

    return services, window, sync_all


def write_cache(location, change) -> None:
    engine = open_cache(location)
    try:
        with engine.begin() as connection:
            change(connection)
    finally:
        engine.dispose()


def b_alerts(tmp_path) -> list:
    engine = open_cache(tmp_path / "orgs" / B_PROFILE / "cache.sqlite")
    try:
        with engine.connect() as connection:
            return watch_store.recent_alerts(connection)
    finally:
        engine.dispose()


def test_a_background_organizations_alerts_fire_once_with_its_name(b_in_background, qtbot, settle, tmp_path):
    services, window, sync_all = b_in_background
    titles = sync_all()
    fired = b_alerts(tmp_path)
    assert f"{B_NAME}: Budget 100% reached: the organization" in titles
    assert sorted(titles) == sorted(f"{B_NAME}: {alert.title}" for alert in fired)  # A's fired when it was shown
    assert read_org_figures(str(tmp_path / "orgs" / B_PROFILE / "cache.sqlite")).open_alerts == len(fired)
    panel = window.organizations.show_overview().panel
    qtbot.waitUntil(lambda: panel.table.rowCount() == 2 and panel.table.item(1, 3) is not None, timeout=10_000)
    assert panel.table.item(1, 0).text() == B_NAME and panel.table.item(1, 3).text() == f"{len(fired):,}"

    window.tray.available = lambda: True
    services.update_settings(tray_icon=True)
    settle(services)
    menu = [action.text() for action in window.tray.alerts_menu.actions()]
    assert menu[0].startswith(f"{B_NAME}: ") and f"{B_NAME}: Budget 100% reached: the organization" in menu

    assert sync_all() == []  # the conditions still hold: nothing fires twice
    assert len(b_alerts(tmp_path)) == len(fired)
    assert services.settings.active_organization == DEFAULT_PROFILE and services.mode == ACCOUNT


def test_a_background_organization_whose_sync_keeps_failing_is_named(b_in_background, tmp_path):
    services, _window, sync_all = b_in_background
    services.credentials.save(Credentials(B_KEY, "a wrong secret"), profile=B_PROFILE)
    assert [sync_all(), sync_all()] == [[], []]
    assert sync_all() == ["B (until synced): Sync keeps failing"]  # never synced: the name it was given
    assert sync_all() == []
    assert [alert.rule for alert in b_alerts(tmp_path)] == ["sync_failing"]


def shown_spend(window, services) -> tuple[str, int]:
    """The Usage card's text, and what the open cache says for the same span."""
    view = window.usage.view
    with services.engine.connect() as connection:
        credits, _ = queries.spend_total(connection, *view.span.bounds(zone(view.timezone)))
    return window.usage.cards["Credits used"].value.text(), credits


def cache_org_names(location) -> list[str]:
    engine = open_cache(location)
    try:
        with engine.connect() as connection:
            return [queries.organization(connection).name]
    finally:
        engine.dispose()


def test_switching_organization_shows_that_organizations_cache_only(two_orgs, qtbot, settle, tmp_path):
    services, window, _keychain = two_orgs
    b_cache = tmp_path / "orgs" / B_PROFILE / "cache.sqlite"
    assert services.mode == ACCOUNT and services.cache_location == str(b_cache)
    assert window.org_label.text() == "Blue Harbor Media" and window.usage.view.organization == "Blue Harbor Media"
    shown, credits = shown_spend(window, services)
    assert shown == text.credits_text(credits) != "0.00"
    switcher = window.organizations.switcher
    assert [switcher.itemText(i) for i in range(switcher.count())] == [
        "Orbital Bakery Co.", "Blue Harbor Media", "Demo organization", "", "Add organization…"]
    switcher.choose(DEFAULT_PROFILE)
    settle(services)
    assert services.cache_location == str(tmp_path / "account.sqlite")
    assert window.usage.view.organization == "Orbital Bakery Co." and window.org_label.text() == "Orbital Bakery Co."
    shown_a, credits_a = shown_spend(window, services)
    assert shown_a == text.credits_text(credits_a) != shown
    assert switcher.currentData() == DEFAULT_PROFILE
    assert cache_org_names(b_cache) == ["Blue Harbor Media"]
    assert cache_org_names(tmp_path / "account.sqlite") == ["Orbital Bakery Co."]


def test_secrets_of_two_organizations_never_mix(two_orgs, two_servers, tmp_path):
    services, _window, keychain = two_orgs
    assert keychain.entries == {DEFAULT_PROFILE: Credentials(A_KEY, A_SECRET), B_PROFILE: Credentials(B_KEY, B_SECRET)}
    a_source = services.source_for(services.settings.organization(DEFAULT_PROFILE))
    b_source = services.source_for(services.settings.organization(B_PROFILE))
    assert (a_source.api_url, a_source.credentials) == (two_servers[0].base_url, Credentials(A_KEY, A_SECRET))
    assert (b_source.api_url, b_source.credentials) == (two_servers[1].base_url, Credentials(B_KEY, B_SECRET))
    saved = (tmp_path / "settings.json").read_text()
    stored = b"".join(path.read_bytes() for path in tmp_path.rglob("*.sqlite*"))
    for secret in (A_KEY, A_SECRET, B_KEY, B_SECRET):
        assert secret not in saved and secret.encode() not in stored
    profiles = [org["profile"] for org in json.loads(saved)["organizations"]]
    assert profiles == [DEFAULT_PROFILE, B_PROFILE]


def test_session_only_secrets_stay_with_their_profile(make_app):
    services, _window = make_app()
    services.credentials.save(Credentials("k1", "s1"), session_only=True, profile="one")
    services.credentials.save(Credentials("k2", "s2"), session_only=True, profile="two")
    assert services.credentials.load("one") == Credentials("k1", "s1")
    assert services.credentials.load("two") == Credentials("k2", "s2")
    assert services.credentials.load(DEFAULT_PROFILE) is None
    services.credentials.delete("one")
    assert services.credentials.load("one") is None and services.credentials.load("two") is not None


def test_sync_all_syncs_every_organization_with_its_own_secret(two_orgs, qtbot, settle, tmp_path):
    services, window, _keychain = two_orgs
    services.use_organization(DEFAULT_PROFILE)
    settle(services)
    synced = []
    services.sync_all.organizationSynced.connect(lambda profile, outcome: synced.append((profile, outcome)))
    with qtbot.waitSignal(services.sync_all.finished, timeout=60_000):
        window.organizations.sync_all_action.trigger()
    settle(services)
    assert [profile for profile, _ in synced] == [DEFAULT_PROFILE, B_PROFILE]
    assert all(isinstance(outcome, SyncResult) for _, outcome in synced)
    assert services.settings.active_organization == DEFAULT_PROFILE
    assert window.usage.view.organization == "Orbital Bakery Co."
    assert read_org_figures(str(tmp_path / "orgs" / B_PROFILE / "cache.sqlite")).name == "Blue Harbor Media"


def test_the_overview_shows_each_organizations_own_figures(two_orgs, qtbot, settle, tmp_path):
    services, window, _keychain = two_orgs
    dialog = window.organizations.show_overview()
    panel = dialog.panel
    qtbot.waitUntil(lambda: panel.table.rowCount() == 2 and panel.table.item(1, 2) is not None, timeout=10_000)
    for row, location in enumerate((tmp_path / "account.sqlite", tmp_path / "orgs" / B_PROFILE / "cache.sqlite")):
        figures = read_org_figures(str(location))
        cells = [panel.table.item(row, column).text() for column in range(3)]
        assert cells == [figures.name, text.credits_text(figures.spend_this_period), text.credits_text(figures.balance)]
        assert figures.balance > 0 and figures.spend_this_period > 0
    assert cells[0] == "Blue Harbor Media"
    with qtbot.waitSignal(services.cacheReplaced, timeout=10_000):
        panel.table.cellDoubleClicked.emit(0, 0)
    settle(services)
    assert services.settings.active_organization == DEFAULT_PROFILE and not dialog.isVisible()


def test_removing_an_organization_forgets_its_secret_and_cache(two_orgs, settle, tmp_path):
    services, window, keychain = two_orgs
    b_cache = tmp_path / "orgs" / B_PROFILE / "cache.sqlite"
    window.settings_panel.prompts.option = True
    window.settings_panel.remove_account()  # B is shown
    settle(services)
    assert B_PROFILE not in keychain.entries and DEFAULT_PROFILE in keychain.entries
    assert not b_cache.exists() and (tmp_path / "account.sqlite").exists()
    assert [org.profile for org in services.settings.organizations] == [DEFAULT_PROFILE]
    assert services.mode == ACCOUNT and window.usage.view.organization == "Orbital Bakery Co."
    assert B_PROFILE not in (tmp_path / "settings.json").read_text()


def test_old_single_account_settings_become_the_first_organization(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"account_configured": True, "api_url": "https://api.example.test",
                                "cache": "/data/cache.sqlite", "sync_interval_minutes": 15}))
    settings = load_settings(path)
    assert settings.organizations == (Organization(DEFAULT_PROFILE, "", "https://api.example.test",
                                                   "/data/cache.sqlite"),)
    assert settings.active_organization == DEFAULT_PROFILE and settings.sync_interval_minutes == 15
    save_settings(settings, path)
    assert load_settings(path) == settings


def test_loading_skips_broken_organization_entries(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"organizations": [
        {"profile": "org-1", "name": "<b>One</b>", "api_url": "https://one.test"},
        {"profile": "../escape", "name": "bad"}, {"profile": "org-2", "name": 5}, "junk",
        {"profile": "org-1", "name": "duplicate"}], "active_organization": "gone"}))
    settings = load_settings(path)
    assert [(org.profile, org.name) for org in settings.organizations] == [("org-1", "<b>One</b>")]
    assert settings.active_organization == "org-1" and settings.account_configured
    assert load_settings(tmp_path / "missing.json") == Settings()


def test_an_upgraded_app_shows_the_single_account_as_the_first_organization(make_app, account_settings, cache_copy,
                                                                              settle):
    services, window = make_app(account_settings())
    settle(services)
    assert services.mode == ACCOUNT and services.cache_location == str(cache_copy)
    assert window.organizations.switcher.currentData() == DEFAULT_PROFILE
    window.organizations.switcher.choose(DEMO)
    settle(services)
    assert services.mode == DEMO and window.organizations.switcher.currentData() == DEMO


def test_add_organization_in_the_switcher_opens_the_account_dialog(make_app, account_settings, cache_copy, settle):
    services, window = make_app(account_settings())
    settle(services)
    switcher = window.organizations.switcher
    switcher.choose(ADD)
    dialog = window.account_dialog
    assert dialog.isVisible() and dialog.profile != DEFAULT_PROFILE and dialog.profile.startswith("org-")
    assert switcher.currentData() == DEFAULT_PROFILE
    dialog.reject()


def test_ctrl_q_quits_even_when_closing_keeps_running_in_the_tray(make_app, account_settings, cache_copy, settle,
                                                                      qtbot):
    services, window = make_app(account_settings())
    settle(services)
    window.tray.available = lambda: True
    services.update_settings(tray_icon=True, keep_running_in_tray=True)
    qtbot.waitUntil(window.isActiveWindow)  # closing would hide it (tests/ui/test_alerts_panel.py)
    QTest.keyClick(window, Qt.Key_Q, Qt.ControlModifier)
    assert not window.isVisible() and services.engine is None
