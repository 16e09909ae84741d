"""Charts drawn with pyqtgraph.

pyqtgraph picks its Qt binding on first import: PySide6 is set here, before any chart module
imports it, since PyQt6 may be installed too.
"""

import os

os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
