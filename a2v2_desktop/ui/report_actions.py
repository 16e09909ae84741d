"""File menu: Print… (Ctrl+P) with a preview, Export PDF…, Export CSV… and Statements…; and the CSV
export of each Usage table from its context menu.

The summary's data is always built on the task pool, and a PDF or CSV file is written
there too (QTextDocument and QPdfWriter are not widgets); only the print preview paints
on the GUI thread, because QPrintPreviewDialog asks for its pages there. A task that
takes more than a moment shows a progress dialog; cancelling it drops the result. The
printing code is imported on first use: the window's start-up does not wait for it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QUrl
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtPrintSupport import QPrinter, QPrintPreviewDialog
from PySide6.QtWidgets import QDialog, QFileDialog, QMainWindow, QMenu, QMessageBox, QProgressDialog

from a2v2_desktop.reports.exports import AGENT, MEMBER, breakdown_records, csv_bytes, write_csv
from a2v2_desktop.reports.statements import list_statements, regenerate_statement, statements_dir
from a2v2_desktop.reports.summary import SpendSummary, SummaryRequest, build_summary
from a2v2_desktop.ui.long_work import busy_dialog
from a2v2_desktop.ui.panels.breakdown import BreakdownTable
from a2v2_desktop.ui.report_dialogs import ChangesDialog, ReportChoice, ReportOptionsDialog, StatementsDialog
from a2v2_desktop.ui.services import DEMO, WELCOME
from a2v2_desktop.ui.workers import read


def install_report_actions(window: QMainWindow) -> ReportActions:
    """The File menu (first in the menu bar) and the Usage tables' CSV export; kept on `window.report_actions`."""
    window.report_actions = ReportActions(window)
    return window.report_actions


def file_name(choice: ReportChoice, extension: str) -> str:
    """"spend-summary-last-month.pdf", or the dates of a custom range."""
    custom = choice.custom
    what = f"{custom.first}-to-{custom.last}" if custom else choice.preset.lower().replace(" ", "-")
    return f"spend-summary-{what}.{extension}"


class ReportActions(QObject):
    def __init__(self, window: QMainWindow):
        super().__init__(window)
        self.window, self.services = window, window.services
        # Replaceable in tests: what would otherwise wait in a modal dialog or open another application.
        self.ask_choice: Callable[[str, str], ReportChoice | None] = self._ask_choice
        self.ask_path: Callable[[str, str, str], Path | None] = self._ask_path
        self.open_url: Callable[[QUrl], bool] = QDesktopServices.openUrl
        self.pending: object | None = None  # the task whose result is still wanted
        self.progress: QProgressDialog | None = None
        self.printer: QPrinter | None = None
        self.preview_dialog: QPrintPreviewDialog | None = None
        self.statements_dialog: StatementsDialog | None = None
        self.changes_dialog: ChangesDialog | None = None
        self.message: QMessageBox | None = None
        self.menu = self._menu()
        usage = window.usage
        usage.agents_table.exportRequested.connect(lambda: self.export_table(usage.agents_table, AGENT))
        usage.members_table.exportRequested.connect(lambda: self.export_table(usage.members_table, MEMBER))
        self.services.modeChanged.connect(self._mode_changed)
        self.services.statementsSaved.connect(self._statements_saved)
        self._mode_changed(self.services.mode)

    def _menu(self) -> QMenu:
        bar = self.window.menuBar()
        menu = QMenu("&File", self.window)
        first = bar.actions()[0] if bar.actions() else None
        bar.insertMenu(first, menu) if first else bar.addMenu(menu)
        self.print_action = self._action(menu, "&Print…", QKeySequence.Print, self.print_summary)
        self.pdf_action = self._action(menu, "Export P&DF…", None, self.export_pdf)
        self.csv_action = self._action(menu, "Export &CSV…", None, self.export_csv)
        menu.addSeparator()
        self.statements_action = self._action(menu, "&Statements…", None, self.show_statements)
        quit_action = next((a for a in self.window.actions() if a.text() == "Quit"), None)
        if quit_action is not None:
            menu.addSeparator()
            menu.addAction(quit_action)
        return menu

    def _action(self, menu: QMenu, label: str, shortcut, slot) -> QAction:
        action = QAction(label, self.window)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.WindowShortcut)
            self.window.addAction(action)  # the shortcut works with the menu bar hidden too
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _mode_changed(self, mode: str) -> None:
        for action in (self.print_action, self.pdf_action, self.csv_action, self.statements_action):
            action.setEnabled(mode != WELCOME)

    # -- asking ---------------------------------------------------------------------------------

    def current_choice(self) -> ReportChoice:
        """What the Usage panel shows: its range and its agent filter."""
        request = self.window.usage.request()
        return ReportChoice(request.preset, request.custom, (request.agent_id,) if request.agent_id else ())

    def _ask_choice(self, title: str, action: str) -> ReportChoice | None:
        view = self.window.usage.view
        dialog = ReportOptionsDialog(self.window, title, action, self.current_choice(),
                                     view.agent_choices if view else (), date.today())
        return dialog.choice() if dialog.exec() == QDialog.Accepted else None

    def _ask_path(self, title: str, name: str, pattern: str) -> Path | None:
        chosen, _filter = QFileDialog.getSaveFileName(self.window, title, str(Path.home() / name), pattern)
        if not chosen:
            return None
        path = Path(chosen)
        return path if path.suffix else path.with_suffix(Path(name).suffix)

    def summary_request(self, choice: ReportChoice) -> SummaryRequest:
        settings = self.services.settings
        return SummaryRequest(choice.custom, int(self.services.clock()), choice.agent_ids, settings.report_timezone,
                              choice.preset, demo=self.services.mode == DEMO)

    # -- the menu's commands ----------------------------------------------------------------------

    def print_summary(self) -> None:
        choice = self.ask_choice("Print spend summary", "Preview…")
        if choice is not None:
            request = self.summary_request(choice)
            self._run("Preparing the spend summary…", lambda engine: read(engine, build_summary, request), self.preview)

    def preview(self, summary: SpendSummary) -> None:
        """The print preview; it asks for pages on the GUI thread, where the document is laid out for the printer."""
        from a2v2_desktop.printing.page import page_layout
        from a2v2_desktop.printing.pdf import document_title, paint_summary

        printer = QPrinter(QPrinter.HighResolution)
        printer.setPageLayout(page_layout())
        printer.setDocName(document_title(summary))
        dialog = QPrintPreviewDialog(printer, self.window)
        dialog.setWindowTitle(f"Print preview — {document_title(summary)}")
        dialog.paintRequested.connect(lambda device: paint_summary(device, summary))
        dialog.finished.connect(dialog.deleteLater)
        self.printer, self.preview_dialog = printer, dialog
        dialog.open()

    def export_pdf(self) -> None:
        choice = self.ask_choice("Export PDF", "Export…")
        path = self.ask_path("Export PDF", file_name(choice, "pdf"), "PDF files (*.pdf)") if choice else None
        if path is not None:
            from a2v2_desktop.printing.pdf import write_pdf  # here, on the GUI thread, not in the task

            request = self.summary_request(choice)
            self._run("Writing the PDF…", lambda engine: write_pdf(read(engine, build_summary, request), path),
                      lambda _pages: self._saved(path))

    def export_csv(self) -> None:
        """Every table of the summary, one CSV file each, in one .zip."""
        choice = self.ask_choice("Export CSV", "Export…")
        path = self.ask_path("Export CSV", file_name(choice, "zip"), "Zip of CSV files (*.zip)") if choice else None
        if path is not None:
            request = self.summary_request(choice)
            self._run("Writing the CSV files…", lambda engine: write_csv(read(engine, build_summary, request), path),
                      lambda _files: self._saved(path))

    def export_table(self, table: BreakdownTable, kind: str) -> None:
        """One Usage table as shown (filter and order), from its context menu."""
        span = self.window.usage.view.span if self.window.usage.view else None
        name = f"{kind}s-{span.first}-to-{span.last}.csv" if span else f"{kind}s.csv"
        path = self.ask_path("Export CSV", name, "CSV files (*.csv)")
        if path is None:
            return
        try:
            path.write_bytes(csv_bytes(breakdown_records(table.shown_rows(), table.model.total, kind)))
        except OSError as error:
            self._failed(error)
            return
        self._saved(path)

    def show_statements(self) -> None:
        """The saved statements of the cache shown now (the demo's and the account's are kept apart)."""
        folder = statements_dir(self.services.cache_location)
        dialog = self.statements_dialog
        if dialog is None or dialog.folder != folder:
            if dialog is not None:
                dialog.deleteLater()
            dialog = self.statements_dialog = StatementsDialog(self.window, folder)
            dialog.openRequested.connect(lambda statement: self.open_file(statement.pdf_path))
            dialog.regenerateRequested.connect(self.regenerate)
        dialog.show_statements(list_statements(folder))
        dialog.show()
        dialog.raise_()

    def regenerate(self, statement) -> None:
        now = int(self.services.clock())
        self.statements_dialog.set_busy(True)
        self._run("Regenerating the statement from today's data…",
                  lambda engine: regenerate_statement(engine, statement, now=now), self._regenerated)

    def _regenerated(self, result) -> None:
        if self.statements_dialog is not None:
            self.statements_dialog.set_busy(False)
        dialog = ChangesDialog(self.statements_dialog or self.window, result)
        dialog.setAttribute(Qt.WA_DeleteOnClose)
        dialog.openRequested.connect(self.open_file)
        self.changes_dialog = dialog
        dialog.open()

    def open_file(self, path: Path) -> None:
        """In the system's PDF viewer, offline; where none opens, say where the file is."""
        if not self.open_url(QUrl.fromLocalFile(str(path))):
            self._tell(QMessageBox.Information, f"No application here opens the file. It is at:\n{path}")

    # -- running and telling ------------------------------------------------------------------------

    def _run(self, label: str, call: Callable, on_done: Callable) -> None:
        """`call(engine)` on the pool, with a progress dialog if it takes more than a moment."""
        engine = self.services.engine
        if engine is None:
            return
        ticket = self.pending = object()
        progress = busy_dialog(label, self.window, "Cancel", Qt.WindowModal)
        progress.canceled.connect(lambda: self._drop(ticket))
        self.progress = progress

        def answer(handler: Callable) -> Callable:
            def deliver(value) -> None:
                progress.reset()
                progress.deleteLater()
                if self.pending is ticket:
                    self.pending = self.progress = None
                    handler(value)
            return deliver

        self.services.runner.submit(lambda: call(engine), answer(on_done), answer(self._failed))

    def _drop(self, ticket: object) -> None:
        if self.pending is ticket:
            self.pending = self.progress = None
            if self.statements_dialog is not None:
                self.statements_dialog.set_busy(False)

    def _failed(self, error: Exception) -> None:
        if self.statements_dialog is not None:
            self.statements_dialog.set_busy(False)
        self._tell(QMessageBox.Warning, f"That did not work: {error}")

    def _tell(self, icon, message: str) -> None:
        box = QMessageBox(icon, "A2V2 Desktop", message, QMessageBox.Ok, self.window)
        box.setTextFormat(Qt.PlainText)
        box.setAttribute(Qt.WA_DeleteOnClose)
        self.message = box
        box.open()

    def _saved(self, path: Path) -> None:
        self.window.statusBar().showMessage(f"Saved {path}", 10_000)

    def _statements_saved(self, statements: list) -> None:
        if statements:
            last = statements[-1]
            self.window.statusBar().showMessage(f"Saved the statement for {last.first} to {last.last}", 10_000)
            if self.statements_dialog is not None and self.statements_dialog.folder == last.json_path.parent:
                self.statements_dialog.show_statements(list_statements(last.json_path.parent))
