"""Fixtures of the fault tests: a per-test deadline and a short preflight deadline."""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import pytest

sys.path.insert(0, str(Path(__file__).parent))

TEST_DEADLINE_S = 120


class TestDeadlineExceeded(BaseException):
    """The test ran past its own deadline (a hang): fail it rather than the whole session."""


@pytest.fixture(autouse=True)
def deadline() -> Iterator[None]:
    def expire(signum: int, frame: FrameType | None) -> None:
        raise TestDeadlineExceeded(f"no result within {TEST_DEADLINE_S} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, TEST_DEADLINE_S)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture(autouse=True)
def short_preflight(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMS_HARNESS_PREFLIGHT_TIMEOUT", "2")
