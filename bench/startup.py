"""Figures of fresh processes: start-up time from the spawn, and the window's peak memory."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from bench.standin import ROOT
from bench.stats import Figure

# A clean, display-less user: no settings, keychain or session bus of the person running the bench.
_ENV = {"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin", "HOME": "/tmp",
        "XDG_CONFIG_HOME": "/tmp/a2v2-bench-config", "XDG_DATA_HOME": "/tmp/a2v2-bench-data",
        "XDG_STATE_HOME": "/tmp/a2v2-bench-state", "XDG_RUNTIME_DIR": "/tmp/a2v2-bench-runtime"}


def _spawn_marks(command: list[str], markers: list[str]) -> dict[str | None, float]:
    """Seconds from spawning `command` to each of `markers` on its output, and (None) to the end of it."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, env=_ENV, stdout=subprocess.PIPE, text=True)
    seen: dict[str | None, float] = {}
    for line in process.stdout:
        if line.strip() in markers:
            seen[line.strip()] = time.perf_counter() - started
    seen[None] = time.perf_counter() - started
    process.stdout.close()
    process.wait(timeout=120)
    return seen


def cold_start(cache: Path, folder: Path, runs: int) -> list[Figure]:
    painted = Figure("cold start to the window painted with the Usage panel", "s", target="≤ 1.5",
                     note="process spawn to the first paint with the cache's figures (cards and tables)")
    chart = Figure("cold start to the Usage chart drawn as well", "s",
                   note="the chart is built just after the first paint")
    for run in range(runs):
        place = folder / f"cold-{run}"
        place.mkdir(exist_ok=True)
        seen = _spawn_marks([sys.executable, "-m", "bench.coldstart", str(cache), str(place)], ["painted", "chart"])
        painted.values.append(seen["painted"])
        chart.values.append(seen["chart"])
    return [painted, chart]


def peak_memory(cache: Path, folder: Path, runs: int) -> Figure:
    figure = Figure("peak memory, large cache open and every panel visited", "MB", target="≤ 400",
                    note="RSS high-water mark of a fresh window process (bench/memory.py)")
    for run in range(runs):
        place = folder / f"memory-{run}"
        place.mkdir(exist_ok=True)
        output = subprocess.run([sys.executable, "-m", "bench.memory", str(cache), str(place)], cwd=ROOT,
                                env=_ENV, capture_output=True, text=True, timeout=600, check=True).stdout
        figure.values.append(float(output.split("peak ", 1)[1]))
    return figure


def import_qt(runs: int) -> Figure:
    figure = Figure('python -c "import PySide6.QtWidgets"', "s", note="the floor of any Qt start-up")
    for _ in range(runs):
        figure.values.append(_spawn_marks([sys.executable, "-c", "import PySide6.QtWidgets"], [])[None])
    return figure
