"""Stalled units: seconds in which a pause, of the host or of the target, set the latency.

On a shared machine a run now and then stops for a fraction of a second. Corrected latency
charges that pause to every request due during it, so one such second among ten carries a
run's p95 (measured on this project's 2-core host: one-second p99 of 40-90 ms in a run whose
other seconds had 15-20 ms; the pooled p95 of the run moved by +20% to +500%). A block
bootstrap over ten blocks rightly calls that a difference between the two measured periods,
and the minimum effect does not absorb it: the false alarms of the sequential and the A/B
comparison were such pauses (bench/README.md).

So pauses are judged apart from the level of latency:

* a unit (one measured interval of a run, or one slice of an interleaved run) is *stalled*
  when its corrected p99 exceeds ``stall_factor`` times the median of its run's per-unit
  p99 (each run against its own median, so a target that is uniformly slower stalls no
  more than before);
* stalled units are left out of the percentile and throughput figures of both runs (an
  interleaved run drops the whole pair, so both sides stay paired);
* the *stall figure* asks whether B stalls in more units than A: Fisher's exact test for two
  runs, an exact binomial test over the discordant pairs of an interleaved run, one-sided,
  at the comparison's confidence, and at least the minimum effect (percentage points of
  units). A target that pauses every other second fails on it; a host that paused once in
  ten seconds does not. Ten one-second units cannot tell three pauses from none
  (Fisher p = 0.1): longer runs can, and the verdict says which test it used.

``stall_factor = 0`` turns all of this off (every unit is judged, as before).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from .runs import Interval, counts_percentile
from .settings import RegressionSettings
from .verdicts import IMPROVEMENT, NO_CHANGE, NOT_JUDGED, REGRESSION

STALL_LEVEL = 99.0
"""Which percentile of a unit marks it as stalled (at 100 req/s: its slowest answer or so)."""
MIN_KEPT = 3
"""Never leave fewer units than this (a block bootstrap needs three blocks)."""


@dataclass(frozen=True)
class RunStalls:
    """Which units of one run are stalled, and the line that made them so."""

    numbers: tuple[int, ...]
    """The stalled units' numbers (interval or slice numbers)."""
    units: int
    threshold_ms: float

    @property
    def share(self) -> float:
        return len(self.numbers) / self.units if self.units else 0.0


def find_stalls(units: Sequence[Interval], factor: float) -> RunStalls:
    """Units whose p99 exceeds ``factor`` x the run's median per-unit p99."""
    p99 = [counts_percentile(u.counts, STALL_LEVEL) for u in units]
    answered = [p for p in p99 if p is not None]
    if factor <= 0 or not answered:
        return RunStalls((), len(units), math.nan)
    threshold = factor * float(np.median(answered))
    stalled = tuple(
        u.number for u, p in zip(units, p99, strict=True) if p is not None and p > threshold
    )
    return RunStalls(stalled, len(units), threshold)


def find_stalls_of_runs(runs: Sequence[Sequence[Interval]], factor: float) -> RunStalls:
    """A baseline of several runs: each run against its own median, the stalls counted
    together (the threshold reported is the highest of the runs')."""
    found = [find_stalls(run, factor) for run in runs]
    if len(found) == 1:
        return found[0]
    limits = [f.threshold_ms for f in found if math.isfinite(f.threshold_ms)]
    return RunStalls(
        tuple(n for f in found for n in f.numbers),
        sum(f.units for f in found),
        max(limits, default=math.nan),
    )


@dataclass(frozen=True)
class StallVerdict:
    """Whether B stalls in more units than A, and what the other figures left out."""

    a: RunStalls
    b: RunStalls
    paired: bool
    excluded: bool
    """Whether the stalled units were left out of the other figures."""
    p_value: float
    test: str
    verdict: str
    reason: str
    factor: float

    @property
    def regressed(self) -> bool:
        return self.verdict == REGRESSION

    def to_json(self) -> dict[str, Any]:
        return {
            "factor": self.factor,
            "level": f"p{STALL_LEVEL:g}",
            "a": {"stalled": len(self.a.numbers), "units": self.a.units, **_threshold(self.a)},
            "b": {"stalled": len(self.b.numbers), "units": self.b.units, **_threshold(self.b)},
            "stalled_units": {"a": list(self.a.numbers), "b": list(self.b.numbers)},
            "excluded": self.excluded,
            "test": self.test,
            "p_value": None if not math.isfinite(self.p_value) else round(self.p_value, 6),
            "verdict": self.verdict,
            "reason": self.reason,
        }

    @property
    def line(self) -> str:
        if self.factor <= 0:
            return f"{'stalls':<10} {self.verdict} ({self.reason})"
        return (
            f"{'stalls':<10} {len(self.a.numbers):>4}/{self.a.units:<5} -> "
            f"{len(self.b.numbers):>4}/{self.b.units:<5} units "
            f"(p{STALL_LEVEL:g} > {self.factor:g}x the run's median)  {self.verdict}"
        )


def _threshold(run: RunStalls) -> dict[str, float]:
    return {} if not math.isfinite(run.threshold_ms) else {"threshold_ms": run.threshold_ms}


def judge_stalls(
    a: Sequence[Interval],
    b: Sequence[Interval],
    settings: RegressionSettings,
    *,
    paired: bool,
    a_runs: Sequence[Sequence[Interval]] = (),
    b_runs: Sequence[Sequence[Interval]] = (),
) -> StallVerdict:
    """Find each run's stalls and test B's count against A's (see the module docstring).

    ``paired``: ``a[k]`` and ``b[k]`` are the two slices of one pair. ``a_runs``/``b_runs``:
    the runs of a baseline saved more than once, whose intervals ``a``/``b`` pool."""
    factor = settings.stall_factor
    stalls_a = find_stalls_of_runs(a_runs, factor) if a_runs else find_stalls(a, factor)
    stalls_b = find_stalls_of_runs(b_runs, factor) if b_runs else find_stalls(b, factor)
    alpha = 1 - settings.confidence
    if factor <= 0:
        return StallVerdict(
            stalls_a, stalls_b, paired, False, math.nan, "-", NOT_JUDGED,
            "stall detection is off (regression.stall_factor = 0)", factor,
        )  # fmt: skip
    if paired:
        numbers = [(x.number, y.number) for x, y in zip(a, b, strict=True)]
        in_a, in_b = set(stalls_a.numbers), set(stalls_b.numbers)
        only_a = sum(1 for x, y in numbers if x in in_a and y not in in_b)
        only_b = sum(1 for x, y in numbers if y in in_b and x not in in_a)
        test = "exact binomial test over the discordant pairs"
        worse = _binomial(only_b, only_a) if only_a + only_b else 1.0
        better = _binomial(only_a, only_b) if only_a + only_b else 1.0
        kept = sum(1 for x, y in numbers if x not in in_a and y not in in_b)
    else:
        table = [
            [len(stalls_b.numbers), stalls_b.units - len(stalls_b.numbers)],
            [len(stalls_a.numbers), stalls_a.units - len(stalls_a.numbers)],
        ]
        test = "Fisher's exact test"
        worse = float(stats.fisher_exact(table, alternative="greater").pvalue)
        better = float(stats.fisher_exact(table, alternative="less").pvalue)
        kept = min(stalls_a.units - len(stalls_a.numbers), stalls_b.units - len(stalls_b.numbers))
    excluded = bool(stalls_a.numbers or stalls_b.numbers) and kept >= MIN_KEPT
    difference = (stalls_b.share - stalls_a.share) * 100
    big = abs(difference) >= settings.min_effect_pct
    p_value = min(worse, better)
    if not (stalls_a.numbers or stalls_b.numbers):
        verdict, reason = NO_CHANGE, "no stalled unit in either run"
    elif worse < alpha and big:
        verdict = REGRESSION
        reason = (
            f"B stalled in more slices than A, on the same host at the same time ({test}, "
            f"p = {worse:.3g}): a pause of the target"
            if paired
            else f"B stalled in more units than A ({test}, p = {worse:.3g}); a pause of the "
            "target, or of the host in B's run only: run again, or compare --ab, to tell"
        )
        p_value = worse
    elif better < alpha and big:
        verdict, reason, p_value = IMPROVEMENT, f"B stalled in fewer units ({test})", better
    else:
        verdict, reason = NO_CHANGE, f"stall counts do not differ significantly ({test})"
    if (stalls_a.numbers or stalls_b.numbers) and not excluded:
        reason += f"; not left out: fewer than {MIN_KEPT} units would remain"
    return StallVerdict(
        stalls_a, stalls_b, paired, excluded, p_value, test, verdict, reason, factor
    )


def _binomial(successes: int, others: int) -> float:
    """P(at least ``successes`` of the discordant pairs on one side, if either is as likely)."""
    return float(stats.binomtest(successes, successes + others, 0.5, alternative="greater").pvalue)


def kept(units: Sequence[Interval], verdict: StallVerdict, side: str) -> list[Interval]:
    """``units`` without the stalled ones of that run (``side``: ``"a"`` or ``"b"``), or all
    of them when the verdict did not exclude any."""
    if not verdict.excluded:
        return list(units)
    stalled = set((verdict.a if side == "a" else verdict.b).numbers)
    return [u for u in units if u.number not in stalled]


def kept_pairs(keys: Sequence[int], verdict: StallVerdict, offset: int = 1) -> list[int]:
    """Pair keys of an interleaved run whose A slice ``k`` and B slice ``k + offset`` are both
    unstalled (all keys when the verdict did not exclude any)."""
    if not verdict.excluded:
        return list(keys)
    in_a, in_b = set(verdict.a.numbers), set(verdict.b.numbers)
    return [k for k in keys if k not in in_a and k + offset not in in_b]
