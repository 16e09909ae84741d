"""The installed PySide6 must keep Python's reference counts: 6.12.0 on Python 3.11 does not.

That build returns None (and True from Signal.emit) without owning a reference, so
every call of a void method takes one reference from None and a long session aborts
with "none_dealloc"/"bool_dealloc". Pin PySide6-Essentials below 6.12 on Python < 3.12.
"""

import sys

from PySide6.QtCore import QObject, QTimer, Signal


class _Probe(QObject):
    ping = Signal()


def test_void_calls_and_emits_keep_reference_counts(qapp):
    timer, probe = QTimer(), _Probe()
    none_before, true_before = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(100):
        timer.setInterval(10)
        probe.ping.emit()
    assert sys.getrefcount(None) - none_before > -50, "this PySide6 build steals references to None"
    assert sys.getrefcount(True) - true_before > -50, "this PySide6 build's Signal.emit steals references to True"
