"""Cold start, timed by the caller: `python -m bench.coldstart CACHE FOLDER` builds the window as
the app does, and prints `painted` once the Usage panel has painted the cache's figures."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from bench.window import open_window

if __name__ == "__main__":
    _app, _services, window = open_window(Path(sys.argv[1]), Path(sys.argv[2]), every_panel=False)
    window.repaint()
    print("painted", flush=True)
    os._exit(0)  # the other panels' first queries may still run: they are not part of this figure
