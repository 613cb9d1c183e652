"""Interleaved schedules and the paired comparison of their slices (no sockets)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from runfactory import DEFAULT_KINDS, START_EPOCH, write_run

from oms_harness.errors import UsageError
from oms_harness.load.schedule import ArrivalSchedule, Stage
from oms_harness.regression.compare import NO_CHANGE, REGRESSION
from oms_harness.regression.interleave import (
    InterleaveError,
    compare_interleaved,
    interleaved,
    slice_units,
)
from oms_harness.regression.runs import read_run
from oms_harness.regression.settings import RegressionSettings

SETTINGS = RegressionSettings(resamples=500)


def test_slices_alternate_and_add_up_to_the_base_schedule() -> None:
    base = ArrivalSchedule.constant(100, 10)
    a, b = interleaved(base, 2.0)
    assert a.to_json() == [[2.0, r, r] for r in (100.0, 0.0, 100.0, 0.0, 100.0)]
    assert b.to_json() == [[2.0, r, r] for r in (0.0, 100.0, 0.0, 100.0, 0.0)]
    assert a.total_arrivals + b.total_arrivals == base.total_arrivals
    assert a.duration == b.duration == base.duration


def test_slices_follow_a_ramp_and_split_at_its_stage_boundary() -> None:
    base = ArrivalSchedule((Stage(3.0, 0.0, 30.0), Stage(5.0, 30.0, 30.0)))
    a, b = interleaved(base, 2.0)
    for t in (0.5, 2.5, 3.5, 5.0, 7.9):
        assert a.rate_at(t) + b.rate_at(t) == pytest.approx(base.rate_at(t))
        assert min(a.rate_at(t), b.rate_at(t)) == 0


@pytest.mark.parametrize(("duration", "slice_s"), [(6.0, 2.0), (10.0, 0.0)])
def test_too_few_slices_are_refused(duration: float, slice_s: float) -> None:
    with pytest.raises(UsageError):
        interleaved(ArrivalSchedule.constant(10, duration), slice_s)


FUNDED, MISSING = (str(k["name"]) for k in DEFAULT_KINDS)


def _ab_pair(
    tmp_path: Path, factor: float, seconds: int = 40, missing_factor: float = 1.0
) -> tuple[Path, Path]:
    """Noise common to both targets (a machine getting busier and calmer), B = A x factor;
    of each second's 100 answers, 97 are funded and 3 missing (B's x ``missing_factor``)."""
    rng = np.random.default_rng(3)
    machine = 1 + 0.8 * np.sin(np.arange(seconds) / 3.0) ** 2  # up to 1.8x slower at times
    a_values, b_values = [], []
    for second in range(seconds):
        level = 10.0 * machine[second]
        values = list(rng.lognormal(np.log(level), 0.2, 100))
        active_a = (second // 2) % 2 == 0
        (a_values if active_a else b_values).append((second, values))
    stages = ArrivalSchedule.constant(100, seconds)
    sched_a, sched_b = interleaved(stages, 2.0)

    def write(
        name: str, parts: list[tuple[int, list[float]]], scale: float, slow: float, schedule
    ) -> Path:
        path = tmp_path / name
        funded = [[v * scale for v in values[:97]] for _, values in parts]
        missing = [[v * scale * slow for v in values[97:]] for _, values in parts]
        intervals = [f + m for f, m in zip(funded, missing, strict=True)]
        run = write_run(
            path,
            intervals,
            rate=100,
            schedule=schedule.to_json(),
            by_kind={FUNDED: funded, MISSING: missing},
        )
        # move each interval to its true second
        results = json.loads((run / "results.json").read_text())
        for row, (second, _) in zip(results["intervals"], parts, strict=True):
            row["interval"] = int(START_EPOCH) + second
        (run / "results.json").write_text(json.dumps(results))
        return run

    return (
        write("a", a_values, 1.0, 1.0, sched_a),
        write("b", b_values, factor, missing_factor, sched_b),
    )


def test_paired_slices_cancel_common_noise(tmp_path: Path) -> None:
    a, b = _ab_pair(tmp_path, 1.0)
    run_a, run_b = read_run(a), read_run(b)
    assert sorted(slice_units(run_a, 2.0)) == list(range(0, 20, 2))
    comparison = compare_interleaved(run_a, run_b, SETTINGS, slice_s=2.0, start_at=START_EPOCH)
    assert comparison.verdict == NO_CHANGE
    assert comparison.mode == "interleaved"


def test_paired_slices_find_a_twenty_percent_regression(tmp_path: Path) -> None:
    a, b = _ab_pair(tmp_path, 1.2)
    comparison = compare_interleaved(read_run(a), read_run(b), SETTINGS, slice_s=2.0)
    verdicts = {f.change.figure: f.verdict for f in comparison.figures}
    assert verdicts["p50"] == verdicts["p95"] == REGRESSION
    assert comparison.exit_code == 1


def test_a_generator_that_started_late_invalidates_the_pairing(tmp_path: Path) -> None:
    a, b = _ab_pair(tmp_path, 1.0)
    with pytest.raises(InterleaveError, match="off the planned instant") as caught:
        compare_interleaved(read_run(a), read_run(b), SETTINGS, slice_s=2.0,
                            start_at=START_EPOCH - 1.0)  # fmt: skip
    assert caught.value.exit_code == 4


def test_paired_slices_find_a_regression_of_one_request_kind(tmp_path: Path) -> None:
    a, b = _ab_pair(tmp_path, 1.0, missing_factor=1.5)
    comparison = compare_interleaved(read_run(a), read_run(b), SETTINGS, slice_s=2.0)
    assert REGRESSION not in {f.verdict for f in comparison.figures}
    assert comparison.regressed_kinds == (MISSING,)
    assert comparison.exit_code == 1
    missing = next(k for k in comparison.kinds if k.kind == MISSING)
    assert missing.figures[0].change.relative == pytest.approx(0.5, abs=0.15)  # 60 answers
