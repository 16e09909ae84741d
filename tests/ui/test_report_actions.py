"""File → Print… / Export PDF… / Export CSV… / Statements…, and a Usage table's CSV from its context menu."""

from __future__ import annotations

import csv
import io
import threading
import zipfile

import pypdf
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtPrintSupport import QPrintPreviewWidget
from sqlalchemy import insert, select, update

from a2v2_desktop.cache.models import BillingSnapshot
from a2v2_desktop.domain.credits import format_credits
from a2v2_desktop.insights import ranges, text
from a2v2_desktop.insights.ranges import BillingPeriod, previous_billing_period
from a2v2_desktop.reports import exports
from a2v2_desktop.reports.statements import save_closed_period_statements
from a2v2_desktop.sync.engine import SyncResult
from a2v2_desktop.ui.report_dialogs import ChangesDialog, ReportChoice, ReportOptionsDialog

LAST_MONTH = ReportChoice(ranges.LAST_MONTH, None, ())


@pytest.fixture
def app(make_app, cache_copy, account_settings, settle):
    services, window = make_app(account_settings())
    settle(services)
    actions = window.report_actions
    actions.ask_choice = lambda _title, _action: LAST_MONTH
    return services, window, actions


def answered(actions, settle, services, qtbot):
    settle(services)
    qtbot.waitUntil(lambda: actions.pending is None, timeout=20_000)


def test_the_file_menu_comes_first_and_print_has_its_shortcut(app):
    _services, window, actions = app
    first = window.menuBar().actions()[0]
    assert first.menu() is actions.menu and first.text() == "&File"
    names = [a.text() for a in actions.menu.actions() if not a.isSeparator()]
    assert names[:4] == ["&Print…", "Export P&DF…", "Export &CSV…", "&Statements…"]
    assert actions.print_action.shortcut() == QKeySequence(QKeySequence.Print)


def test_ctrl_p_previews_the_summary(app, qtbot, settle):
    services, window, actions = app
    qtbot.keyClick(window, Qt.Key_P, Qt.ControlModifier)
    answered(actions, settle, services, qtbot)
    dialog = actions.preview_dialog
    assert dialog is not None and dialog.isVisible()
    preview = dialog.findChild(QPrintPreviewWidget)
    qtbot.waitUntil(lambda: preview.pageCount() >= 2)
    assert "Spend summary" in dialog.windowTitle()
    dialog.close()


def test_export_pdf_and_csv_are_written_off_the_gui_thread(app, qtbot, settle, tmp_path, monkeypatch):
    services, window, actions = app
    threads = []
    real_write = exports.write_csv
    monkeypatch.setattr("a2v2_desktop.ui.report_actions.write_csv",
                        lambda summary, path: threads.append(threading.current_thread()) or real_write(summary, path))
    actions.ask_path = lambda _title, name, _pattern: tmp_path / name
    actions.pdf_action.trigger()
    answered(actions, settle, services, qtbot)
    pdf = tmp_path / "spend-summary-last-month.pdf"
    content = " ".join(" ".join(page.extract_text().split()) for page in pypdf.PdfReader(pdf).pages)
    view = window.usage.view
    assert view.organization in content and "Last month" in content
    actions.csv_action.trigger()
    answered(actions, settle, services, qtbot)
    with zipfile.ZipFile(tmp_path / "spend-summary-last-month.zip") as archive:
        assert "agents.csv" in archive.namelist()
    assert threads and threads[0] is not threading.main_thread()
    assert str(tmp_path / "spend-summary-last-month.zip") in window.statusBar().currentMessage()


def test_the_summary_follows_the_choice_of_range_and_agents(app, qtbot, settle, runaway_id):
    services, window, actions = app
    dialog = ReportOptionsDialog(window, "Print", "Preview…", ReportChoice(ranges.LAST_7_DAYS, None, (runaway_id,)),
                                 window.usage.view.agent_choices, window.usage.view.span.last)
    qtbot.addWidget(dialog)
    assert dialog.choice() == ReportChoice(ranges.LAST_7_DAYS, None, (runaway_id,))
    dialog.all_agents.setChecked(True)
    assert dialog.choice().agent_ids == ()
    dialog.some_agents.setChecked(True)
    for row in range(dialog.agents.count()):
        dialog.agents.item(row).setCheckState(Qt.Unchecked)
    assert not dialog.buttons.buttons()[0].isEnabled()  # no agent ticked: nothing to print


def test_a_usage_table_exports_its_shown_rows_from_the_context_menu(app, tmp_path):
    _services, window, actions = app
    table = window.usage.agents_table
    table.filter.setText("Assistant")
    actions.ask_path = lambda _title, name, _pattern: tmp_path / name
    menu = table.context_menu()
    [export] = [a for a in menu.actions() if a.text() == "Export CSV…"]
    export.trigger()
    [written] = tmp_path.glob("agents-*.csv")
    rows = list(csv.DictReader(io.StringIO(written.read_text(encoding="utf-8-sig"))))
    shown = table.shown_rows()
    assert [r["agent_name"] for r in rows] == [row.name for row in shown] and len(shown) < len(table.model.rows)
    assert rows[0]["credits"] == format_credits(shown[0].credits)


def close_a_period(engine) -> BillingPeriod:
    """Make the cache look like a renewal happened between two syncs: an older snapshot of the period before."""
    with engine.begin() as connection:
        row = dict(connection.execute(select(BillingSnapshot).order_by(BillingSnapshot.id.desc()).limit(1))
                   .mappings().one())
        row.pop("id")
        current = BillingPeriod(row["period_start"], row["period_end"])
        connection.execute(insert(BillingSnapshot).values(**row))
        earlier = previous_billing_period(current)
        oldest = connection.execute(select(BillingSnapshot.id).order_by(BillingSnapshot.id).limit(1)).scalar_one()
        connection.execute(update(BillingSnapshot).where(BillingSnapshot.id == oldest)
                           .values(period_start=earlier.start, period_end=earlier.end))
    return earlier


def test_a_finished_sync_saves_the_statement_and_the_list_opens_and_regenerates_it(app, qtbot, settle):
    services, window, actions = app
    period = close_a_period(services.engine)
    with qtbot.waitSignal(services.statementsSaved, timeout=30_000) as saved:
        services.sync.succeeded.emit(SyncResult())
    [statement] = saved.args[0]
    assert statement.period_start == period.start
    assert "Saved the statement" in window.statusBar().currentMessage()
    opened = []
    actions.open_url = lambda url: opened.append(url.toLocalFile()) or True
    actions.statements_action.trigger()
    dialog = actions.statements_dialog
    assert dialog.table.rowCount() == 1
    assert dialog.table.item(0, 1).text() == text.exact_credits_text(statement.total)
    dialog.open_button.click()
    assert opened == [str(statement.pdf_path)]
    dialog.regenerate_button.click()
    answered(actions, settle, services, qtbot)
    changes = actions.changes_dialog
    assert isinstance(changes, ChangesDialog) and changes.table.item(0, 0).text() == "Total credits"
    assert changes.table.item(0, 3).text() == "—"  # nothing changed since it was saved
    assert save_closed_period_statements(services.engine, services.cache_location) == []
