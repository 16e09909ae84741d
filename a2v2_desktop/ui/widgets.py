"""Small widgets shared by the panels: plain-text labels, cards, framed sections."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget


def plain_label(content: str = "", name: str | None = None, wrap: bool = False) -> QLabel:
    """A label that never interprets markup: for anything that may hold untrusted text."""
    label = QLabel()
    label.setTextFormat(Qt.PlainText)
    label.setText(content)
    label.setWordWrap(wrap)
    if name:
        label.setObjectName(name)
    return label


def plain_tooltip(content: str) -> str:
    """Tooltips render rich text when it looks like HTML; escape so names stay text."""
    if not content:
        return ""
    return "<p style='white-space:pre-wrap'>" + html.escape(content).replace("\n", "<br>") + "</p>"


ISOLATE, POP_ISOLATE = "\u2068", "\u2069"
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")


def isolated(name: str) -> str:
    """A name holding a direction control, wrapped in an isolate: a right-to-left override in it
    cannot reverse the words and figures of the sentence around it. Other names stay as they are."""
    return ISOLATE + name + POP_ISOLATE if BIDI_CONTROLS.intersection(name) else name


def elide(content: str, limit: int = 80) -> str:
    """Keep a 5,000-character name from pushing the layout apart (the tooltip has it whole), isolated
    as it is shown inside sentences."""
    return isolated(content if len(content) <= limit else content[: limit - 1] + "…")


class Card(QFrame):
    """A figure with a title and a note, as on the web dashboard's summary cards."""

    def __init__(self, title: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("Card")
        self.title = plain_label(title, "CardTitle", wrap=True)
        self.value = plain_label("—", "CardValue")
        self.note = plain_label("", "CardNote", wrap=True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 9, 10, 9)
        layout.setSpacing(2)
        layout.addWidget(self.title)
        layout.addWidget(self.value)
        layout.addWidget(self.note)
        layout.addStretch(1)

    def show_figure(self, value: str, note: str = "") -> None:
        self.value.setText(value)
        self.note.setText(note)


def section(name: str = "Section") -> tuple[QFrame, QVBoxLayout]:
    """A rounded frame and its layout, for the chart and the tables."""
    frame = QFrame()
    frame.setObjectName(name)
    layout = QVBoxLayout(frame)
    layout.setContentsMargins(14, 12, 14, 12)
    return frame, layout
