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
    nodeid: str,
    outcome: str,
    reason: str = "",
    gaps: list[str] | None = None,
    *,
    unavailable: bool = False,
) -> dict[str, object]:
    return {
        "nodeid": nodeid,
        "area": area_of(nodeid),
        "outcome": outcome,
        "reason": reason,
        "spec_gaps": gaps or [],
        "unavailable": unavailable,
    }


REFUSED = "target became unreachable: connection refused (ConnectError)"


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


def test_failures_keep_their_rule_ids(tmp_path: Path) -> None:
    broken = {
        **_test("test_currency.py::t", "failed", "[decimal.consistent-places] x"),
        "area": "decimal",
        "rules": ["decimal.consistent-places", "balance.expected", "stale.id"],
    }
    results = _write(tmp_path / "r.json", [broken, _test("test_currency.py::u", "passed")])
    result = summarise(results, seed=1, max_examples=1, duration_s=0, pytest_status=1)
    assert result.areas["decimal"].failed == 1
    assert result.areas["currency"].passed == 1
    assert result.failure_rules == {
        "test_currency.py::t": ("decimal.consistent-places", "balance.expected")
    }
    assert result.rules_broken == ["decimal.consistent-places", "balance.expected"]


def test_area_of_a_failure_is_its_first_rules() -> None:
    assert area_of("test_currency.py::t", ["decimal.grammar", "currency.echo"]) == "decimal"
    assert area_of("test_currency.py::t", []) == "currency"


def test_all_passing_exits_0(tmp_path: Path) -> None:
    results = _write(tmp_path / "r.json", [_test("test_auth.py::a", "passed")])
    assert summarise(results, seed=1, max_examples=1, duration_s=0, pytest_status=0).exit_code == 0


def test_crashed_pytest_without_results_is_a_failure(tmp_path: Path) -> None:
    result = summarise(
        tmp_path / "absent.json", seed=1, max_examples=1, duration_s=0, pytest_status=3
    )
    assert result.exit_code == 1
    assert result.failures


def test_outage_without_violation_exits_3_apart_from_failures(tmp_path: Path) -> None:
    results = _write(
        tmp_path / "r.json",
        [
            _test("test_auth.py::a", "passed"),
            _test("test_auth.py::b", "failed", REFUSED, unavailable=True),
            _test("test_currency.py::c", "failed", REFUSED, unavailable=True),
        ],
    )
    result = summarise(results, seed=1, max_examples=1, duration_s=0, pytest_status=1)
    assert result.exit_code == 3
    assert result.unavailable
    assert result.unavailable_reason == REFUSED
    assert result.failures == []
    assert result.unreachable == [("test_auth.py::b", REFUSED), ("test_currency.py::c", REFUSED)]
    assert (result.areas["auth"].passed, result.areas["auth"].unavailable) == (1, 1)
    text = render_summary(result)
    assert text.startswith("conformance TARGET UNAVAILABLE:")
    assert f"target unavailable: {REFUSED}" in text


def test_violation_seen_before_an_outage_still_exits_1(tmp_path: Path) -> None:
    results = _write(
        tmp_path / "r.json",
        [
            _test("test_auth.py::a", "failed", "status 200, expected 401"),
            _test("test_auth.py::b", "failed", REFUSED, unavailable=True),
        ],
    )
    result = summarise(results, seed=1, max_examples=1, duration_s=0, pytest_status=1)
    assert result.exit_code == 1
    assert result.failures == [("test_auth.py::a", "status 200, expected 401")]
    assert result.unavailable  # still shown: the run did not cover everything
    assert f"target unavailable: {REFUSED}" in render_summary(result)


def test_time_limit_without_violation_exits_3(tmp_path: Path) -> None:
    results = _write(tmp_path / "r.json", [_test("test_auth.py::a", "passed")])
    limit = "the suites did not finish within 5 s"
    result = summarise(
        results, seed=1, max_examples=1, duration_s=5, pytest_status=2, timed_out=limit
    )
    assert (result.exit_code, result.unavailable_reason, result.failures) == (3, limit, [])


def test_time_limit_before_any_result_exits_3(tmp_path: Path) -> None:
    limit = "the suites did not finish within 5 s"
    result = summarise(
        tmp_path / "absent.json",
        seed=1,
        max_examples=1,
        duration_s=5,
        pytest_status=-9,
        timed_out=limit,
    )
    assert (result.exit_code, result.unavailable_reason) == (3, limit)


def test_unfinished_test_is_neither_passed_nor_failed(tmp_path: Path) -> None:
    results = _write(
        tmp_path / "r.json",
        [_test("test_auth.py::a", "passed"), _test("test_auth.py::b", "unfinished")],
    )
    result = summarise(results, seed=1, max_examples=1, duration_s=0, pytest_status=2)
    assert (result.passed, result.areas["auth"].total) == (1, 1)
    # Interrupted with no outage and no time limit: the harness cannot vouch for the target.
    assert result.exit_code == 1
    assert result.failures[0][0] == "pytest"
