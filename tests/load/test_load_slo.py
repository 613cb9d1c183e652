"""SLO limits (flags over profile over defaults) and verdicts that say which and by how much."""

from __future__ import annotations

import pytest

from oms_harness.errors import ProfileError, UsageError
from oms_harness.load import slo


def test_flags_override_profile_which_overrides_defaults() -> None:
    limits = slo.resolve(
        {"p95_ms": 100.0, "error_rate": 0.05}, {"p95_ms": 50.0, "p99_ms": None}, 200
    )
    assert limits["p95_ms"] == 50.0
    assert limits["error_rate"] == 0.05
    assert limits["p99_ms"] == slo.DEFAULT_SLOS["p99_ms"]
    assert limits["min_rps"] == pytest.approx(160.0)


def test_unknown_or_negative_override_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="not a known SLO"):
        slo.resolve({}, {"p42_ms": 1.0}, 10)
    with pytest.raises(UsageError, match="non-negative"):
        slo.resolve({}, {"p95_ms": -1.0}, 10)


@pytest.mark.parametrize("rate", [1.5, 2.0, 100.0])
def test_an_error_rate_above_one_is_refused_from_flags_and_from_the_profile(rate: float) -> None:
    with pytest.raises(UsageError, match="--slo-error-rate is a fraction from 0 to 1"):
        slo.resolve({}, {"error_rate": rate}, 10)
    with pytest.raises(ProfileError, match=r"slo\.error_rate is a fraction from 0 to 1"):
        slo.resolve({"error_rate": rate}, None, 10)


def test_error_rate_bounds_zero_and_one_are_valid_fractions() -> None:
    assert slo.resolve({"error_rate": 1}, {"error_rate": 0.0}, 10)["error_rate"] == 0.0
    assert slo.resolve({"error_rate": 0}, {"error_rate": 1.0}, 10)["error_rate"] == 1.0


def test_breach_is_named_with_its_margin() -> None:
    verdicts = slo.evaluate(
        {"p95_ms": 250.0, "p99_ms": 500.0, "error_rate": 0.01, "min_rps": 40.0},
        {"p95_ms": 612.5, "p99_ms": 480.0, "error_rate": 0.2, "min_rps": 30.0},
    )
    by_name = {v.name: v for v in verdicts}
    assert not by_name["p95_ms"].passed
    assert "BREACHED by 362.5 ms" in by_name["p95_ms"].describe()
    assert by_name["p99_ms"].passed
    assert not by_name["error_rate"].passed
    assert not by_name["min_rps"].passed  # a lower bound
    assert "BREACHED by 10 req/s" in by_name["min_rps"].describe()


def test_limits_are_inclusive_and_missing_figures_fail() -> None:
    verdicts = slo.evaluate({"p95_ms": 10.0, "min_rps": 5.0}, {"p95_ms": 10.0, "min_rps": None})
    assert [v.passed for v in verdicts] == [True, False]
    assert "not measured" in verdicts[1].describe()


def test_contract_violations_default_to_zero_and_name_the_rules() -> None:
    limits = slo.resolve({}, None, 10)
    assert limits["contract_violations"] == 0
    verdicts = slo.evaluate(
        limits,
        {"contract_violations": 3.0, "error_rate": 0.0},
        {"contract_violations": "decimal.grammar x2, balance.expected x1"},
    )
    by_name = {v.name: v for v in verdicts}
    assert not by_name["contract_violations"].passed
    assert by_name["error_rate"].passed  # a format bug is no error-budget breach
    assert by_name["contract_violations"].describe() == (
        "contract_violations: 3 <= 0 violations: BREACHED by 3 violations "
        "(decimal.grammar x2, balance.expected x1)"
    )
    met = slo.evaluate(limits, {"contract_violations": 0.0})
    assert [v.describe() for v in met if v.name == "contract_violations"] == [
        "contract_violations: 0 <= 0 violations: met"
    ]


def test_a_contract_violation_budget_is_a_whole_count() -> None:
    assert slo.resolve({"contract_violations": 5}, None, 10)["contract_violations"] == 5
    with pytest.raises(ProfileError, match=r"slo\.contract_violations is a count"):
        slo.resolve({"contract_violations": 0.5}, None, 10)
