"""`oms-harness mutants`: the gate must pass the clean reference and fail every mutant.

Each run starts its own reference (clean, or with one deliberate contract violation) and
runs the whole conformance gate against it in a subprocess; runs go in parallel. The kill
table says, per mutant, whether the gate caught it and which checks did. Exit 0 only with a
clean pass and 100% kill.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from ..conformance import runner
from ..conformance.results import ConformanceResult
from ..errors import HarnessError, UsageError
from ..exit_codes import ExitCode
from ..local_target import local_reference
from ..reference.mutants import MUTANTS
from ._arguments import non_negative_int, positive_int

DEFAULT_MUTANT_EXAMPLES = 50
"""Fuzz budget per run: every mutant is also caught by a semantic check, so less suffices."""
CLEAN = "(clean)"


@dataclass(frozen=True)
class MutantRun:
    """One gate run against one server; ``error`` when the run itself could not happen."""

    name: str
    result: ConformanceResult | None
    error: str | None = None
    seconds: float = 0.0

    @property
    def failed(self) -> bool:
        return self.result is not None and self.result.exit_code == int(ExitCode.FAILED)

    @property
    def caught_by(self) -> list[str]:
        return [nodeid for nodeid, _ in self.result.failures] if self.result else []


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--max-examples",
        type=positive_int,
        default=DEFAULT_MUTANT_EXAMPLES,
        metavar="N",
        help=f"fuzz examples per fuzz test and run (default {DEFAULT_MUTANT_EXAMPLES})",
    )
    parser.add_argument(
        "--seed", type=non_negative_int, default=0, metavar="N", help="fuzz seed (default 0)"
    )
    parser.add_argument(
        "--jobs",
        type=positive_int,
        default=max(2, min(4, os.cpu_count() or 2)),
        metavar="J",
        help="gate runs in parallel (default: CPU count, 2 to 4)",
    )
    parser.add_argument(
        "--mutant",
        action="append",
        dest="mutants",
        metavar="NAME",
        help="only this mutant (repeatable; default: all)",
    )


def run_one(name: str | None, *, max_examples: int, seed: int) -> MutantRun:
    """The gate against the clean reference (``name`` None) or one mutant."""
    started = time.monotonic()
    label = name or CLEAN
    try:
        with local_reference(mutant=name) as reference:
            result = runner.run_conformance(
                reference.profile, max_examples=max_examples, seed=seed, echo=False
            )
    except HarnessError as exc:
        return MutantRun(label, None, f"{type(exc).__name__}: {exc}", time.monotonic() - started)
    return MutantRun(label, result, None, time.monotonic() - started)


def run_all(
    mutants: Sequence[str], *, max_examples: int, seed: int, jobs: int
) -> tuple[MutantRun, list[MutantRun]]:
    """The clean run and every mutant run, in parallel, in the order given."""
    names: list[str | None] = [None, *mutants]
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        runs = list(pool.map(lambda n: run_one(n, max_examples=max_examples, seed=seed), names))
    return runs[0], runs[1:]


def kill_table(clean: MutantRun, runs: Sequence[MutantRun]) -> str:
    """Fixed-width table: mutant, verdict, seconds, the checks that caught it."""
    width = max(len(CLEAN), *(len(r.name) for r in runs)) + 2
    lines = [f"{'mutant':<{width}}{'verdict':<11}{'secs':>6}  caught by"]
    clean_verdict = "PASSED" if clean.result and clean.result.exit_code == 0 else "NOT CLEAN"
    detail = clean.error or "; ".join(
        f"{nodeid}: {reason}" for nodeid, reason in (clean.result.failures if clean.result else [])
    )
    lines.append(f"{CLEAN:<{width}}{clean_verdict:<11}{clean.seconds:>6.1f}  {detail}")
    for run in runs:
        verdict = "killed" if run.failed else ("ERROR" if run.error else "SURVIVED")
        caught = run.caught_by
        shown = ", ".join(caught[:3]) + (f" (+{len(caught) - 3} more)" if len(caught) > 3 else "")
        lines.append(f"{run.name:<{width}}{verdict:<11}{run.seconds:>6.1f}  {run.error or shown}")
    killed = sum(run.failed for run in runs)
    lines.append(
        f"killed {killed}/{len(runs)} mutants ({100 * killed / max(1, len(runs)):.0f}%); "
        f"clean reference {clean_verdict.lower()}"
    )
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    if args.max_examples < 1:
        raise UsageError("--max-examples must be at least 1")
    if args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    selected = args.mutants or list(MUTANTS)
    unknown = [name for name in selected if name not in MUTANTS]
    if unknown:
        raise UsageError(f"unknown mutant {unknown[0]!r} (see `oms-harness serve --list-mutants`)")
    started = time.monotonic()
    print(
        f"mutants: gate vs the clean reference and {len(selected)} mutants "
        f"({args.jobs} in parallel, {args.max_examples} fuzz examples, seed {args.seed})"
    )
    sys.stdout.flush()
    clean, runs = run_all(selected, max_examples=args.max_examples, seed=args.seed, jobs=args.jobs)
    print(kill_table(clean, runs))
    print(f"mutants: {time.monotonic() - started:.1f} s")
    all_killed = all(run.failed for run in runs)
    clean_ok = clean.result is not None and clean.result.exit_code == int(ExitCode.OK)
    return int(ExitCode.OK if all_killed and clean_ok else ExitCode.FAILED)
