"""The one duration grammar: every spelling the README promises, and one-line errors."""

from __future__ import annotations

import pytest

from oms_harness.durations import format_duration, parse_duration
from oms_harness.errors import UsageError


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30s", 30.0),
        ("1m30s", 90.0),
        ("1h2m3s", 3723.0),
        ("2m", 120.0),
        ("250ms", 0.25),
        ("1s500ms", 1.5),
        ("0.5s", 0.5),
        (".5s", 0.5),
        ("45", 45.0),
        (" 2M ", 120.0),
    ],
)
def test_spellings(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize(
    "text", ["", "abc", "-1s", "1s1m", "1m1m", "1 m", "1e3s", "infs", "nan", "s", "1d", "m30"]
)
def test_bad_spellings_name_the_flag(text: str) -> None:
    with pytest.raises(UsageError, match="--duration"):
        parse_duration(text, "--duration")


def test_zero_only_where_allowed() -> None:
    assert parse_duration("0ms", allow_zero=True) == 0
    with pytest.raises(UsageError, match="positive"):
        parse_duration("0s")


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0.5, "0.5s"), (5, "5s"), (42.4, "42s"), (65, "1m05s"), (3725, "1h02m05s")],
)
def test_format(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text
