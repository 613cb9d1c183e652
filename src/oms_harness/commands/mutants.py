"""`oms-harness mutants`: the gate must pass every correct server and fail every mutant.

Each run starts its own reference (clean, with one deliberate contract violation, or with one
benign variant: a different but legitimate choice) and runs the whole conformance gate
against it in a subprocess; runs go in parallel. The clean reference and the mutants only
load can see (``LOAD_ONLY_MUTANTS``: a breach on a small fraction of answers) also get a
bounded load smoke, judged on its contract violations alone (latency on a shared machine
proves nothing here). The kill table says, per mutant, whether the gate caught it and the
rule ids that did, and per variant whether it passed or was a false alarm. Exit 0 only with
a clean pass, 100% kill and no false alarm.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ..conformance import runner
from ..conformance.results import ConformanceResult
from ..errors import HarnessError, UsageError
from ..exit_codes import ExitCode
from ..local_target import local_reference
from ..profile import TargetProfile
from ..reference.mutants import LOAD_ONLY_MUTANTS, MUTANTS, VARIANTS
from ._arguments import non_negative_int, positive_int

DEFAULT_MUTANT_EXAMPLES = 50
"""Fuzz budget per run: every mutant conformance can see is also caught by a semantic check,
so less suffices."""
CLEAN = "(clean)"
MUTANT = "mutant"
VARIANT = "variant"


@dataclass(frozen=True)
class MutantRun:
    """One gate run against one server; ``error`` when the run itself could not happen."""

    name: str
    result: ConformanceResult | None
    error: str | None = None
    seconds: float = 0.0
    kind: str = MUTANT
    """``mutant`` (must fail) or ``variant`` (a correct server: must pass)."""
    load_violations: dict[str, int] | None = None
    """Rule id -> answers of the load smoke that broke it; None when no load ran."""

    @property
    def failed(self) -> bool:
        conformance = self.result is not None and self.result.exit_code == int(ExitCode.FAILED)
        return conformance or bool(self.load_violations)

    @property
    def passed(self) -> bool:
        conformance = self.result is not None and self.result.exit_code == int(ExitCode.OK)
        return conformance and not self.load_violations

    @property
    def as_expected(self) -> bool:
        """A mutant killed, a variant passed."""
        return self.failed if self.kind == MUTANT else self.passed

    @property
    def caught_by(self) -> list[str]:
        return [nodeid for nodeid, _ in self.result.failures] if self.result else []

    @property
    def killed_by_rules(self) -> list[str]:
        """The registered rule ids the gate's failures name (what the kill proves); those
        only the load smoke saw carry `` (load)``."""
        found = self.result.rules_broken if self.result else []
        return found + [f"{r} (load)" for r in self.load_violations or {} if r not in found]


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
    parser.add_argument(
        "--variant",
        action="append",
        dest="variants",
        metavar="NAME",
        help="only this benign variant (repeatable; default: all)",
    )


def run_one(name: str | None, *, max_examples: int, seed: int, kind: str = MUTANT) -> MutantRun:
    """The gate against the clean reference (``name`` None), one mutant or one variant."""
    started = time.monotonic()
    label = name or CLEAN
    mutant, variant = (None, name) if kind == VARIANT else (name, None)
    with_load = kind == MUTANT and (name is None or name in LOAD_ONLY_MUTANTS)
    load_violations: dict[str, int] | None = None
    try:
        with local_reference(mutant=mutant, variant=variant) as reference:
            result = runner.run_conformance(
                reference.profile, max_examples=max_examples, seed=seed, echo=False
            )
            if with_load:
                load_violations = _load_violations(reference.profile)
    except HarnessError as exc:
        error = f"{type(exc).__name__}: {exc}"
        return MutantRun(label, None, error, time.monotonic() - started, kind)
    return MutantRun(label, result, None, time.monotonic() - started, kind, load_violations)


def _load_violations(profile: TargetProfile) -> dict[str, int]:
    """The contract violations of a load smoke (its report goes to a scratch directory)."""
    from ..load.runner import run_load

    with tempfile.TemporaryDirectory(prefix="oms-harness-mutant-load-") as scratch:
        result = run_load(profile, scenario="smoke", output_root=Path(scratch), echo=False)
    return dict(result.contract_violations)


def run_all(
    mutants: Sequence[str],
    *,
    variants: Sequence[str] = (),
    max_examples: int,
    seed: int,
    jobs: int,
) -> tuple[MutantRun, list[MutantRun]]:
    """The clean run, then every mutant run and every variant run, in parallel, in order."""
    plan: list[tuple[str | None, str]] = [(None, MUTANT)]
    plan += [(name, MUTANT) for name in mutants] + [(name, VARIANT) for name in variants]
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        runs = list(
            pool.map(
                lambda item: run_one(item[0], max_examples=max_examples, seed=seed, kind=item[1]),
                plan,
            )
        )
    return runs[0], runs[1:]


def _failures(run: MutantRun) -> str:
    load = [f"load: {rule} x{n}" for rule, n in (run.load_violations or {}).items()]
    return run.error or "; ".join(
        [f"{nodeid}: {reason}" for nodeid, reason in (run.result.failures if run.result else [])]
        + load
    )


def _killed_by(run: MutantRun) -> str:
    """The rule ids that killed a mutant, then how many tests failed; failures no rule
    explains (a schemathesis built-in check) are named by test."""
    caught = run.caught_by
    ids = run.killed_by_rules
    unexplained = [n for n in caught if run.result and n not in run.result.failure_rules]
    parts = [", ".join(ids)] if ids else []
    if unexplained:
        shown = ", ".join(unexplained[:2])
        more = f" (+{len(unexplained) - 2} more)" if len(unexplained) > 2 else ""
        parts.append(f"{shown}{more}")
    tests = f" ({len(caught)} failing test{'s' if len(caught) != 1 else ''})" if caught else ""
    return "; ".join(parts) + tests


def kill_table(clean: MutantRun, runs: Sequence[MutantRun]) -> str:
    """Fixed-width table: server, verdict, seconds, the checks that caught it (or false alarms).

    A mutant is ``killed`` or ``SURVIVED``; a benign variant ``passed`` or ``FALSE ALARM``
    (a correct server failed: the failing checks are listed in full).
    """
    names = [f"{run.kind} {run.name}" if run.kind == VARIANT else run.name for run in runs]
    width = max([len(CLEAN), *(len(name) for name in names)]) + 2
    lines = [f"{'mutant':<{width}}{'verdict':<13}{'secs':>6}  killed by (rule ids)"]
    clean_verdict = "PASSED" if clean.passed else "NOT CLEAN"
    lines.append(f"{CLEAN:<{width}}{clean_verdict:<13}{clean.seconds:>6.1f}  {_failures(clean)}")
    for name, run in zip(names, runs, strict=True):
        if run.error:
            verdict, detail = "ERROR", run.error
        elif run.kind == VARIANT:
            verdict = "passed" if run.passed else "FALSE ALARM"
            detail = "" if run.passed else _failures(run)
        else:
            verdict = "killed" if run.failed else "SURVIVED"
            detail = _killed_by(run)
        lines.append(f"{name:<{width}}{verdict:<13}{run.seconds:>6.1f}  {detail}")
    mutant_runs = [run for run in runs if run.kind == MUTANT]
    variant_runs = [run for run in runs if run.kind == VARIANT]
    killed = sum(run.failed for run in mutant_runs)
    summary = (
        f"killed {killed}/{len(mutant_runs)} mutants "
        f"({100 * killed / max(1, len(mutant_runs)):.0f}%); "
    )
    if variant_runs:
        passed = sum(run.passed for run in variant_runs)
        alarms = sum(run.failed for run in variant_runs)
        errors = len(variant_runs) - passed - alarms
        summary += (
            f"passed {passed}/{len(variant_runs)} benign variants ({alarms} false alarms"
            + (f", {errors} could not run" if errors else "")
            + "); "
        )
    lines.append(summary + f"clean reference {clean_verdict.lower()}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    if args.max_examples < 1:
        raise UsageError("--max-examples must be at least 1")
    if args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    # Naming only variants runs only variants (and the reverse); naming neither runs all.
    selected = args.mutants or ([] if args.variants else list(MUTANTS))
    variants = args.variants or ([] if args.mutants else list(VARIANTS))
    for kind, names, catalogue in (("mutant", selected, MUTANTS), ("variant", variants, VARIANTS)):
        unknown = [name for name in names if name not in catalogue]
        if unknown:
            raise UsageError(
                f"unknown {kind} {unknown[0]!r} (see `oms-harness serve --list-{kind}s`)"
            )
    started = time.monotonic()
    print(
        f"mutants: gate vs the clean reference, {len(selected)} mutants and "
        f"{len(variants)} benign variants "
        f"({args.jobs} in parallel, {args.max_examples} fuzz examples, seed {args.seed})"
    )
    sys.stdout.flush()
    clean, runs = run_all(
        selected, variants=variants, max_examples=args.max_examples, seed=args.seed, jobs=args.jobs
    )
    print(kill_table(clean, runs))
    print(f"mutants: {time.monotonic() - started:.1f} s")
    return int(
        ExitCode.OK if clean.passed and all(r.as_expected for r in runs) else ExitCode.FAILED
    )
