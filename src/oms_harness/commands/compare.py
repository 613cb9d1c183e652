"""`oms-harness compare`: is B slower than A? Two stored runs, or an interleaved A/B run.

``compare RUN_A RUN_B`` reads two run or baseline directories (or baseline names);
``compare --ab PROFILE_A PROFILE_B`` loads both targets in alternating slices of one run.
Exit codes: 0 no regression beyond the tolerance; 1 a regression; 2 usage error or runs not
comparable (the message says what differs); 3 a target unreachable (--ab); 4 a run invalid
(generator-bound, or the two generators did not start together).
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path

from ..errors import UsageError
from ..exit_codes import ExitCode
from ..load import safety
from ..load.schedule import SCENARIOS
from ..profile import load_profile
from ..regression import baseline
from ..regression.compare import compare_runs
from ..regression.interleave import DEFAULT_SLICE_S, run_interleaved
from ..report import regression as report
from ..target import output, resolve_target
from . import _regression
from ._arguments import add_preflight_timeout, positive_float, positive_int

DEFAULT_ROOT = Path("reports/compare")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "runs",
        nargs=2,
        metavar="A B",
        help="baseline names or run directories (with --ab: two target profiles, A first)",
    )
    parser.add_argument(
        "--ab",
        action="store_true",
        help="load both profiles in alternating slices of one run and compare them",
    )
    parser.add_argument(
        "--report-dir",
        type=Path,
        default=DEFAULT_ROOT,
        metavar="DIR",
        help=f"outputs go to DIR/<timestamp>/ (default {DEFAULT_ROOT})",
    )
    _regression.add_tolerance_arguments(parser)
    ab = parser.add_argument_group("interleaved A/B run (--ab)")
    ab.add_argument(
        "--scenario",
        choices=sorted(SCENARIOS),
        help="load shape, shared by both targets (default steady)",
    )
    ab.add_argument("--rate", type=positive_float, metavar="RPS", help="(peak) arrival rate")
    ab.add_argument("--duration", metavar="60s", help="the whole run: each target gets half")
    ab.add_argument(
        "--slice",
        metavar="2s",
        help=f"length of one target's turn (default {DEFAULT_SLICE_S:g}s)",
    )
    ab.add_argument("--users", type=positive_int, metavar="N", help="max in flight, per target")
    ab.add_argument("--processes", type=positive_int, metavar="N", help="per target (default 1)")
    ab.add_argument("--allow-production", action="store_true")
    add_preflight_timeout(ab)


def _output_dir(root: Path) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    for attempt in range(100):
        candidate = root / (stamp + (f"-{attempt}" if attempt else ""))
        try:
            candidate.mkdir(parents=True)
        except FileExistsError:
            continue
        except OSError as exc:
            raise UsageError(f"cannot create {candidate}: {exc}") from None
        return candidate
    raise UsageError(f"cannot create an output directory under {root}")  # pragma: no cover


AB_ONLY = (
    "scenario",
    "rate",
    "duration",
    "slice",
    "users",
    "processes",
    "allow_production",
    "preflight_timeout",
)


def run(args: argparse.Namespace) -> int:
    if args.ab:
        return _run_ab(args)
    given = [f"--{name.replace('_', '-')}" for name in AB_ONLY if getattr(args, name)]
    if given:
        raise UsageError(
            f"{', '.join(given)}: only with --ab (two stored runs are compared as run)"
        )
    settings = _regression.settings_from(args, None)
    a = baseline.resolve(args.runs[0], args.baseline_dir)
    b = baseline.resolve(args.runs[1], args.baseline_dir)
    comparison = compare_runs(a, b, settings)
    out = _output_dir(args.report_dir)
    report.write_outputs(out, comparison, a, b)
    print(comparison.format())
    print(f"  outputs: {out}")
    return comparison.exit_code


def _run_ab(args: argparse.Namespace) -> int:
    profiles = (load_profile(Path(args.runs[0])), load_profile(Path(args.runs[1])))
    settings = _regression.settings_from(args, profiles[0])
    outputs = output(args.report_dir, "--report-dir", directory=True)
    targets = tuple(
        resolve_target(
            profile,
            allow_production=args.allow_production,
            outputs=outputs,
            preflight_timeout=args.preflight_timeout,
        )
        for profile in profiles
    )
    out = _output_dir(args.report_dir)
    done = run_interleaved(
        (targets[0], targets[1]),
        scenario=args.scenario or "steady",
        rate=args.rate,
        duration=safety.parse_duration(args.duration) if args.duration else None,
        slice_s=safety.parse_duration(args.slice) if args.slice else DEFAULT_SLICE_S,
        settings=settings,
        output_root=out,
        run_options={
            "users": args.users,
            "processes": args.processes or 1,
            "allow_production": args.allow_production,
        },
    )
    for letter, run, code in zip("AB", (done.a, done.b), done.exit_codes, strict=True):
        print(f"  {letter}: {run.path} (load exit {code})")
        if code == ExitCode.RESULT_INVALID:
            print(f"  run {letter} is invalid (generator-bound): not compared", flush=True)
            return int(ExitCode.RESULT_INVALID)
    report.write_outputs(out, done.comparison, done.a, done.b)
    print(done.comparison.format())
    print(f"  outputs: {out}")
    return done.comparison.exit_code
