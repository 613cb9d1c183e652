"""HDR histograms: exact merge across processes, percentiles in ms, .hgrm export."""

from __future__ import annotations

import random
from pathlib import Path

from oms_harness.load import histograms


def _hist(values_ms: list[float]) -> histograms.HdrHistogram:
    hist = histograms.new_histogram()
    for value in values_ms:
        histograms.record(hist, value / 1000)
    return hist


def test_merging_encoded_histograms_equals_recording_everything_in_one() -> None:
    first = [float(v) for v in range(1, 501)]
    second = [float(v) for v in range(501, 1001)]
    merged = histograms.merge([histograms.encode(_hist(first)), histograms.encode(_hist(second))])
    together = _hist(first + second)
    assert histograms.percentiles_ms(merged) == histograms.percentiles_ms(together)
    table = histograms.percentiles_ms(merged)
    assert table["count"] == 1000
    assert table["p50"] is not None
    assert abs(float(table["p50"]) - 500) <= 0.5
    assert table["p99"] is not None
    assert abs(float(table["p99"]) - 990) <= 1
    assert table["max"] is not None
    assert abs(float(table["max"]) - 1000) <= 1


def test_values_outside_the_range_are_clamped_not_lost() -> None:
    hist = histograms.new_histogram()
    histograms.record(hist, 0.0)
    histograms.record(hist, 10 * 3600.0)
    assert hist.get_total_count() == 2


def test_empty_histogram_reports_no_percentiles() -> None:
    table = histograms.percentiles_ms(histograms.merge([]))
    assert table["count"] == 0
    assert table["p95"] is None


def test_hgrm_file_lists_the_distribution_in_ms(tmp_path: Path) -> None:
    path = tmp_path / "latency.hgrm"
    histograms.write_hgrm(_hist([1.0, 2.0, 3.0, 100.0]), path)
    text = path.read_text()
    assert text.lstrip().startswith("Value")
    assert "#[Max     =      100." in text
    assert "TotalCount     =        4.000" in text


def test_bulk_recording_counts_exactly_what_record_value_counts() -> None:
    rng = random.Random(7)
    values = [1, 2, 999, 1000, 1023, 1024, 2047, 2048, 65_535, 3_599_999_999, 3_600_000_000]
    values += [int(rng.lognormvariate(8, 2)) + 1 for _ in range(20_000)]
    values = [histograms.to_micros(v / 1_000_000) for v in values]
    for figures in (histograms.FIGURES, histograms.INTERVAL_FIGURES):
        one_by_one = histograms.new_histogram(figures)
        for value in values:
            assert one_by_one.record_value(value)
        bulk = histograms.new_histogram(figures)
        histograms.record_many(bulk, values[:5000])
        histograms.record_many(bulk, values[5000:])
        histograms.record_many(bulk, [])
        assert bulk.get_total_count() == one_by_one.get_total_count() == len(values)
        assert bulk.get_min_value() == one_by_one.get_min_value()
        assert bulk.get_max_value() == one_by_one.get_max_value()
        assert list(bulk.counts) == list(one_by_one.counts)
        assert histograms.decode(histograms.encode(bulk)).get_value_at_percentile(99.9) == (
            one_by_one.get_value_at_percentile(99.9)
        )


def test_to_micros_clamps_into_the_trackable_range() -> None:
    assert histograms.to_micros(-1.0) == histograms.LOWEST_US
    assert histograms.to_micros(0.0015) == 1500
    assert histograms.to_micros(1e9) == histograms.HIGHEST_US
