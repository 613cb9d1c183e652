"""A comparison as report material: Allure results per figure, the summary.md section."""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "regression"))
from runfactory import lognormal_intervals, mixed_run, write_run

from oms_harness.regression.compare import Comparison, compare_runs
from oms_harness.regression.drift import assess
from oms_harness.regression.runs import read_run
from oms_harness.regression.settings import RegressionSettings
from oms_harness.report import regression


def _comparison(tmp_path: Path, median_b: float) -> Comparison:
    a = read_run(write_run(tmp_path / "a", lognormal_intervals(30, 100, 10, seed=1)))
    b = read_run(write_run(tmp_path / "b", lognormal_intervals(30, 100, median_b, seed=2)))
    return compare_runs(a, b, RegressionSettings(resamples=300))


def test_one_allure_result_per_figure_with_both_values_and_the_interval(tmp_path: Path) -> None:
    written = regression.write_allure(tmp_path / "results", _comparison(tmp_path, 14.0))
    results = [json.loads(p.read_text()) for p in written]
    assert [r["name"] for r in results] == [
        f"Regression check {f} (sequential)" for f in ("p50", "p95", "p99", "throughput", "stalls")
    ]
    p50 = results[0]
    assert p50["status"] == "failed"
    params = {p["name"]: p["value"] for p in p50["parameters"]}
    assert params["A (baseline)"].endswith(" ms")
    assert params["95% interval"].startswith("[+")
    assert "regression" in p50["statusDetails"]["message"]
    assert {label["value"] for label in p50["labels"]} >= {"Regression vs baseline", "p50"}
    assert results[3]["status"] == "passed"


def test_markdown_section_has_a_row_per_figure_and_the_drift(tmp_path: Path) -> None:
    comparison = _comparison(tmp_path, 10.0)
    run = read_run(tmp_path / "a")
    text = regression.markdown(comparison, assess(run, RegressionSettings()))
    assert text.startswith("## Regression check\n")
    assert "**no significant change** (sequential)" in text
    assert sum(line.startswith("| p") for line in text.splitlines()) == 3
    assert "| throughput |" in text
    assert "**Drift**: not assessed" in text


def test_write_outputs_puts_everything_in_one_directory(tmp_path: Path) -> None:
    comparison = _comparison(tmp_path, 14.0)
    outputs = regression.write_outputs(
        tmp_path / "out", comparison, read_run(tmp_path / "a"), read_run(tmp_path / "b")
    )
    assert outputs == {
        "comparison": "comparison.json",
        "plot": "regression.png",
        "markdown": "regression.md",
        "allure_results": "allure-results",
    }
    document = json.loads((tmp_path / "out" / "comparison.json").read_text())
    assert document["verdict"] == "regression"
    assert document["exit_code"] == 1
    attachments = list((tmp_path / "out" / "allure-results").glob("*-attachment*"))
    assert {p.suffix for p in attachments} == {".json", ".png"}


def test_a_regressed_kind_is_a_failed_result_and_a_row_of_the_section(tmp_path: Path) -> None:
    funded, missing = "kind funded", "kind missing"
    shares_a = {funded: (97, 10.0), missing: (3, 10.0)}
    shares_b = {funded: (97, 10.0), missing: (3, 15.0)}
    a = read_run(mixed_run(tmp_path / "a", 30, shares_a, seed=1))
    b = read_run(mixed_run(tmp_path / "b", 30, shares_b, seed=2))
    comparison = compare_runs(a, b, RegressionSettings(resamples=300))
    assert comparison.regressed_kinds == (missing,)
    written = regression.write_allure(tmp_path / "results", comparison)
    results = {r["name"]: r for r in (json.loads(p.read_text()) for p in written)}
    kind = results[f"Regression check {missing} (sequential)"]
    assert kind["status"] == "failed"
    params = {p["name"]: p["value"] for p in kind["parameters"]}
    assert params["p50"].endswith(": regression")
    assert params["p99"].endswith(": not judged")
    assert results[f"Regression check {funded} (sequential)"]["status"] == "passed"
    text = regression.markdown(comparison)
    assert f"regression in `{missing}`" in text
    assert f"| `{missing}` | p50 |" in text
