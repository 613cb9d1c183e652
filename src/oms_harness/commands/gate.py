"""`oms-harness gate`: the main job. Conformance, then the load smoke, then the report.

With no target it starts the local reference on a free loopback port and always stops it.
Every phase reports progress; the run ends with a verdict table (each area and failure
once), ``reports/junit.xml`` (the only JUnit file unless ``--conformance-junit``),
``reports/summary.md``, ``reports/verdict.json`` and the Allure report, all counting the
same checks the same way. The exit code has the sub-commands' meanings
(see :func:`oms_harness.report.model.gate_exit_code`).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path

from ..conformance.target import DEFAULT_MAX_EXAMPLES
from ..contract.spec import spec_version
from ..errors import HarnessError, TargetUnavailableError, UsageError
from ..exit_codes import ExitCode
from ..profile import resolve_profile
from ..redaction import FileState, snapshot, written_since
from ..report import allure
from ..report.allure_load import write_load_results, write_skipped_load_result
from ..report.junit import write_junit
from ..report.model import (
    ConformanceFacts,
    GateVerdict,
    LoadFacts,
    from_conformance,
    from_load,
    gate_exit_code,
)
from ..report.render import RenderError, render_report
from ..report.secrets import Secrets, embedded_leaks, sweep
from ..report.summary import write_summary
from ..report.table import render_table
from ..report.verdict_json import VERDICT_FILE, write_verdict
from ..target import Target, output, resolve_target
from ..target_url import public_url
from . import _regression
from ._arguments import add_fuzz_arguments, add_target_arguments

DEFAULT_REPORT_DIR = Path("reports")


def configure(parser: argparse.ArgumentParser) -> None:
    """Flags of the gate (target selection as in `conformance` and `load`)."""
    add_target_arguments(parser)
    parser.add_argument("--skip-load", action="store_true", help="conformance and report only")
    parser.add_argument(
        "--load-scenario", default="smoke", metavar="NAME", help="load scenario (default: smoke)"
    )
    parser.add_argument(
        "--allow-production",
        action="store_true",
        help="allow the load smoke against api.polygon.technology (refused by default)",
    )
    parser.add_argument(
        "--report-dir",
        type=Path,
        default=DEFAULT_REPORT_DIR,
        metavar="DIR",
        help="where results and reports go (default: reports)",
    )
    add_fuzz_arguments(parser, DEFAULT_MAX_EXAMPLES)
    parser.add_argument(
        "--no-render", action="store_true", help="write results, JUnit and summary; skip HTML"
    )
    parser.add_argument(
        "--conformance-junit",
        type=Path,
        metavar="FILE",
        help="also keep the conformance suites' own JUnit file (reports/junit.xml already "
        "holds every check; two files in one glob would count the checks twice)",
    )
    parser.add_argument(
        "--quiet", action="store_true", help="phase lines and the verdict only, no runner output"
    )
    _regression.add_load_arguments(parser)


class _Progress:
    """``[gate   12.3s] phase: message`` lines on stderr, so stdout stays the verdict."""

    def __init__(self) -> None:
        self.start = time.monotonic()

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.start

    def __call__(self, phase: str, message: str) -> None:
        print(f"[gate {self.elapsed:6.1f}s] {phase}: {message}", file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    if not args.skip_load:
        from ..load.schedule import SCENARIOS

        if args.load_scenario not in SCENARIOS:
            raise UsageError(
                f"unknown load scenario {args.load_scenario!r} (known: {', '.join(SCENARIOS)})"
            )
    profile = resolve_profile(args.profile, args.base_url, args.token)
    if profile is None and args.token is not None:
        raise UsageError("--token needs --profile: the embedded reference issues its own token")
    outputs = [
        *output(args.report_dir, "--report-dir", directory=True),
        *output(args.conformance_junit, "--conformance-junit", directory=False),
    ]
    # before any request: refusing production at the load phase would waste the whole run
    guard = None if args.skip_load else bool(args.allow_production)
    deadline = args.preflight_timeout
    target = (
        resolve_target(profile, allow_production=guard, outputs=outputs, preflight_timeout=deadline)
        if profile
        else None
    )
    regression = _regression.RegressionHook(args, profile)  # a missing baseline: exit 2 now
    if regression.requested and args.skip_load:
        raise UsageError(
            "--baseline/--save-baseline/--drift-slo judge the load: not with --skip-load"
        )
    report_dir = prepare_report_dir(args.report_dir)
    before = snapshot(report_dir)
    progress = _Progress()
    with ExitStack() as stack:
        if target is None:
            from ..local_target import local_reference

            progress("target", "starting the embedded local reference")
            reference = stack.enter_context(local_reference())
            target = resolve_target(reference.profile, outputs=outputs, preflight_timeout=deadline)
        engaged = regression.requested or args.load_scenario == "soak"
        gate = _Gate(args, target, progress, report_dir, before)
        gate.regression = regression if engaged else None
        return gate.run()


def prepare_report_dir(path: Path) -> Path:
    """The report directory, created and absolute; a bad one is a usage error, up front."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise UsageError(f"--report-dir {path}: exists and is not a directory") from None
    except OSError as exc:
        raise UsageError(f"--report-dir {path}: cannot create it: {exc.strerror or exc}") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise UsageError(f"--report-dir {path}: not writable")
    # absolute: the runners work in their own temporary directories
    return path.resolve()


class _Gate:
    """One gate run against a resolved profile."""

    def __init__(
        self,
        args: argparse.Namespace,
        resolved: Target,
        progress: _Progress,
        report_dir: Path,
        before: dict[Path, FileState],
    ) -> None:
        self.args = args
        self.resolved = resolved
        self.profile = resolved.profile
        self.progress = progress
        self.report_dir = report_dir
        self.before = before
        """Files in the report directory before the run: the final sweep leaves them alone."""
        self.results_dir = self.report_dir / "allure-results"
        self.target = public_url(resolved.base_url)
        self.phase = "preflight"
        self.token: str | None = None
        self.regression: _regression.RegressionHook | None = None
        """Baseline comparison, baseline saving and drift around the load run, if asked."""

    def run(self) -> int:
        with tempfile.TemporaryDirectory(prefix="oms-gate-") as scratch:
            return self._run(Path(scratch) / "conformance-junit.xml")

    def _run(self, conformance_junit: Path) -> int:
        """The phases; the suites' own JUnit goes to a scratch file, merged into junit.xml."""
        self.progress("target", self.target)
        allure.prepare_results_dir(self.results_dir)
        (self.report_dir / "conformance-junit.xml").unlink(missing_ok=True)  # older gates'
        verdict = GateVerdict(exit_code=int(ExitCode.OK), target=self.target)
        try:
            self._preflight()
            conformance = self._conformance(conformance_junit)
            verdict = replace(verdict, conformance=conformance)
            if self.args.skip_load:
                verdict = replace(verdict, load_skipped="--skip-load")
            else:
                verdict = replace(verdict, load=self._load())
        except HarnessError as exc:
            message = self.secrets.scrub(str(exc))
            kind = "Target unavailable" if isinstance(exc, TargetUnavailableError) else "Stopped"
            # the conformance summary is left to the table: this line names the kind of stop
            unavailable = "target unavailable: " if kind == "Target unavailable" else ""
            self.progress(self.phase, f"stopped: {unavailable}{message}")
            allure.write_problem_result(
                self.results_dir,
                phase=self.phase,
                message=f"{kind}: {message}",
                secrets=self.secrets,
            )
            # a violation already found stays the verdict; otherwise the stop decides
            violated = verdict.conformance is not None and verdict.conformance.exit_code == 1
            verdict = replace(
                verdict,
                problem=message,
                exit_code=int(ExitCode.FAILED if violated else exc.exit_code),
                load_skipped=verdict.load_skipped or f"not run: the gate stopped in {self.phase}",
            )
        else:
            verdict = replace(
                verdict,
                exit_code=gate_exit_code(
                    verdict.conformance.exit_code if verdict.conformance else None,
                    verdict.load.exit_code if verdict.load else None,
                ),
            )
        return self._finish(verdict, conformance_junit)

    @property
    def secrets(self) -> Secrets:
        """The run's secrets as they stand (a token minted since is included)."""
        return Secrets(self.resolved.secrets.values())

    def _preflight(self) -> None:
        self.progress("preflight", "checking the target answers and accepts the credentials")
        self.token = self.resolved.token()  # once: the conformance and load phases share it

    def _conformance(self, junit: Path) -> ConformanceFacts:
        from ..conformance.runner import run_conformance

        self.phase = "conformance"
        seed = "random" if self.args.seed is None else self.args.seed
        self.progress(
            "conformance",
            f"semantic suites + fuzz ({self.args.max_examples} examples, seed {seed})",
        )
        result = run_conformance(
            self.resolved,
            max_examples=self.args.max_examples,
            seed=self.args.seed,
            junitxml=junit,
            alluredir=self.results_dir,
            echo=not self.args.quiet,
            summary=False,  # the gate's verdict table names areas and failures once
        )
        facts = from_conformance(result)
        if facts.exit_code == ExitCode.TARGET_UNAVAILABLE:
            raise TargetUnavailableError(result.unavailable_reason or "target unavailable")
        failed = sum(r.failed for r in facts.rows)
        passed = sum(r.passed for r in facts.rows)
        self.progress(
            "conformance",
            f"{passed} passed, {failed} failed, {len(facts.spec_gaps)} spec gaps "
            f"(seed {facts.seed}, exit {facts.exit_code})",
        )
        return facts

    def _load(self) -> LoadFacts:
        from ..load.runner import run_load

        self.phase = "load"
        scenario = self.args.load_scenario
        self.progress("load", f"scenario {scenario}")
        if self.regression is not None:
            self.regression.check_scenario(scenario, self.profile)
        result = run_load(
            self.resolved,
            scenario=scenario,
            output_root=self.report_dir / "load",
            echo=not self.args.quiet,
            # Client credentials: let the load run exchange (and refresh) its own tokens.
            token=None if self.resolved.auth.exchanges else self.token,
            allow_production=self.args.allow_production,
        )
        if self.regression is not None:
            code = self.regression.finish(result.report_dir, result.exit_code)
            result = replace(result, exit_code=code)
        facts = from_load(result, scenario)
        if self.regression is not None:
            written = self.regression.written
            facts = replace(facts, regression=written.get("regression"), drift=written.get("drift"))
        breached = [
            s.name + (f" ({s.detail})" if s.detail else "") for s in result.slos if not s.passed
        ]
        self.progress(
            "load",
            f"{facts.requests} requests at {facts.achieved_rps:.1f} req/s; "
            + (f"SLO breached: {', '.join(breached)}" if breached else "SLOs met")
            + (" (generator-bound)" if facts.generator_bound else "")
            + f" (exit {facts.exit_code})",
        )
        if result.unavailable_reason:
            self.progress(
                "load", f"target unavailable: {self.secrets.scrub(result.unavailable_reason)}"
            )
        write_load_results(self.results_dir, facts, self.secrets)
        if self.regression is not None:
            self.regression.write_allure(self.results_dir)
        return facts

    def _finish(self, verdict: GateVerdict, conformance_junit: Path) -> int:
        allure.write_environment(
            self.results_dir,
            allure.environment_values(self.target, spec_version(), verdict.seed),
            self.secrets,
        )
        allure.write_executor(self.results_dir, os.environ)
        allure.write_categories(self.results_dir)
        if verdict.load is None and verdict.load_skipped is not None:
            write_skipped_load_result(self.results_dir, verdict.load_skipped, self.secrets)
        allure.attach_spec_sections(self.results_dir)
        verdict = replace(verdict, elapsed_s=self.progress.elapsed)
        verdict = self._render(verdict)
        verdict = replace(verdict, elapsed_s=self.progress.elapsed)
        write_junit(self.report_dir / "junit.xml", verdict, conformance_junit, self.secrets)
        if self.args.conformance_junit is not None and conformance_junit.is_file():
            self._keep(conformance_junit, self.args.conformance_junit)
        write_summary(self.report_dir / "summary.md", verdict, self.secrets)
        if self.regression is not None:
            self.regression.append_markdown(self.report_dir / "summary.md")
        write_verdict(self.report_dir / VERDICT_FILE, verdict, self.secrets)
        exit_code = self._sweep(verdict.exit_code)
        print(self.secrets.scrub(render_table(verdict)), flush=True)
        return exit_code

    @staticmethod
    def _keep(source: Path, destination: Path) -> None:
        """``--conformance-junit``: a copy for who asked; failing to write it is no verdict."""
        try:
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, destination)
        except OSError as exc:
            print(
                f"oms-harness gate: warning: --conformance-junit {destination}: "
                f"{exc.strerror or exc}",
                file=sys.stderr,
            )

    def _sweep(self, exit_code: int) -> int:
        """Last resort over the files this run wrote (never the user's own, nor the profile).

        A credential in plain bytes is redacted in place; one inside the single-file HTML's
        base64-embedded files cannot be, so that file is deleted and the gate fails.
        """
        protected = [self.args.profile] if self.args.profile is not None else []
        written = written_since(self.before, self.report_dir, exclude=protected)
        leaked = sweep(written, self.secrets)
        if leaked:
            print(
                f"oms-harness gate: warning: redacted a credential in {len(leaked)} file(s) "
                f"(a harness bug, please report): {', '.join(str(p) for p in leaked[:5])}",
                file=sys.stderr,
            )
        embedded = embedded_leaks(written, self.secrets)
        if not embedded:
            return exit_code
        files = sorted({path for path, _ in embedded})
        for path in files:
            path.unlink(missing_ok=True)
        names = ", ".join(sorted({name for _, name in embedded})[:5])
        print(
            f"oms-harness gate: error: a credential is embedded in {', '.join(map(str, files))} "
            f"({names}); the file was deleted (a harness bug, please report)",
            file=sys.stderr,
        )
        return exit_code or int(ExitCode.RESULT_INVALID)

    def _render(self, verdict: GateVerdict) -> GateVerdict:
        report_dir = self.report_dir / "allure-report"
        if self.args.no_render:
            return replace(verdict, render_note="HTML not rendered (--no-render)")
        self.progress("report", "rendering the Allure report")
        try:
            outcome = render_report(self.results_dir, report_dir)
        except RenderError as exc:
            note = f"HTML report not rendered: {exc}; results kept in {self.results_dir}"
            self.progress("report", note)
            return replace(verdict, render_note=note)
        if not outcome.rendered:
            self.progress("report", outcome.note)
            return replace(verdict, render_note=outcome.note)
        self.progress("report", f"written {outcome.single_file} and {outcome.site_dir}/")
        return replace(verdict, report_html=outcome.single_file, render_note=outcome.note)
