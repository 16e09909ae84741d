"""The core has no Qt: importing every module outside `ui` and `printing` must not load PySide6 or pyqtgraph."""

import pkgutil
import subprocess
import sys

import a2v2_desktop

CORE_PACKAGES = ("api", "cache", "domain", "sync", "standin", "reports", "insights")
QT_PACKAGES = ("ui", "printing")  # printing: QtGui/QtPrintSupport for PDFs and printers, never pyqtgraph


def core_modules():
    for info in pkgutil.walk_packages(a2v2_desktop.__path__, "a2v2_desktop."):
        top = info.name.split(".")[1]
        if top in CORE_PACKAGES and ".migrations" not in info.name:
            yield info.name
    yield from ("a2v2_desktop.cli", "a2v2_desktop.settings", "a2v2_desktop.keychain", "a2v2_desktop.paths")


def test_core_imports_no_qt():
    modules = sorted(set(core_modules()))
    assert "a2v2_desktop.sync.engine" in modules
    code = "import sys\n" + "".join(f"import {m}\n" for m in modules) + (
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph', 'shiboken6'))\n"
        "print(','.join(bad))\n"
    )
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert output == ""


def test_every_package_is_either_core_or_qt():
    """A new package has to be placed on one side of the line on purpose."""
    packages = {info.name for info in pkgutil.iter_modules(a2v2_desktop.__path__) if info.ispkg}
    assert packages == set(CORE_PACKAGES) | set(QT_PACKAGES)


def test_printing_needs_no_pyqtgraph():
    """The command line renders PDFs headless; the chart is drawn with QPainter, not pyqtgraph."""
    code = ("import sys\nimport a2v2_desktop.printing.pdf\n"
            "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] == 'pyqtgraph')))\n")
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert output == ""
