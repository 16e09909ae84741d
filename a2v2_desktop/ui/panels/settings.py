"""Settings: where the data comes from, how often to sync, how to count days, and the cache."""

from __future__ import annotations

from dataclasses import replace
from functools import cache
from zoneinfo import available_timezones

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QHBoxLayout, QLineEdit, QPushButton, QVBoxLayout, QWidget

from a2v2_desktop.api.endpoint import check_api_url
from a2v2_desktop.api.errors import ApiError
from a2v2_desktop.cache import queries
from a2v2_desktop.ui.prompts import Prompts
from a2v2_desktop.ui.services import ACCOUNT, DEMO, WELCOME, Services, cache_size
from a2v2_desktop.ui.widgets import plain_label, section

INTERVALS = (("Off", 0), ("Every 15 minutes", 15), ("Every 30 minutes", 30), ("Every hour", 60),
             ("Every 4 hours", 240))
WEEK_STARTS = (("Monday", 1), ("Sunday", 7), ("Saturday", 6))


def size_text(size: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:,} {unit}" if unit == "bytes" else f"{size:,.1f} {unit}"
        size /= 1024
    return ""


class SettingsPanel(QWidget):
    connectRequested = Signal()

    def __init__(self, services: Services, prompts: Prompts, parent: QWidget | None = None):
        super().__init__(parent)
        self.services, self.prompts = services, prompts
        self.source_text = plain_label("", wrap=True)
        self.connect_button = QPushButton("Connect your organization…")
        self.connect_button.clicked.connect(self.connectRequested)
        self.account_button = QPushButton("Use my organization")
        self.account_button.clicked.connect(lambda: services.use_organization(services.settings.active_organization))
        self.demo_button = QPushButton("Use demo data")
        self.demo_button.clicked.connect(services.start_demo)
        self.remove_button = QPushButton("Remove account…")
        self.remove_button.clicked.connect(self.remove_account)
        self.api_url = QLineEdit()
        self.api_url.editingFinished.connect(self._save_url)
        self.url_error = plain_label("", "ErrorText", wrap=True)
        self.url_error.setVisible(False)
        self.interval = _combo(INTERVALS)
        self.interval.activated.connect(
            lambda: services.update_settings(sync_interval_minutes=self.interval.currentData()))
        self.timezone = QComboBox()
        self.timezone.activated.connect(lambda: services.update_settings(report_timezone=self.timezone.currentData()))
        self.week_start = _combo(WEEK_STARTS)
        self.week_start.activated.connect(lambda: services.update_settings(week_start=self.week_start.currentData()))
        self.cache_location = plain_label("", wrap=True)
        self.cache_size = plain_label("", "Muted")
        self.clear_button = QPushButton("Clear cache…")
        self.clear_button.clicked.connect(self.clear_cache)
        self._layout()
        services.settingsChanged.connect(lambda _settings: self.reload())
        services.cacheReplaced.connect(self.reload)
        services.sync.succeeded.connect(lambda _result: self.reload())
        self.reload()

    def _layout(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(22, 18, 22, 18)
        layout.setSpacing(14)
        layout.addWidget(plain_label("Settings", "PanelTitle"))
        source, source_layout = section()
        source_layout.addWidget(plain_label("Data source", "SectionTitle"))
        source_layout.addWidget(self.source_text)
        buttons = QHBoxLayout()
        for button in (self.connect_button, self.account_button, self.demo_button, self.remove_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        source_layout.addLayout(buttons)
        layout.addWidget(source)
        form_frame, form_layout = section()
        form = QFormLayout()
        form.addRow("API URL", self.api_url)
        form.addRow("", self.url_error)
        form.addRow("Sync automatically", self.interval)
        form.addRow("Time zone for reports", self.timezone)
        form.addRow("Weeks start on", self.week_start)
        form_layout.addLayout(form)
        layout.addWidget(form_frame)
        cache, cache_layout = section()
        cache_layout.addWidget(plain_label("Cache", "SectionTitle"))
        cache_layout.addWidget(self.cache_location)
        row = QHBoxLayout()
        row.addWidget(self.cache_size)
        row.addStretch(1)
        row.addWidget(self.clear_button)
        cache_layout.addLayout(row)
        layout.addWidget(cache)
        layout.addStretch(1)

    def reload(self) -> None:
        """Show the saved settings; the organization's zone is read from the cache off the GUI thread."""
        services, settings = self.services, self.services.settings
        mode = services.mode
        self.source_text.setText({
            DEMO: "Demo data: a generated organization served from this computer.",
            ACCOUNT: f"Your organization, through {self._api_url()}.",
        }.get(mode, "Not connected."))
        self.account_button.setVisible(mode == DEMO and settings.account_configured)
        self.demo_button.setVisible(mode != DEMO)
        self.remove_button.setVisible(settings.account_configured)
        self.api_url.setText(self._api_url())
        _select(self.interval, settings.sync_interval_minutes)
        _select(self.week_start, settings.week_start)
        self.cache_location.setText(services.cache_location if mode != WELCOME else "No cache open.")
        self.cache_size.setText(f"Size on disk: {size_text(cache_size(services.cache_location))}")
        self.clear_button.setEnabled(services.engine is not None and not services.read_only)
        self._fill_timezones(None)
        services.query(queries.organization, on_done=lambda org: self._fill_timezones(org.timezone if org else None))

    def _fill_timezones(self, org_zone: str | None) -> None:
        chosen = self.services.settings.report_timezone
        self.timezone.clear()
        self.timezone.addItem(f"The organization's ({org_zone})" if org_zone else "The organization's", "")
        for name in zone_names():
            self.timezone.addItem(name, name)
        _select(self.timezone, chosen)

    def _save_url(self) -> None:
        try:
            url = check_api_url(self.api_url.text().strip())
        except ApiError as error:
            self.url_error.setText(str(error))
            self.url_error.setVisible(True)
            return
        self.url_error.setVisible(False)
        org = self.services.settings.organization()
        if org is not None and url != org.api_url:
            self.services.save_organization(replace(org, api_url=url))

    def _api_url(self) -> str:
        """The URL of the organization the buttons act on (the active one, also while the demo shows)."""
        org = self.services.settings.organization()
        return org.api_url if org else self.services.settings.api_url

    def clear_cache(self) -> None:
        question = ("Delete every figure cached on this computer and sync again from the start? History the "
                    "platform no longer serves cannot be brought back.")
        if self.prompts.confirm(self, "Clear cache", question, "Clear cache"):
            self.services.clear_cache()

    def remove_account(self) -> None:
        confirmed, clear = self.prompts.confirm_with_option(
            self, "Remove account", "Forget the API key and secret on this computer?", "Remove account",
            "Also delete this organization's cached data")
        if confirmed:
            self.services.remove_account(clear_cache=clear)


@cache
def zone_names() -> list[str]:
    """Reading the zone database walks the disk: once per run is enough."""
    return sorted(available_timezones())


def _combo(choices: tuple[tuple[str, int], ...]) -> QComboBox:
    combo = QComboBox()
    for label, value in choices:
        combo.addItem(label, value)
    return combo


def _select(combo: QComboBox, value) -> None:
    combo.setCurrentIndex(max(0, combo.findData(value)))

