"""Cycles are collected on the GUI thread: a worker's allocations never set a collection off there."""

from __future__ import annotations

import gc
import threading
import weakref

from PySide6.QtWidgets import QWidget

from a2v2_desktop.ui.collector import collect_due, install_collector


class Cycle:
    """Refers to itself, so only the cycle collector frees it; says on which thread it was freed."""

    def __init__(self, freed_on: list):
        self.me, self.freed_on = self, freed_on

    def __del__(self):
        self.freed_on.append(threading.current_thread())


def allocate_on_a_worker(count: int) -> list:
    """`count` live containers made on another thread: well past the youngest generation's threshold."""
    made = []
    worker = threading.Thread(target=lambda: made.append([[] for _ in range(count)]))
    worker.start()
    worker.join()
    return made


def test_a_worker_allocating_never_collects_and_the_gui_timer_does(qapp, qtbot):
    collector = install_collector(qapp)
    assert install_collector(qapp) is collector and not gc.isenabled()
    gc.collect()
    freed_on = []
    Cycle(freed_on)
    held = allocate_on_a_worker(gc.get_threshold()[0] * 20)
    assert freed_on == []
    qtbot.waitUntil(lambda: freed_on != [], timeout=5000)
    assert freed_on == [threading.main_thread()] and held


def test_collect_due_collects_only_past_the_threshold():
    gc.collect()
    assert collect_due() is None
    held = [[] for _ in range(gc.get_threshold()[0] + 1)]
    assert collect_due() == 0 and held


def test_a_widget_given_to_qtbot_outlives_the_test_body_even_in_a_cycle(qtbot):
    """Else the collector could clear it between the test's end and pytest-qt closing it."""
    widget = QWidget()
    widget.me = widget
    qtbot.addWidget(widget)
    gone = weakref.ref(widget)
    del widget
    gc.collect()
    assert gone() is not None
