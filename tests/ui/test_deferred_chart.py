"""The Usage chart is built after the window's first paint with figures, and misses nothing said before."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel

from a2v2_desktop.ui.charts.deferred import LATEST_MS, DeferredChart


class Recorder(QLabel):
    """A stand-in chart that notes every drawing call it gets."""

    def __init__(self):
        super().__init__("chart")
        self.calls = []

    def show_series(self, *args):
        self.calls.append(("show_series", args))

    def set_measure(self, measure):
        self.calls.append(("set_measure", (measure,)))

    def heights(self):
        return len(self.calls)


def deferred(qtbot) -> tuple[DeferredChart, list[Recorder]]:
    built: list[Recorder] = []
    chart = DeferredChart(lambda: built.append(Recorder()) or built[-1])
    qtbot.addWidget(chart)
    return chart, built


def test_calls_before_the_chart_exists_are_replayed_in_order_once_the_first_paint_with_figures_is_done(qtbot):
    chart, built = deferred(qtbot)
    chart.resize(200, 100)
    chart.show()
    chart.repaint()
    qtbot.wait(20)
    assert built == []  # painted with nothing to draw: no reason to load the charting library yet
    chart.set_measure("messages")
    chart.show_series("series", "")
    assert built == []
    chart.repaint()
    qtbot.waitUntil(lambda: bool(built), timeout=LATEST_MS // 2)  # built by the paint, not the fallback
    assert built[0].calls == [("set_measure", ("messages",)), ("show_series", ("series", ""))]
    assert built[0].parent() is chart
    chart.set_measure("credits")
    assert built[0].calls[-1] == ("set_measure", ("credits",)) and len(built) == 1


def test_a_chart_never_painted_is_built_a_moment_after_its_first_drawing_call(qtbot):
    chart, built = deferred(qtbot)
    chart.show_series("series", "")
    qtbot.waitUntil(lambda: bool(built), timeout=LATEST_MS * 4)
    assert built[0].calls == [("show_series", ("series", ""))]


def test_reading_from_the_chart_builds_it_at_once(qtbot):
    chart, built = deferred(qtbot)
    chart.show_series("series", "")
    assert chart.heights() == 1 and len(built) == 1
    assert chart.chart() is built[0]
