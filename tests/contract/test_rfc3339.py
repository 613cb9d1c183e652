"""Strict RFC 3339 parsing (``datetime.fromisoformat`` alone accepts far too much)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from oms_harness.contract import rfc3339


@pytest.mark.parametrize(
    "text",
    [
        "2026-05-28T10:00:00Z",
        "2026-05-28T10:00:00.123Z",
        "2026-05-28t10:00:00z",
        "2026-05-28T10:00:00+02:00",
        "2026-05-28T10:00:00.123456789-05:30",
    ],
)
def test_accepts_rfc3339(text: str) -> None:
    assert rfc3339.is_rfc3339(text)


@pytest.mark.parametrize(
    "text",
    [
        "2026-05-28",
        "2026-05-28T10:00:00",
        "2026-05-28 10:00:00Z",
        "2026-W22-4T10:00:00Z",
        "2026-13-01T00:00:00Z",
        "2026-05-28T25:00:00Z",
        "20260528T100000Z",
        "1716890400",
        "2026-05-28T10:00Z",
        "",
    ],
)
def test_rejects_non_rfc3339(text: str) -> None:
    assert not rfc3339.is_rfc3339(text)


def test_parse_normalises_to_utc() -> None:
    assert rfc3339.parse("2026-05-28T12:00:00+02:00") == datetime(2026, 5, 28, 10, tzinfo=UTC)


def test_format_utc_round_trips() -> None:
    moment = datetime(2026, 5, 28, 10, 0, 0, 120000, tzinfo=UTC)
    text = rfc3339.format_utc(moment)
    assert text == "2026-05-28T10:00:00.120Z"
    assert rfc3339.parse(text) == moment
    assert rfc3339.format_utc(datetime(2026, 5, 28, tzinfo=UTC)) == "2026-05-28T00:00:00Z"


def test_in_future_respects_skew() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert not rfc3339.in_future(now + timedelta(minutes=4), now, timedelta(minutes=5))
    assert rfc3339.in_future(now + timedelta(minutes=6), now, timedelta(minutes=5))
