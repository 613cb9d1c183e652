"""Interleaved A/B ("duet") runs: two targets loaded in alternating short slices.

Machine noise on a shared host moves throughput and percentiles by tens of percent within
minutes; two runs minutes apart see different noise, two slices seconds apart see nearly the
same. So both targets are loaded in one window: A during even slices, B during odd ones,
each by its own generator (two Locust runs started on the same epoch instant, each with the
scenario's rate in its own slices and zero in the other's). Slice ``k`` of A and slice ``k``
of B form a pair; the pairs are block-bootstrapped together (Bulej et al., "Duet
Benchmarking", ICPE 2020, use the same pairing to cancel interference).
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import math
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import psutil

from ..errors import HarnessError, UsageError
from ..exit_codes import ExitCode
from ..load import runner
from ..load.plan import build_plan
from ..load.schedule import ArrivalSchedule, Stage
from ..target import Target
from .compare import Comparison, check_comparable, compare_kinds, judge, machine_notes
from .runs import EDGE_S, Interval, StoredRun, counts_percentile, read_run
from .settings import RegressionSettings
from .stalls import judge_stalls, kept_pairs
from .stats import TooLittleDataError, choose_block_length, compare_blocks, make_blocks

DEFAULT_SLICE_S = 2.0
LEAD_S = 8.0
"""Both generators start this long after the command decides (preflights, Locust startup)."""
START_TOLERANCE_S = 0.05


class InterleaveError(HarnessError):
    """The two generators did not start on the planned instant: the slices do not pair."""

    exit_code = ExitCode.RESULT_INVALID


def interleaved(base: ArrivalSchedule, slice_s: float) -> tuple[ArrivalSchedule, ArrivalSchedule]:
    """A's and B's schedules: ``base``'s rate in alternate slices, zero in the others."""
    if slice_s <= 0:
        raise UsageError("--slice must be positive")
    if base.duration < 4 * slice_s:
        raise UsageError(
            f"interleaving needs at least 4 slices: {base.duration:g} s run, {slice_s:g} s slices"
        )
    cuts = {0.0, base.duration}
    elapsed = 0.0
    for stage in base.stages:
        elapsed += stage.seconds
        cuts.add(min(elapsed, base.duration))
    k = 1
    while k * slice_s < base.duration - 1e-9:
        cuts.add(k * slice_s)
        k += 1
    points = sorted(cuts)
    stages_a: list[Stage] = []
    stages_b: list[Stage] = []
    for begin, end in itertools.pairwise(points):
        if end - begin < 1e-9:
            continue
        start_rps, end_rps = base.rate_at(begin), base.rate_at(end - 1e-9)
        on_a = int((begin + 1e-9) // slice_s) % 2 == 0
        active = Stage(end - begin, start_rps, end_rps)
        idle = Stage(end - begin, 0.0, 0.0)
        stages_a.append(active if on_a else idle)
        stages_b.append(idle if on_a else active)
    return ArrivalSchedule(tuple(stages_a)), ArrivalSchedule(tuple(stages_b))


def slice_units(
    run: StoredRun, slice_s: float, intervals: Sequence[Interval] | None = None
) -> dict[int, Interval]:
    """The run's measured intervals (or one request kind's: ``intervals``) summed per slice
    (slice number -> one unit)."""
    start = run.start_epoch
    grouped: dict[int, list[Interval]] = {}
    for interval in run.intervals if intervals is None else intervals:
        begin = interval.number * run.interval_s - start
        grouped.setdefault(int((begin + EDGE_S) // slice_s), []).append(interval)
    units = {}
    for number, parts in grouped.items():
        counts = np.sum([p.counts for p in parts], axis=0)
        units[number] = Interval(
            number=number,
            counts=counts,
            completed=sum(p.completed for p in parts),
            failures=sum(p.failures for p in parts),
            p95_ms=counts_percentile(counts, 95.0),
        )
    return units


def compare_interleaved(
    a: StoredRun,
    b: StoredRun,
    settings: RegressionSettings,
    *,
    slice_s: float,
    start_at: float | None = None,
    seed: int = 0,
) -> Comparison:
    """Pairs (A's slice 2k, B's slice 2k+1), block-bootstrapped together."""
    check_comparable(a, b, shape=False)
    if start_at is not None:
        for run in (a, b):
            if abs(run.start_epoch - start_at) > START_TOLERANCE_S:
                raise InterleaveError(
                    f"{run.label}: the generator started {run.start_epoch - start_at:+.2f} s "
                    "off the planned instant (a slow start on a busy machine): the slices do "
                    "not pair; run again"
                )
    units_a, units_b = slice_units(a, slice_s), slice_units(b, slice_s)
    keys = [k for k in sorted(units_a) if k + 1 in units_b]
    stalls = judge_stalls(
        [units_a[k] for k in keys], [units_b[k + 1] for k in keys], settings, paired=True
    )
    stalls_keys, keys = keys, kept_pairs(keys, stalls)
    pairs = [(units_a[k], units_b[k + 1]) for k in keys]
    series_a = [p[0] for p in pairs]
    series_b = [p[1] for p in pairs]
    try:
        if not pairs:
            raise TooLittleDataError(
                f"no pair of slices was measured ({len(units_a)} slices of A, {len(units_b)} of B)"
            )
        length = choose_block_length(series_a, series_b, interval_s=slice_s)
        blocks_a = make_blocks(series_a, length, slice_s)
        blocks_b = make_blocks(series_b, length, slice_s)
    except TooLittleDataError as exc:
        raise UsageError(f"interleaved run too short to compare: {exc}") from None
    changes = compare_blocks(
        blocks_a,
        blocks_b,
        paired=True,
        confidence=settings.confidence,
        resamples=settings.resamples,
        seed=seed,
    )
    shared = sorted(set(a.measured_kinds) & set(b.measured_kinds))
    series = []
    for kind in shared:
        kind_a = slice_units(a, slice_s, a.kind_intervals(kind))
        kind_b = slice_units(b, slice_s, b.kind_intervals(kind))
        series.append((kind, [[kind_a[k] for k in keys]], [[kind_b[k + 1] for k in keys]]))
    kinds = compare_kinds(series, length, slice_s, settings, paired=True, seed=seed)
    notes = machine_notes(a, b)
    left_out = (
        f", {len(stalls_keys) - len(keys)} stalled pair(s) left out" if stalls.excluded else ""
    )
    notes.append(f"{len(pairs)} pairs of {slice_s:g} s slices{left_out}")
    if not shared:
        notes.append("no per-request-kind histograms in both runs: overall figures only")
    return Comparison(
        a=a.label,
        b=b.label,
        mode="interleaved",
        figures=tuple(judge(c, settings) for c in changes),
        block_intervals=length,
        blocks=(blocks_a.size, blocks_b.size),
        settings=settings,
        notes=tuple(notes),
        unit="slice pair",
        kinds=kinds,
        stalls=stalls,
    )


@dataclass(frozen=True)
class InterleavedRun:
    comparison: Comparison
    a: StoredRun
    b: StoredRun
    exit_codes: tuple[int, int]


def run_interleaved(
    targets: tuple[Target, Target],
    *,
    scenario: str,
    rate: float | None,
    duration: float | None,
    slice_s: float,
    settings: RegressionSettings,
    output_root: Path,
    run_options: Mapping[str, Any],
    echo: Callable[[str], None] = print,
) -> InterleavedRun:
    """Plan both schedules, start both generators on one instant, compare the slices.

    Each target is one resolved :class:`Target` of the command (its preflight runs once)."""
    plan = build_plan(
        targets[0].url, scenario=scenario, rate=rate, duration=duration, **run_options
    )
    base = plan.schedule
    schedule_a, schedule_b = interleaved(base, slice_s)
    interval = plan.interval_s
    if not float(slice_s / interval).is_integer():
        raise UsageError(
            f"--slice {slice_s:g}s must be a multiple of the {interval:g} s interval of a "
            f"{base.duration:g} s run"
        )
    for target in targets:  # validate both before starting either
        build_plan(target.url, scenario=scenario, schedule=schedule_a, **run_options)
    # both targets answer, with these credentials, before either is loaded (else exit 3)
    tokens = [target.token() for target in targets]
    start_at = math.ceil((time.time() + LEAD_S) / interval) * interval
    echo(
        f"compare --ab: {scenario} {base.mean_rps:g} req/s for {base.duration:g} s, "
        f"alternating {slice_s:g} s slices (A first), both generators start at "
        f"{datetime.fromtimestamp(start_at, UTC).isoformat(timespec='seconds')}"
    )
    results: list[runner.LoadResult | BaseException | None] = [None, None]

    def one(index: int, schedule: ArrivalSchedule) -> None:
        try:
            target = targets[index]
            results[index] = runner.run_load(
                target,
                scenario=scenario,
                schedule=schedule,
                start_at=start_at,
                # client credentials: each generator exchanges (and refreshes) its own
                token=None if target.auth.exchanges else tokens[index],
                output_root=output_root / ("a" if index == 0 else "b"),
                echo=False,
                **run_options,
            )
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread
            results[index] = exc

    threads = [
        threading.Thread(target=one, args=(i, s), name=f"ab-{i}", daemon=True)
        for i, s in enumerate((schedule_a, schedule_b))
    ]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            while thread.is_alive():
                thread.join(timeout=0.5)
    except BaseException:
        _stop_children()
        raise
    for item in results:
        if isinstance(item, BaseException):
            raise item
    done = [r for r in results if isinstance(r, runner.LoadResult)]
    run_a, run_b = (
        _labelled(read_run(r.report_dir), label) for r, label in zip(done, "AB", strict=True)
    )
    comparison = compare_interleaved(run_a, run_b, settings, slice_s=slice_s, start_at=start_at)
    return InterleavedRun(comparison, run_a, run_b, (done[0].exit_code, done[1].exit_code))


def _labelled(run: StoredRun, letter: str) -> StoredRun:
    """``A http://127.0.0.1:8081/v0.9``: the public URL (no userinfo, query or fragment)."""
    url = str(run.summary.get("target", {}).get("base_url", ""))
    return dataclasses.replace(run, label=f"{letter} {url}".strip())


def _stop_children(timeout: float = 5.0) -> None:
    """Ctrl-C while both generators run in threads: stop the Locust runs this process
    started (each in its own session, so the terminal's SIGINT never reached them)."""
    children: Sequence[psutil.Process] = psutil.Process().children(recursive=True)
    for child in children:
        with contextlib.suppress(psutil.Error):
            child.terminate()
    _, alive = psutil.wait_procs(children, timeout=timeout)
    for child in alive:
        with contextlib.suppress(psutil.Error):
            child.kill()
