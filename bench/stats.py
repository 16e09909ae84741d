"""Figures as median and spread over runs, printed beside their targets and limits."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Figure:
    """One measured quantity over several runs; `higher` says which way is better."""

    name: str
    unit: str
    values: list[float] = field(default_factory=list)
    target: str = ""
    limit: str = ""
    higher: bool = False
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    def spread(self) -> str:
        """min–max of the runs, in the figure's own unit."""
        if len(self.values) < 2:
            return "(1 run)"
        return f"{_number(min(self.values))}–{_number(max(self.values))}"

    def row(self) -> tuple[str, str, str, str, str]:
        value = f"{_number(self.median)} {self.unit}" if self.values else "not measured"
        return (self.name, value, self.spread() if self.values else "", self.target, self.limit or self.note)


def _number(value: float) -> str:
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def timed(call: Callable[[], object]) -> float:
    """Wall seconds of one call."""
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def load() -> str:
    """The machine's load while measuring: other work on 2 cores skews every figure."""
    one, five, _fifteen = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores"


def print_table(figures: list[Figure], out) -> None:
    header = ("figure", "median", "spread (min–max)", "target", "limit / note")
    rows = [header] + [figure.row() for figure in figures]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for number, row in enumerate(rows):
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip(), file=out)
        if number == 0:
            print("  ".join("-" * width for width in widths), file=out)
    out.flush()
