"""`oms-harness compare RUN_A RUN_B`: exit codes, outputs, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "regression"))
from runfactory import lognormal_intervals, write_run


def compare(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "oms_harness", "compare", *args],
        capture_output=True, text=True, timeout=120, cwd=cwd, check=False,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip


@pytest.fixture
def runs(tmp_path: Path) -> dict[str, Path]:
    return {
        "a": write_run(tmp_path / "a", lognormal_intervals(20, 50, 10, seed=1)),
        "same": write_run(tmp_path / "same", lognormal_intervals(20, 50, 10, seed=2)),
        "slow": write_run(tmp_path / "slow", lognormal_intervals(20, 50, 20, seed=3)),
        "other": write_run(
            tmp_path / "other", lognormal_intervals(20, 50, 10, seed=4), scenario="spike"
        ),
    }


def test_no_change_exits_0_and_writes_every_output(tmp_path: Path, runs: dict[str, Path]) -> None:
    result = compare(str(runs["a"]), str(runs["same"]), "--report-dir", "out", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "regression verdict: no significant change (exit 0)" in result.stdout
    (out,) = (tmp_path / "out").iterdir()
    document = json.loads((out / "comparison.json").read_text())
    assert [f["figure"] for f in document["figures"]] == ["p50", "p95", "p99", "throughput"]
    assert (out / "regression.png").read_bytes()[:4] == b"\x89PNG"
    assert "## Regression check" in (out / "regression.md").read_text()
    results = [json.loads(p.read_text()) for p in (out / "allure-results").glob("*-result.json")]
    statuses = {r["name"]: r["status"] for r in results}
    assert statuses == {
        "Regression check p50 (sequential)": "passed",
        "Regression check p95 (sequential)": "passed",
        # 1000 answers per run leave 10 beyond p99: too few to judge it (2000 needed)
        "Regression check p99 (sequential)": "skipped",
        "Regression check throughput (sequential)": "passed",
        "Regression check stalls (sequential)": "passed",
    }
    assert document["stalls"]["verdict"] == "no significant change"
    p99 = next(f for f in document["figures"] if f["figure"] == "p99")
    assert "too few answers to judge p99: 1000 in a run, 2000 needed" in p99["reason"]
    names = {p["name"] for r in results for p in r["parameters"]}
    assert {"A (baseline)", "B (candidate)", "95% interval"} <= names


def test_a_regression_exits_1_and_fails_its_allure_results(
    tmp_path: Path, runs: dict[str, Path]
) -> None:
    result = compare(str(runs["a"]), str(runs["slow"]), "--report-dir", "out", cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    (out,) = (tmp_path / "out").iterdir()
    statuses = {
        json.loads(p.read_text())["name"]: json.loads(p.read_text())["status"]
        for p in (out / "allure-results").glob("*-result.json")
    }
    assert statuses["Regression check p50 (sequential)"] == "failed"
    assert statuses["Regression check throughput (sequential)"] == "passed"


def test_the_tolerance_flag_can_forgive_it(tmp_path: Path, runs: dict[str, Path]) -> None:
    result = compare(str(runs["a"]), str(runs["slow"]), "--min-effect-pct", "150",
                     "--report-dir", "out", cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["a", "other"], "not comparable (a vs other): scenario steady vs spike"),
        (["a", "missing"], "no baseline or run directory 'missing'"),
        (["a"], "the following arguments are required"),
        (["a", "same", "--confidence", "2"], "must be a fraction"),
        (["a", "same", "--confidence", "0.2"], "confidence must be at least 0.5"),
        (["a", "same", "--rate", "50", "--slice", "1s"], "--rate, --slice: only with --ab"),
        (["--ab", "nope.toml", "same.toml"], "nope.toml"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    tmp_path: Path, runs: dict[str, Path], args: list[str], message: str
) -> None:
    result = compare(*args, "--baseline-dir", "nowhere", cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 2  # argparse adds a usage line


def test_tolerance_variables_apply_to_compare(
    tmp_path: Path, runs: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """OMS_HARNESS_MIN_EFFECT_PCT stands in for --min-effect-pct here too: 20 -> 10 ms is
    +100%, below a 150% minimum effect."""
    monkeypatch.setenv("OMS_HARNESS_MIN_EFFECT_PCT", "150")
    monkeypatch.setenv("OMS_HARNESS_STALL_FACTOR", "3")
    result = compare(str(runs["a"]), str(runs["slow"]), "--report-dir", "out", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    (out,) = (tmp_path / "out").iterdir()
    document = json.loads((out / "comparison.json").read_text())
    assert document["tolerance"]["min_effect_pct"] == 150
    assert document["stalls"]["factor"] == 3
    monkeypatch.setenv("OMS_HARNESS_STALL_FACTOR", "1")
    refused = compare(str(runs["a"]), str(runs["slow"]), cwd=tmp_path)
    assert refused.returncode == 2
    assert "--stall-factor must be 0 (off) or above 1" in refused.stderr
    assert "Traceback" not in refused.stderr
