"""A baseline of several runs: the prediction interval, pooling, and keeping K runs."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import numpy as np
import pytest
from runfactory import START_EPOCH, lognormal_intervals, write_run
from scipy import stats

from oms_harness.regression import baseline
from oms_harness.regression.comparable import IncomparableRunsError
from oms_harness.regression.compare import NO_CHANGE, REGRESSION, compare_runs
from oms_harness.regression.runs import read_run
from oms_harness.regression.settings import RegressionSettings
from oms_harness.regression.spread import MIN_RUNS, spread_of

SETTINGS = RegressionSettings(resamples=500)
BASELINE_MEDIANS = (10.0, 12.0, 8.5)
"""Three runs of one release at three moments of a busy host: +-20% between runs."""


def _run(tmp_path: Path, name: str, median: float, *, k: int, rate: int = 100) -> Path:
    return write_run(
        tmp_path / name,
        lognormal_intervals(30, rate, median, seed=10 + k),
        rate=rate,
        start_epoch=START_EPOCH + 1000 * k,  # a run minutes after the one before
    )


def _baseline(tmp_path: Path, medians: tuple[float, ...] = BASELINE_MEDIANS) -> Path:
    """A baseline saved once per median, keeping them all; the last one is the newest."""
    root = tmp_path / "baselines"
    for k, median in enumerate(medians):
        baseline.save(_run(tmp_path, f"base-{k}", median, k=k), "rel", root, keep=len(medians))
    return root / "rel"


def _verdicts(comparison) -> dict[str, str]:
    return {f.change.figure: f.verdict for f in comparison.figures}


def test_the_prediction_interval_is_the_t_interval_on_the_log_scale() -> None:
    values = [10.0, 11.0, 9.0, 10.5]
    spread = spread_of("p95", values, [12.0], 0.95)
    assert spread is not None
    logs = np.log(values)
    s = np.std(logs, ddof=1)
    half = stats.t.ppf(0.975, 3) * s * math.sqrt(1 + 1 / 4)
    d = math.log(12.0) - logs.mean()
    assert spread.spread == pytest.approx(s)
    assert spread.low == pytest.approx(math.expm1(d - half))
    assert spread.high == pytest.approx(math.expm1(d + half))
    assert spread.low < 12.0 / np.exp(logs.mean()) - 1 < spread.high


def test_one_candidate_run_is_the_prediction_interval_of_a_new_run() -> None:
    """With m = 1 the two-sample interval is the classical prediction interval."""
    values = [10.0, 11.0, 9.0]
    spread = spread_of("p50", values, [10.0], 0.95)
    assert spread is not None
    s = np.std(np.log(values), ddof=1)
    assert spread.spread == pytest.approx(s)
    assert spread.freedom == 2


def test_the_candidates_own_runs_join_the_pooled_spread() -> None:
    a, b = [10.0, 10.5, 9.5], [15.0, 15.5, 14.5]
    spread = spread_of("p50", a, b, 0.95)
    assert spread is not None
    logs_a, logs_b = np.log(a), np.log(b)
    squares = ((logs_a - logs_a.mean()) ** 2).sum() + ((logs_b - logs_b.mean()) ** 2).sum()
    s = math.sqrt(squares / 4)
    half = stats.t.ppf(0.975, 4) * s * math.sqrt(2 / 3)
    d = logs_b.mean() - logs_a.mean()
    assert spread.low == pytest.approx(math.expm1(d - half))
    assert spread.high == pytest.approx(math.expm1(d + half))
    assert spread.low > 0  # +50%, runs 5% apart: beyond the spread


def test_fewer_than_four_runs_in_all_give_no_spread() -> None:
    assert MIN_RUNS == 4
    assert spread_of("p95", [10.0, 11.0], [12.0], 0.95) is None
    assert spread_of("p95", [10.0, 11.0, math.nan], [12.0], 0.95) is None
    assert spread_of("p95", [10.0, 11.0], [12.0, 12.5], 0.95) is not None


def test_a_candidate_inside_the_runs_spread_is_no_change(tmp_path: Path) -> None:
    """B as slow as the slowest baseline run: against the newest run alone (8.5 ms) that is
    a 40% regression; against the three runs it is what the release does anyway."""
    saved = _baseline(tmp_path)
    b = read_run(_run(tmp_path, "b", 12.0, k=9))
    newest_alone = compare_runs(
        read_run(_run(tmp_path, "solo", BASELINE_MEDIANS[-1], k=len(BASELINE_MEDIANS) - 1)),
        b,
        SETTINGS,
    )
    assert _verdicts(newest_alone)["p50"] == REGRESSION
    assert newest_alone.runs == (1, 1)
    pooled = compare_runs(read_run(saved), b, SETTINGS)
    assert pooled.runs == (3, 1)
    assert _verdicts(pooled)["p50"] == NO_CHANGE
    assert not pooled.regressed
    p50 = next(f for f in pooled.figures if f.change.figure == "p50")
    assert p50.change.spread is not None
    newest_first = BASELINE_MEDIANS[::-1]
    assert p50.change.spread.values == pytest.approx(newest_first, rel=0.1)
    assert "run-to-run spread of 3 + 1 runs" in p50.change.method
    assert any("A holds 3 runs and B 1 run" in note for note in pooled.notes)
    document = pooled.to_json()
    assert document["runs"] == [3, 1]
    assert document["figures"][0]["run_to_run"]["run_to_run_pct"] > 10


def test_a_candidate_beyond_the_spread_is_a_regression(tmp_path: Path) -> None:
    """Runs 5% apart: with three of them and one candidate, t(2) = 4.3 puts the line near
    +30%; +50% is out."""
    saved = _baseline(tmp_path, (10.0, 10.5, 9.5))
    comparison = compare_runs(read_run(saved), read_run(_run(tmp_path, "b", 15.0, k=9)), SETTINGS)
    assert _verdicts(comparison)["p50"] == REGRESSION
    assert comparison.exit_code == 1


def test_tight_baseline_runs_keep_the_bootstrap_interval(tmp_path: Path) -> None:
    """Runs that agree closely: their spread is narrower than one run's noise, and the
    bootstrap interval stands (the comparison is never narrower than before)."""
    saved = _baseline(tmp_path, (10.0, 10.0, 10.0))
    comparison = compare_runs(read_run(saved), read_run(_run(tmp_path, "b", 10.0, k=9)), SETTINGS)
    assert set(_verdicts(comparison).values()) == {NO_CHANGE}
    for figure in comparison.figures:
        spread = figure.change.spread
        assert spread is not None
        assert figure.change.low <= spread.low or figure.change.high >= spread.high


def test_three_runs_in_all_are_pooled_and_a_note_asks_for_more(tmp_path: Path) -> None:
    saved = _baseline(tmp_path, (10.0, 10.0))
    comparison = compare_runs(read_run(saved), read_run(_run(tmp_path, "b", 10.0, k=9)), SETTINGS)
    assert comparison.runs == (2, 1)
    assert all(f.change.spread is None for f in comparison.figures)
    assert any("4 runs in all" in note for note in comparison.notes)
    assert comparison.blocks[0] > comparison.blocks[1]  # both runs' blocks


def _saved(tmp_path: Path, name: str, medians: tuple[float, ...], first: int) -> Path:
    root = tmp_path / "baselines"
    for k, median in enumerate(medians, start=first):
        baseline.save(_run(tmp_path, f"{name}-{k}", median, k=k), name, root, keep=len(medians))
    return root / name


def test_a_candidate_of_three_runs_outweighs_one_unlucky_run(tmp_path: Path) -> None:
    """One of three candidate runs caught a slow moment (+40%): alone it is a regression;
    beside its two twins it is their spread. Three runs all +50% still fail."""
    a = read_run(_saved(tmp_path, "rel", (10.0, 10.5, 9.5), 0))
    unlucky = read_run(_saved(tmp_path, "cand", (10.0, 10.2, 14.0), 10))
    newest_alone = dataclasses.replace(unlucky, earlier=())
    assert _verdicts(compare_runs(a, newest_alone, SETTINGS))["p50"] == REGRESSION
    both = compare_runs(a, unlucky, SETTINGS)
    assert both.runs == (3, 3)
    assert _verdicts(both)["p50"] == NO_CHANGE
    slower = read_run(_saved(tmp_path, "slow", (15.0, 15.5, 14.5), 20))
    assert _verdicts(compare_runs(a, slower, SETTINGS))["p50"] == REGRESSION


def test_saving_keeps_the_newest_k_runs(tmp_path: Path) -> None:
    root = tmp_path / "baselines"
    for k in range(4):
        baseline.save(_run(tmp_path, f"r{k}", 10.0, k=k), "rel", root, keep=3)
    stored = read_run(root / "rel")
    assert [Path(r.meta["source_run"]).name for r in stored.runs] == ["r3", "r2", "r1"]
    assert sorted(p.name for p in root.iterdir()) == ["rel"]  # no staging leftovers
    baseline.save(_run(tmp_path, "r4", 10.0, k=4), "rel", root)  # keep=1: replace, as before
    assert not (root / "rel" / "earlier").exists()
    assert len(read_run(root / "rel").runs) == 1


def test_a_run_of_another_shape_cannot_join_and_changes_nothing(tmp_path: Path) -> None:
    root = tmp_path / "baselines"
    baseline.save(_run(tmp_path, "r0", 10.0, k=0), "rel", root, keep=3)
    before = json.loads((root / "rel" / "baseline.json").read_text())
    other = _run(tmp_path, "r1", 10.0, k=1, rate=50)
    with pytest.raises(IncomparableRunsError, match=r"cannot join.*rate.*--baseline-runs 1"):
        baseline.save(other, "rel", root, keep=3)
    assert json.loads((root / "rel" / "baseline.json").read_text()) == before
    baseline.save(other, "rel", root, keep=1)  # replacing is always allowed
    assert read_run(root / "rel").schedule.rate_at(1.0) == 50


def test_an_earlier_run_that_differs_makes_the_comparison_incomparable(tmp_path: Path) -> None:
    """A baseline's runs edited by hand are checked again at comparison time."""
    saved = _baseline(tmp_path, (10.0, 10.0, 10.0))
    earlier = sorted((saved / "earlier").iterdir())[0]
    write_run(earlier, lognormal_intervals(30, 50, 10.0, seed=3), rate=50)
    with pytest.raises(IncomparableRunsError, match="rate"):
        compare_runs(read_run(saved), read_run(_run(tmp_path, "b", 10.0, k=9)), SETTINGS)
