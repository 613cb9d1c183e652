"""A PNG for people who would rather look than read: latency over time, and the tail.

Top: corrected (solid) and raw (dashed) p50/p95/p99 per interval, so a stall shows as the
gap between what clients waited and what the server measured. Bottom: the whole percentile
curve on the usual HdrHistogram axis (1/(1-p), log scale) for both.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

_COLOURS = {"p50": "tab:green", "p95": "tab:orange", "p99": "tab:red"}
_MEANING = {"corrected": "from intended start", "raw": "service time"}
_TICKS = ((0.5, "50%"), (0.9, "90%"), (0.99, "99%"), (0.999, "99.9%"), (0.9999, "99.99%"))


def render(
    path: Path,
    *,
    title: str,
    intervals: Sequence[Mapping[str, Any]],
    interval_s: float,
    curves: Mapping[str, Sequence[tuple[float, float]]],
) -> Path:
    """Write the two-panel PNG and return its path."""
    # Imported here: matplotlib costs ~0.5 s, and every CLI start imports this module.
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 8), constrained_layout=True)
    try:
        if intervals:
            first = min(int(row["interval"]) for row in intervals)
            xs = [(int(row["interval"]) - first + 1) * interval_s for row in intervals]
            for name, colour in _COLOURS.items():
                for kind, style in (("corrected", "-"), ("raw", "--")):
                    ys = [row[kind].get(name) for row in intervals]
                    top.plot(
                        xs,
                        [y if y is not None else float("nan") for y in ys],
                        style,
                        color=colour,
                        label=f"{name} {kind}",
                    )
            top.legend(ncol=3, fontsize="small")
        top.set_title(f"{title}: latency per {interval_s:g} s interval")
        top.set_xlabel("seconds since start (end of interval)")
        top.set_ylabel("latency (ms)")
        top.grid(alpha=0.3)

        for kind, style in (("corrected", "-"), ("raw", "--")):
            points = [(p, v) for p, v in curves.get(kind, ()) if p < 100.0]
            if points:
                bottom.plot(
                    [1 / (1 - p / 100) for p, _ in points],
                    [v for _, v in points],
                    style,
                    label=f"{kind} ({_MEANING[kind]})",
                )
        bottom.set_xscale("log")
        bottom.set_xticks([1 / (1 - q) for q, _ in _TICKS], [label for _, label in _TICKS])
        bottom.set_title("latency by percentile: corrected vs raw")
        bottom.set_xlabel("percentile")
        bottom.set_ylabel("latency (ms)")
        bottom.grid(alpha=0.3)
        bottom.legend(fontsize="small")
        fig.savefig(path, dpi=90)
    finally:
        plt.close(fig)
    return path
