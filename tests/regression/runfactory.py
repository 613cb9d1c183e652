"""Stored runs with known per-interval histograms, written as the load runner writes them."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from oms_harness.load import histograms

START_EPOCH = 1_700_000_000.0
DEFAULT_KINDS = (
    {"name": "/customers/{id}/balance [funded USD -> 200]", "weight": 70.0},
    {"name": "/customers/{id}/balance [missing -> 404]", "weight": 30.0},
)


def lognormal_intervals(
    seconds: int, rate: int, median_ms: float, *, seed: int, sigma: float = 0.3
) -> list[list[float]]:
    rng = np.random.default_rng(seed)
    return [list(rng.lognormal(np.log(median_ms), sigma, rate)) for _ in range(seconds)]


def write_run(
    path: Path,
    latencies_ms: Sequence[Sequence[float]],
    *,
    rate: float | None = None,
    scenario: str = "steady",
    base_url: str = "http://127.0.0.1:8080/v0.9",
    failures: Sequence[int] | None = None,
    kinds: Sequence[dict[str, object]] = DEFAULT_KINDS,
    schedule: list[list[float]] | None = None,
    start_epoch: float = START_EPOCH,
    with_histograms: bool = True,
    by_kind: Mapping[str, Sequence[Sequence[float]]] | None = None,
) -> Path:
    """One interval of 1 s per entry of ``latencies_ms``, aligned to ``start_epoch``.

    ``by_kind``: each request kind's share of every interval, stored as the generator stores
    it (``kinds_hdr``); ``latencies_ms`` should then be their union."""
    path.mkdir(parents=True, exist_ok=True)
    seconds = len(latencies_ms)
    planned_rate = rate if rate is not None else len(latencies_ms[0])
    stages = schedule or [[float(seconds), float(planned_rate), float(planned_rate)]]
    rows = []
    for k, values in enumerate(latencies_ms):
        hist = histograms.new_histogram(histograms.INTERVAL_FIGURES)
        histograms.record_many(hist, [histograms.to_micros(v / 1000) for v in values])
        row = {
            "interval": int(start_epoch) + k,
            "corrected": histograms.percentiles_ms(hist),
            "raw": histograms.percentiles_ms(hist),
            "failures": failures[k] if failures else 0,
        }
        if with_histograms:
            row["corrected_hdr"] = histograms.encode(hist)
        if by_kind is not None:
            row["kinds_hdr"] = {
                name: _encoded(intervals[k]) for name, intervals in by_kind.items() if intervals[k]
            }
        rows.append(row)
    results = {
        "schedule": stages,
        "interval_s": 1.0,
        "processes": {"local": {"t0_epoch": start_epoch}},
        "intervals": rows,
    }
    summary = {
        "harness_version": "test",
        "scenario": scenario,
        "target": {"base_url": base_url},
        "plan": {"schedule": stages, "duration_s": float(seconds)},
    }
    (path / "results.json").write_text(json.dumps(results), encoding="utf-8")
    (path / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    (path / "plan.json").write_text(json.dumps({"kinds": list(kinds)}), encoding="utf-8")
    return path


def _encoded(values_ms: Sequence[float]) -> str:
    hist = histograms.new_histogram(histograms.INTERVAL_FIGURES)
    histograms.record_many(hist, [histograms.to_micros(v / 1000) for v in values_ms])
    return histograms.encode(hist)


def mixed_run(
    path: Path, seconds: int, shares: Mapping[str, tuple[int, float]], *, seed: int
) -> Path:
    """A run whose kinds each have (answers per second, median ms); overall = their union."""
    by_kind = {
        name: lognormal_intervals(seconds, rate, median, seed=seed + 17 * i)
        for i, (name, (rate, median)) in enumerate(shares.items())
    }
    union = [[v for name in by_kind for v in by_kind[name][k]] for k in range(seconds)]
    kinds = [{"name": name, "weight": float(rate)} for name, (rate, _) in shares.items()]
    return write_run(path, union, kinds=kinds, by_kind=by_kind)
