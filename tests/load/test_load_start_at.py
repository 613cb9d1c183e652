"""The start instant of interleaved runs: one name on both sides, never inherited by accident."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from oms_harness.load import runner


def test_the_agent_reads_the_variable_the_runner_sets() -> None:
    # the agent is not imported here (gevent monkey-patches on import): read its source
    source = (Path(runner.__file__).parent / "agent.py").read_text(encoding="utf-8")
    match = re.search(r'^START_AT_ENV = "([A-Z_]+)"$', source, re.MULTILINE)
    assert match is not None
    assert match.group(1) == runner.START_AT_ENV


def test_a_start_instant_in_the_callers_environment_never_reaches_locust(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(runner.START_AT_ENV, "1700000000")
    env = runner.locust_env(tmp_path / "plan.json", "tok", shaped=False)
    assert runner.START_AT_ENV not in env


def test_interval_length_grows_with_long_runs() -> None:
    assert runner.interval_seconds(10) == 1.0
    assert runner.interval_seconds(1800) == 6.0
