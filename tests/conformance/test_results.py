"""Summaries: spec gaps are counted apart from passes; any failure or crash exits 1."""

from __future__ import annotations

import json
from pathlib import Path

from oms_harness.conformance.areas import area_of
from oms_harness.conformance.results import render_summary, summarise


def _write(path: Path, tests: list[dict[str, object]]) -> Path:
    path.write_text(json.dumps({"tests": tests}), encoding="utf-8")
    return path


def _test(
    nodeid: str, outcome: str, reason: str = "", gaps: list[str] | None = None
) -> dict[str, object]:
    return {
        "nodeid": nodeid,
        "area": area_of(nodeid),
        "outcome": outcome,
        "reason": reason,
        "spec_gaps": gaps or [],
    }


def test_area_of_module() -> None:
    assert area_of("test_auth.py::test_x[a-b]") == "auth"
    assert area_of("conformance/test_fuzz.py::test_fuzz_positive[GET /x]") == "fuzz"
    assert area_of("elsewhere.py::t") == "other"


def test_counts_by_area_and_exit_code(tmp_path: Path) -> None:
    results = _write(
        tmp_path / "r.json",
        [
            _test("test_auth.py::a", "passed"),
            _test("test_auth.py::b", "failed", "status 200, expected 401"),
            _test("test_currency.py::c", "skipped", "profile has no `empty` customer"),
            _test("test_spec_gaps.py::d", "passed", gaps=["XYZ answers 400"]),
        ],
    )
    result = summarise(results, seed=7, max_examples=10, duration_s=1.0, pytest_status=1)
    assert result.exit_code == 1
    assert (result.passed, result.failed, result.skipped) == (1, 1, 1)
    assert result.spec_gaps == ["XYZ answers 400"]
    assert result.areas["auth"].failed == 1
    assert result.areas["spec-gaps"].spec_gaps == 1
    assert result.failures == [("test_auth.py::b", "status 200, expected 401")]
    text = render_summary(result)
    assert "seed 7" in text
    assert "1 spec gaps" in text
    assert "test_auth.py::b: status 200, expected 401" in text


def test_all_passing_exits_0(tmp_path: Path) -> None:
    results = _write(tmp_path / "r.json", [_test("test_auth.py::a", "passed")])
    assert summarise(results, seed=1, max_examples=1, duration_s=0, pytest_status=0).exit_code == 0


def test_crashed_pytest_without_results_is_a_failure(tmp_path: Path) -> None:
    result = summarise(
        tmp_path / "absent.json", seed=1, max_examples=1, duration_s=0, pytest_status=3
    )
    assert result.exit_code == 1
    assert result.failures
