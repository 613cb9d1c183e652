"""Guard rails: production needs an explicit flag, every run is capped."""

from __future__ import annotations

import pytest

from oms_harness.errors import UsageError
from oms_harness.exit_codes import ExitCode
from oms_harness.load import safety
from oms_harness.target import check_production
from oms_harness.target_url import parse_target_url


@pytest.mark.parametrize(
    "url",
    [
        "https://api.polygon.technology/v0.9",
        "https://API.Polygon.Technology./v0.9",
        "https://eu.api.polygon.technology/v0.9",
    ],
)
def test_production_host_is_refused_without_the_flag(url: str) -> None:
    with pytest.raises(UsageError, match="allow-production") as caught:
        check_production(parse_target_url(url), allow_production=False)
    assert caught.value.exit_code == ExitCode.USAGE
    check_production(parse_target_url(url), allow_production=True)


def test_sandbox_and_loopback_are_fine() -> None:
    for url in ("https://sandbox-api.polygon.technology/v0.9", "http://127.0.0.1:8080/v0.9"):
        check_production(parse_target_url(url), allow_production=False)


def test_caps_name_the_flag_that_lifts_them() -> None:
    limits = safety.Limits()
    with pytest.raises(UsageError, match="--max-rate"):
        safety.check_bounds(peak_rps=5000, duration=10, users=10, limits=limits)
    with pytest.raises(UsageError, match="--max-duration"):
        safety.check_bounds(peak_rps=10, duration=7200, users=10, limits=limits)
    safety.check_bounds(
        peak_rps=5000,
        duration=7200,
        users=10,
        limits=safety.Limits(max_rate=5000, max_duration=7200),
    )


@pytest.mark.parametrize(
    ("text", "seconds"), [("30s", 30.0), ("250ms", 0.25), ("2m", 120.0), ("1h", 3600.0), ("5", 5.0)]
)
def test_durations(text: str, seconds: float) -> None:
    assert safety.parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "abc", "-1s", "0s", "infs"])
def test_bad_durations_are_usage_errors(text: str) -> None:
    with pytest.raises(UsageError):
        safety.parse_duration(text)
