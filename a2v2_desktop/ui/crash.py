"""Uncaught exceptions: logged with their traceback, then a dialog that says where the log is.

Without this an exception in a slot or a worker thread is printed to a console nobody
sees (from a bundle, to nowhere) and the person is left guessing what happened.
"""

from __future__ import annotations

import logging
import sys
import threading
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QApplication, QMessageBox

from a2v2_desktop.logs import REDACTOR
from a2v2_desktop.ui.help_menu import open_log_folder

log = logging.getLogger(__name__)


class CrashReporter(QObject):
    """Installed as sys.excepthook and threading.excepthook for the window's lifetime."""

    crashed = Signal(str)  # a one-line summary; queued to the GUI thread when raised elsewhere

    def __init__(self, log_path: Path, parent: QObject | None = None):
        super().__init__(parent)
        self.log_path = log_path
        self.dialog: QMessageBox | None = None
        self.crashed.connect(self._show)

    def install(self) -> None:
        sys.excepthook = self.report
        threading.excepthook = self._report_thread

    def report(self, kind: type[BaseException], error: BaseException, traceback) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, error, traceback)
            return
        log.critical("uncaught exception", exc_info=(kind, error, traceback))
        self.crashed.emit(REDACTOR.redact(f"{kind.__name__}: {error}"))

    def _report_thread(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_type is not SystemExit:  # as the default hook: a thread may end itself that way
            self.report(args.exc_type, args.exc_value, args.exc_traceback)

    def _show(self, summary: str) -> None:
        """One dialog at a time: an error repeated in a timer or a paint event must not stack them up."""
        if self.dialog is not None and self.dialog.isVisible():
            return
        self.dialog = QMessageBox(QMessageBox.Critical, "A2V2 Desktop — unexpected error",
                                  "A2V2 Desktop ran into an unexpected error and may not work properly "
                                  "until it is restarted.", QMessageBox.Ok, QApplication.activeWindow())
        self.dialog.setTextFormat(Qt.PlainText)  # the summary is an error message, not markup
        self.dialog.setInformativeText(f"{summary}\n\nThe details are in the log file:\n{self.log_path}")
        self.dialog.addButton("Open log folder", QMessageBox.ActionRole).clicked.connect(
            lambda: open_log_folder(self.dialog))
        self.dialog.open()
