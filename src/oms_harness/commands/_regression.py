"""The regression flags of `load` (and `compare`), and what happens around a load run.

Before the run: the baseline is found and the planned run checked against it (a run that
could not be compared is refused before it starts, exit 2). After it: the drift verdict,
the comparison with the baseline, the outputs, the baseline saved; the exit code combines
the load's and the comparison's (see README "Exit codes").
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..exit_codes import ExitCode
from ..load import safety
from ..load.schedule import ArrivalSchedule
from ..load.summary import SUMMARY_FILE
from ..profile import TargetProfile
from ..regression import baseline, drift
from ..regression.compare import (
    Comparison,
    IncomparableRunsError,
    check_comparable,
    compare_runs,
    differences,
)
from ..regression.runs import StoredRun, read_run, target_kind
from ..regression.settings import RegressionSettings
from ..report import regression as report
from ._arguments import fraction, non_negative_float, positive_int

REGRESSION_DIR = "regression"


def add_tolerance_arguments(parser: argparse.ArgumentParser) -> argparse._ArgumentGroup:
    group = parser.add_argument_group(
        "regression verdict (override the profile's [regression] table)"
    )
    group.add_argument(
        "--min-effect-pct",
        type=non_negative_float,
        metavar="PCT",
        help="smallest change that can fail, percent of the baseline (default 10)",
    )
    group.add_argument(
        "--min-effect-ms",
        type=non_negative_float,
        metavar="MS",
        help="smallest latency change that can fail, ms (default 1)",
    )
    group.add_argument(
        "--confidence", type=fraction, metavar="LEVEL", help="of the intervals (default 0.95)"
    )
    group.add_argument(
        "--resamples", type=positive_int, metavar="N", help="bootstrap resamples (default 2000)"
    )
    group.add_argument(
        "--stall-factor",
        type=non_negative_float,
        metavar="X",
        help="a second whose p99 exceeds X times its run's median is a stall: counted, left "
        "out of the percentiles (default 2; 0 = off)",
    )
    group.add_argument(
        "--baseline-dir",
        type=Path,
        default=baseline.DEFAULT_DIR,
        metavar="DIR",
        help=f"where named baselines live (default {baseline.DEFAULT_DIR})",
    )
    return group


def add_load_arguments(parser: argparse.ArgumentParser) -> None:
    group = add_tolerance_arguments(parser)
    group.add_argument(
        "--baseline",
        metavar="NAME|DIR",
        help="compare this run with a saved baseline (or any run directory)",
    )
    group.add_argument(
        "--save-baseline", metavar="NAME", help="store this run as a baseline under NAME"
    )
    group.add_argument(
        "--baseline-runs",
        type=positive_int,
        metavar="K",
        help="--save-baseline keeps the newest K runs under NAME (default 1: replace); "
        "from 3 on, their run-to-run spread widens the intervals",
    )
    group.add_argument(
        "--drift-min-duration",
        metavar="5m",
        help="judge drift for runs at least this long (default 5m; soaks always)",
    )
    group.add_argument(
        "--drift-slo", action="store_true", help="a detected drift fails the run (exit 1)"
    )


def settings_from(args: argparse.Namespace, profile: TargetProfile | None) -> RegressionSettings:
    table = profile.regression if profile is not None else None
    drift_min = getattr(args, "drift_min_duration", None)
    return RegressionSettings.from_table(table).with_overrides(
        min_effect_pct=args.min_effect_pct,
        min_effect_ms=args.min_effect_ms,
        confidence=args.confidence,
        resamples=args.resamples,
        stall_factor=args.stall_factor,
        baseline_runs=getattr(args, "baseline_runs", None),
        drift_min_duration_s=safety.parse_duration(drift_min) if drift_min else None,
        drift_slo=True if getattr(args, "drift_slo", False) else None,
    )


@dataclass(frozen=True)
class PlannedRun:
    """What a run will be, in the terms comparability is judged on."""

    label: str
    scenario: str
    schedule: ArrivalSchedule
    mix: Mapping[str, float]
    target_kind: str
    interval_s: float


class RegressionHook:
    """The regression work around one `oms-harness load` run."""

    def __init__(self, args: argparse.Namespace, profile: TargetProfile | None) -> None:
        self.settings = settings_from(args, profile)
        self.save_as = baseline.check_name(args.save_baseline) if args.save_baseline else None
        self.root: Path = args.baseline_dir
        self.baseline: StoredRun | None = (
            baseline.resolve(args.baseline, self.root) if args.baseline else None
        )
        self.requested = bool(self.baseline or self.save_as or self.settings.drift_slo)
        """Whether the user asked for anything beyond the drift verdict of a long run."""
        self.comparison: Comparison | None = None
        self.drift: drift.DriftVerdict | None = None
        self.outputs_dir: Path | None = None
        self.written: dict[str, Any] = {}
        """What ``finish`` put into ``summary.json``: its ``regression`` and ``drift`` fields
        (the gate's ``verdict.json`` carries the same)."""

    def check_planned(self, planned: PlannedRun) -> None:
        """Exit 2 before any load when the baseline measured something else, or when the run
        is to join a baseline's runs (``--baseline-runs``) it could not be compared with."""
        if self.baseline is not None:
            check_comparable(self.baseline, planned)
        if self.save_as and self.settings.baseline_runs > 1:
            kept = baseline.existing(self.save_as, self.root)
            found = differences(kept, planned) if kept is not None else []
            if found:
                raise IncomparableRunsError(baseline.cannot_join(self.save_as, found))

    def finish(self, report_dir: Path, load_exit: int) -> int:
        """Drift, comparison, outputs, baseline; the combined exit code."""
        run = dataclasses.replace(
            read_run(report_dir, label=f"this run ({report_dir.name})"),
            meta={"machine": baseline.machine_facts()},
        )
        summary_path = report_dir / SUMMARY_FILE
        summary: dict[str, Any] = json.loads(summary_path.read_text(encoding="utf-8"))
        code = load_exit
        if load_exit == ExitCode.RESULT_INVALID:
            reason = "the run is invalid (generator-bound): nothing to compare or keep"
            summary["regression"] = {"verdict": "not compared", "reason": reason}
            _write(summary_path, summary)
            self.written = {"regression": summary["regression"]}
            print(f"  regression: not compared: {reason}", flush=True)
            if self.save_as:
                print(f"  baseline {self.save_as!r} NOT saved: {reason}", flush=True)
            return code
        verdict = self.drift = drift.assess(run, self.settings)
        summary["drift"] = verdict.to_json()
        if verdict.assessed:
            print(verdict.format(), flush=True)
            if self.settings.drift_slo:
                code = max(code, self._drift_slo(summary, verdict))
        if self.baseline is not None:
            code = self._compare(run, summary, report_dir, code)
        summary["exit_code"] = code
        _write(summary_path, summary)
        self.written = {k: summary[k] for k in ("regression", "drift") if k in summary}
        if self.save_as:
            keep = self.settings.baseline_runs
            where = baseline.save(report_dir, self.save_as, self.root, keep=keep)
            held = f" ({baseline.held_runs(where)} of up to {keep} runs)" if keep > 1 else ""
            print(f"  baseline saved: {self.save_as} -> {where}{held}", flush=True)
        return code

    def _drift_slo(self, summary: dict[str, Any], verdict: drift.DriftVerdict) -> int:
        passed = not verdict.drifting
        summary.setdefault("slo", {}).setdefault("verdicts", []).append(
            {
                "name": "drift",
                "limit": self.settings.drift_pct_per_10min,
                "measured": max(
                    (
                        t.relative_per_10min * 100
                        for t in verdict.trends
                        if t.relative_per_10min is not None
                    ),
                    default=None,
                ),
                "unit": "% p95 per 10 min",
                "passed": passed,
                "description": f"drift: {verdict.verdict} ({verdict.reason})",
            }
        )
        if passed:
            return int(ExitCode.OK)
        summary["verdict"] = "slo-breach"
        return int(ExitCode.FAILED)

    def _compare(self, run: StoredRun, summary: dict[str, Any], report_dir: Path, code: int) -> int:
        assert self.baseline is not None
        try:
            comparison = compare_runs(self.baseline, run, self.settings)
        except IncomparableRunsError as exc:
            summary["regression"] = {"verdict": "not comparable", "reason": str(exc)}
            print(f"  regression: {exc}", flush=True)
            # an SLO breach (1) stays the headline; otherwise "not comparable" (2)
            return code if code == ExitCode.FAILED else int(ExitCode.USAGE)
        self.comparison = comparison
        self.outputs_dir = report_dir / REGRESSION_DIR
        outputs = report.write_outputs(self.outputs_dir, comparison, self.baseline, run)
        summary["regression"] = {
            **comparison.to_json(),
            "outputs": {k: f"{REGRESSION_DIR}/{v}" for k, v in outputs.items()},
        }
        print(comparison.format(), flush=True)
        if comparison.regressed:
            if summary.get("verdict") == "pass":
                summary["verdict"] = "regression"
            return int(ExitCode.FAILED)  # the run itself was valid: 0 or 1 until here
        return code

    def check_scenario(self, scenario: str, profile: TargetProfile) -> None:
        """The pre-run check for a scenario at its default shape (the gate's load smoke)."""
        from ..load.schedule import SCENARIOS
        from ..load.traffic import build_mix

        schedule = SCENARIOS[scenario].schedule()
        self.check_planned(planned_run(scenario, schedule, build_mix(profile), profile.base_url))

    def write_allure(self, results_dir: Path) -> None:
        """The comparison's results beside the gate's own (one per figure)."""
        if self.comparison is not None and self.outputs_dir is not None:
            attachments = [self.outputs_dir / report.COMPARISON_FILE]
            attachments += [p for p in [self.outputs_dir / report.PLOT_FILE] if p.exists()]
            report.write_allure(results_dir, self.comparison, attachments)

    def append_markdown(self, summary_md: Path) -> None:
        """The regression section at the end of the gate's ``summary.md``."""
        if self.comparison is None and (self.drift is None or not self.drift.assessed):
            return
        with summary_md.open("a", encoding="utf-8") as out:
            out.write("\n" + report.markdown(self.comparison, self.drift))


def planned_run(
    scenario: str,
    schedule: ArrivalSchedule,
    kinds: Sequence[Any],
    base_url: str,
) -> PlannedRun:
    return PlannedRun(
        label="this run",
        scenario=scenario,
        schedule=schedule,
        mix={str(k.name): float(k.weight) for k in kinds},
        target_kind=target_kind(base_url),
        interval_s=0.0,
    )


def _write(path: Path, summary: Mapping[str, Any]) -> None:
    path.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
