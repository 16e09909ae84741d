"""A cache the window cannot open: say what is wrong and where, and let the person choose the way forward.

The file is never moved or rebuilt without a click on "Back up and rebuild"; "Quit" (or "Cancel" when
switching organization) is the default and Esc, and leaves the file exactly as it was. Read-only mode
shows every panel from the file and writes nothing: the sync, its timer and the alert writes are off.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QLabel, QMessageBox, QWidget

from a2v2_desktop.cache.db import CacheDiagnosis, CacheError, CacheProblem, diagnose
from a2v2_desktop.ui.widgets import plain_label

if TYPE_CHECKING:
    from a2v2_desktop.ui.main_window import MainWindow
    from a2v2_desktop.ui.services import Services

TITLE = "A2V2 Desktop"
QUIT, CANCEL = "Quit", "Cancel"


class Choice(Enum):
    READ_ONLY = "read_only"
    REBUILD = "rebuild"
    LEAVE = "leave"  # Quit at start-up, Cancel when switching: the file stays as it was


Asker = Callable[[CacheDiagnosis, str], Choice]  # the question, given what is wrong and the leaving button's label

WHAT_IS_WRONG = {
    CacheProblem.CORRUPT: "The cache file is damaged or cut short, so A2V2 Desktop cannot read it.",
    CacheProblem.TOO_NEW: "The cache file was written by a newer version of A2V2 Desktop.",
    CacheProblem.LOCKED: "Another program is using the cache file (is A2V2 Desktop syncing it elsewhere?).",
    CacheProblem.UNUSABLE: "A2V2 Desktop cannot open the cache file.",
}
READ_ONLY_REASON = {
    CacheProblem.LOCKED: "another program is using the cache",
    CacheProblem.TOO_NEW: "the cache is from a newer version",
}


def read_only_reason(problem: CacheProblem) -> str:
    return READ_ONLY_REASON.get(problem, "the cache cannot be written")


def problem_text(diagnosis: CacheDiagnosis, leave: str) -> str:
    """The whole message, plain text: what is wrong, where the file is, what each button does."""
    lines = [WHAT_IS_WRONG[diagnosis.problem], "", "The file is at:", where(diagnosis), ""]
    if diagnosis.can_read_only:
        lines.append("Open read-only: see the figures it holds; nothing is synced or saved to it meanwhile.")
    if diagnosis.can_rebuild:
        name = diagnosis.file.name if diagnosis.file else "cache"
        lines.append(f"Back up and rebuild: the file is kept beside it as {name}.broken-<date and time>, and a "
                     "new cache is filled again from the platform.")
    lines.append(f"{leave}: leave the file exactly as it is.")
    return "\n".join(lines)


def where(diagnosis: CacheDiagnosis) -> str:
    return str(diagnosis.file) if diagnosis.file else "(not a file on this computer)"


class CacheProblemDialog(QMessageBox):
    """The applicable buttons only; the leaving one is the default and answers Esc."""

    def __init__(self, diagnosis: CacheDiagnosis, leave: str = QUIT, parent: QWidget | None = None):
        super().__init__(QMessageBox.Warning, TITLE, problem_text(diagnosis, leave), QMessageBox.NoButton, parent)
        self.setTextFormat(Qt.PlainText)
        self.setDetailedText(diagnosis.detail)
        self.choices: dict[QObject, Choice] = {}
        if diagnosis.can_read_only:
            self._add("&Open read-only", QMessageBox.AcceptRole, Choice.READ_ONLY)
        if diagnosis.can_rebuild:
            self._add("&Back up and rebuild", QMessageBox.DestructiveRole, Choice.REBUILD)
        leave_button = self._add(f"&{leave}", QMessageBox.RejectRole, Choice.LEAVE)
        self.setDefaultButton(leave_button)
        self.setEscapeButton(leave_button)

    def _add(self, text: str, role: QMessageBox.ButtonRole, choice: Choice):
        button = self.addButton(text, role)
        self.choices[button] = choice
        return button

    def choice(self) -> Choice:
        """What was clicked; leaving when the dialog was closed any other way."""
        return self.choices.get(self.clickedButton(), Choice.LEAVE)


def ask(parent: QWidget | None, diagnosis: CacheDiagnosis, leave: str) -> Choice:
    """Modal: `Prompts.cache_problem` calls this, and tests answer through their own Prompts."""
    dialog = CacheProblemDialog(diagnosis, leave, parent)
    dialog.exec()
    return dialog.choice()


def open_or_ask(services: Services, asker: Asker | None, leave: str = QUIT) -> bool:
    """Open the cache for the current mode; when it is refused, ask and follow the answer until the cache
    is open (True) or the person leaves (False, the file untouched). Without an asker the refusal is raised."""
    try:
        services.activate()
        return True
    except CacheError as error:
        if asker is None:
            raise
        refused = error
    while True:
        diagnosis = diagnose(services.cache_location, refused)
        try:
            return _follow(services, asker(diagnosis, leave), diagnosis)
        except CacheError as error:
            refused = error


def _follow(services: Services, choice: Choice, diagnosis: CacheDiagnosis) -> bool:
    if choice is Choice.READ_ONLY:
        services.activate_read_only(read_only_reason(diagnosis.problem))
        return True
    if choice is Choice.REBUILD:
        services.rebuild_cache()
        return True
    return False


class ReadOnlyNotice(QObject):
    """In read-only mode: the title and a status-bar label say so, and Sync now is greyed out
    (the panels grey out their own editors, when they are built)."""

    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.window, self.services = window, window.services
        self.label: QLabel = plain_label("", "ReadOnly")
        self.label.setVisible(False)
        window.statusBar().addPermanentWidget(self.label)
        self.services.modeChanged.connect(lambda _mode: self.update())  # after the window's own slot
        self.services.cacheRebuilt.connect(self._rebuilt)
        self.update()

    def update(self) -> None:
        reason = self.services.read_only
        self.label.setText(f"Read-only: {reason}" if reason else "")
        self.label.setToolTip("Nothing is synced or saved to this cache while it is open read-only." if reason else "")
        self.label.setVisible(bool(reason))
        self.window.setWindowTitle(f"A2V2 Desktop — read-only: {reason}" if reason else "A2V2 Desktop")
        if reason:
            self.window.sync_action.setEnabled(False)

    def _rebuilt(self, backup: Path) -> None:
        self.window.statusBar().showMessage(f"The old cache was kept at {backup}; syncing a new one.", 30_000)


def install_read_only_notice(window: MainWindow) -> ReadOnlyNotice:
    return ReadOnlyNotice(window)
