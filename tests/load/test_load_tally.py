"""The tally of one generator process: buffered latencies, intervals and outcome counters."""

from __future__ import annotations

import time

from oms_harness.load import histograms
from oms_harness.load.tally import UNFINISHED, Tally
from oms_harness.load.traffic import RequestKind

KINDS = [
    RequestKind("funded", "funded", "cst_a", None, 200, 1.0),
    RequestKind("missing", "missing", "cst_b", None, 404, 1.0),
]


def test_outcomes_are_counted_apart_and_latencies_reach_every_histogram() -> None:
    tally = Tally(KINDS, interval_s=1.0)
    now = time.monotonic()
    tally.record(KINDS[0], 200, None, 0.010, 0.002, None, now)
    tally.record(KINDS[1], 500, "status 500, expected 404", 0.020, 0.020, None, now)
    tally.record(KINDS[1], 404, "[error.body] wrong", 0.030, 0.001, "error.body", now)
    tally.record_unfinished(2.5)
    report = tally.report()
    assert report["completed"] == 3
    assert report["unfinished"] == 1
    assert report["failures"] == {"status 500, expected 404": 1, UNFINISHED: 1}
    assert report["contract_violations"] == {"error.body": 1}
    assert report["contract_reasons"] == {"[error.body] wrong": 1}
    assert report["statuses"] == {"200": 1, "500": 1, "404": 1}
    assert report["kinds"] == {
        "funded": {"requests": 1},
        "missing": {"requests": 2, "failures": 2},
    }
    corrected = histograms.decode(report["corrected"])
    assert corrected.get_total_count() == 4  # the unfinished one too, as a lower bound
    assert corrected.get_max_value() >= 2_500_000
    assert histograms.decode(report["raw"]).get_total_count() == 3
    (interval,) = report["intervals"].values()
    assert histograms.decode(interval[0]).get_total_count() == 3


def test_only_closed_intervals_are_popped_and_each_once() -> None:
    tally = Tally(KINDS, interval_s=1.0)
    old = time.monotonic() - 5.0  # an interval long over
    tally.record(KINDS[0], 200, None, 0.001, 0.001, None, old)
    tally.record(KINDS[0], 200, None, 0.001, 0.001, None, time.monotonic() + 5.0)
    tally.pending_lag.append(1500)
    closed = tally.pop_closed_intervals()
    assert len(closed) == 1
    assert tally.pop_closed_intervals() == {}
    assert histograms.decode(tally.report()["lag"]).get_total_count() == 1
    assert histograms.decode(tally.report()["corrected"]).get_total_count() == 2
