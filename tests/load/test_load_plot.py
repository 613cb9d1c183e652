"""The load plot: four panels, SLO lines, the target and date, an honest percentile axis."""

from __future__ import annotations

from pathlib import Path

from oms_harness.load import plot
from oms_harness.load.histograms import beyond_samples

HEADER = "Timestamp,User Count,Type,Name,Requests/s,Failures/s,"
HISTORY = (
    HEADER
    + "Total Request Count,Total Failure Count\n"
    + "100,1,,Aggregated,0,0,10,0\n"
    + "101,1,GET,/x,0,0,50,10\n"
    + "101,1,,Aggregated,0,0,60,10\n"
    + "102,1,,Aggregated,0,0,110,50\n"
    + "104,1,,Aggregated,0,0,200,90\n"
)


def test_failures_per_second_from_the_cumulative_count(tmp_path: Path) -> None:
    path = tmp_path / "locust_stats_history.csv"
    path.write_text(HISTORY, encoding="utf-8")
    # not Locust's lagging moving average: the count's differences over the elapsed time
    assert plot.failures_per_second(path) == [(101, 10.0), (102, 40.0), (104, 20.0)]
    assert plot.failures_per_second(tmp_path / "missing.csv") == []


def test_percentile_axis_stops_where_the_data_stop() -> None:
    assert plot.axis_end([50.0, 99.0, 99.75, 100.0]) == 1 / (1 - 0.9975)
    assert plot.axis_end([]) == 10.0


def test_percentiles_beyond_the_samples() -> None:
    assert beyond_samples("p99.9", 400)
    assert not beyond_samples("p99.9", 1000)
    assert not beyond_samples("p99", 100)
    assert beyond_samples("p99", 99)
    assert not beyond_samples("max", 1)
    assert not beyond_samples("p50", 2)


def test_render_writes_a_png(tmp_path: Path) -> None:
    intervals = [
        {
            "interval": 100 + i,
            "corrected": {"count": 50, "p50": 2.0, "p95": 5.0, "p99": 9.0},
            "raw": {"count": 50, "p50": 1.0, "p95": 3.0, "p99": 6.0},
        }
        for i in range(5)
    ]
    path = plot.render(
        tmp_path / "latency.png",
        title="smoke at 50 req/s",
        intervals=intervals,
        interval_s=1.0,
        curves={"corrected": [(50.0, 2.0), (99.0, 9.0), (100.0, 12.0)], "raw": []},
        target="http://127.0.0.1:1/v0.9",
        started_at="2026-01-01T00:00:00+00:00",
        planned_rps=50.0,
        limits={"p95_ms": 250.0, "p99_ms": 500.0, "error_rate": 0.01, "min_rps": 40.0},
        failures=[(101, 1.0), (102, 0.0)],
        failure_totals={"errors": 1, "contract_violations": 0},
    )
    assert path.read_bytes().startswith(b"\x89PNG")


def test_the_failed_series_says_what_it_is_made_of() -> None:
    label = plot.failed_label({"errors": 0, "contract_violations": 320})
    assert label == "failed/s (run: 0 errors, 320 contract violations)"
    assert plot.failed_label(None) == "failed/s"
