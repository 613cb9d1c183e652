"""Comparison of stored runs with known histograms: no change, a clear regression, an
improvement, a significant-but-trivial change, and incomparable runs."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from runfactory import DEFAULT_KINDS, lognormal_intervals, mixed_run, write_run

from oms_harness.regression.compare import (
    IMPROVEMENT,
    NO_CHANGE,
    NOT_JUDGED,
    REGRESSION,
    IncomparableRunsError,
    compare_runs,
)
from oms_harness.regression.runs import RunUnreadableError, read_run
from oms_harness.regression.settings import RegressionSettings

SETTINGS = RegressionSettings(resamples=500)


def _pair(tmp_path: Path, median_b: float, *, seed_b: int = 2, median_a: float = 10.0):
    a = write_run(tmp_path / "a", lognormal_intervals(30, 100, median_a, seed=1))
    b = write_run(tmp_path / "b", lognormal_intervals(30, 100, median_b, seed=seed_b))
    return read_run(a), read_run(b)


def _verdicts(comparison) -> dict[str, str]:
    return {f.change.figure: f.verdict for f in comparison.figures}


def test_same_distribution_is_no_change(tmp_path: Path) -> None:
    comparison = compare_runs(*_pair(tmp_path, 10.0), SETTINGS)
    assert set(_verdicts(comparison).values()) == {NO_CHANGE}
    assert comparison.exit_code == 0
    for figure in comparison.figures:
        assert figure.change.low <= 0.1
        assert figure.change.high >= -0.1


def test_fifty_percent_slower_is_a_regression(tmp_path: Path) -> None:
    comparison = compare_runs(*_pair(tmp_path, 15.0), SETTINGS)
    verdicts = _verdicts(comparison)
    assert verdicts["p50"] == verdicts["p95"] == verdicts["p99"] == REGRESSION
    assert verdicts["throughput"] == NO_CHANGE  # same answers per second
    p50 = next(f.change for f in comparison.figures if f.change.figure == "p50")
    assert p50.relative == pytest.approx(0.5, abs=0.08)
    assert p50.low < p50.relative < p50.high
    assert comparison.exit_code == 1
    assert comparison.to_json()["verdict"] == REGRESSION


def test_faster_is_an_improvement_and_passes(tmp_path: Path) -> None:
    comparison = compare_runs(*_pair(tmp_path, 6.0), SETTINGS)
    assert _verdicts(comparison)["p95"] == IMPROVEMENT
    assert comparison.exit_code == 0


def test_significant_but_below_the_minimum_effect_passes(tmp_path: Path) -> None:
    """+5%: clearly measurable with 3000 samples, but under the 10% tolerance."""
    comparison = compare_runs(*_pair(tmp_path, 10.5), SETTINGS)
    assert comparison.exit_code == 0
    strict = compare_runs(
        *_pair(tmp_path, 10.5), RegressionSettings(resamples=500, min_effect_pct=2, min_effect_ms=0)
    )
    assert _verdicts(strict)["p50"] == REGRESSION


def test_milliseconds_floor_keeps_sub_millisecond_changes_from_failing(tmp_path: Path) -> None:
    """+40% of a 1 ms median is 0.4 ms: below the 1 ms minimum effect."""
    a, b = _pair(tmp_path, 1.4, median_a=1.0)
    assert compare_runs(a, b, SETTINGS).exit_code == 0
    no_floor = RegressionSettings(resamples=500, min_effect_ms=0)
    assert _verdicts(compare_runs(a, b, no_floor))["p50"] == REGRESSION


def test_lower_throughput_is_a_regression(tmp_path: Path) -> None:
    a = write_run(tmp_path / "a", lognormal_intervals(30, 100, 10, seed=1), rate=100)
    b = write_run(tmp_path / "b", lognormal_intervals(30, 70, 10, seed=2), rate=100)
    verdicts = _verdicts(compare_runs(read_run(a), read_run(b), SETTINGS))
    assert verdicts["throughput"] == REGRESSION


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"scenario": "spike"}, "scenario steady vs spike"),
        ({"rate": 200}, "rate 100 vs 200 req/s"),
        ({"schedule": [[10.0, 10.0, 100.0], [20.0, 100.0, 100.0]]}, "scenario shape"),
        (
            {"kinds": [{"name": "/customers/{id}/balance [funded USD -> 200]", "weight": 100.0}]},
            "request mix",
        ),
        ({"base_url": "https://sandbox.example.com/v0.9"}, "target kind loopback vs remote"),
    ],
)
def test_incomparable_runs_say_what_differs(
    tmp_path: Path, change: dict[str, object], expected: str
) -> None:
    a = write_run(tmp_path / "a", lognormal_intervals(30, 100, 10, seed=1), rate=100)
    b = write_run(tmp_path / "b", lognormal_intervals(30, 100, 10, seed=2), **change)  # type: ignore[arg-type]
    with pytest.raises(IncomparableRunsError, match="not comparable") as caught:
        compare_runs(read_run(a), read_run(b), SETTINGS)
    assert expected in str(caught.value)
    assert caught.value.exit_code == 2


def test_different_durations_compare_with_a_note(tmp_path: Path) -> None:
    a = write_run(tmp_path / "a", lognormal_intervals(30, 100, 10, seed=1))
    b = write_run(tmp_path / "b", lognormal_intervals(20, 100, 10, seed=2))
    comparison = compare_runs(read_run(a), read_run(b), SETTINGS)
    assert any("durations differ" in note for note in comparison.notes)


def test_too_short_runs_are_refused(tmp_path: Path) -> None:
    a = write_run(tmp_path / "a", lognormal_intervals(2, 100, 10, seed=1))
    b = write_run(tmp_path / "b", lognormal_intervals(2, 100, 10, seed=2))
    with pytest.raises(IncomparableRunsError, match="too short"):
        compare_runs(read_run(a), read_run(b), SETTINGS)


def test_runs_without_interval_histograms_are_refused(tmp_path: Path) -> None:
    a = write_run(tmp_path / "a", lognormal_intervals(10, 10, 10, seed=1), with_histograms=False)
    with pytest.raises(RunUnreadableError, match="older harness"):
        _ = read_run(a).intervals


def test_not_a_run_directory(tmp_path: Path) -> None:
    with pytest.raises(RunUnreadableError, match=r"results\.json is missing"):
        read_run(tmp_path)


def test_a_run_without_its_plan_compares_on_kind_names(tmp_path: Path) -> None:
    """``load --judge`` results carry no plan.json: weights unknown, names still checked."""
    a = write_run(tmp_path / "a", lognormal_intervals(30, 100, 10, seed=1))
    b = write_run(tmp_path / "b", lognormal_intervals(30, 100, 10, seed=2))
    (b / "plan.json").unlink()
    summary = json.loads((b / "summary.json").read_text())
    summary["request_kinds"] = {k["name"]: {"requests": 1} for k in DEFAULT_KINDS}
    (b / "summary.json").write_text(json.dumps(summary))
    assert compare_runs(read_run(a), read_run(b), SETTINGS).exit_code == 0
    summary["request_kinds"] = {"other": {"requests": 1}}
    (b / "summary.json").write_text(json.dumps(summary))
    with pytest.raises(IncomparableRunsError, match="only in B: other"):
        compare_runs(read_run(a), read_run(b), SETTINGS)


def test_a_baseline_from_another_machine_is_noted(tmp_path: Path) -> None:
    a, b = _pair(tmp_path, 10.0)
    facts = {"hostname": "ci-1", "cpus": 2, "platform": "Linux", "python": "3.11.7"}
    a = dataclasses.replace(a, meta={"machine": {**facts, "load_average_at_save": [3.0]}})
    same = dataclasses.replace(b, meta={"machine": {**facts, "load_average_at_save": [0.1]}})
    notes = compare_runs(a, same, SETTINGS).notes
    assert not any("machines" in n for n in notes)
    # 3.0 vs 0.1 on two CPUs: worth saying, since the figures measure the queueing too
    assert any("machine was busier during A" in n and "compare --ab" in n for n in notes)
    calm = dataclasses.replace(b, meta={"machine": {**facts, "load_average_at_save": [2.5]}})
    assert not any("busier" in n for n in compare_runs(a, calm, SETTINGS).notes)
    other = dataclasses.replace(b, meta={"machine": {**facts, "cpus": 8}})
    assert any("different machines" in n for n in compare_runs(a, other, SETTINGS).notes)


FUNDED, MISSING = (str(k["name"]) for k in DEFAULT_KINDS)


def _mixed(tmp_path: Path, missing_ms_b: float):
    a = mixed_run(tmp_path / "a", 30, {FUNDED: (97, 10.0), MISSING: (3, 10.0)}, seed=1)
    b = mixed_run(tmp_path / "b", 30, {FUNDED: (97, 10.0), MISSING: (3, missing_ms_b)}, seed=2)
    return read_run(a), read_run(b)


def test_a_kind_that_regresses_fails_even_when_the_overall_figures_do_not(
    tmp_path: Path,
) -> None:
    comparison = compare_runs(*_mixed(tmp_path, 15.0), SETTINGS)
    assert REGRESSION not in _verdicts(comparison).values()  # 3% of answers: hidden overall
    assert comparison.regressed_kinds == (MISSING,)
    assert comparison.verdict == REGRESSION
    assert comparison.exit_code == 1
    missing = next(k for k in comparison.kinds if k.kind == MISSING)
    verdicts = {f.change.figure: f.verdict for f in missing.figures}
    assert verdicts["p50"] == REGRESSION
    assert verdicts["p99"] == NOT_JUDGED  # 90 answers: fewer than 20 beyond p99
    assert missing.confidence == pytest.approx(1 - 0.05 / 2)  # Bonferroni over two kinds
    document = comparison.to_json()
    assert document["regressed_kinds"] == [MISSING]
    assert {k["kind"] for k in document["kinds"]} == {FUNDED, MISSING}
    assert "regression in " + MISSING in comparison.format()


def test_kinds_without_a_change_pass(tmp_path: Path) -> None:
    comparison = compare_runs(*_mixed(tmp_path, 10.0), SETTINGS)
    assert [k.kind for k in comparison.kinds] == sorted([FUNDED, MISSING])
    assert not comparison.regressed_kinds
    assert comparison.exit_code == 0


def test_runs_without_per_kind_histograms_compare_overall_only(tmp_path: Path) -> None:
    a, _ = _mixed(tmp_path, 10.0)
    old = write_run(
        tmp_path / "old",
        lognormal_intervals(30, 100, 10.0, seed=3),
        kinds=[{"name": FUNDED, "weight": 97.0}, {"name": MISSING, "weight": 3.0}],
    )
    b = read_run(old)
    comparison = compare_runs(a, b, SETTINGS)
    assert comparison.kinds == ()
    assert any("per-request-kind" in note for note in comparison.notes)
