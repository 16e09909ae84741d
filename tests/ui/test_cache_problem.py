"""A cache the window cannot open (corrupt, truncated, too new, locked): the right ways forward are offered,
Quit leaves the file exactly as it was, a rebuild keeps the old bytes, read-only shows the data and writes nothing."""

from __future__ import annotations

import hashlib
import random
import shutil
import sqlite3
from contextlib import contextmanager
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from a2v2_desktop.cache import queries
from a2v2_desktop.cache.db import CacheDiagnosis, CacheError, CacheProblem, back_up_and_rebuild, open_cache
from a2v2_desktop.settings import Organization
from a2v2_desktop.ui.cache_problem import CANCEL, QUIT, CacheProblemDialog, Choice

from tests.ui.conftest import Answers

READ_ONLY, REBUILD = "read-only", "rebuild"


class Chooser(Answers):
    """Answers the cache-problem question with one choice and keeps what it was shown."""

    def __init__(self, choice: Choice):
        super().__init__()
        self.choice = choice
        self.shown: list[tuple[CacheDiagnosis, str]] = []

    def cache_problem(self, parent, diagnosis, leave) -> Choice:
        """The choice the first time; asked again (that way failed), it leaves."""
        self.shown.append((diagnosis, leave))
        return self.choice if len(self.shown) == 1 else Choice.LEAVE

    def offered(self) -> set[str]:
        diagnosis = self.shown[0][0]
        return {name for name, offered in ((READ_ONLY, diagnosis.can_read_only), (REBUILD, diagnosis.can_rebuild))
                if offered}


def corrupt(path, template) -> None:
    path.write_bytes(random.Random(9).randbytes(64 * 1024))


def truncated(path, template) -> None:
    content = template.read_bytes()
    path.write_bytes(content[: len(content) // 2])


def too_new(path, template) -> None:
    shutil.copy(template, path)
    with sqlite3.connect(path) as raw:
        raw.execute("UPDATE alembic_version SET version_num = 'zzzz'")
    raw.close()


@contextmanager
def locked(path, template):
    """Another program holding the write lock for as long as the block runs."""
    shutil.copy(template, path)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


@contextmanager
def spoiled(kind: str, path, template):
    if kind == "locked":
        with locked(path, template):
            yield
        return
    {"corrupt": corrupt, "truncated": truncated, "too_new": too_new}[kind](path, template)
    yield


def fingerprint(path) -> tuple[str, int, str]:
    """The file's bytes and mtime, and its WAL's bytes: a write in WAL mode lands there first."""
    wal = path.with_name(path.name + "-wal")
    wal_bytes = wal.read_bytes() if wal.exists() else b""
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns, hashlib.sha256(wal_bytes).hexdigest()


OFFERED = {"corrupt": {REBUILD}, "truncated": {REBUILD}, "too_new": {READ_ONLY, REBUILD}, "locked": {READ_ONLY}}


@pytest.mark.parametrize("kind", sorted(OFFERED))
def test_the_dialog_offers_what_fits_and_quit_leaves_the_file_as_it_was(kind, make_app, account_settings, tmp_path,
                                                                        synced_template):
    cache = tmp_path / "account.sqlite"
    answers = Chooser(Choice.LEAVE)
    with spoiled(kind, cache, synced_template):
        before = fingerprint(cache)
        with pytest.raises(CacheError):
            make_app(account_settings(), prompts=answers)
        assert fingerprint(cache) == before
    assert answers.offered() == OFFERED[kind]
    [(diagnosis, leave)] = answers.shown
    assert leave == QUIT and diagnosis.file == cache.resolve()
    assert not list(tmp_path.glob("account.sqlite.broken-*"))


@pytest.mark.parametrize("kind", ["corrupt", "truncated", "too_new"])
def test_back_up_and_rebuild_keeps_the_old_bytes_and_syncs_a_new_cache(kind, make_app, account_settings, tmp_path,
                                                                       synced_template, start_server, demo_credentials,
                                                                       qtbot, settle):
    cache = tmp_path / "account.sqlite"
    server = start_server()
    with spoiled(kind, cache, synced_template):
        old = cache.read_bytes()
    services, window = make_app(account_settings(api_url=server.base_url), prompts=Chooser(Choice.REBUILD))
    backups = list(tmp_path.glob("account.sqlite.broken-*[0-9]"))
    assert len(backups) == 1 and backups[0].read_bytes() == old
    assert str(backups[0]) in window.statusBar().currentMessage()
    services.credentials.save(demo_credentials, session_only=True)
    with qtbot.waitSignal(services.sync.succeeded, timeout=60_000):
        assert services.sync.start()
    settle(services)
    with services.engine.connect() as connection:
        assert queries.organization(connection) is not None
        assert queries.last_successful_sync(connection) is not None
    assert services.read_only is None and window.sync_action.isEnabled()


@pytest.mark.parametrize("kind", ["locked", "too_new"])
def test_read_only_shows_every_panel_and_writes_nothing(kind, make_app, account_settings, tmp_path, synced_template,
                                                         qtbot, settle, caplog):
    cache = tmp_path / "account.sqlite"
    with spoiled(kind, cache, synced_template):
        before = fingerprint(cache)
        services, window = make_app(account_settings(sync_interval_minutes=60), prompts=Chooser(Choice.READ_ONLY))
        settle(services)
        for index in range(window.panels.count()):
            window.show_panel(index)
            settle(services)
            assert not window.grab().isNull()
        assert window.usage.view.has_usage and window.usage.view.organization
        assert window.billing.view is not None and window.analytics.view is not None
        assert "read-only" in window.windowTitle() and services.read_only
        assert not window.sync_action.isEnabled() and not services.sync.timer.isActive()
        assert not window.alerts.editor.isEnabled() and not window.billing.low_balance.isEnabled()
        assert not window.settings_panel.clear_button.isEnabled()
        assert not services.sync.start()
        window.watcher.check()
        window.watcher.save_budget("org", 5)
        settle(services)
        assert fingerprint(cache) == before
    assert "failed" not in caplog.text  # nothing even tried to write


def broken_organization(tmp_path) -> tuple[Organization, Path]:
    """An organization whose cache (where the app keeps it) is random bytes."""
    cache = tmp_path / "orgs" / "org-broken" / "cache.sqlite"
    cache.parent.mkdir(parents=True)
    corrupt(cache, None)
    return Organization(profile="org-broken", name="Broken", api_url="https://example.invalid"), cache


def test_switching_to_an_organization_with_a_bad_cache_can_be_cancelled(make_app, account_settings, cache_copy,
                                                                         tmp_path, settle):
    answers = Chooser(Choice.LEAVE)
    services, window = make_app(account_settings(), prompts=answers)
    settle(services)
    shown = services.settings.active_organization
    broken, cache = broken_organization(tmp_path)
    before = fingerprint(cache)
    services.add_organization(broken)
    settle(services)
    assert answers.shown[0][1] == CANCEL and answers.offered() == {REBUILD}
    assert services.settings.active_organization == shown and services.engine is not None
    assert window.usage.view.has_usage
    assert fingerprint(cache) == before


def test_removing_the_shown_organization_asks_about_the_next_ones_bad_cache(make_app, account_settings, cache_copy,
                                                                           tmp_path, settle):
    answers = Chooser(Choice.LEAVE)
    services, window = make_app(account_settings(), prompts=answers)
    settle(services)
    broken, cache = broken_organization(tmp_path)
    before = fingerprint(cache)
    services.save_organization(broken)
    services.remove_organization(services.settings.active_organization, clear_cache=False)
    settle(services)
    assert services.settings.active_organization == "org-broken"
    assert answers.shown[0][1] == CANCEL and services.engine is None
    assert fingerprint(cache) == before


def test_the_dialog_is_plain_text_with_quit_as_default_and_escape(qtbot, tmp_path):
    hostile = tmp_path / "<b>bold</b> & 'x'" / "cache.sqlite"
    diagnosis = CacheDiagnosis(CacheProblem.TOO_NEW, hostile, "schema zzzz", can_read_only=True, can_rebuild=True)
    dialog = CacheProblemDialog(diagnosis, QUIT)
    qtbot.addWidget(dialog)
    labels = [button.text().replace("&", "") for button in dialog.choices]
    assert sorted(labels) == ["Back up and rebuild", "Open read-only", "Quit"]
    assert dialog.textFormat() == Qt.PlainText and str(hostile) in dialog.text()
    assert "cache.sqlite.broken-" in dialog.text()
    assert dialog.defaultButton() is dialog.escapeButton()
    assert dialog.escapeButton().text().replace("&", "") == "Quit"
    dialog.open()
    qtbot.waitExposed(dialog)
    qtbot.keyClick(dialog, Qt.Key_Escape)
    assert dialog.choice() is Choice.LEAVE


def test_the_dialog_returns_the_clicked_way_forward(qtbot):
    diagnosis = CacheDiagnosis(CacheProblem.LOCKED, None, "locked", can_read_only=True, can_rebuild=False)
    dialog = CacheProblemDialog(diagnosis, CANCEL)
    qtbot.addWidget(dialog)
    by_text = {button.text().replace("&", ""): button for button in dialog.choices}
    assert set(by_text) == {"Open read-only", "Cancel"}
    dialog.open()
    qtbot.mouseClick(by_text["Open read-only"], Qt.LeftButton)
    assert dialog.choice() is Choice.READ_ONLY and not dialog.isVisible()


def test_a_second_backup_never_overwrites_the_first(tmp_path):
    cache = tmp_path / "cache.sqlite"
    backups = []
    for content in (b"first bad file", b"second bad file"):
        cache.write_bytes(content)
        backups.append(back_up_and_rebuild(cache))
    assert backups[0] != backups[1]
    assert [backup.read_bytes() for backup in backups] == [b"first bad file", b"second bad file"]
    engine = open_cache(cache)  # the rebuilt cache opens as a normal one
    engine.dispose()
