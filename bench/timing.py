"""Timing helpers shared by the benchmarks: repeated runs, median and spread."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Figure:
    name: str
    median: float  # in the unit below
    spread: float  # half the interquartile range, same unit
    unit: str
    baseline: float | None = None  # the baseline's median, same unit
    note: str = ""

    @property
    def ratio(self) -> str:
        if not self.baseline:
            return ""
        ratio = self.median / self.baseline
        return f"{ratio:.2f}×" if ratio < 10 else f"{ratio:.0f}×"


def repeat(action: Callable[[], object], runs: int = 15, warmup: int = 2) -> list[float]:
    """Seconds taken by each of ``runs`` calls, after ``warmup`` untimed ones."""
    for _ in range(warmup):
        action()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return times


def summarise(times: list[float], scale: float = 1000.0) -> tuple[float, float]:
    """Median and half the interquartile range, scaled (milliseconds by default)."""
    values = sorted(t * scale for t in times)
    if len(values) < 4:
        return statistics.median(values), 0.0
    q1, _, q3 = statistics.quantiles(values, n=4)
    return statistics.median(values), (q3 - q1) / 2


def _number(value: float) -> str:
    """One decimal, or three significant digits below 1 (a hello answers in 0.08 ms)."""
    return f"{value:.1f}" if abs(value) >= 1 or value == 0 else f"{value:.3g}"


def table(figures: list[Figure]) -> str:
    rows = [("benchmark", "median", "± (IQR/2)", "unit", "baseline", "ratio", "note")]
    for f in figures:
        rows.append(
            (
                f.name,
                _number(f.median),
                _number(f.spread),
                f.unit,
                "" if f.baseline is None else _number(f.baseline),
                f.ratio,
                f.note,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        " | ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in rows
    ]
    lines.insert(1, "-+-".join("-" * width for width in widths))
    return "\n".join(lines)
