"""Stalled seconds: left out of the percentiles, counted by a figure of their own.

A pause of a shared host charges its length to every request due during it (corrected
latency), so a few stalled seconds carry a short run's p95; a target that keeps pausing must
still fail. Each test below also runs with stall detection off, to show that the exclusion
is what decides it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from runfactory import lognormal_intervals, write_run

from oms_harness.regression.compare import NO_CHANGE, REGRESSION, compare_runs
from oms_harness.regression.runs import Interval, read_run
from oms_harness.regression.settings import RegressionSettings
from oms_harness.regression.stalls import find_stalls, judge_stalls, kept_pairs
from oms_harness.report import regression as report

SETTINGS = RegressionSettings(resamples=500)
OFF = RegressionSettings(resamples=500, stall_factor=0)


def _stalled(seconds: int, stalled: set[int], *, seed: int) -> list[list[float]]:
    """10 ms answers; in each stalled second a 600 ms pause: 60 answers waited for it."""
    values = lognormal_intervals(seconds, 100, 10.0, seed=seed)
    rng = np.random.default_rng(seed + 99)
    for second in stalled:
        waited = list(np.linspace(600.0, 10.0, 60) + rng.uniform(0, 2, 60))
        values[second] = values[second][:40] + waited
    return values


def _run(tmp_path: Path, name: str, seconds: int, stalled: set[int], seed: int):
    return read_run(write_run(tmp_path / name, _stalled(seconds, stalled, seed=seed)))


def test_the_stalled_seconds_are_found_against_the_runs_own_median(tmp_path: Path) -> None:
    run = _run(tmp_path, "a", 20, {3, 11}, seed=1)
    found = find_stalls(run.intervals, 2.0)
    assert [n - run.intervals[0].number for n in found.numbers] == [3, 11]
    assert found.units == 20
    # a uniformly slower run has no more stalls than before: its own median moves too
    slow = read_run(write_run(tmp_path / "slow", lognormal_intervals(20, 100, 40.0, seed=2)))
    assert find_stalls(slow.intervals, 2.0).numbers == ()
    assert find_stalls(run.intervals, 0).numbers == ()  # off


def test_a_few_host_stalls_in_one_run_are_no_false_alarm(tmp_path: Path) -> None:
    """Identical servers; B's run caught three pauses of the host in 30 s."""
    a = _run(tmp_path, "a", 30, set(), seed=1)
    b = _run(tmp_path, "b", 30, {4, 5, 17}, seed=2)
    judged = compare_runs(a, b, SETTINGS)
    assert judged.verdict == NO_CHANGE, judged.format()
    assert judged.stalls is not None
    assert judged.stalls.excluded
    assert len(judged.stalls.b.numbers) == 3
    assert judged.stalls.verdict == NO_CHANGE
    assert judged.blocks[1] <= 27  # the stalled seconds are not in B's blocks
    # with detection off, the same pauses carry B's tail and fail the comparison
    unguarded = compare_runs(a, b, OFF)
    assert unguarded.regressed
    assert {f.change.figure for f in unguarded.figures if f.verdict == REGRESSION} & {"p95", "p99"}


def test_a_target_that_keeps_pausing_is_a_regression_by_its_stall_count(tmp_path: Path) -> None:
    """B pauses every third second: more stalls than A, at any confidence worth the name."""
    a = _run(tmp_path, "a", 30, {7}, seed=1)
    b = _run(tmp_path, "b", 30, set(range(0, 30, 3)), seed=2)
    judged = compare_runs(a, b, SETTINGS)
    assert judged.stalls is not None
    assert judged.stalls.verdict == REGRESSION
    assert judged.regressed
    assert judged.exit_code == 1
    assert "Fisher" in judged.stalls.test
    assert judged.stalls.p_value < 0.01
    document = judged.to_json()["stalls"]
    assert (document["a"]["stalled"], document["b"]["stalled"]) == (1, 10)
    assert document["verdict"] == REGRESSION
    assert "stalls" in judged.format()


def test_too_many_stalls_to_leave_out_are_judged_with_the_rest(tmp_path: Path) -> None:
    """Three units, one stalled: leaving it out would leave too few to bootstrap."""
    a = _run(tmp_path, "a", 3, {1}, seed=1)
    b = _run(tmp_path, "b", 3, set(), seed=2)
    verdict = judge_stalls(a.intervals, b.intervals, SETTINGS, paired=False)
    assert not verdict.excluded
    assert "not left out" in verdict.reason


def _unit(number: int, stalled: bool, rng: np.random.Generator) -> Interval:
    values = list(rng.lognormal(np.log(10.0), 0.2, 100))
    if stalled:
        values = values[:70] + [300.0] * 30
    path_counts = _counts(values)
    return Interval(number, path_counts, 100, 0, None)


def _counts(values: list[float]) -> np.ndarray:
    from oms_harness.load import histograms

    hist = histograms.new_histogram(histograms.INTERVAL_FIGURES)
    histograms.record_many(hist, [histograms.to_micros(v / 1000) for v in values])
    return np.ctypeslib.as_array(hist.counts)[: hist.counts_len].astype(np.int64)


@pytest.mark.parametrize(
    ("stalled_b", "verdict"), [({5}, NO_CHANGE), ({1, 7, 13, 19, 25, 31, 37}, REGRESSION)]
)
def test_paired_units_drop_the_whole_pair_and_count_discordant_pairs(
    stalled_b: set[int], verdict: str
) -> None:
    rng = np.random.default_rng(4)
    keys = list(range(0, 40, 2))  # A's slices; B's slice k + 1 is paired with A's k
    a = [_unit(k, k == 10, rng) for k in keys]
    b = [_unit(k + 1, k + 1 in stalled_b, rng) for k in keys]
    judged = judge_stalls(a, b, SETTINGS, paired=True)
    assert judged.verdict == verdict
    assert "binomial" in judged.test
    left = kept_pairs(keys, judged)
    assert 10 not in left
    assert all(k + 1 not in stalled_b for k in left)
    assert len(left) == len(keys) - 1 - len(stalled_b)


def test_the_stall_figure_is_an_allure_result_and_a_row_of_the_section(tmp_path: Path) -> None:
    a = _run(tmp_path, "a", 30, set(), seed=1)
    b = _run(tmp_path, "b", 30, set(range(0, 30, 3)), seed=2)
    judged = compare_runs(a, b, SETTINGS)
    written = report.write_allure(tmp_path / "results", judged)
    stall = json.loads(written[-1].read_text())
    assert stall["name"] == "Regression check stalls (sequential)"
    assert stall["status"] == "failed"
    params = {p["name"]: p["value"] for p in stall["parameters"]}
    assert params["B (candidate)"] == "10 of 30 units stalled"
    row = next(line for line in report.markdown(judged).splitlines() if line.startswith("| stalls"))
    assert "0/30 units" in row
    assert "10/30 units" in row
    assert REGRESSION in row


def test_stall_factor_is_validated() -> None:
    from oms_harness.errors import ProfileError

    assert RegressionSettings.from_table({"stall_factor": 0}).stall_factor == 0
    assert RegressionSettings.from_table({"stall_factor": 3}).stall_factor == 3
    for bad in (1, 0.5, -2):
        with pytest.raises(ProfileError, match="stall_factor must be 0"):
            RegressionSettings.from_table({"stall_factor": bad})
