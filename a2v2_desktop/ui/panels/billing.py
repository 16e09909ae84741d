"""The Billing panel: both credit pools, the next billing date, Auto-Recharge, the balance
history with its forecast, and warnings that stay visible while they hold.

Everything comes from `insights.billing` run on the task pool: one full read of the
cache per refresh, and only the cheap forecast again when the window or the alert
threshold changes. A result for a question the user has already replaced is dropped.
The low-balance threshold is the low-balance alert rule's, per organization: read with the
view, written through the AlertWatcher, and followed when the rules editor changes it.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QSpinBox,
    QStackedLayout,
    QVBoxLayout,
    QWidget,
)

from a2v2_desktop.domain.credits import SCALE
from a2v2_desktop.domain.times import zone
from a2v2_desktop.insights.alerts import LOW_BALANCE as LOW_BALANCE_RULE
from a2v2_desktop.insights.alerts import low_balance_threshold
from a2v2_desktop.insights import forecast as fc
from a2v2_desktop.insights.billing import (
    DEFAULT_LOW_BALANCE,
    POOL_NAMES,
    BillingRequest,
    BillingView,
    Disagreement,
    build_billing_view,
    read_billing_view,
)
from a2v2_desktop.insights.text import credits_text, moment_text
from a2v2_desktop.ui.charts.balance_chart import BalanceChart
from a2v2_desktop.ui.icons import icon
from a2v2_desktop.ui.lazy import RefreshWhenShown
from a2v2_desktop.ui.services import Services
from a2v2_desktop.ui.theme import Theme
from a2v2_desktop.ui.watcher import AlertWatcher
from a2v2_desktop.ui.widgets import Card, elide, plain_label, section

MESSAGE, TOPUP, USED, NEXT = "Message Credits", "Top-up Credits", "Credits Used", "Next Billing Date"
RECHARGE_DESCRIPTION = "Automatically top up your credits when your balance falls below a threshold."
EMPTY = "No billing synced yet. Sync (Ctrl+R) to see your balance, the next billing date and Auto-Recharge."


class AllowanceCard(Card):
    """A card with a bar: what is left of the plan allowance."""

    def __init__(self, title: str, parent: QWidget | None = None):
        super().__init__(title, parent)
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setTextVisible(False)
        self.bar.setFixedHeight(6)
        self.layout().insertWidget(2, self.bar)

    def show_share(self, part: int, whole: int) -> None:
        """Per mille, in integers: a 32-bit bar must not see credits."""
        self.bar.setValue(max(0, min(1000, part * 1000 // whole)) if whole > 0 else 0)


def read_billing_at_rule(connection, request: BillingRequest) -> BillingView:
    """The view, warning at the low-balance alert rule's threshold."""
    return read_billing_view(connection, replace(request, low_balance=low_balance_threshold(connection)))


class BillingPanel(QWidget):
    def __init__(self, services: Services, theme: Theme, watcher: AlertWatcher, parent: QWidget | None = None):
        super().__init__(parent)
        self.services, self.theme, self.watcher = services, theme, watcher
        self.view: BillingView | None = None
        self.ticket = 0  # the question whose answer is still wanted
        self.loading = False
        self._build(DEFAULT_LOW_BALANCE)
        self._connect()

    # -- building ---------------------------------------------------------------------------------

    def _build(self, low_balance: int) -> None:
        self.subtitle = plain_label("", "Muted")
        self.banner, self.warning_icon, self.warning_list = self._make_banner()
        self.cards = {MESSAGE: AllowanceCard(MESSAGE), TOPUP: Card(TOPUP), USED: Card(USED), NEXT: Card(NEXT)}
        self.chart = BalanceChart(self.theme.colors)
        self.window_days = self._spin(fc.MIN_WINDOW_DAYS, fc.MAX_WINDOW_DAYS, fc.DEFAULT_WINDOW_DAYS, " days")
        self.window_days.setToolTip("Recent days weigh more; a day far above the usual counts as 3 usual days")
        self.low_balance = self._spin(0, 10_000_000, low_balance // SCALE, " credits")
        self.low_balance.setToolTip("Warn when Message Credits and Top-up Credits together fall below this")
        self.empty = plain_label(EMPTY, "EmptyState", wrap=True)
        self.empty.setAlignment(Qt.AlignCenter)
        content = QWidget()
        body = QVBoxLayout(content)
        body.setContentsMargins(0, 0, 0, 0)
        body.setSpacing(12)
        body.addLayout(self._card_row())
        row = QHBoxLayout()
        row.setSpacing(12)
        row.addWidget(self._history_section(), 1)
        row.addLayout(self._side_column())
        body.addLayout(row, 1)
        host = QWidget()
        self.stack = QStackedLayout(host)
        self.stack.addWidget(content)
        self.stack.addWidget(self.empty)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 14, 18, 14)
        layout.setSpacing(12)
        layout.addLayout(self._header())
        layout.addWidget(self.banner)
        layout.addWidget(host, 1)

    @staticmethod
    def _spin(low: int, high: int, value: int, suffix: str) -> QSpinBox:
        spin = QSpinBox()
        spin.setRange(low, high)
        spin.setValue(value)
        spin.setSuffix(suffix)
        spin.setGroupSeparatorShown(True)
        spin.setKeyboardTracking(False)  # one forecast per finished number, not per digit
        return spin

    def _header(self) -> QVBoxLayout:
        titles = QVBoxLayout()
        titles.setSpacing(2)
        titles.addWidget(plain_label("Billing", "PanelTitle"))
        titles.addWidget(self.subtitle)
        return titles

    def _make_banner(self) -> tuple[QFrame, QLabel, QVBoxLayout]:
        banner = QFrame()
        banner.setObjectName("Banner")
        warning = QLabel()
        warning.setPixmap(icon("warning", self.theme.colors.warning_fg).pixmap(20, 20))
        lines = QVBoxLayout()
        lines.setSpacing(4)
        row = QHBoxLayout(banner)
        row.setContentsMargins(12, 8, 12, 8)
        row.addWidget(warning, 0, Qt.AlignTop)
        row.addLayout(lines, 1)
        banner.setVisible(False)
        return banner, warning, lines

    def _card_row(self) -> QGridLayout:
        grid = QGridLayout()
        grid.setSpacing(10)
        for position, card in enumerate(self.cards.values()):
            grid.addWidget(card, 0, position)
            grid.setColumnStretch(position, 1)
        return grid

    def _history_section(self) -> QFrame:
        frame, layout = section()
        header = QHBoxLayout()
        header.addWidget(plain_label("Balance history", "SectionTitle"))
        header.addStretch(1)
        header.addWidget(plain_label("Forecast at the pace of the last", "Muted"))
        header.addWidget(self.window_days)
        layout.addLayout(header)
        layout.addWidget(self.chart, 1)
        self.sentences = plain_label("", None, wrap=True)
        layout.addWidget(self.sentences)
        frame.setMinimumHeight(300)
        return frame

    def _side_column(self) -> QVBoxLayout:
        column = QVBoxLayout()
        column.setSpacing(12)
        column.addWidget(self._recharge_section())
        column.addWidget(self._ledger_section())
        column.addStretch(1)
        return column

    def _recharge_section(self) -> QFrame:
        frame, layout = section()
        frame.setFixedWidth(330)
        title = QHBoxLayout()
        title.addWidget(plain_label("Auto-Recharge", "SectionTitle"))
        title.addStretch(1)
        self.recharge_state = plain_label("", "Badge")
        title.addWidget(self.recharge_state)
        layout.addLayout(title)
        layout.addWidget(plain_label(RECHARGE_DESCRIPTION, "Muted", wrap=True))
        grid = QGridLayout()
        grid.setHorizontalSpacing(10)
        self.recharge_rows: dict[str, QLabel] = {}
        for row, name in enumerate(("Rate", "Threshold", "This month", "Last recharged")):
            grid.addWidget(plain_label(name, "Muted"), row, 0, Qt.AlignTop)
            self.recharge_rows[name] = plain_label("", None, wrap=True)
            grid.addWidget(self.recharge_rows[name], row, 1)
        grid.setColumnStretch(1, 1)
        layout.addLayout(grid)
        self.recharge_note = plain_label("", "CardNote", wrap=True)
        layout.addWidget(self.recharge_note)
        return frame

    def _ledger_section(self) -> QFrame:
        frame, layout = section()
        frame.setFixedWidth(330)
        layout.addWidget(plain_label("Checks", "SectionTitle"))
        self.ledger_note = plain_label("", "CardNote", wrap=True)
        layout.addWidget(self.ledger_note)
        alert = QHBoxLayout()
        alert.addWidget(plain_label("Low-balance alert below", "Muted"))
        alert.addWidget(self.low_balance, 1)
        layout.addLayout(alert)
        return frame

    def _connect(self) -> None:
        self.window_days.valueChanged.connect(self._controls_changed)
        self.low_balance.valueChanged.connect(self._threshold_changed)
        self.theme.changed.connect(self._recolor)
        self.when_shown = RefreshWhenShown(self, self.refresh)
        self.services.cacheReplaced.connect(self.when_shown.request)
        self.services.sync.succeeded.connect(self.when_shown.request)
        self.services.settingsChanged.connect(lambda _settings: self._controls_changed())
        self.watcher.settingsSaved.connect(self._follow_rule)
        self.services.modeChanged.connect(self._follow_read_only)
        self._follow_read_only()
        self.when_shown.request()  # the window builds this panel when first needed, the cache already open

    def _follow_read_only(self, *_mode) -> None:
        """The threshold is saved to the cache: it cannot change while the cache is open read-only."""
        self.low_balance.setEnabled(not self.services.read_only)

    # -- asking -----------------------------------------------------------------------------------

    def request(self) -> BillingRequest:
        """What the controls ask for right now."""
        return BillingRequest(now=int(self.services.clock()), timezone=self.services.settings.report_timezone,
                              window_days=self.window_days.value(), low_balance=self.low_balance.value() * SCALE)

    def refresh(self) -> None:
        """Read everything again; any answer still on its way is no longer wanted."""
        self.ticket += 1
        ticket = self.ticket
        asked = self.services.query(read_billing_at_rule, self.request(),
                                    on_done=lambda view: self._answered(ticket, view),
                                    on_error=lambda error: self._failed(ticket, error))
        self.loading = asked is not None
        if asked is None:
            self.view = None
            self._show_empty(EMPTY)

    def _controls_changed(self) -> None:
        """Only the forecast depends on the controls: redo just that from the data already read."""
        if self.view is None or self.loading:
            self.refresh()
            return
        self.ticket += 1
        ticket, data, asked = self.ticket, self.view.data, self.request()
        self.services.runner.submit(lambda: build_billing_view(data, asked),
                                    lambda view: self._answered(ticket, view),
                                    lambda error: self._failed(ticket, error))

    def _threshold_changed(self, credits: int) -> None:
        self.watcher.save_threshold(LOW_BALANCE_RULE, credits * SCALE)
        self._controls_changed()

    def _follow_rule(self) -> None:
        """A rule or budget was saved: take the low-balance rule's threshold if it changed."""
        self.services.query(low_balance_threshold, on_done=self._show_threshold)

    def _show_threshold(self, threshold: int) -> None:
        if threshold // SCALE != self.low_balance.value():
            self._set_threshold(threshold)
            self._controls_changed()

    def _set_threshold(self, threshold: int) -> None:
        """Show the rule's threshold without taking it for the user's change."""
        self.low_balance.blockSignals(True)
        self.low_balance.setValue(threshold // SCALE)
        self.low_balance.blockSignals(False)

    def _answered(self, ticket: int, view: BillingView) -> None:
        if ticket != self.ticket:
            return  # the user has asked something newer
        self.loading = False
        self.view = view
        self._set_threshold(view.request.low_balance)
        self._show(view)

    def _failed(self, ticket: int, error: Exception) -> None:
        if ticket == self.ticket:
            self.loading = False
            self._show_empty(f"The cached billing could not be read: {error}")

    # -- showing ----------------------------------------------------------------------------------

    def _recolor(self, colors) -> None:
        self.chart.set_colors(colors)
        self.warning_icon.setPixmap(icon("warning", colors.warning_fg).pixmap(20, 20))

    def _show_empty(self, message: str) -> None:
        self.empty.setText(message)
        self.stack.setCurrentWidget(self.empty)
        self.banner.setVisible(False)
        self.subtitle.setText("")

    def _show(self, view: BillingView) -> None:
        snapshot = view.data.snapshot
        if snapshot is None:
            self._show_empty(EMPTY)
            return
        tz = zone(view.timezone)
        self.stack.setCurrentIndex(0)
        parts = [elide(view.data.organization, 60)] if view.data.organization else []
        parts += [f"As of {moment_text(snapshot.synced_at, tz)} (last sync)", f"times in {view.timezone}"]
        self.subtitle.setText(" · ".join(parts))
        self._show_warnings(view)
        for title, (value, note) in card_figures(view).items():
            self.cards[title].show_figure(value, note)
        self.cards[MESSAGE].show_share(snapshot.plan_credits_remaining, snapshot.plan_credits_per_period)
        self._show_recharge(view)
        self.ledger_note.setText(ledger_text(view))
        self.sentences.setText("\n".join(f"• {sentence}" for sentence in view.sentences))
        self.chart.show_history(view.data.history, view.data.markers, view.forecast, tz,
                                "" if view.data.history else "No credit transactions or usage synced yet.")

    def _show_warnings(self, view: BillingView) -> None:
        texts = [w.text for w in view.warnings]
        confirmed = [d for d in view.data.disagreements if not d.pending]
        if confirmed:
            texts.append(disagreement_text(confirmed, view))
        while self.warning_list.count():
            self.warning_list.takeAt(0).widget().deleteLater()
        for content in texts:
            self.warning_list.addWidget(plain_label(content, "BannerText", wrap=True))
        self.banner.setVisible(bool(texts))

    def _show_recharge(self, view: BillingView) -> None:
        snapshot, tz = view.data.snapshot, zone(view.timezone)
        rule = fc.AutoRecharge.from_snapshot(snapshot)
        self.recharge_state.setText("On" if rule.enabled else "Off")
        cap = rule.cap if rule.cap is not None else "no limit"
        self.recharge_rows["Rate"].setText(rule.rate_text())
        self.recharge_rows["Threshold"].setText(f"below {fc.whole_credits(rule.threshold)} credits")
        self.recharge_rows["This month"].setText(f"{rule.used}/{cap} recharges used this month")
        last = snapshot.auto_recharge_last_at
        self.recharge_rows["Last recharged"].setText(moment_text(last, tz) if last else "never")
        self.recharge_note.setText(recharge_note(rule, fc.day_text(snapshot.period_end, tz)))


def card_figures(view: BillingView) -> dict[str, tuple[str, str]]:
    """Each card's value and note, as text, from the latest snapshot."""
    s, tz = view.data.snapshot, zone(view.timezone)
    spent = " + ".join(f"{credits_text(view.period_spend.get(pool, 0))} {POOL_NAMES[pool].split()[0]}"
                       for pool in POOL_NAMES)
    # Not before the server's own as_of: a clock that is behind must not add days to the period.
    days = fc.days_between(max(view.request.now, s.as_of), s.period_end, tz)
    remaining = _days_left_text(days)
    return {
        MESSAGE: (credits_text(s.plan_credits_remaining),
                  f"of {fc.whole_credits(s.plan_credits_per_period)} · Refilled on "
                  f"{fc.day_text(s.period_start, tz)}, no rollover"),
        TOPUP: (credits_text(s.topup_credits_remaining), "Remaining from recharges · carried over"),
        USED: (credits_text(s.credits_used_this_period), f"this period, since {fc.day_text(s.period_start, tz)}: {spent}"),
        NEXT: (fc.date_text(s.period_end, tz),
               f"{remaining} · {elide(s.plan_name, 40)}, {fc.whole_credits(s.plan_credits_per_period)} "
               f"credits {'per month' if fc.period_months(s) == 1 else 'a period'}"),
    }


def _days_left_text(days: int) -> str:
    """Until renewal; a period that has ended by this clock (a stale cache, or a clock far ahead) says so."""
    if days > 0:
        return f"{days:,} day{'s' if days != 1 else ''} remaining"
    return "renews today" if days == 0 else "renewal has passed: sync to see the new period"


def recharge_note(rule: fc.AutoRecharge, renewal: str) -> str:
    """What happens when the credits run low, in the panel's words."""
    if not rule.enabled:
        return ("Auto-Recharge is off: once plan and top-up credits are spent, visitors are turned away until a "
                f"top-up or the renewal on {renewal}.")
    if rule.cap is None:
        return "No monthly cap is set: every time the balance falls below the threshold, another top-up is bought."
    return (f"Once the cap of {rule.cap} is reached, Auto-Recharge stops until the period renews on {renewal}; "
            "then only Top Up Now on the web dashboard adds credits.")


def ledger_text(view: BillingView) -> str:
    """Whether the history rebuilt from the ledger reproduces the balances the platform reported."""
    checked = len(view.data.snapshots)
    found = view.data.disagreements
    pending = [d for d in found if d.pending]
    if not found:
        synced = "balance" if checked == 1 else f"{checked:,} balances"
        return f"The history rebuilt from the credit ledger and usage matches the synced {synced}."
    if pending and len(pending) == len(found):
        return ("The last sync's balance differs from the synced records by "
                f"{_differences(pending)}. Records that arrived while it synced come with the next sync.")
    return f"{len({d.snapshot_id for d in found}):,} of the last {checked:,} synced balances disagree with the ledger."


def disagreement_text(found: list[Disagreement], view: BillingView) -> str:
    """The notice for a rebuilt history that does not add up: the latest case, exactly."""
    latest = [d for d in found if d.snapshot_id == found[-1].snapshot_id]
    when = moment_text(latest[0].synced_at, zone(view.timezone))
    detail = "; ".join(f"{POOL_NAMES.get(d.pool, d.pool)}: reported {credits_text(d.recorded)}, "
                       f"rebuilt {credits_text(d.reconstructed)}" for d in latest)
    more = len({d.snapshot_id for d in found}) - 1
    others = f" ({more:,} earlier sync{'s' if more != 1 else ''} too)" if more else ""
    return (f"The balance history does not add up at the sync of {when}{others}: {detail}. The chart shows "
            "what the synced records add up to; the cards show what the platform reported.")


def _differences(found: list[Disagreement]) -> str:
    return ", ".join(f"{credits_text(abs(d.difference))} {POOL_NAMES.get(d.pool, d.pool)}" for d in found)
