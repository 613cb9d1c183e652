"""Mann-Kendall drift on known series: a trend, a flat line, noise, a gentle slope."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from runfactory import write_run

from oms_harness.regression import drift
from oms_harness.regression.runs import read_run
from oms_harness.regression.settings import RegressionSettings


def test_a_steep_upward_trend_is_drift() -> None:
    rng = np.random.default_rng(1)
    values = 10 + 0.05 * np.arange(600) + rng.normal(0, 0.5, 600)  # +30 ms in 10 min
    trend = drift.trend("p95_ms", list(values), 1.0, min_slope=0.10, relative=True)
    assert trend.drifting
    assert trend.slope_per_10min == pytest.approx(30, rel=0.1)


def test_a_gentle_trend_is_significant_but_not_drift() -> None:
    rng = np.random.default_rng(2)
    values = 10 + 0.0005 * np.arange(600) + rng.normal(0, 0.05, 600)  # +0.3 ms = 2% / 10 min
    trend = drift.trend("p95_ms", list(values), 1.0, min_slope=0.10, relative=True)
    assert not trend.drifting
    assert "below the minimum slope" in trend.reason


@pytest.mark.parametrize("seed", range(5))
def test_stationary_noise_is_no_drift(seed: int) -> None:
    rng = np.random.default_rng(seed)
    values = rng.lognormal(np.log(10), 0.3, 300)
    assert not drift.trend("p95_ms", list(values), 1.0, min_slope=0.10, relative=True).drifting


def test_flat_and_short_series() -> None:
    assert drift.trend("error_rate", [0.0] * 50, 1.0, min_slope=0.01, relative=False).reason == (
        "flat"
    )
    assert not drift.trend("p95_ms", [1.0, 2.0, 3.0], 1.0, min_slope=0.1, relative=True).drifting


def test_error_rate_drift_uses_an_absolute_slope(tmp_path: Path) -> None:
    seconds = 60
    intervals = [[5.0] * 100 for _ in range(seconds)]
    failures = [min(100, s) for s in range(seconds)]  # one more failed request each second
    run = read_run(write_run(tmp_path / "r", intervals, failures=failures))
    verdict = drift.assess(run, RegressionSettings(drift_min_duration_s=30))
    by_series = {t.series: t for t in verdict.trends}
    assert by_series["error_rate"].drifting
    assert not by_series["p95_ms"].drifting
    assert verdict.verdict == "drift"


def test_short_runs_are_not_assessed_unless_soaks(tmp_path: Path) -> None:
    run = read_run(write_run(tmp_path / "r", [[5.0] * 10] * 20))
    assert drift.assess(run, RegressionSettings()).verdict == "not assessed"
    soak = read_run(write_run(tmp_path / "s", [[5.0] * 10] * 20, scenario="soak"))
    assert drift.assess(soak, RegressionSettings()).verdict == "no drift"
