"""A PNG for people who would rather look than read: latency, throughput, errors, the tail.

Titled with the scenario, the target and the start time, so a plot lifted out of its report
still says what it shows. Panels, all on the same time axis except the last:

1. corrected (solid) and raw (dashed) p50/p95/p99 per interval, with the latency SLO limits
   as horizontal lines: a stall shows as the gap between what clients waited and what the
   server measured;
2. throughput: answers per second against the planned rate and the ``min_rps`` floor;
3. failed answers per second (Locust's history: errors and contract violations together,
   the run's totals of each in the legend) and the error-rate SLO as a rate;
4. the whole percentile curve on the HdrHistogram axis (1/(1-p), log scale), which stops
   where the data stop: a 400-sample run cannot show p99.99.
"""

from __future__ import annotations

import csv
import itertools
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

_COLOURS = {"p50": "tab:green", "p95": "tab:orange", "p99": "tab:red"}
_MEANING = {"corrected": "from intended start", "raw": "service time"}
_TICKS = (
    (0.5, "50%"),
    (0.9, "90%"),
    (0.99, "99%"),
    (0.999, "99.9%"),
    (0.9999, "99.99%"),
    (0.99999, "99.999%"),
)
_LATENCY_SLOS = {"p95_ms": "tab:orange", "p99_ms": "tab:red"}


def failures_per_second(history_csv: Path | None) -> list[tuple[int, float]]:
    """(unix second, failures/s) from Locust's ``*_stats_history.csv``.

    From the differences of the cumulative failure count: Locust's own ``Failures/s``
    column is a moving average that lags a sudden onset by seconds.
    """
    if history_csv is None or not history_csv.is_file():
        return []
    totals: list[tuple[int, int]] = []
    with history_csv.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row.get("Name") != "Aggregated":
                continue
            try:
                totals.append((int(row["Timestamp"]), int(row["Total Failure Count"])))
            except (KeyError, ValueError):
                continue
    rates = []
    for (before, failed_before), (now, failed_now) in itertools.pairwise(totals):
        if now > before:
            rates.append((now, max(failed_now - failed_before, 0) / (now - before)))
    return rates


def axis_end(percentiles: Sequence[float]) -> float:
    """The largest 1/(1-p) the curve reaches (p < 100), at least the 90% tick."""
    finite = [1 / (1 - p / 100) for p in percentiles if p < 100.0]
    return max([10.0, *finite])


def render(
    path: Path,
    *,
    title: str,
    intervals: Sequence[Mapping[str, Any]],
    interval_s: float,
    curves: Mapping[str, Sequence[tuple[float, float]]],
    target: str = "",
    started_at: str = "",
    planned_rps: float | None = None,
    limits: Mapping[str, float] | None = None,
    failures: Sequence[tuple[int, float]] = (),
    failure_totals: Mapping[str, int] | None = None,
) -> Path:
    """Write the four-panel PNG and return its path.

    ``failure_totals`` (``errors``, ``contract_violations``: the whole run's counts) says
    what the failed-answers series is made of: Locust's history counts both as failures.
    """
    # Imported here: matplotlib costs ~0.5 s, and every CLI start imports this module.
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    limits = limits or {}
    fig, (latency, throughput, errors, tail) = plt.subplots(
        4, 1, figsize=(10, 13), constrained_layout=True
    )
    heading = " · ".join(part for part in (title, target, started_at) if part)
    fig.suptitle(heading, fontsize="medium")
    try:
        first = min((int(row["interval"]) for row in intervals), default=0)
        xs = [(int(row["interval"]) - first + 1) * interval_s for row in intervals]
        _latency_panel(latency, intervals, xs, interval_s, limits)
        _throughput_panel(throughput, intervals, xs, interval_s, planned_rps, limits)
        _errors_panel(errors, failures, first, interval_s, planned_rps, limits, failure_totals)
        for axis in (latency, throughput, errors):
            axis.set_xlabel("seconds since start (end of interval)")
            axis.grid(alpha=0.3)
            if xs:
                axis.set_xlim(0, max(xs) + interval_s / 2)
        _tail_panel(tail, curves, limits)
        fig.savefig(path, dpi=80)
    finally:
        plt.close(fig)
    return path


def _latency_panel(
    axis: Any,
    intervals: Sequence[Mapping[str, Any]],
    xs: list[float],
    interval_s: float,
    limits: Mapping[str, float],
) -> None:
    for name, colour in _COLOURS.items():
        for kind, style in (("corrected", "-"), ("raw", "--")):
            ys = [row[kind].get(name) for row in intervals]
            axis.plot(
                xs,
                [y if y is not None else math.nan for y in ys],
                style,
                color=colour,
                label=f"{name} {kind}",
            )
    for slo, colour in _LATENCY_SLOS.items():
        if slo in limits:
            axis.axhline(limits[slo], color=colour, linestyle=":", label=f"SLO {slo}")
    axis.set_title(f"latency per {interval_s:g} s interval")
    axis.set_ylabel("latency (ms)")
    if intervals or limits:
        axis.legend(ncol=4, fontsize="small")


def _throughput_panel(
    axis: Any,
    intervals: Sequence[Mapping[str, Any]],
    xs: list[float],
    interval_s: float,
    planned_rps: float | None,
    limits: Mapping[str, float],
) -> None:
    served = [int(row["corrected"].get("count") or 0) / interval_s for row in intervals]
    axis.plot(xs, served, "-", color="tab:blue", label="answers/s")
    if planned_rps is not None:
        axis.axhline(planned_rps, color="tab:gray", linestyle="--", label="planned rate")
    if "min_rps" in limits:
        axis.axhline(limits["min_rps"], color="tab:red", linestyle=":", label="SLO min_rps")
    axis.set_title("throughput")
    axis.set_ylabel("answers per second")
    axis.set_ylim(bottom=0)
    axis.legend(fontsize="small")


def failed_label(totals: Mapping[str, int] | None) -> str:
    """The failed-answers series' legend: what it is made of over the whole run."""
    if not totals:
        return "failed/s"
    return (
        f"failed/s (run: {totals.get('errors', 0)} errors, "
        f"{totals.get('contract_violations', 0)} contract violations)"
    )


def _errors_panel(
    axis: Any,
    failures: Sequence[tuple[int, float]],
    first: int,
    interval_s: float,
    planned_rps: float | None,
    limits: Mapping[str, float],
    totals: Mapping[str, int] | None,
) -> None:
    if failures:
        xs = [(second - first + 1) * interval_s for second, _ in failures]
        axis.plot(
            xs, [rate for _, rate in failures], "-", color="tab:red", label=failed_label(totals)
        )
    else:
        axis.text(0.5, 0.5, "no failed requests", transform=axis.transAxes, ha="center")
    if "error_rate" in limits and planned_rps:
        axis.axhline(
            limits["error_rate"] * planned_rps,
            color="tab:red",
            linestyle=":",
            label=f"SLO error_rate, errors only ({limits['error_rate']:.2%} of the planned rate)",
        )
    axis.set_title("failed answers: errors and contract violations")
    axis.set_ylabel("failed answers per second")
    axis.set_ylim(bottom=0)
    if failures or "error_rate" in limits:
        axis.legend(fontsize="small")


def _tail_panel(
    axis: Any, curves: Mapping[str, Sequence[tuple[float, float]]], limits: Mapping[str, float]
) -> None:
    reached: list[float] = []
    for kind, style in (("corrected", "-"), ("raw", "--")):
        points = [(p, v) for p, v in curves.get(kind, ()) if p < 100.0]
        reached += [p for p, _ in points]
        if points:
            axis.plot(
                [1 / (1 - p / 100) for p, _ in points],
                [v for _, v in points],
                style,
                label=f"{kind} ({_MEANING[kind]})",
            )
    for slo, colour in _LATENCY_SLOS.items():
        if slo in limits:
            axis.axhline(limits[slo], color=colour, linestyle=":", label=f"SLO {slo}")
    end = axis_end(reached)
    axis.set_xscale("log")
    ticks = [(1 / (1 - q), label) for q, label in _TICKS if 1 / (1 - q) <= end * 1.0001]
    axis.set_xticks([x for x, _ in ticks], [label for _, label in ticks])
    axis.set_xlim(1, end)
    axis.set_title("latency by percentile: corrected vs raw (the axis stops where the data do)")
    axis.set_xlabel("percentile")
    axis.set_ylabel("latency (ms)")
    axis.grid(alpha=0.3)
    axis.legend(fontsize="small")
