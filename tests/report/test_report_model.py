"""The verdict model: one exit code for the gate, adapters from the runners' results."""

from __future__ import annotations

from typing import Any

import pytest

from oms_harness.exit_codes import ExitCode
from oms_harness.report.model import SloRow, failures_by_rule, fmt_num, gate_exit_code


@pytest.mark.parametrize(
    ("conformance", "load", "expected"),
    [
        (0, 0, ExitCode.OK),
        (0, None, ExitCode.OK),
        (1, 0, ExitCode.FAILED),
        (0, 1, ExitCode.FAILED),
        (1, 4, ExitCode.FAILED),
        (0, 4, ExitCode.RESULT_INVALID),
        (3, None, ExitCode.TARGET_UNAVAILABLE),
        (0, 3, ExitCode.TARGET_UNAVAILABLE),
        (1, 2, ExitCode.USAGE),
        (None, None, ExitCode.OK),
    ],
)
def test_gate_exit_code(conformance: int | None, load: int | None, expected: int) -> None:
    assert gate_exit_code(conformance, load) == expected


def test_areas_come_in_reading_order_with_unknown_last(fake: Any) -> None:
    facts = fake.conformance()
    assert [row.area for row in facts.rows] == ["fuzz", "currency", "auth", "spec-gaps"]
    spec_gaps = facts.rows[-1]
    assert (spec_gaps.passed, spec_gaps.spec_gaps) == (3, 3)


def test_failing_area_is_not_ok(fake: Any) -> None:
    rows = {row.area: row for row in fake.conformance(failing=True).rows}
    assert not rows["currency"].ok
    assert rows["auth"].ok


def test_load_row_counts_slos_and_generator_health(fake: Any) -> None:
    row = fake.load(breach=True).row
    # three SLOs met and the generator kept the schedule; one SLO breached
    assert (row.area, row.passed, row.failed, row.not_judged) == ("load", 4, 1, 0)
    bound = fake.load(generator_bound=True).row
    assert (bound.passed, bound.failed, bound.not_judged) == (0, 0, 5)


def test_totals_count_every_check_once(fake: Any) -> None:
    verdict = fake.verdict(failing=True, breach=True)
    totals = verdict.totals
    assert totals.total == sum(row.total for row in verdict.rows)
    assert totals.failed == 2  # the conformance failure and the SLO breach


def test_failures_grouped_by_rule(fake: Any) -> None:
    groups = failures_by_rule(fake.verdict(failing=True, breach=True))
    assert list(groups) == ["unnamed", "slo.p95_ms"]
    assert groups["slo.p95_ms"][0][0] == "load.smoke.slo.p95_ms"


def test_slo_description_reads_naturally() -> None:
    assert SloRow("p95_ms", 250.0, 12.345, True, "ms").describe() == (
        "p95_ms: measured 12.35 ms, limit 250 ms"
    )
    assert SloRow("error_rate", 0.01, 0.002, True, "fraction").describe() == (
        "error_rate: measured 0.2%, limit 1%"
    )
    assert SloRow("min_rps", 40, None, False, "req/s").shown_measured == "n/a"


@pytest.mark.parametrize(
    ("value", "text"), [(50.0, "50"), (0.25, "0.25"), (12.345, "12.35"), (float("inf"), "inf")]
)
def test_fmt_num(value: float, text: str) -> None:
    assert fmt_num(value) == text
