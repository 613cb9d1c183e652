"""Drift in long runs: does the corrected p95 (or the error rate) trend upwards?

The per-interval series is tested with the Mann-Kendall trend test in Hamed and Rao's
variant (``pymannkendall.hamed_rao_modification_test``), which corrects the test's variance
for the autocorrelation that per-second latency always has, and the trend's size is Sen's
slope (the median of pairwise slopes, robust to outliers). A trend counts as drift only
when it is significant *and* steeper than the minimum slope: p95 growing more than
``drift_pct_per_10min`` percent of its median per 10 minutes, or the error rate more than
``drift_error_rate_per_10min`` per 10 minutes.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pymannkendall

from .runs import StoredRun
from .settings import RegressionSettings

MIN_POINTS = 10
ALPHA = 0.05
TEN_MINUTES_S = 600.0


@dataclass(frozen=True)
class Trend:
    series: str
    points: int
    p_value: float | None
    slope_per_10min: float | None
    """Sen's slope, in the series' unit per 10 minutes."""
    relative_per_10min: float | None
    """p95 only: the slope as a share of the series' median."""
    drifting: bool
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {
            "series": self.series,
            "points": self.points,
            "p_value": _round(self.p_value),
            "slope_per_10min": _round(self.slope_per_10min),
            "relative_per_10min_pct": _round(
                self.relative_per_10min * 100 if self.relative_per_10min is not None else None
            ),
            "drifting": self.drifting,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class DriftVerdict:
    assessed: bool
    trends: tuple[Trend, ...]
    reason: str
    settings: RegressionSettings

    @property
    def drifting(self) -> bool:
        return any(t.drifting for t in self.trends)

    @property
    def verdict(self) -> str:
        if not self.assessed:
            return "not assessed"
        return "drift" if self.drifting else "no drift"

    def to_json(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "assessed": self.assessed,
            "reason": self.reason,
            "method": "Mann-Kendall (Hamed-Rao autocorrelation correction), Sen's slope",
            "alpha": ALPHA,
            "min_p95_pct_per_10min": self.settings.drift_pct_per_10min,
            "min_error_rate_per_10min": self.settings.drift_error_rate_per_10min,
            "trends": [t.to_json() for t in self.trends],
        }

    def format(self) -> str:
        lines = [f"  drift: {self.verdict} ({self.reason})"]
        for t in self.trends:
            slope = "-" if t.slope_per_10min is None else f"{t.slope_per_10min:+.4g}/10 min"
            rel = (
                ""
                if t.relative_per_10min is None
                else f" ({t.relative_per_10min * 100:+.1f}% of median)"
            )
            p_value = "-" if t.p_value is None else f"{t.p_value:.3g}"
            lines.append(f"    {t.series}: slope {slope}{rel}, p = {p_value}: {t.reason}")
        return "\n".join(lines)


def _round(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else round(value, 6)


def trend(
    series: str,
    values: Sequence[float],
    interval_s: float,
    *,
    min_slope: float,
    relative: bool,
) -> Trend:
    """Mann-Kendall with Sen's slope over ``values`` spaced ``interval_s`` apart."""
    data = np.asarray(values, dtype=float)
    data = data[np.isfinite(data)]
    if data.size < MIN_POINTS:
        return Trend(series, int(data.size), None, None, None, False, "too few intervals")
    if float(np.ptp(data)) == 0.0:
        return Trend(series, int(data.size), 1.0, 0.0, 0.0 if relative else None, False, "flat")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a near-constant series makes its variance tiny
        result = pymannkendall.hamed_rao_modification_test(data)
    slope = float(result.slope) / interval_s * TEN_MINUTES_S
    p_value = float(result.p)
    level = float(np.median(data))
    share = slope / level if relative and level > 0 else None
    size = share if relative else slope
    significant = bool(p_value < ALPHA and slope > 0)
    steep = size is not None and math.isfinite(size) and size > min_slope
    if significant and steep:
        reason = "significant upward trend above the minimum slope"
    elif significant:
        reason = "significant upward trend, below the minimum slope"
    else:
        reason = "no significant upward trend"
    return Trend(series, int(data.size), p_value, slope, share, significant and steep, reason)


def assess(run: StoredRun, settings: RegressionSettings) -> DriftVerdict:
    """The drift verdict of one run (soaks and runs of at least ``drift_min_duration_s``)."""
    duration = run.schedule.duration
    if run.scenario != "soak" and duration < settings.drift_min_duration_s:
        return DriftVerdict(
            False,
            (),
            f"run of {duration:g} s, shorter than {settings.drift_min_duration_s:g} s",
            settings,
        )
    intervals = run.intervals
    p95 = [i.p95_ms if i.p95_ms is not None else math.nan for i in intervals]
    errors = [i.failures / i.completed if i.completed else math.nan for i in intervals]
    trends = (
        trend(
            "p95_ms",
            p95,
            run.interval_s,
            min_slope=settings.drift_pct_per_10min / 100,
            relative=True,
        ),
        trend(
            "error_rate",
            errors,
            run.interval_s,
            min_slope=settings.drift_error_rate_per_10min,
            relative=False,
        ),
    )
    return DriftVerdict(
        True, trends, f"{len(intervals)} intervals of {run.interval_s:g} s", settings
    )
