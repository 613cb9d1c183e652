"""The start instant of interleaved runs: a plan field, on Locust's command line, never in
the environment (the child environment drops ``OMS_HARNESS_*`` variables)."""

from __future__ import annotations

import argparse
import time

import pytest

from oms_harness.load.names import AgentOptions
from oms_harness.load.plan import build_plan
from oms_harness.load.schedule import ArrivalSchedule
from oms_harness.target_url import parse_target_url

BASE = parse_target_url("http://127.0.0.1:9/v0.9")


def _parsed(argv: list[str]) -> AgentOptions:
    parser = argparse.ArgumentParser()
    AgentOptions.add_to(parser)
    return AgentOptions.from_parsed(parser.parse_args(argv))


def test_the_start_instant_travels_as_an_option_locust_parses_back() -> None:
    plan = build_plan(BASE, scenario="steady", rate=10, duration=8, start_at=1_700_000_000.25)
    argv = plan.agent_options.to_argv()
    assert argv[argv.index("--oms-start-at") + 1] == "1700000000.25"
    assert _parsed(argv).start_at == 1_700_000_000.25


def test_without_a_start_instant_there_is_no_option() -> None:
    argv = build_plan(BASE, scenario="steady", rate=10, duration=8).agent_options.to_argv()
    assert "--oms-start-at" not in argv
    assert _parsed(argv).start_at is None


def test_the_backstop_includes_the_wait_for_a_later_start() -> None:
    now = time.time()
    plain = build_plan(BASE, scenario="steady", rate=10, duration=8)
    later = build_plan(BASE, scenario="steady", rate=10, duration=8, start_at=now + 30)
    assert later.backstop_s - plain.backstop_s == pytest.approx(30, abs=2)
    assert later.agent_options.lead_s(now) == pytest.approx(30)
    assert later.agent_options.lead_s(now + 60) == 0.0


def test_a_given_schedule_replaces_the_scenarios_shape() -> None:
    schedule = ArrivalSchedule.constant(5, 4)
    plan = build_plan(BASE, scenario="steady", schedule=schedule)
    assert plan.schedule == schedule


def test_interval_length_grows_with_long_runs() -> None:
    short = build_plan(BASE, scenario="steady", rate=1, duration=10)
    long = build_plan(BASE, scenario="soak", rate=1, duration=1800)
    assert (short.interval_s, long.interval_s) == (1.0, 6.0)
