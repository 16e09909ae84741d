"""Questions to the user, behind one small object so tests can answer them without a modal loop."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QMessageBox, QWidget

from a2v2_desktop.cache.db import CacheDiagnosis
from a2v2_desktop.ui.cache_problem import Choice, ask


class Prompts:
    def confirm(self, parent: QWidget, title: str, question: str, action: str) -> bool:
        box = QMessageBox(QMessageBox.Warning, title, question, QMessageBox.Cancel, parent)
        box.setTextFormat(Qt.PlainText)
        confirm = box.addButton(action, QMessageBox.DestructiveRole)
        box.exec()
        return box.clickedButton() is confirm

    def confirm_with_option(self, parent: QWidget, title: str, question: str, action: str,
                            option: str) -> tuple[bool, bool]:
        """(confirmed, option ticked)."""
        box = QMessageBox(QMessageBox.Warning, title, question, QMessageBox.Cancel, parent)
        box.setTextFormat(Qt.PlainText)
        checkbox = QCheckBox(option)
        box.setCheckBox(checkbox)
        confirm = box.addButton(action, QMessageBox.DestructiveRole)
        box.exec()
        return box.clickedButton() is confirm, checkbox.isChecked()

    def cache_problem(self, parent: QWidget | None, diagnosis: CacheDiagnosis, leave: str) -> Choice:
        """A refused cache: read-only, back up and rebuild, or leave (Quit / Cancel)."""
        return ask(parent, diagnosis, leave)
