"""The [regression] table and flag overrides."""

from __future__ import annotations

import math
from typing import Any

import pytest

from oms_harness.errors import ProfileError, UsageError
from oms_harness.profile import parse_profile
from oms_harness.regression.settings import RegressionSettings


def test_defaults_are_the_documented_ones() -> None:
    settings = RegressionSettings.from_table(None)
    assert (settings.min_effect_pct, settings.min_effect_ms, settings.confidence) == (10, 1, 0.95)
    assert settings.drift_pct_per_10min == 10
    assert not settings.drift_slo
    assert settings.baseline_runs == 1  # a save replaces the baseline, as it always did


def test_profile_table_then_flags() -> None:
    profile = parse_profile(
        {
            "base_url": "http://127.0.0.1:1/v0.9",
            "customers": {"funded": "cst_01h455vb4pex5vsknk084sn02q"},
            "regression": {"min_effect_pct": 5, "drift_slo": True, "resamples": 500},
        }
    )
    settings = RegressionSettings.from_table(profile.regression)
    assert settings.min_effect_pct == 5.0
    assert settings.drift_slo
    assert settings.with_overrides(min_effect_pct=20.0, confidence=None).min_effect_pct == 20.0


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"min_effect": 5}, "unknown key regression.min_effect"),
        ({"min_effect_pct": "5"}, "must be a number"),
        ({"min_effect_pct": -1}, "non-negative"),
        ({"confidence": 1.0}, "confidence"),
        ({"resamples": 10}, "resamples"),
        ({"resamples": 1000.5}, "whole number"),
        ({"drift_slo": 1}, "true or false"),
        ({"drift_error_rate_per_10min": 2}, "from 0 to 1"),
        ({"baseline_runs": 0}, "baseline_runs must be from 1 to 20"),
        ({"baseline_runs": 21}, "baseline_runs must be from 1 to 20"),
        ({"baseline_runs": 2.5}, "whole number"),
    ],
)
def test_bad_tables_fail_with_one_clear_message(table: dict[str, Any], message: str) -> None:
    with pytest.raises(ProfileError, match=message):
        RegressionSettings.from_table(table)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"stall_factor": 1.0}, "--stall-factor must be 0"),
        ({"baseline_runs": 25}, "--baseline-runs must be from 1 to 20"),
        ({"drift_min_duration_s": math.inf}, "--drift-min-duration must be"),
    ],
)
def test_a_bad_flag_value_names_the_flag(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        RegressionSettings().with_overrides(**overrides)
