"""Light and dark palettes that follow the system's colour scheme, and the colours charts use.

Fusion with our own palette looks the same on every OS and offscreen; the scheme
comes from Qt 6.5+ `styleHints().colorScheme()` and is re-applied when it changes.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication


@dataclass(frozen=True)
class Colors:
    dark: bool
    window: str
    base: str
    alternate: str
    text: str
    muted: str
    border: str
    accent: str
    accent_text: str
    sidebar: str
    selection: str
    warning_bg: str
    warning_fg: str
    danger: str
    badge_bg: str
    badge_fg: str
    activities: tuple[str, ...]  # message, document, voice, tool, other
    previous: str


LIGHT = Colors(
    dark=False, window="#f4f6f9", base="#ffffff", alternate="#f7f9fb", text="#1b2330", muted="#5d6877",
    border="#dfe4ea", accent="#3461e0", accent_text="#ffffff", sidebar="#e9edf3", selection="#dbe5ff",
    warning_bg="#fff3e0", warning_fg="#8a4500", danger="#c62828", badge_bg="#ffe7b3", badge_fg="#6b4200",
    activities=("#3461e0", "#12a37c", "#f0a020", "#9b5de5", "#8b97a8"), previous="#1b233040",
)
DARK = Colors(
    dark=True, window="#15181d", base="#1d2128", alternate="#21262e", text="#e4e8ee", muted="#98a3b3",
    border="#2f3641", accent="#7ea1ff", accent_text="#0f1420", sidebar="#1a1e24", selection="#2c3d66",
    warning_bg="#3b2a12", warning_fg="#ffcf8a", danger="#ff8a80", badge_bg="#5a4310", badge_fg="#ffe2a3",
    activities=("#7ea1ff", "#3ccf9f", "#f6b649", "#b98cf2", "#8d99ab"), previous="#e4e8ee38",
)


def system_is_dark() -> bool:
    return QGuiApplication.styleHints().colorScheme() == Qt.ColorScheme.Dark


def palette_for(colors: Colors) -> QPalette:
    palette = QPalette()
    roles = {
        QPalette.Window: colors.window, QPalette.WindowText: colors.text, QPalette.Base: colors.base,
        QPalette.AlternateBase: colors.alternate, QPalette.Text: colors.text, QPalette.Button: colors.base,
        QPalette.ButtonText: colors.text, QPalette.Highlight: colors.accent,
        QPalette.HighlightedText: colors.accent_text,
        QPalette.ToolTipBase: colors.base, QPalette.ToolTipText: colors.text, QPalette.PlaceholderText: colors.muted,
        QPalette.Link: colors.accent, QPalette.Mid: colors.border, QPalette.Midlight: colors.border,
    }
    for role, value in roles.items():
        palette.setColor(role, QColor(value))
    for role in (QPalette.Text, QPalette.WindowText, QPalette.ButtonText):
        palette.setColor(QPalette.Disabled, role, QColor(colors.muted))
    return palette


def style_sheet(c: Colors) -> str:
    """The few things a palette cannot say: cards, sidebar, badges, banners."""
    return f"""
    QWidget#Sidebar {{ background: {c.sidebar}; border-right: 1px solid {c.border}; }}
    QListWidget#SidebarList {{ background: transparent; border: none; outline: none; font-size: 14px; }}
    QListWidget#SidebarList::item {{ padding: 9px 12px; margin: 2px 8px; border-radius: 7px; color: {c.text}; }}
    QListWidget#SidebarList::item:selected {{ background: {c.selection}; color: {c.text}; font-weight: 600; }}
    QListWidget#SidebarList::item:hover:!selected {{ background: {c.border}; }}
    QLabel#AppTitle {{ font-size: 15px; font-weight: 700; }}
    QLabel#OrgName, QLabel#Muted, QLabel#CardNote {{ color: {c.muted}; }}
    QTabWidget::pane {{ border: none; }}
    QLabel#PanelTitle {{ font-size: 21px; font-weight: 700; }}
    QLabel#SectionTitle {{ font-size: 14px; font-weight: 650; }}
    QFrame#Card {{ background: {c.base}; border: 1px solid {c.border}; border-radius: 10px; }}
    QFrame#Section {{ background: {c.base}; border: 1px solid {c.border}; border-radius: 10px; }}
    QLabel#CardTitle {{ color: {c.muted}; font-size: 11px; font-weight: 600; }}
    QLabel#CardValue {{ font-size: 19px; font-weight: 700; }}
    QLabel#CardNote {{ font-size: 11px; }}
    QLabel#Badge {{ background: {c.badge_bg}; color: {c.badge_fg}; border-radius: 9px; padding: 2px 10px;
                    font-weight: 700; }}
    QFrame#Banner {{ background: {c.warning_bg}; border: 1px solid {c.warning_fg}; border-radius: 8px; }}
    QFrame#Banner QLabel {{ color: {c.warning_fg}; }}
    QLabel#ErrorText {{ color: {c.danger}; }}
    QLabel#EmptyState {{ color: {c.muted}; font-size: 14px; }}
    QPushButton#Primary {{ background: {c.accent}; color: {c.accent_text}; border: none; border-radius: 6px;
                           padding: 7px 16px; font-weight: 600; }}
    QPushButton#Primary:disabled {{ background: {c.border}; color: {c.muted}; }}
    QPushButton:checkable {{ border: 1px solid {c.border}; border-radius: 5px; padding: 4px 12px;
                             background: {c.base}; color: {c.muted}; }}
    QPushButton:checked {{ background: {c.selection}; color: {c.text}; border-color: {c.accent}; font-weight: 600; }}
    QTabBar {{ qproperty-drawBase: 0; }}
    QTabBar::tab {{ background: transparent; color: {c.muted}; padding: 6px 14px; border: none;
                    border-bottom: 2px solid transparent; }}
    QTabBar::tab:selected {{ color: {c.text}; border-bottom: 2px solid {c.accent}; font-weight: 600; }}
    QFrame#ChoiceCard {{ background: {c.base}; border: 1px solid {c.border}; border-radius: 12px; }}
    QTableView {{ background: {c.base}; alternate-background-color: {c.alternate}; border: none;
                  gridline-color: {c.border}; selection-background-color: {c.selection}; selection-color: {c.text}; }}
    QHeaderView::section {{ background: {c.base}; color: {c.muted}; border: none;
                            border-bottom: 1px solid {c.border}; padding: 5px 6px; font-weight: 600; }}
    QStatusBar {{ border-top: 1px solid {c.border}; }}
    QToolBar {{ border-bottom: 1px solid {c.border}; spacing: 6px; padding: 4px 8px; }}
    """


class Theme(QObject):
    """The current colours; emits `changed` after the palette switched so charts can recolour."""

    changed = Signal(object)

    def __init__(self, app: QApplication):
        super().__init__(app)
        self.app = app
        self.colors = LIGHT
        app.setStyle("Fusion")

    def follow_system(self) -> None:
        QGuiApplication.styleHints().colorSchemeChanged.connect(lambda _scheme: self.apply(system_is_dark()))
        self.apply(system_is_dark())

    def apply(self, dark: bool) -> None:
        self.colors = DARK if dark else LIGHT
        self.app.setPalette(palette_for(self.colors))
        sheet = style_sheet(self.colors)
        if self.app.styleSheet() != sheet:  # re-polishing every widget is slow: only when it changed
            self.app.setStyleSheet(sheet)
        self.changed.emit(self.colors)
