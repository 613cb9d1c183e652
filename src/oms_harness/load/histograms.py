"""HDR histograms of latency in microseconds: record, encode for the wire, merge, report.

HDR keeps every percentile within 0.1% (3 significant figures) at a fixed memory cost, and
its encoded form merges exactly, so per-worker histograms add up to the true distribution;
averaging per-worker percentiles would not.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from hdrh.histogram import HdrHistogram

LOWEST_US = 1
HIGHEST_US = 3_600_000_000
"""One hour: anything slower is clamped (and the run has long been bounded anyway)."""
FIGURES = 3
INTERVAL_FIGURES = 2
"""Per-interval histograms (percentiles over time) need less precision and far less memory."""

PERCENTILES: tuple[tuple[str, float], ...] = (
    ("p50", 50.0),
    ("p90", 90.0),
    ("p95", 95.0),
    ("p99", 99.0),
    ("p99.9", 99.9),
)


def new_histogram(figures: int = FIGURES) -> HdrHistogram:
    return HdrHistogram(LOWEST_US, HIGHEST_US, figures)


def record(histogram: HdrHistogram, seconds: float) -> None:
    """Record a latency given in seconds (clamped into the trackable range)."""
    micros = int(seconds * 1_000_000)
    histogram.record_value(min(max(micros, LOWEST_US), HIGHEST_US))


def to_micros(seconds: float) -> int:
    """Seconds as whole microseconds, clamped into the trackable range."""
    micros = int(seconds * 1_000_000)
    return LOWEST_US if micros < LOWEST_US else HIGHEST_US if micros > HIGHEST_US else micros


def record_many(histogram: HdrHistogram, micros: Sequence[int]) -> None:
    """Record values (µs, already clamped by :func:`to_micros`) in bulk.

    The same counts as ``record_value`` per value, at a fraction of its cost: hdrh's
    ``record_value`` makes five Python calls per value, and the generator records several
    values per request; buffering them and indexing here inline keeps that off the hot path.
    """
    if not micros:
        return
    mask = histogram.sub_bucket_mask
    unit = histogram.unit_magnitude
    half_magnitude = histogram.sub_bucket_half_count_magnitude
    half = histogram.sub_bucket_half_count
    counts = histogram.counts
    low, high = histogram.min_value, histogram.max_value
    for value in micros:
        bucket = (value | mask).bit_length() - unit - half_magnitude - 1
        counts[((bucket + 1) << half_magnitude) + (value >> (bucket + unit)) - half] += 1
        if value < low:
            low = value
        if value > high:
            high = value
    histogram.total_count += len(micros)
    histogram.min_value, histogram.max_value = low, high


def encode(histogram: HdrHistogram) -> str:
    """Compressed base64 text, safe for JSON and Locust's msgpack messages."""
    raw = histogram.encode()
    return raw.decode("ascii") if isinstance(raw, bytes) else str(raw)


def decode(encoded: str) -> HdrHistogram:
    return HdrHistogram.decode(encoded.encode("ascii"))


def merge(encoded: Iterable[str], figures: int = FIGURES) -> HdrHistogram:
    """One histogram holding every value of the encoded ones."""
    total = new_histogram(figures)
    for item in encoded:
        if item:
            total.add(decode(item))
    return total


def percentiles_ms(histogram: HdrHistogram) -> dict[str, float | int | None]:
    """p50..p99.9, max and mean in milliseconds, plus the count (None when empty)."""
    count = int(histogram.get_total_count())
    result: dict[str, float | int | None] = {"count": count}
    if count == 0:
        result.update({name: None for name, _ in PERCENTILES})
        result.update({"max": None, "mean": None})
        return result
    for name, level in PERCENTILES:
        result[name] = round(histogram.get_value_at_percentile(level) / 1000, 3)
    result["max"] = round(histogram.get_max_value() / 1000, 3)
    result["mean"] = round(histogram.get_mean_value() / 1000, 3)
    return result


def beyond_samples(name: str, count: int) -> bool:
    """Whether percentile ``name`` (``p99.9``) needs more samples than ``count``.

    A percentile p is resolved only when at least one sample lies above it, that is with
    ``count >= 1 / (1 - p)`` samples (1000 for p99.9); below that it is just the maximum.
    """
    if not name.startswith("p"):
        return False
    try:
        level = float(name[1:])
    except ValueError:
        return False
    return 0 < level < 100 and count * (1 - level / 100) < 1 - 1e-9


def percentile_curve(histogram: HdrHistogram, ticks: int = 5) -> list[tuple[float, float]]:
    """(percentile, milliseconds) points of the whole distribution, for plotting."""
    if histogram.get_total_count() == 0:
        return []
    return [
        (float(item.percentile_level_iterated_to), item.value_iterated_to / 1000)
        for item in histogram.get_percentile_iterator(ticks)
    ]


def write_hgrm(histogram: HdrHistogram, path: Path) -> None:
    """The classic ``.hgrm`` percentile distribution, values in milliseconds.

    Plot it with HdrHistogram's plotter (hdrhistogram.github.io/HdrHistogram/plotFiles.html).
    """
    with path.open("wb") as out:
        histogram.output_percentile_distribution(out, 1000)
