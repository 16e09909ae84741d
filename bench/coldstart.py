"""Cold start, timed by the caller: `python -m bench.coldstart CACHE FOLDER` builds the window as
the app does, prints `painted` once the Usage panel has painted the cache's figures, then
`chart` once its chart (built just after that first paint) has been drawn too."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from bench.window import open_window, settle

if __name__ == "__main__":
    app, _services, window = open_window(Path(sys.argv[1]), Path(sys.argv[2]), every_panel=False)
    window.repaint()
    print("painted", flush=True)
    settle(app, lambda: window.usage.chart.built)
    window.repaint()
    print("chart", flush=True)
    os._exit(0)  # the other panels' first queries may still run: they are not part of this figure
