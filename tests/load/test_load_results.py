"""The master's merge: counters add up, histograms merge exactly, intervals line up."""

from __future__ import annotations

from typing import Any

from oms_harness.load import histograms
from oms_harness.load.results import merge_reports
from oms_harness.load.summary import latency_tables, measured_figures


def _encoded(values_ms: list[float], figures: int = histograms.FIGURES) -> str:
    hist = histograms.new_histogram(figures)
    for value in values_ms:
        histograms.record(hist, value / 1000)
    return histograms.encode(hist)


def _report(values: list[float], interval: int, **counters: Any) -> dict[str, Any]:
    fig = histograms.INTERVAL_FIGURES
    return {
        "corrected": _encoded([v * 2 for v in values]),
        "raw": _encoded(values),
        "lag": _encoded([0.1] * len(values)),
        "intervals": {
            str(interval): [_encoded([v * 2 for v in values], fig), _encoded(values, fig)]
        },
        "completed": len(values),
        "planned": len(values),
        "sent": len(values),
        "failures": counters.get("failures", {}),
        "contract_violations": counters.get("violations", {}),
        "contract_reasons": counters.get("reasons", {}),
        "statuses": {"200": len(values)},
        "kinds": {"k": {"requests": len(values)}},
        "cpu_samples": [10.0, 20.0],
        "done_span_s": counters.get("done_span_s", 1.0),
    }


def test_two_processes_merge_into_one_result() -> None:
    merged = merge_reports(
        {
            "worker-0": _report([1.0] * 90, 100, failures={"status 502, expected 200": 3}),
            "worker-1": _report([100.0] * 10, 101, failures={"status 502, expected 200": 1}),
        },
        {"processes_expected": 2, "processes_reported": 2},
    )
    assert merged["counters"]["completed"] == 100
    assert merged["failures"] == {"status 502, expected 200": 4}
    assert merged["statuses"] == {"200": 100}
    assert merged["kinds"] == {"k": {"requests": 100}}
    assert [row["interval"] for row in merged["intervals"]] == [100, 101]
    latency = latency_tables(merged)
    assert latency["raw"]["count"] == 100
    assert abs(float(latency["raw"]["p50"] or 0) - 1.0) < 0.01  # 90% of values are 1 ms
    assert abs(float(latency["raw"]["p95"] or 0) - 100.0) < 0.1  # the other worker's tail
    assert abs(float(latency["corrected"]["p95"] or 0) - 200.0) < 0.2
    figures = measured_figures(merged, latency, window_s=2.0)
    assert figures["error_rate"] == 0.04
    assert figures["min_rps"] == 50.0


def test_throughput_counts_a_run_that_stretched_past_its_window() -> None:
    merged = merge_reports({"local": _report([1.0] * 100, 1, done_span_s=4.0)}, {})
    figures = measured_figures(merged, latency_tables(merged), window_s=2.0)
    assert figures["min_rps"] == 25.0


def test_results_come_from_json_or_from_the_masters_log_line() -> None:
    from oms_harness.load.results import RESULTS_LOG_PREFIX, extract_results

    assert extract_results('{"a": 1}') == {"a": 1}
    log = f"[info] starting\n{RESULTS_LOG_PREFIX}" + '{"b": 2}\n[info] Shutting down\n'
    assert extract_results(log) == {"b": 2}
    import pytest

    with pytest.raises(ValueError, match="no results"):
        extract_results("nothing here")


def test_contract_violations_merge_apart_from_errors_and_count_on_their_own() -> None:
    merged = merge_reports(
        {
            "worker-0": _report(
                [1.0] * 50,
                100,
                failures={"transport error: ConnectionResetError": 1},
                violations={"decimal.grammar": 2},
                reasons={"[decimal.grammar] x": 2},
            ),
            "worker-1": _report(
                [1.0] * 50, 100, violations={"decimal.grammar": 1, "balance.expected": 1}
            ),
        },
        {},
    )
    assert merged["contract_violations"] == {"decimal.grammar": 3, "balance.expected": 1}
    assert merged["contract_reasons"] == {"[decimal.grammar] x": 2}
    figures = measured_figures(merged, latency_tables(merged), window_s=1.0)
    assert figures["error_rate"] == 0.01  # 1 error in 100 answers; violations apart
    assert figures["contract_violations"] == 4
    from oms_harness.load.summary import violation_detail

    assert violation_detail(merged) == "decimal.grammar x3, balance.expected x1"


def test_interval_failures_and_histograms_survive_the_merge() -> None:
    """Per-interval failure counts add up across processes, and each interval keeps its
    merged corrected histogram (the regression statistics pool intervals from it)."""
    fig = histograms.INTERVAL_FIGURES
    first = _report([1.0] * 10, 100)
    second = _report([3.0] * 10, 100)
    first["intervals"]["100"].append(2)  # [corrected, raw, failures]
    second["intervals"]["100"].append(5)
    legacy = _report([5.0] * 10, 101)  # two elements: a worker without failure counts
    merged = merge_reports(
        {"worker-0": first, "worker-1": second, "worker-2": legacy}, {"processes_expected": 3}
    )
    rows = {row["interval"]: row for row in merged["intervals"]}
    assert rows[100]["failures"] == 7
    assert rows[101]["failures"] == 0
    pooled = histograms.decode(rows[100]["corrected_hdr"])
    assert pooled.get_total_count() == 20
    assert pooled.get_max_value() >= 5_900  # the second worker's 6 ms (corrected = 2 x raw)
    assert histograms.new_histogram(fig).counts_len == pooled.counts_len


def test_per_kind_interval_histograms_merge_across_processes() -> None:
    def kind_histogram(values_ms: list[float]) -> str:
        hist = histograms.new_histogram(histograms.INTERVAL_FIGURES)
        for value in values_ms:
            histograms.record(hist, value / 1000)
        return histograms.encode(hist)

    first = _report([1.0] * 10, 100)
    second = _report([3.0] * 10, 100)
    first["intervals"]["100"] += [
        0,
        {"funded": kind_histogram([2.0] * 6), "missing": kind_histogram([2.0] * 4)},
    ]
    second["intervals"]["100"] += [1, {"funded": kind_histogram([6.0] * 10)}]
    merged = merge_reports({"worker-0": first, "worker-1": second}, {"processes_expected": 2})
    row = merged["intervals"][0]
    counts = {k: histograms.decode(v).get_total_count() for k, v in row["kinds_hdr"].items()}
    assert counts == {"funded": 16, "missing": 4}
    assert row["failures"] == 1
