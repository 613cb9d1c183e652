"""Run-to-run spread: what a baseline of several runs knows and one run cannot.

A block bootstrap over one run's seconds measures how much that run's figure would move if
its seconds were drawn again. It cannot see what moves a whole run: on a shared host the
machine's state minutes apart (measured here: one run whose p95 sat 44% above its twin's
throughout, no stall in it). Two runs taken at two moments differ by that much more than
their intervals say, and a sequential comparison calls the difference a regression
(bench/README.md: 2 false alarms in 20 pairs, both of this kind).

A baseline saved several times (``--baseline-runs K``, ``[regression] baseline_runs``)
measures it, and so does a candidate saved several times (``compare BASELINE CANDIDATE``
with two such baselines). For each figure, with ``a_1..a_k`` its value in each baseline run
and ``b_1..b_m`` in each candidate run, on the log scale (a change is a ratio):

    d = mean(ln b_j) - mean(ln a_i),   h = t(k + m - 2, (1 + confidence) / 2) * s * sqrt(1/k + 1/m)

where ``s`` is the pooled sample standard deviation of the log values: the two-sample t
interval of the run-level change (one candidate run, ``m = 1``: the prediction interval of
one new run). ``s`` holds each run's own noise as well as the between-run part, which is what
a run carries. The figure's interval is the bootstrap interval widened on each side to
``exp(d +- h) - 1`` where that is wider, so a change must stand out of both the runs' own
noise and their spread. With fewer than ``MIN_RUNS`` runs in all ``t(1)`` is 12.7 and the
interval says nothing: the runs are pooled, and a note asks for more.
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

MIN_RUNS = 4
"""Runs in all (baseline and candidate) before their spread widens an interval: two degrees
of freedom, ``t(2) = 4.3``; with fewer, ``t(1) = 12.7`` and the interval says nothing."""
LEVELS = dict(PERCENTILE_FIGURES)


@dataclass(frozen=True)
class Spread:
    """One figure across the runs of both sides, and the interval it implies for B."""

    figure: str
    values: tuple[float, ...]
    """The figure in each baseline run (newest first)."""
    values_b: tuple[float, ...]
    """... and in each candidate run."""
    spread: float
    """Pooled sample standard deviation of the log values (0.05: runs differ by about 5%)."""
    low: float
    high: float
    """The t interval of B's relative change from the run-level figures."""

    @property
    def freedom(self) -> int:
        return len(self.values) + len(self.values_b) - 2

    def to_json(self) -> dict[str, Any]:
        return {
            "values": [round(v, 4) for v in self.values],
            "values_b": [round(v, 4) for v in self.values_b],
            "run_to_run_pct": round(self.spread * 100, 3),
            "degrees_of_freedom": self.freedom,
            "interval_pct": [round(self.low * 100, 4), round(self.high * 100, 4)],
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
    figure: str, values: Sequence[float], values_b: Sequence[float], confidence: float
) -> Spread | None:
    """The two-sample t interval of the run-level change (None: too few runs, or a run
    without the figure)."""
    k, m = len(values), len(values_b)
    if k + m < MIN_RUNS or not all(v > 0 and math.isfinite(v) for v in (*values, *values_b)):
        return None
    logs_a = np.log(np.asarray(values, dtype=float))
    logs_b = np.log(np.asarray(values_b, dtype=float))
    squares = float(np.sum((logs_a - logs_a.mean()) ** 2) + np.sum((logs_b - logs_b.mean()) ** 2))
    s = math.sqrt(squares / (k + m - 2))
    d = float(logs_b.mean() - logs_a.mean())
    h = float(stats.t.ppf((1 + confidence) / 2, k + m - 2)) * s * math.sqrt(1 / k + 1 / m)
    return Spread(figure, tuple(values), tuple(values_b), s, math.expm1(d - h), math.expm1(d + h))


def widen(change: Change, spread: Spread | None) -> Change:
    """The change's interval, widened to the run-level interval where that is wider."""
    if spread is None:
        return change
    low, high = min(change.low, spread.low), max(change.high, spread.high)
    runs = f"{len(spread.values)} + {len(spread.values_b)} runs"
    if (low, high) == (change.low, change.high):
        method = f"{change.method}; wider than the run-to-run spread of {runs}"
    else:
        method = f"{change.method}, widened by the run-to-run spread of {runs}"
    return dataclasses.replace(change, low=low, high=high, method=method, spread=spread)


def widen_all(
    changes: Sequence[Change],
    runs: Sequence[Sequence[Interval]],
    runs_b: Sequence[Sequence[Interval]],
    interval_s: float,
    confidence: float,
) -> list[Change]:
    """Each change widened by the spread of its figure over the runs of both sides."""
    if len(runs) + len(runs_b) < MIN_RUNS:
        return list(changes)
    return [
        widen(
            c,
            spread_of(
                c.figure,
                [figure_value(run, c.figure, interval_s) for run in runs],
                [figure_value(run, c.figure, interval_s) for run in runs_b],
                confidence,
            ),
        )
        for c in changes
    ]
