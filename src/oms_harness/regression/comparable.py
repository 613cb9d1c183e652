"""Whether two load runs measured the same thing, and what a reader should know if they
differ in ways that do not make them incomparable.

Comparable means the same scenario shape, rate, request mix, target kind and interval
length; anything else is exit 2 naming what differs. Durations, harness versions and
machines may differ: they become notes of the comparison.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from ..errors import HarnessError
from ..exit_codes import ExitCode
from ..load.schedule import ArrivalSchedule
from .runs import StoredRun

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
    busier = _busier(a, b)
    if busier:
        notes.append(busier)
    return notes


BUSIER_PER_CPU = 0.5
"""Load averages this far apart (per CPU), and at least twice as high, are worth a note."""


def _busier(a: StoredRun, b: StoredRun) -> str:
    """A note when the machine was much busier during one run than the other (1-minute
    load average when each was stored): the figures measure the machine's queueing too."""
    loads = [_load(run) for run in (a, b)]
    cpus = int((a.meta.get("machine") or {}).get("cpus") or 1)
    load_a, load_b = loads
    if load_a is None or load_b is None:
        return ""
    low, high = sorted((load_a, load_b))
    if high - low < BUSIER_PER_CPU * cpus or high < 2 * low:
        return ""
    return (
        f"the machine was busier during {'B' if load_b > load_a else 'A'}: 1-minute load "
        f"average {load_a:g} (A) vs {load_b:g} (B) on {cpus} CPU(s); a sequential comparison "
        "measures the machine's queueing too (compare --ab cancels most of it)"
    )


def _load(run: StoredRun) -> float | None:
    values = (run.meta.get("machine") or {}).get("load_average_at_save") or []
    try:
        return float(values[0])
    except (IndexError, TypeError, ValueError):
        return None


def _machine(run: StoredRun) -> dict[str, Any]:
    """The facts that identify a machine (not its load at the time)."""
    facts = run.meta.get("machine") or {}
    return {k: facts[k] for k in MACHINE_IDENTITY if k in facts}
