"""Hidden panels wait for their first look before they read the cache."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from a2v2_desktop.ui.lazy import RefreshWhenShown


def test_a_hidden_panel_refreshes_once_when_shown_and_at_once_when_visible(qtbot):
    panel = QWidget()
    qtbot.addWidget(panel)
    calls = []
    later = RefreshWhenShown(panel, lambda: calls.append(1))
    later.request()
    later.request()
    assert calls == []
    panel.show()
    qtbot.waitExposed(panel)
    assert calls == [1]
    later.request()
    assert calls == [1, 1]
    panel.hide()
    panel.show()
    assert calls == [1, 1]  # nothing changed while it was hidden


def test_the_billing_panel_reads_nothing_until_it_is_shown(make_app, cache_copy, account_settings, settle):
    services, window = make_app(account_settings())
    settle(services)
    billing = window.billing
    assert billing.view is None and billing.when_shown.stale
    window.show_panel(window.panels.indexOf(billing))
    settle(services)
    assert billing.view is not None
