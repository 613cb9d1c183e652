"""Run-to-run spread: what a baseline of several runs knows and one run cannot.

A block bootstrap over one run's seconds measures how much that run's figure would move if
its seconds were drawn again. It cannot see what moves a whole run: on a shared host the
machine's state minutes apart (measured here: one run whose p95 sat 44% above its twin's
throughout, no stall in it). Two runs taken at two moments differ by that much more than
their intervals say, and a sequential comparison calls the difference a regression
(bench/README.md: 2 false alarms in 20 pairs, both of this kind).

A baseline saved several times (``--baseline-runs K``, ``[regression] baseline_runs``)
measures it. For each figure, with ``v_1..v_k`` its value in each baseline run and ``b`` in
the candidate, on the log scale (a change is a ratio):

    d = ln b - mean(ln v_i),   h = t(k - 1, (1 + confidence) / 2) * s * sqrt(1 + 1/k)

where ``s`` is the sample standard deviation of ``ln v_i``: the prediction interval of one
new run's figure, if nothing changed (``s`` holds the within-run noise as well as the
between-run part, which is what a single new run carries). The figure's interval is the
bootstrap interval widened on each side to ``exp(d +- h) - 1`` where that is wider, so a
change must stand out of both the run's own noise and the baseline runs' spread. With fewer
than ``MIN_RUNS`` runs ``t(1)`` is 12.7 and the interval says nothing: two runs are pooled,
and a note asks for a third.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from .runs import Interval, counts_percentile
from .stats import PERCENTILE_FIGURES, THROUGHPUT, Change

MIN_RUNS = 3
"""Baseline runs needed before their spread widens an interval."""
LEVELS = dict(PERCENTILE_FIGURES)


@dataclass(frozen=True)
class Spread:
    """One figure across the baseline's runs, and the interval it implies for B."""

    figure: str
    values: tuple[float, ...]
    """The figure in each baseline run (newest first)."""
    spread: float
    """Sample standard deviation of the log values (0.05: runs differ by about 5%)."""
    low: float
    high: float
    """Prediction interval of B's relative change, if nothing changed."""

    def to_json(self) -> dict[str, Any]:
        return {
            "values": [round(v, 4) for v in self.values],
            "run_to_run_pct": round(self.spread * 100, 3),
            "prediction_pct": [round(self.low * 100, 4), round(self.high * 100, 4)],
        }


def figure_value(intervals: Sequence[Interval], figure: str, interval_s: float) -> float:
    """A figure of one run, counted as the pooled figures count it (nan: no answers)."""
    if figure == THROUGHPUT:
        seconds = len(intervals) * interval_s
        return sum(i.completed for i in intervals) / seconds if seconds else math.nan
    if not intervals:
        return math.nan
    value = counts_percentile(np.sum([i.counts for i in intervals], axis=0), LEVELS[figure])
    return math.nan if value is None else value


def spread_of(
    figure: str, values: Sequence[float], candidate: float, confidence: float
) -> Spread | None:
    """The prediction interval for ``candidate`` (None: too few runs, or a run without the
    figure)."""
    k = len(values)
    if k < MIN_RUNS or not all(v > 0 and math.isfinite(v) for v in (*values, candidate)):
        return None
    logs = np.log(np.asarray(values, dtype=float))
    s = float(np.std(logs, ddof=1))
    d = math.log(candidate) - float(np.mean(logs))
    h = float(stats.t.ppf((1 + confidence) / 2, k - 1)) * s * math.sqrt(1 + 1 / k)
    return Spread(figure, tuple(values), s, math.expm1(d - h), math.expm1(d + h))


def widen(change: Change, spread: Spread | None) -> Change:
    """The change's interval, widened to the run-to-run prediction interval where wider."""
    if spread is None:
        return change
    low, high = min(change.low, spread.low), max(change.high, spread.high)
    if (low, high) == (change.low, change.high):
        method = f"{change.method}; wider than the run-to-run spread of {len(spread.values)} runs"
    else:
        method = f"{change.method}, widened by the run-to-run spread of {len(spread.values)} runs"
    return dataclasses.replace(change, low=low, high=high, method=method, spread=spread)


def widen_all(
    changes: Sequence[Change],
    runs: Sequence[Sequence[Interval]],
    interval_s: float,
    confidence: float,
) -> list[Change]:
    """Each change widened by the spread of its figure over the baseline ``runs``."""
    if len(runs) < MIN_RUNS:
        return list(changes)
    return [
        widen(
            c,
            spread_of(
                c.figure,
                [figure_value(run, c.figure, interval_s) for run in runs],
                c.b,
                confidence,
            ),
        )
        for c in changes
    ]
