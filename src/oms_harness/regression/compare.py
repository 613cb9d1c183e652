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
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ..errors import HarnessError
from ..exit_codes import ExitCode
from ..load.schedule import ArrivalSchedule
from .runs import Interval, StoredRun
from .settings import RegressionSettings
from .stats import (
    PERCENTILE_FIGURES,
    THROUGHPUT,
    Change,
    TooLittleDataError,
    choose_block_length,
    compare_blocks,
    make_blocks,
)

REGRESSION = "regression"
IMPROVEMENT = "improvement"
NO_CHANGE = "no significant change"
NOT_JUDGED = "not judged"
MIN_TAIL_SAMPLES = 20
"""A percentile is judged only with at least this many answers beyond it in each run: the
bootstrap of an extreme quantile from a handful of tail values is too narrow (measured on
identical synthetic runs of 1000 answers: p99, 10 values beyond it, came out significant in
9% of pairs at a nominal 5%; p95 and p50 in 4-6%)."""
LEVELS = dict(PERCENTILE_FIGURES)
MACHINE_IDENTITY = ("hostname", "cpus", "platform", "python")
SHAPE_TOLERANCE = 1e-6


class RunShape(Protocol):
    """What comparability is judged on: a stored run, or a run about to start."""

    @property
    def label(self) -> str: ...
    @property
    def scenario(self) -> str: ...
    @property
    def schedule(self) -> ArrivalSchedule: ...
    @property
    def mix(self) -> Mapping[str, float]: ...
    @property
    def target_kind(self) -> str: ...
    @property
    def interval_s(self) -> float: ...


class IncomparableRunsError(HarnessError):
    """The two runs measured different things: comparing them would mean nothing."""

    exit_code = ExitCode.USAGE


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

    @property
    def regressed(self) -> bool:
        return any(f.verdict == REGRESSION for f in self.figures) or any(
            k.regressed for k in self.kinds
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
            "block_length": self.block_intervals,
            "block_unit": self.unit,
            "blocks": list(self.blocks),
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
    series: Sequence[tuple[str, Sequence[Interval], Sequence[Interval]]],
    length: int,
    interval_s: float,
    settings: RegressionSettings,
    *,
    paired: bool,
    seed: int = 0,
) -> tuple[KindComparison, ...]:
    """Each kind's p50/p95/p99 over the same blocks as the overall figures."""
    level = kind_confidence(settings.confidence, len(series))
    found = []
    for k, (kind, a, b) in enumerate(series):
        changes = compare_blocks(
            make_blocks(a, length, interval_s),
            make_blocks(b, length, interval_s),
            paired=paired,
            confidence=level,
            resamples=settings.resamples,
            seed=seed + 100 * (k + 1),
            throughput=False,
        )
        found.append(KindComparison(kind, tuple(judge(c, settings) for c in changes), level))
    return tuple(found)


def _round(value: float) -> float | None:
    return round(value, 4) if math.isfinite(value) else None


def _shape(run: RunShape) -> list[tuple[float, float, float]]:
    """Stages as (share of the duration, start, end as shares of the peak rate)."""
    schedule = run.schedule
    total, peak = schedule.duration, schedule.peak_rps
    return [(s.seconds / total, s.start_rps / peak, s.end_rps / peak) for s in schedule.stages]


def _close(x: Sequence[float], y: Sequence[float]) -> bool:
    return len(x) == len(y) and all(
        abs(p - q) <= SHAPE_TOLERANCE for p, q in zip(x, y, strict=True)
    )


def differences(a: RunShape, b: RunShape, *, shape: bool = True) -> list[str]:
    """What makes two runs incomparable (empty: comparable). Durations may differ.

    ``shape=False``: the halves of one interleaved run, whose schedules are complementary
    by construction."""
    found = []
    if a.scenario != b.scenario:
        found.append(f"scenario {a.scenario} vs {b.scenario}")
    shape_a, shape_b = _shape(a), _shape(b)
    if shape and (
        len(shape_a) != len(shape_b)
        or not all(_close(x, y) for x, y in zip(shape_a, shape_b, strict=False))
    ):
        found.append(f"scenario shape {a.schedule.to_json()} vs {b.schedule.to_json()}")
    peak_a, peak_b = a.schedule.peak_rps, b.schedule.peak_rps
    if abs(peak_a - peak_b) > SHAPE_TOLERANCE * max(peak_a, peak_b):
        found.append(f"rate {peak_a:g} vs {peak_b:g} req/s")
    if not _same_mix(a.mix, b.mix):
        found.append(f"request mix {_mix_text(a.mix, b.mix)}")
    if a.target_kind != b.target_kind:
        found.append(f"target kind {a.target_kind} vs {b.target_kind}")
    if a.interval_s and b.interval_s and a.interval_s != b.interval_s:
        found.append(f"interval length {a.interval_s:g} s vs {b.interval_s:g} s")
    return found


def _same_mix(a: Mapping[str, float], b: Mapping[str, float]) -> bool:
    """Same kinds, same weights (a weight unknown on either side, NaN, is not compared: runs
    judged from a results file alone, ``load --judge``, carry no plan)."""
    return set(a) == set(b) and all(
        a[k] == b[k] for k in a if math.isfinite(a[k]) and math.isfinite(b[k])
    )


def _mix_text(a: Mapping[str, float], b: Mapping[str, float]) -> str:
    only_a = sorted(set(a) - set(b))
    only_b = sorted(set(b) - set(a))
    if only_a or only_b:
        return f"(only in A: {', '.join(only_a) or '-'}; only in B: {', '.join(only_b) or '-'})"
    changed = [k for k in sorted(a) if not _same_mix({k: a[k]}, {k: b[k]})]
    return "(weights differ: " + ", ".join(f"{k} {a[k]:g} vs {b[k]:g}" for k in changed) + ")"


def check_comparable(a: RunShape, b: RunShape, *, shape: bool = True) -> None:
    found = differences(a, b, shape=shape)
    if found:
        raise IncomparableRunsError(
            f"runs not comparable ({a.label} vs {b.label}): " + "; ".join(found)
        )


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
    """Two separate runs (a baseline and a candidate): blocks resampled independently."""
    check_comparable(a, b)
    notes = machine_notes(a, b)
    try:
        length = choose_block_length(a.intervals, b.intervals, interval_s=a.interval_s)
        blocks_a = make_blocks(a.intervals, length, a.interval_s)
        blocks_b = make_blocks(b.intervals, length, b.interval_s)
    except TooLittleDataError as exc:
        raise IncomparableRunsError(f"runs too short to compare: {exc}") from None
    changes = compare_blocks(
        blocks_a,
        blocks_b,
        paired=False,
        confidence=settings.confidence,
        resamples=settings.resamples,
        seed=seed,
    )
    shared = sorted(set(a.measured_kinds) & set(b.measured_kinds))
    kinds = compare_kinds(
        [(kind, a.kind_intervals(kind), b.kind_intervals(kind)) for kind in shared],
        length,
        a.interval_s,
        settings,
        paired=False,
        seed=seed,
    )
    if not shared:
        notes.append("no per-request-kind histograms in both runs: overall figures only")
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
    )


def machine_notes(a: StoredRun, b: StoredRun) -> list[str]:
    """Differences that do not make runs incomparable but that a reader should know."""
    notes = []
    dur_a, dur_b = a.schedule.duration, b.schedule.duration
    if abs(dur_a - dur_b) > SHAPE_TOLERANCE:
        notes.append(f"durations differ: {dur_a:g} s vs {dur_b:g} s")
    ver_a, ver_b = a.summary.get("harness_version"), b.summary.get("harness_version")
    if ver_a != ver_b:
        notes.append(f"harness versions differ: {ver_a} vs {ver_b}")
    machine_a, machine_b = _machine(a), _machine(b)
    if machine_a and machine_b and machine_a != machine_b:
        notes.append(f"measured on different machines: {machine_a} vs {machine_b}")
    return notes


def _machine(run: StoredRun) -> dict[str, Any]:
    """The facts that identify a machine (not its load at the time)."""
    facts = run.meta.get("machine") or {}
    return {k: facts[k] for k in MACHINE_IDENTITY if k in facts}
