"""The regression verdict between run A (baseline) and run B (candidate).

Comparable first (same scenario shape, rate, request mix and target kind, else exit 2
naming what differs), then per figure: estimate, interval, verdict. A figure regresses when
its interval excludes "no change" on the bad side *and* the estimated change is at least the
minimum effect (percent and, for latency, milliseconds); improvement likewise on the good
side; anything else is no significant change.

Per request kind (where both runs stored per-kind histograms): p50, p95 and p99 of each kind
with the same blocks, each interval at a Bonferroni-corrected level (``1 - (1 - confidence)
/ kinds``) so that comparing eight kinds does not multiply the false alarms by eight. The
overall figures are the headline; a kind that regresses makes the verdict a regression too
(a slower error path of 5% of the traffic hides in the overall p50). Throughput is not
compared per kind: the mix fixes each kind's share of it.

Stalled units (``stalls.py``: a second whose p99 is a multiple of its run's median) are
left out of every figure above and judged by a figure of their own, the stall count.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..exit_codes import ExitCode
from .comparable import IncomparableRunsError as IncomparableRunsError
from .comparable import RunShape as RunShape
from .comparable import check_comparable as check_comparable
from .comparable import differences as differences
from .comparable import machine_notes as machine_notes
from .runs import Interval, StoredRun
from .settings import RegressionSettings
from .spread import MIN_RUNS, widen_all
from .stalls import StallVerdict, judge_stalls, kept
from .stats import (
    PERCENTILE_FIGURES,
    THROUGHPUT,
    Change,
    TooLittleDataError,
    choose_block_length,
    compare_blocks,
    make_run_blocks,
)
from .verdicts import IMPROVEMENT as IMPROVEMENT
from .verdicts import NO_CHANGE as NO_CHANGE
from .verdicts import NOT_JUDGED as NOT_JUDGED
from .verdicts import REGRESSION as REGRESSION

MIN_TAIL_SAMPLES = 20
"""A percentile is judged only with at least this many answers beyond it in each run: the
bootstrap of an extreme quantile from a handful of tail values is too narrow (measured on
identical synthetic runs of 1000 answers: p99, 10 values beyond it, came out significant in
9% of pairs at a nominal 5%; p95 and p50 in 4-6%)."""
LEVELS = dict(PERCENTILE_FIGURES)


@dataclass(frozen=True)
class FigureVerdict:
    change: Change
    verdict: str
    reason: str

    def to_json(self) -> dict[str, Any]:
        c = self.change
        return {
            "figure": c.figure,
            "unit": c.unit,
            "a": _round(c.a),
            "b": _round(c.b),
            "difference": _round(c.difference),
            "change_pct": _round(c.relative * 100),
            "ci_pct": [_round(c.low * 100), _round(c.high * 100)],
            "confidence": c.confidence,
            "method": c.method,
            "samples": list(c.samples),
            "run_to_run": None if c.spread is None else c.spread.to_json(),
            "verdict": self.verdict,
            "reason": self.reason,
        }

    @property
    def line(self) -> str:
        c = self.change
        return (
            f"{c.figure:<10} {c.a:>10.3f} -> {c.b:>10.3f} {c.unit:<5} "
            f"{c.relative * 100:+7.1f}% [{c.low * 100:+.1f}%, {c.high * 100:+.1f}%]  "
            f"{self.verdict}"
        )


@dataclass(frozen=True)
class Comparison:
    a: str
    b: str
    mode: str  # "sequential" | "interleaved"
    figures: tuple[FigureVerdict, ...]
    block_intervals: int
    blocks: tuple[int, int]
    settings: RegressionSettings
    notes: tuple[str, ...] = ()
    unit: str = "interval"
    """What a block is made of: one-second intervals, or pairs of A/B slices."""

    kinds: tuple[KindComparison, ...] = ()
    """Per request kind, where both runs have per-kind histograms."""

    runs: tuple[int, int] = (1, 1)
    """How many runs each side pooled (a baseline saved with ``--baseline-runs``)."""

    stalls: StallVerdict | None = None
    """Stalled units: counted here, left out of ``figures`` and ``kinds``."""

    @property
    def regressed(self) -> bool:
        return (
            any(f.verdict == REGRESSION for f in self.figures)
            or any(k.regressed for k in self.kinds)
            or (self.stalls is not None and self.stalls.regressed)
        )

    @property
    def regressed_kinds(self) -> tuple[str, ...]:
        return tuple(k.kind for k in self.kinds if k.regressed)

    @property
    def verdict(self) -> str:
        if self.regressed:
            return REGRESSION
        if any(f.verdict == IMPROVEMENT for f in self.figures):
            return IMPROVEMENT
        return NO_CHANGE

    @property
    def exit_code(self) -> int:
        return int(ExitCode.FAILED if self.regressed else ExitCode.OK)

    def to_json(self) -> dict[str, Any]:
        return {
            "a": self.a,
            "b": self.b,
            "mode": self.mode,
            "verdict": self.verdict,
            "exit_code": self.exit_code,
            "figures": [f.to_json() for f in self.figures],
            "kinds": [k.to_json() for k in self.kinds],
            "regressed_kinds": list(self.regressed_kinds),
            "stalls": None if self.stalls is None else self.stalls.to_json(),
            "block_length": self.block_intervals,
            "block_unit": self.unit,
            "blocks": list(self.blocks),
            "runs": list(self.runs),
            "tolerance": {
                "min_effect_pct": self.settings.min_effect_pct,
                "min_effect_ms": self.settings.min_effect_ms,
                "confidence": self.settings.confidence,
                "resamples": self.settings.resamples,
            },
            "notes": list(self.notes),
        }

    def format(self) -> str:
        head = (
            f"regression check ({self.mode}): A = {self.a}, B = {self.b}; "
            f"{self.settings.confidence:.0%} intervals, blocks of {self.block_intervals} "
            f"{self.unit}(s) ({self.blocks[0]} vs {self.blocks[1]} blocks); minimum effect "
            f"{self.settings.min_effect_pct:g}% and {self.settings.min_effect_ms:g} ms"
        )
        lines = [head, *(f"  {f.line}" for f in self.figures)]
        if self.stalls is not None:
            lines.append(f"  {self.stalls.line}")
        if self.kinds:
            level = self.kinds[0].confidence
            lines.append(
                f"  per request kind ({len(self.kinds)} kinds, {level:.2%} intervals): "
                + (
                    "regression in " + ", ".join(self.regressed_kinds)
                    if self.regressed_kinds
                    else "no kind regressed"
                )
            )
            lines += [
                f"    {k.kind}: {f.line}"
                for k in self.kinds
                for f in k.figures
                if f.verdict in (REGRESSION, IMPROVEMENT)
            ]
        lines += [f"  note: {note}" for note in self.notes]
        lines.append(f"  regression verdict: {self.verdict} (exit {self.exit_code})")
        return "\n".join(lines)


@dataclass(frozen=True)
class KindComparison:
    """One request kind's percentiles, judged at the corrected level ``confidence``."""

    kind: str
    figures: tuple[FigureVerdict, ...]
    confidence: float

    @property
    def regressed(self) -> bool:
        return any(f.verdict == REGRESSION for f in self.figures)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "confidence": self.confidence,
            "regressed": self.regressed,
            "figures": [f.to_json() for f in self.figures],
        }


def kind_confidence(confidence: float, kinds: int) -> float:
    """Bonferroni: each of ``kinds`` intervals at this level keeps the family's level."""
    return 1 - (1 - confidence) / max(kinds, 1)


def compare_kinds(
    series: Sequence[tuple[str, Sequence[Sequence[Interval]], Sequence[Sequence[Interval]]]],
    length: int,
    interval_s: float,
    settings: RegressionSettings,
    *,
    paired: bool,
    seed: int = 0,
) -> tuple[KindComparison, ...]:
    """Each kind's p50/p95/p99 over the same blocks as the overall figures (each side: the
    kind's intervals in each of its runs)."""
    level = kind_confidence(settings.confidence, len(series))
    found = []
    for k, (kind, a_runs, b_runs) in enumerate(series):
        changes = compare_blocks(
            make_run_blocks(a_runs, length, interval_s),
            make_run_blocks(b_runs, length, interval_s),
            paired=paired,
            confidence=level,
            resamples=settings.resamples,
            seed=seed + 100 * (k + 1),
            throughput=False,
        )
        changes = widen_all(changes, a_runs, b_runs, interval_s, level)
        found.append(KindComparison(kind, tuple(judge(c, settings) for c in changes), level))
    return tuple(found)


def _round(value: float) -> float | None:
    return round(value, 4) if math.isfinite(value) else None


def judge(change: Change, settings: RegressionSettings) -> FigureVerdict:
    """One figure's verdict (see the module docstring)."""
    level = LEVELS.get(change.figure)
    if level is not None:
        tail = min(change.samples) * (1 - level / 100)
        if tail < MIN_TAIL_SAMPLES:
            needed = math.ceil(MIN_TAIL_SAMPLES / (1 - level / 100))
            return FigureVerdict(
                change,
                NOT_JUDGED,
                f"too few answers to judge {change.figure}: {min(change.samples)} in a run, "
                f"{needed} needed ({MIN_TAIL_SAMPLES} beyond it)",
            )
    if not all(math.isfinite(x) for x in (change.relative, change.low, change.high)):
        return FigureVerdict(change, NOT_JUDGED, "no interval could be computed")
    worse_is_up = change.figure != THROUGHPUT
    worse = change.relative > 0 if worse_is_up else change.relative < 0
    significant = change.low > 0 or change.high < 0
    big = abs(change.relative) * 100 >= settings.min_effect_pct and (
        change.figure == THROUGHPUT or abs(change.difference) >= settings.min_effect_ms
    )
    if not significant:
        return FigureVerdict(change, NO_CHANGE, "the interval includes no change")
    if not big:
        return FigureVerdict(change, NO_CHANGE, "significant, but smaller than the minimum effect")
    return FigureVerdict(
        change,
        REGRESSION if worse else IMPROVEMENT,
        "significant and at least the minimum effect",
    )


def compare_runs(
    a: StoredRun,
    b: StoredRun,
    settings: RegressionSettings,
    *,
    seed: int = 0,
) -> Comparison:
    """Two separate runs (a baseline and a candidate): blocks resampled independently.

    A side saved as several runs (``run.earlier``: ``--baseline-runs``) pools its runs'
    blocks, and with ``spread.MIN_RUNS`` runs in all each interval is widened to the
    run-level t interval of their spread (``spread.py``)."""
    runs_a, runs_b = a.runs, b.runs
    for one_a in runs_a:
        for one_b in runs_b:
            check_comparable(one_a, one_b)
    notes = machine_notes(a, b)
    parts_a = [run.intervals for run in runs_a]
    parts_b = [run.intervals for run in runs_b]
    stalls = judge_stalls(
        [i for part in parts_a for i in part],
        [i for part in parts_b for i in part],
        settings,
        paired=False,
        a_runs=parts_a,
        b_runs=parts_b,
    )
    kept_a = [kept(part, stalls, "a") for part in parts_a]
    kept_b = [kept(part, stalls, "b") for part in parts_b]
    try:
        length = choose_block_length(*kept_a, *kept_b, interval_s=a.interval_s)
        blocks_a = make_run_blocks(kept_a, length, a.interval_s)
        blocks_b = make_run_blocks(kept_b, length, b.interval_s)
    except TooLittleDataError as exc:
        raise IncomparableRunsError(f"runs too short to compare: {exc}") from None
    changes = widen_all(
        compare_blocks(
            blocks_a,
            blocks_b,
            paired=False,
            confidence=settings.confidence,
            resamples=settings.resamples,
            seed=seed,
        ),
        kept_a,
        kept_b,
        a.interval_s,
        settings.confidence,
    )
    shared = sorted(set.intersection(*(set(r.measured_kinds) for r in (*runs_a, *runs_b))))
    kinds = compare_kinds(
        [
            (
                kind,
                [kept(run.kind_intervals(kind), stalls, "a") for run in runs_a],
                [kept(run.kind_intervals(kind), stalls, "b") for run in runs_b],
            )
            for kind in shared
        ],
        length,
        a.interval_s,
        settings,
        paired=False,
        seed=seed,
    )
    if not shared:
        notes.append("no per-request-kind histograms in both runs: overall figures only")
    notes += runs_notes(len(runs_a), len(runs_b), changes)
    return Comparison(
        a=a.label,
        b=b.label,
        mode="sequential",
        figures=tuple(judge(c, settings) for c in changes),
        block_intervals=length,
        blocks=(blocks_a.size, blocks_b.size),
        settings=settings,
        notes=tuple(notes),
        kinds=kinds,
        stalls=stalls,
        runs=(len(runs_a), len(runs_b)),
    )


def runs_notes(runs_a: int, runs_b: int, changes: Sequence[Change]) -> list[str]:
    """What sides of several runs added to the comparison, in words."""
    if runs_a == runs_b == 1:
        return []
    held = f"A holds {_runs(runs_a)} and B {_runs(runs_b)}, each side pooled"
    if runs_a + runs_b < MIN_RUNS:
        return [
            f"{held}; {MIN_RUNS} runs in all (--baseline-runs) would also measure the spread "
            "between runs"
        ]
    spreads = [f"{c.figure} {c.spread.spread * 100:.1f}%" for c in changes if c.spread]
    return [
        f"{held}; each interval is at least as wide as their run-to-run spread "
        f"({', '.join(spreads)}; t with {runs_a + runs_b - 2} degrees of freedom)"
    ]


def _runs(n: int) -> str:
    return f"{n} run" + ("" if n == 1 else "s")
