"""Work the GUI thread must wait for, such as upgrading the cache before the window can read it,
run on a thread of its own while a modal progress dialog keeps painting: never a frozen window
that the desktop offers to kill."""

from __future__ import annotations

import threading
from collections.abc import Callable

from PySide6.QtCore import QEventLoop, QObject, Qt, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget

SHOW_AFTER_MS = 400  # quick work never flashes a dialog
UPGRADING = ("Updating the cache for this version of A2V2 Desktop…\n"
             "This happens once, and may take a minute on a large organization.\n"
             "A copy of the cache as it was is kept beside it.")


class _Finished(QObject):
    finished = Signal()


def wait_with_progress(text: str, work: Callable[[], None], parent: QWidget | None = None) -> None:
    """Run `work()` on another thread and wait for it here, behind a modal busy dialog shown once it
    has taken SHOW_AFTER_MS; raises what `work` raised."""
    failure: list[BaseException] = []
    done = _Finished()
    loop = QEventLoop()
    done.finished.connect(loop.quit, Qt.QueuedConnection)

    def run() -> None:
        try:
            work()
        except BaseException as error:  # raised again on the GUI thread below
            failure.append(error)
        finally:
            done.finished.emit()

    dialog = busy_dialog(text, parent)
    worker = threading.Thread(target=run, name="a2v2-long-work", daemon=True)
    worker.start()
    loop.exec()
    worker.join()
    dialog.close()
    dialog.deleteLater()
    if failure:
        raise failure[0]


def busy_dialog(text: str, parent: QWidget | None, cancel: str | None = None,
                modality: Qt.WindowModality = Qt.ApplicationModal) -> QProgressDialog:
    """An indeterminate bar, shown once the work has taken SHOW_AFTER_MS; without `cancel`, no Cancel
    button (the work cannot stop half way)."""
    dialog = QProgressDialog(text, cancel or "", 0, 0, parent)
    if cancel is None:
        dialog.setCancelButton(None)
    dialog.setWindowTitle("A2V2 Desktop")
    dialog.setWindowModality(modality)
    dialog.setMinimumDuration(SHOW_AFTER_MS)
    dialog.setValue(0)  # starts the timer that shows it
    return dialog
