"""Confidence intervals for a change between two runs, honest about autocorrelation.

Method (documented in load/README.md, "Regression verdicts"):

* The unit of data is one measured interval (one second in short runs): its corrected
  latency histogram (HDR counts) and its number of answers. Percentiles are never averaged:
  a figure of a set of intervals is the percentile of their *pooled* histogram, exactly as
  the run's own summary computes it, and throughput is answers over seconds.
* Consecutive intervals are autocorrelated (a slow minute is slow throughout), so an
  interval-by-interval bootstrap would make the intervals too narrow. The intervals are
  grouped into non-overlapping blocks of consecutive intervals (Carlstein's block bootstrap);
  the block length follows from the lag-1 autocorrelation ``r`` of the per-interval p95 and
  throughput (``(2r / (1 - r^2))^(2/3) * n^(1/3)``, the AR(1) rule of Politis and White,
  at least 1 and at most a third of the run).
* ``scipy.stats.bootstrap`` resamples the blocks of each run independently (two stored
  runs) or the pairs of blocks together (an interleaved A/B run: each block of A is paired
  with the block of B next to it in time, so machine noise common to both cancels) and
  computes a BCa interval (percentile interval when BCa is degenerate) of the relative
  change ``figure(B) / figure(A) - 1``.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
from scipy import stats

from .runs import Interval, bucket_values_ms

if TYPE_CHECKING:
    from .spread import Spread

Matrix = npt.NDArray[np.float64]
Figure = Callable[[Matrix], npt.NDArray[np.float64]]
"""Maps resample weights (resamples x blocks) to one figure per resample."""

PERCENTILE_FIGURES: tuple[tuple[str, float], ...] = (("p50", 50.0), ("p95", 95.0), ("p99", 99.0))
THROUGHPUT = "throughput"
MIN_BLOCKS = 3


class TooLittleDataError(ValueError):
    """Fewer measured intervals than any interval estimate needs."""


@dataclass(frozen=True)
class Blocks:
    """One run's measured intervals, summed into blocks of consecutive intervals."""

    counts: Matrix  # blocks x HDR buckets
    answers: Matrix  # blocks
    seconds: Matrix  # blocks
    values_ms: npt.NDArray[np.float64]  # HDR bucket -> ms

    @property
    def size(self) -> int:
        return int(self.counts.shape[0])


@dataclass(frozen=True)
class Change:
    """The estimated change of one figure from A to B, with its confidence interval."""

    figure: str
    unit: str
    a: float
    b: float
    relative: float
    """``b / a - 1``."""
    low: float
    high: float
    """Confidence interval of ``relative``."""
    confidence: float
    method: str
    samples: tuple[int, int] = (0, 0)
    """Answers behind the figure in A and in B."""
    spread: Spread | None = None
    """The figure in each run of sides saved as several runs (``spread.py``), when there
    were enough runs to judge their spread."""

    @property
    def difference(self) -> float:
        return self.b - self.a


def lag1_autocorrelation(series: Sequence[float]) -> float:
    values = np.asarray([v for v in series if v is not None and math.isfinite(v)], dtype=float)
    if values.size < 3 or float(np.std(values[:-1])) == 0 or float(np.std(values[1:])) == 0:
        return 0.0
    return float(np.corrcoef(values[:-1], values[1:])[0, 1])


def block_length(n: int, rho: float) -> int:
    """Politis-White's AR(1) rule, clipped to [1, n/3] (at least three blocks remain)."""
    if n < MIN_BLOCKS:
        raise TooLittleDataError(f"{n} measured intervals; at least {MIN_BLOCKS} are needed")
    if not rho > 0:
        return 1
    rho = min(rho, 0.95)
    length = (2 * rho / (1 - rho * rho)) ** (2 / 3) * n ** (1 / 3)
    return int(min(max(round(length), 1), n // MIN_BLOCKS))


def choose_block_length(*runs: Sequence[Interval], interval_s: float) -> int:
    """One block length for every run and figure: the largest any series asks for, capped
    so that the shortest run still holds three blocks (runs may differ in length: a
    longer baseline, or stalled intervals left out of one run)."""
    lengths = []
    for intervals in runs:
        p95 = [i.p95_ms if i.p95_ms is not None else math.nan for i in intervals]
        rate = [i.completed / interval_s for i in intervals]
        rho = max(lag1_autocorrelation(p95), lag1_autocorrelation(rate))
        lengths.append(block_length(len(intervals), rho))
    return max(1, min(max(lengths), min(len(r) for r in runs) // MIN_BLOCKS))


def make_blocks(intervals: Sequence[Interval], length: int, interval_s: float) -> Blocks:
    """Sum consecutive intervals into blocks (the remainder joins the last block)."""
    n = len(intervals)
    if n < MIN_BLOCKS * length:
        raise TooLittleDataError(
            f"{n} measured intervals; at least {MIN_BLOCKS * length} are needed"
        )
    return make_run_blocks([intervals], length, interval_s)


def make_run_blocks(runs: Sequence[Sequence[Interval]], length: int, interval_s: float) -> Blocks:
    """The blocks of several runs of one side (a baseline saved more than once) together:
    a block never spans two runs; each run's remainder joins its last block."""
    groups: list[list[Interval]] = []
    for intervals in runs:
        n = len(intervals)
        if n < length:
            raise TooLittleDataError(f"{n} measured intervals in a run; blocks are {length}")
        starts = range(0, n - length + 1, length)
        run_groups = [list(intervals[start : start + length]) for start in starts]
        run_groups[-1].extend(intervals[len(run_groups) * length :])
        groups += run_groups
    if len(groups) < MIN_BLOCKS:
        raise TooLittleDataError(f"{len(groups)} blocks; at least {MIN_BLOCKS} are needed")
    counts = np.stack([np.sum([i.counts for i in g], axis=0) for g in groups])
    answers = np.asarray([sum(i.completed for i in g) for g in groups], dtype=float)
    seconds = np.asarray([len(g) * interval_s for g in groups], dtype=float)
    used = np.flatnonzero(counts.sum(axis=0))  # keep only the buckets either run touched
    values = bucket_values_ms(int(counts.shape[1]))
    return (
        Blocks(counts.astype(float), answers, seconds, values)
        if used.size == 0
        else Blocks(counts[:, used].astype(float), answers, seconds, values[used])
    )


def percentile_figure(blocks: Blocks, level: float) -> Figure:
    """The ``level`` percentile (ms) of the pooled histogram, HDR's way of counting."""

    def figure(weights: Matrix) -> npt.NDArray[np.float64]:
        pooled = weights @ blocks.counts
        cumulative = np.cumsum(pooled, axis=1)
        total = cumulative[:, -1]
        wanted = np.maximum(np.floor(level / 100 * total + 0.5), 1.0)
        index = np.argmax(cumulative >= wanted[:, None], axis=1)
        result = blocks.values_ms[index].astype(float)
        result[total <= 0] = np.nan
        return np.asarray(result)

    return figure


def throughput_figure(blocks: Blocks) -> Figure:
    """Answers per second over the resampled blocks."""

    def figure(weights: Matrix) -> npt.NDArray[np.float64]:
        return np.asarray((weights @ blocks.answers) / (weights @ blocks.seconds))

    return figure


def _weights(indices: npt.NDArray[np.float64], size: int) -> tuple[Matrix, tuple[int, ...]]:
    """Resampled block indices (any leading shape) -> how often each block was drawn."""
    idx = np.asarray(indices).astype(np.intp)
    lead = idx.shape[:-1]
    flat = idx.reshape(-1, idx.shape[-1])
    rows = flat.shape[0]
    offsets = flat + (np.arange(rows) * size)[:, None]
    counts = np.bincount(offsets.ravel(), minlength=rows * size).reshape(rows, size)
    return counts.astype(float), lead


def compare_figure(
    name: str,
    unit: str,
    figure_a: Figure,
    figure_b: Figure,
    sizes: tuple[int, int],
    *,
    paired: bool,
    confidence: float,
    resamples: int,
    seed: int,
) -> Change:
    """Point estimate and bootstrap interval of ``figure_b / figure_a - 1``."""
    size_a, size_b = sizes
    full_a = float(figure_a(np.ones((1, size_a)))[0])
    full_b = float(figure_b(np.ones((1, size_b)))[0])
    relative = full_b / full_a - 1 if full_a > 0 else math.nan

    def statistic(
        idx_a: npt.NDArray[np.float64], idx_b: npt.NDArray[np.float64], axis: int = -1
    ) -> npt.NDArray[np.float64]:
        weights_a, lead_a = _weights(np.moveaxis(idx_a, axis, -1), size_a)
        weights_b, lead_b = _weights(np.moveaxis(idx_b, axis, -1), size_b)
        value_a = figure_a(weights_a).reshape(lead_a)
        value_b = figure_b(weights_b).reshape(lead_b)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.asarray(value_b / value_a - 1)

    data = (np.arange(size_a, dtype=float), np.arange(size_b, dtype=float))
    method = "BCa"
    low, high = _interval(statistic, data, paired, confidence, resamples, seed, "BCa")
    if not (math.isfinite(low) and math.isfinite(high)):
        method = "percentile"
        low, high = _interval(statistic, data, paired, confidence, resamples, seed, "percentile")
    return Change(
        figure=name,
        unit=unit,
        a=full_a,
        b=full_b,
        relative=relative,
        low=low,
        high=high,
        confidence=confidence,
        method=f"{'paired ' if paired else ''}block bootstrap, {method}",
    )


def _interval(
    statistic: Callable[..., npt.NDArray[np.float64]],
    data: tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]],
    paired: bool,
    confidence: float,
    resamples: int,
    seed: int,
    method: str,
) -> tuple[float, float]:
    with warnings.catch_warnings():
        # few blocks or identical resamples make BCa degenerate: the fallback handles it
        warnings.simplefilter("ignore")
        try:
            result = stats.bootstrap(
                data,
                statistic,
                n_resamples=resamples,
                paired=paired,
                vectorized=True,
                confidence_level=confidence,
                method=method,
                rng=np.random.default_rng(seed),
            )
        except (ValueError, FloatingPointError, ZeroDivisionError):
            return math.nan, math.nan
    interval = result.confidence_interval
    return float(interval.low), float(interval.high)


def compare_blocks(
    a: Blocks,
    b: Blocks,
    *,
    paired: bool,
    confidence: float,
    resamples: int,
    seed: int = 0,
    throughput: bool = True,
) -> list[Change]:
    """p50, p95, p99 and (unless ``throughput=False``) throughput, each with its interval."""
    if paired and a.size != b.size:
        raise TooLittleDataError(f"paired blocks differ in number: {a.size} vs {b.size}")
    samples = (int(a.counts.sum()), int(b.counts.sum()))
    options = {"paired": paired, "confidence": confidence, "resamples": resamples}
    changes = [
        compare_figure(
            name,
            "ms",
            percentile_figure(a, level),
            percentile_figure(b, level),
            (a.size, b.size),
            seed=seed + k,
            **options,  # type: ignore[arg-type]
        )
        for k, (name, level) in enumerate(PERCENTILE_FIGURES)
    ]
    if throughput:
        changes.append(
            compare_figure(
                THROUGHPUT,
                "req/s",
                throughput_figure(a),
                throughput_figure(b),
                (a.size, b.size),
                seed=seed + len(changes),
                **options,  # type: ignore[arg-type]
            )
        )
    return [dataclasses.replace(c, samples=samples) for c in changes]
