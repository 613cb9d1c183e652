"""`load --save-baseline/--baseline`, drift and `compare --ab` end to end against the local
reference and its latency faults. Short runs, generous effect sizes, no wall-time asserts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from oms_harness.local_target import local_reference

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

RUN_TIMEOUT_S = 240
GENEROUS_DRIFT = "\n[regression]\ndrift_pct_per_10min = 1000.0\ndrift_min_duration_s = 10.0\n"
"""Only a steep trend counts in these short runs: 1000% of the median per 10 minutes."""


def harness(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "oms_harness", *args],
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def summary_in(root: Path) -> dict[str, Any]:
    (path,) = root.glob("*/summary.json")
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def with_generous_drift(profile: Path) -> Path:
    tuned = profile.with_name("tuned.toml")
    tuned.write_text(profile.read_text() + GENEROUS_DRIFT)
    return tuned


DRIFT_RUNS = {
    "constant": ["--latency", "5ms"],
    "drifting": ["--latency", "5ms", "--latency-drift", "300"],  # +5 ms every second
}


@pytest.mark.parametrize("name", list(DRIFT_RUNS))
def test_drift_is_detected_with_latency_drift_and_not_on_a_constant_run(
    tmp_path: Path, name: str
) -> None:
    """One test per run (they are independent), so xdist runs the two 15 s loads at once."""
    with local_reference(workdir=tmp_path / f"ref-{name}", serve_args=DRIFT_RUNS[name]) as target:
        result = harness(
            "load", "--profile", str(with_generous_drift(target.profile_path)),
            "--rate", "40", "--duration", "15s", "--drift-slo",
            "--report-dir", str(tmp_path / name), cwd=tmp_path,
        )  # fmt: skip
    summary = summary_in(tmp_path / name)
    if name == "constant":
        assert result.returncode == 0, result.stdout + result.stderr[-3000:]
        assert summary["drift"]["verdict"] == "no drift"
        assert "drift: no drift" in result.stdout
        return
    assert result.returncode == 1, result.stdout + result.stderr[-3000:]
    assert summary["drift"]["verdict"] == "drift"
    p95 = next(t for t in summary["drift"]["trends"] if t["series"] == "p95_ms")
    assert p95["drifting"]
    assert p95["slope_per_10min"] > 1000  # ms per 10 minutes: the fault adds 3000
    slo = {v["name"]: v for v in summary["slo"]["verdicts"]}
    assert slo["drift"]["passed"] is False
    assert summary["exit_code"] == 1


def test_baseline_saved_then_compared_catches_a_slower_candidate(tmp_path: Path) -> None:
    baselines = tmp_path / "baselines"
    common = ["--rate", "50", "--duration", "8s", "--baseline-dir", str(baselines)]
    with local_reference(workdir=tmp_path / "ref-a", serve_args=["--latency", "5ms"]) as a:
        saved = harness(
            "load", "--profile", str(a.profile_path), *common, "--save-baseline", "release-1",
            "--report-dir", str(tmp_path / "a"), cwd=tmp_path,
        )  # fmt: skip
    assert saved.returncode == 0, saved.stdout + saved.stderr[-3000:]
    assert "baseline saved: release-1" in saved.stdout
    meta = json.loads((baselines / "release-1" / "baseline.json").read_text())
    assert meta["target_kind"] == "loopback"
    assert meta["spec_version"]
    assert meta["machine"]["cpus"] >= 1
    assert (baselines / "release-1" / "results.json").exists()

    with local_reference(workdir=tmp_path / "ref-b", serve_args=["--latency", "60ms"]) as b:
        compared = harness(
            "load", "--profile", str(b.profile_path), *common, "--baseline", "release-1",
            "--report-dir", str(tmp_path / "b"), cwd=tmp_path,
        )  # fmt: skip
        refused = harness(
            "load", "--profile", str(b.profile_path), "--rate", "25", "--duration", "8s",
            "--baseline-dir", str(baselines), "--baseline", "release-1",
            "--report-dir", str(tmp_path / "c"), cwd=tmp_path,
        )  # fmt: skip
    assert compared.returncode == 1, compared.stdout + compared.stderr[-3000:]
    assert "regression verdict: regression (exit 1)" in compared.stdout
    summary = summary_in(tmp_path / "b")
    figures = {f["figure"]: f for f in summary["regression"]["figures"]}
    assert figures["p50"]["verdict"] == "regression"
    assert figures["p50"]["ci_pct"][0] > 100  # 5 ms -> 60 ms: far beyond +100%
    run_dir = next((tmp_path / "b").iterdir())
    for output in ("comparison.json", "regression.png", "regression.md"):
        assert (run_dir / "regression" / output).stat().st_size > 0
    allure = list((run_dir / "regression" / "allure-results").glob("*-result.json"))
    kinds = summary["regression"]["kinds"]
    planned = json.loads((run_dir / "plan.json").read_text(encoding="utf-8"))["kinds"]
    assert {k["kind"] for k in kinds} == {k["name"] for k in planned}  # every kind compared
    assert len(allure) == 4 + len(kinds) + 1  # every figure, every kind, the stall count
    # a different rate: refused before any load, naming the difference
    assert refused.returncode == 2
    assert "rate 50 vs 25 req/s" in refused.stderr
    assert not (tmp_path / "c").exists() or not any((tmp_path / "c").iterdir())


def test_a_baseline_of_three_runs_is_kept_pooled_and_refuses_a_stranger(tmp_path: Path) -> None:
    """Three saves keep three runs (flag, then the profile key); the comparison pools them
    and widens to their spread; a run of another rate may not join (exit 2, no load)."""
    baselines = tmp_path / "baselines"
    common = ["--rate", "50", "--duration", "6s", "--baseline-dir", str(baselines)]
    with local_reference(workdir=tmp_path / "ref-a", serve_args=["--latency", "5ms"]) as a:
        keeping = a.profile_path.with_name("keeping.toml")
        keeping.write_text(a.profile_path.read_text() + "\n[regression]\nbaseline_runs = 3\n")
        for k, extra in enumerate((["--baseline-runs", "3"], [], [])):
            saved = harness(
                "load", "--profile", str(keeping if not extra else a.profile_path), *common,
                *extra, "--save-baseline", "rel", "--report-dir", str(tmp_path / f"a{k}"),
                cwd=tmp_path,
            )  # fmt: skip
            assert saved.returncode == 0, saved.stdout + saved.stderr[-3000:]
            assert f"({k + 1} of up to 3 runs)" in saved.stdout
        stranger = harness(
            "load", "--profile", str(keeping), "--rate", "25", "--duration", "6s",
            "--baseline-dir", str(baselines), "--save-baseline", "rel",
            "--report-dir", str(tmp_path / "stranger"), cwd=tmp_path,
        )  # fmt: skip
    assert len(list((baselines / "rel" / "earlier").iterdir())) == 2
    assert stranger.returncode == 2, stranger.stdout + stranger.stderr[-3000:]
    assert "cannot join" in stranger.stderr
    assert "rate 50 vs 25 req/s" in stranger.stderr
    assert not (tmp_path / "stranger").exists() or not any((tmp_path / "stranger").iterdir())

    with local_reference(workdir=tmp_path / "ref-b", serve_args=["--latency", "60ms"]) as b:
        compared = harness(
            "load", "--profile", str(b.profile_path), *common, "--baseline", "rel",
            "--report-dir", str(tmp_path / "b"), cwd=tmp_path,
        )  # fmt: skip
    assert compared.returncode == 1, compared.stdout + compared.stderr[-3000:]
    assert "A holds 3 runs and B 1 run" in compared.stdout
    regression = summary_in(tmp_path / "b")["regression"]
    assert regression["runs"] == [3, 1]
    p50 = next(f for f in regression["figures"] if f["figure"] == "p50")
    assert p50["verdict"] == "regression"
    assert len(p50["run_to_run"]["values"]) == 3
    run_dir = next((tmp_path / "b").iterdir())
    assert (run_dir / "regression" / "regression.png").stat().st_size > 0  # all runs drawn


def test_interleaved_ab_catches_the_slower_target(tmp_path: Path) -> None:
    with (
        local_reference(workdir=tmp_path / "ref-a", serve_args=["--latency", "5ms"]) as a,
        local_reference(workdir=tmp_path / "ref-b", serve_args=["--latency", "40ms"]) as b,
    ):
        slower = harness(
            "compare", "--ab", str(a.profile_path), str(b.profile_path), "--rate", "40",
            "--duration", "16s", "--report-dir", str(tmp_path / "ab"), cwd=tmp_path,
        )  # fmt: skip
    assert slower.returncode == 1, slower.stdout + slower.stderr[-3000:]
    assert "regression check (interleaved)" in slower.stdout
    (out,) = (tmp_path / "ab").iterdir()
    comparison = json.loads((out / "comparison.json").read_text())
    assert comparison["mode"] == "interleaved"
    assert comparison["verdict"] == "regression"
    p50 = next(f for f in comparison["figures"] if f["figure"] == "p50")
    assert p50["b"] > p50["a"] + 20
    assert (out / "regression.png").stat().st_size > 0
    # each target got only its own slices: half of the schedule each
    for letter in "ab":
        summary = summary_in(out / letter)
        assert summary["achieved"]["requests"] == pytest.approx(16 * 40 / 2, abs=2)
