"""The comparison as a picture: both runs' percentile curves, the intervals shaded.

Top: the corrected latency percentile curves of A and B (pooled over the measured
intervals) on the HdrHistogram axis, with B's confidence interval for p50, p95 and p99
shaded at each percentile. Bottom: each figure's estimated change with its interval, the
minimum-effect band shaded, so "significant but trivial" is visible at a glance.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..load import histograms
from .compare import REGRESSION, Comparison
from .runs import StoredRun

_LEVELS = {"p50": 50.0, "p95": 95.0, "p99": 99.0}
_TICKS = ((0.5, "50%"), (0.9, "90%"), (0.99, "99%"), (0.999, "99.9%"), (0.9999, "99.99%"))


def curve(run: StoredRun) -> list[tuple[float, float]]:
    """(percentile, ms) of the run's measured intervals pooled into one histogram (every
    run of a baseline saved more than once, as the comparison pools them)."""
    pooled = histograms.new_histogram(histograms.INTERVAL_FIGURES)
    for one in run.runs:
        measured = {i.number for i in one.intervals}
        for row in one.results.get("intervals", []):
            if int(row["interval"]) in measured:
                pooled.add(histograms.decode(row["corrected_hdr"]))
    return histograms.percentile_curve(pooled)


def render(path: Path, comparison: Comparison, a: StoredRun, b: StoredRun) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (top, bottom) = plt.subplots(
        2, 1, figsize=(10, 8), constrained_layout=True, height_ratios=(3, 2)
    )
    try:
        for run, label, colour in ((a, "A", "tab:blue"), (b, "B", "tab:red")):
            points = [(p, ms) for p, ms in curve(run) if p < 100]
            if points:
                xs = [1 / (1 - p / 100) for p, _ in points]
                name = run.label if run.label.startswith(f"{label} ") else f"{label}: {run.label}"
                name += f" ({len(run.runs)} runs)" if len(run.runs) > 1 else ""
                top.plot(xs, [ms for _, ms in points], color=colour, label=name)
        for figure in comparison.figures:
            level = _LEVELS.get(figure.change.figure)
            c = figure.change
            if level is None or not all(math.isfinite(x) for x in (c.a, c.low, c.high)):
                continue
            x = 1 / (1 - level / 100)
            colour = "tab:red" if figure.verdict == REGRESSION else "tab:grey"
            top.fill_between(
                [x / 1.15, x * 1.15],
                c.a * (1 + c.low),
                c.a * (1 + c.high),
                color=colour,
                alpha=0.3,
                label=f"{c.figure}: B's {c.confidence:.0%} interval",
            )
        top.set_xscale("log")
        top.set_xticks([1 / (1 - p) for p, _ in _TICKS], [t for _, t in _TICKS])
        top.set_xlabel("percentile (corrected latency, measured intervals pooled)")
        top.set_ylabel("ms")
        top.set_title(f"{comparison.mode} comparison: {comparison.verdict}")
        top.legend(loc="upper left", fontsize="small")
        top.grid(True, which="both", alpha=0.3)
        _forest(bottom, comparison)
        fig.savefig(path, dpi=100)
    finally:
        plt.close(fig)
    return path


def _forest(ax: Any, comparison: Comparison) -> None:
    names: Sequence[str] = [f.change.figure for f in comparison.figures]
    ys = np.arange(len(names))
    tolerance = comparison.settings.min_effect_pct
    ax.axvspan(-tolerance, tolerance, color="tab:green", alpha=0.12, label="minimum effect")
    ax.axvline(0, color="black", linewidth=0.8)
    for y, figure in zip(ys, comparison.figures, strict=True):
        c = figure.change
        if not all(math.isfinite(v) for v in (c.relative, c.low, c.high)):
            continue
        colour = "tab:red" if figure.verdict == REGRESSION else "tab:blue"
        ax.errorbar(
            [c.relative * 100],
            [y],
            xerr=[[max(c.relative - c.low, 0) * 100], [max(c.high - c.relative, 0) * 100]],
            fmt="o",
            color=colour,
            capsize=4,
        )
    ax.set_yticks(ys, names)
    ax.set_xlabel("change B vs A, % (with confidence interval)")
    ax.legend(loc="lower right", fontsize="small")
    ax.grid(True, axis="x", alpha=0.3)
