"""The rules and budgets editor: each rule on or off with its threshold, budgets per billing period.

Values are read from the cache off the GUI thread and written through the AlertWatcher,
one finished number at a time (no keyboard tracking).
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QGridLayout,
    QHBoxLayout,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import Connection

from a2v2_desktop.cache import usage_queries, watch_store
from a2v2_desktop.cache.usage_queries import AgentChoice
from a2v2_desktop.cache.watch_store import ORG_BUDGET, RuleSetting
from a2v2_desktop.domain.credits import SCALE
from a2v2_desktop.insights.alerts import CREDITS_UNIT, RULES, RuleSpec, effective_settings
from a2v2_desktop.ui.services import Services
from a2v2_desktop.ui.watcher import AlertWatcher
from a2v2_desktop.ui.widgets import elide, plain_label, plain_tooltip, section

MAX_CREDITS = 100_000_000


@dataclass(frozen=True)
class EditorData:
    settings: dict[str, RuleSetting]
    budgets: dict[str, int]
    agents: tuple[AgentChoice, ...]


def load_editor(connection: Connection) -> EditorData:
    return EditorData(effective_settings(watch_store.rule_settings(connection)), watch_store.budgets(connection),
                      tuple(a for a in usage_queries.agent_choices(connection) if not a.deleted))


def _spin(maximum: int, suffix: str) -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(0, maximum)
    spin.setSuffix(f" {suffix}")
    spin.setGroupSeparatorShown(True)
    spin.setKeyboardTracking(False)
    return spin


class RuleRow:
    """One rule: a check box with the rule's name and, when it has one, its threshold."""

    def __init__(self, spec: RuleSpec, on_change):
        self.spec = spec
        self.enabled = QCheckBox(spec.name)
        self.enabled.setToolTip(plain_tooltip(spec.description))
        self.threshold = _spin(MAX_CREDITS, spec.unit) if spec.default_threshold is not None else None
        self.enabled.toggled.connect(lambda _on: on_change(self))
        if self.threshold is not None:
            self.threshold.valueChanged.connect(lambda _value: on_change(self))

    def show(self, setting: RuleSetting) -> None:
        for widget in (self.enabled, self.threshold):
            if widget is not None:
                widget.blockSignals(True)
        self.enabled.setChecked(setting.enabled)
        if self.threshold is not None:
            scale = SCALE if self.spec.unit == CREDITS_UNIT else 1
            self.threshold.setValue((setting.threshold or 0) // scale)
            self.threshold.setEnabled(setting.enabled)
            self.threshold.blockSignals(False)
        self.enabled.blockSignals(False)

    def setting(self) -> RuleSetting:
        if self.threshold is None:
            return RuleSetting(self.spec.rule, self.enabled.isChecked(), None)
        scale = SCALE if self.spec.unit == CREDITS_UNIT else 1
        self.threshold.setEnabled(self.enabled.isChecked())
        return RuleSetting(self.spec.rule, self.enabled.isChecked(), self.threshold.value() * scale)


class AlertRulesEditor(QWidget):
    def __init__(self, services: Services, watcher: AlertWatcher, parent: QWidget | None = None):
        super().__init__(parent)
        self.services, self.watcher = services, watcher
        self.rows = [RuleRow(spec, lambda row: watcher.save_rule(row.setting())) for spec in RULES]
        self.org_budget = _spin(MAX_CREDITS, "credits")
        self.org_budget.setSpecialValueText("No budget")
        self.org_budget.valueChanged.connect(lambda value: watcher.save_budget(ORG_BUDGET, value * SCALE))
        self.agent_budgets: dict[str, QSpinBox] = {}
        self.agent_grid = QGridLayout()
        self.check_button = QPushButton("Check now")
        self.check_button.setToolTip("Check every rule against the cached figures now; new alerts are notified")
        self.check_button.clicked.connect(lambda: watcher.check())
        self.tray_icon = QCheckBox("Show an icon in the system tray (where the desktop has one)")
        self.tray_icon.toggled.connect(lambda on: services.update_settings(tray_icon=on))
        self.keep_running = QCheckBox("Keep syncing and watching in the tray when the window is closed")
        self.keep_running.toggled.connect(lambda on: services.update_settings(keep_running_in_tray=on))
        self._layout()
        self._show_tray_settings()
        services.settingsChanged.connect(lambda _settings: self._show_tray_settings())
        services.cacheReplaced.connect(self.reload)
        services.sync.succeeded.connect(lambda _result: self.reload())

    def _layout(self) -> None:
        rules, rules_layout = section()
        rules_layout.addWidget(plain_label("Rules", "SectionTitle"))
        rules_layout.addWidget(plain_label("Checked after every sync. Each alert fires once, and again only after "
                                           "its condition has cleared.", "Muted", wrap=True))
        grid = QGridLayout()
        grid.setHorizontalSpacing(14)
        for position, row in enumerate(self.rows):
            grid.addWidget(row.enabled, position, 0)
            if row.threshold is not None:
                grid.addWidget(row.threshold, position, 1)
            grid.addWidget(plain_label(row.spec.description, "Muted", wrap=True), position, 2)
        grid.setColumnStretch(2, 1)
        rules_layout.addLayout(grid)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.check_button)
        rules_layout.addLayout(buttons)
        budgets, budgets_layout = section()
        budgets_layout.addWidget(plain_label("Budgets per billing period", "SectionTitle"))
        organization = QHBoxLayout()
        organization.addWidget(plain_label("The whole organization"))
        organization.addStretch(1)
        organization.addWidget(self.org_budget)
        budgets_layout.addLayout(organization)
        budgets_layout.addLayout(self.agent_grid)
        tray, tray_layout = section()
        tray_layout.addWidget(plain_label("Tray icon", "SectionTitle"))
        tray_layout.addWidget(self.tray_icon)
        tray_layout.addWidget(self.keep_running)
        content = QWidget()
        column = QVBoxLayout(content)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(rules)
        column.addWidget(budgets)
        column.addWidget(tray)
        column.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.NoFrame)
        scroll.setWidget(content)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll)

    def _show_tray_settings(self) -> None:
        settings = self.services.settings
        for box, on in ((self.tray_icon, settings.tray_icon), (self.keep_running, settings.keep_running_in_tray)):
            box.blockSignals(True)
            box.setChecked(on)
            box.blockSignals(False)
        self.keep_running.setEnabled(settings.tray_icon)

    def reload(self) -> None:
        self.services.query(load_editor, on_done=self.show_data)

    def show_data(self, data: EditorData) -> None:
        for row in self.rows:
            row.show(data.settings[row.spec.rule])
        self._set_quietly(self.org_budget, data.budgets.get(ORG_BUDGET, 0) // SCALE)
        self._agent_rows(data)

    def _agent_rows(self, data: EditorData) -> None:
        """One budget per live agent; rebuilt only when the list of agents changed."""
        if list(self.agent_budgets) != [agent.id for agent in data.agents]:
            while self.agent_grid.count():
                self.agent_grid.takeAt(0).widget().deleteLater()
            self.agent_budgets = {}
            for position, agent in enumerate(data.agents):
                label = plain_label(elide(agent.name, 60))
                label.setToolTip(plain_tooltip(agent.name))
                spin = _spin(MAX_CREDITS, "credits")
                spin.setSpecialValueText("No budget")
                spin.valueChanged.connect(lambda value, key=agent.id: self.watcher.save_budget(key, value * SCALE))
                self.agent_grid.addWidget(label, position, 0)
                self.agent_grid.addWidget(spin, position, 1, Qt.AlignRight)
                self.agent_budgets[agent.id] = spin
        for agent_id, spin in self.agent_budgets.items():
            self._set_quietly(spin, data.budgets.get(agent_id, 0) // SCALE)

    @staticmethod
    def _set_quietly(spin: QSpinBox, value: int) -> None:
        spin.blockSignals(True)
        spin.setValue(value)
        spin.blockSignals(False)
