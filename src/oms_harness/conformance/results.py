"""The verdict of a conformance run, built from the plugin's JSON results file.

Exit codes and their precedence: any contract violation is 1, even when the target went
away later in the run (what was seen to break stays broken); otherwise a test the target
stopped answering (connection refused/reset, a timeout) or a run that did not finish in
time is 3, "target unavailable": nothing was proven either way; otherwise 0. A pytest crash
with neither is 1 (the harness cannot vouch for the target).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..contract.registry import RULES
from ..exit_codes import ExitCode
from .areas import AREA_ORDER


@dataclass(frozen=True)
class AreaCounts:
    """Outcomes of one area (suite). A probe that recorded a spec gap counts there, not in
    ``passed``."""

    passed: int = 0
    failed: int = 0
    skipped: int = 0
    spec_gaps: int = 0
    unavailable: int = 0
    """Tests the target stopped answering: neither passed nor a contract violation."""

    @property
    def total(self) -> int:
        return self.passed + self.failed + self.skipped + self.spec_gaps + self.unavailable


@dataclass(frozen=True)
class ConformanceResult:
    """What the run decided: ``exit_code`` 0 (all hold), 1 (a contract violation) or 3 (the
    target became unavailable before anything failed). ``failures`` holds contract violations
    only; tests the target did not answer are in ``unreachable``, and ``unavailable_reason``
    is the one line to show for exit 3 (set whenever the target went away, even with 1)."""

    exit_code: int
    seed: int
    passed: int
    failed: int
    skipped: int
    spec_gaps: list[str]
    areas: dict[str, AreaCounts]
    failures: list[tuple[str, str]]
    max_examples: int = 0
    duration_s: float = 0.0
    skips: list[tuple[str, str]] = field(default_factory=list)
    unreachable: list[tuple[str, str]] = field(default_factory=list)
    unavailable_reason: str = ""
    repro: str = ""
    """The complete command that reproduces the fuzz cases (profile, seed, budget, --only)."""
    failure_rules: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """nodeid -> the registered rule ids its failure names (first one decides the area)."""

    @property
    def rules_broken(self) -> list[str]:
        """Every rule id any failure names, in order of first appearance."""
        return list(dict.fromkeys(r for ids in self.failure_rules.values() for r in ids))

    @property
    def unavailable(self) -> bool:
        """The target stopped answering (or the run hit its time limit) during the run."""
        return bool(self.unavailable_reason)

    @property
    def checks_run(self) -> int:
        """Checks that ran to a verdict (skipped ones did not run)."""
        return self.passed + self.failed + sum(a.spec_gaps for a in self.areas.values())


def _tests(path: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    tests = data.get("tests", []) if isinstance(data, dict) else []
    return [t for t in tests if isinstance(t, dict)]


def summarise(
    results_file: Path,
    *,
    seed: int,
    max_examples: int,
    duration_s: float,
    pytest_status: int,
    pytest_last_line: str = "",
    timed_out: str = "",
) -> ConformanceResult:
    """Count outcomes per area and decide the exit code (precedence in the module doc).

    ``timed_out`` is the runner's one line when it stopped the suites at their time limit.
    """
    counts: dict[str, dict[str, int]] = {}
    gaps: list[str] = []
    failures: list[tuple[str, str]] = []
    skips: list[tuple[str, str]] = []
    unreachable: list[tuple[str, str]] = []
    failure_rules: dict[str, tuple[str, ...]] = {}
    for test in _tests(results_file):
        outcome = test.get("outcome")
        if outcome not in ("passed", "failed", "skipped"):
            continue  # interrupted before its verdict: neither a pass nor a failure
        area = str(test.get("area", "other"))
        bucket = counts.setdefault(
            area, {"passed": 0, "failed": 0, "skipped": 0, "spec_gaps": 0, "unavailable": 0}
        )
        found = [str(g) for g in test.get("spec_gaps", [])]
        if outcome == "failed" and test.get("unavailable") is True:
            bucket["unavailable"] += 1
            unreachable.append((str(test.get("nodeid")), str(test.get("reason", ""))))
        elif outcome == "failed":
            bucket["failed"] += 1
            failures.append((str(test.get("nodeid")), str(test.get("reason", ""))))
            ids = [str(r) for r in test.get("rules", []) if str(r) in RULES]
            if ids:
                failure_rules[str(test.get("nodeid"))] = tuple(ids)
        elif outcome == "skipped":
            bucket["skipped"] += 1
            skips.append((str(test.get("nodeid")), str(test.get("reason", ""))))
        elif found:
            bucket["spec_gaps"] += 1
            gaps.extend(found)
        else:
            bucket["passed"] += 1
    unavailable_reason = timed_out or (unreachable[0][1] if unreachable else "")
    tail = f": {pytest_last_line[:200]}" if pytest_last_line else ""
    if pytest_status not in (0, 1) and not failures and not unavailable_reason:
        failures.append(
            ("pytest", f"the suites did not run to the end (exit {pytest_status}){tail}")
        )
    if not counts and not failures and not unavailable_reason:
        failures.append(("pytest", f"no results: the suites produced no test outcome{tail}"))
    order = [a for a in AREA_ORDER if a in counts] + sorted(set(counts) - set(AREA_ORDER))
    areas = {area: AreaCounts(**counts[area]) for area in order}
    if failures:
        exit_code = ExitCode.FAILED
    elif unavailable_reason:
        exit_code = ExitCode.TARGET_UNAVAILABLE
    else:
        exit_code = ExitCode.OK
    return ConformanceResult(
        exit_code=int(exit_code),
        seed=seed,
        passed=sum(a.passed for a in areas.values()),
        failed=len(failures),
        skipped=sum(a.skipped for a in areas.values()),
        spec_gaps=gaps,
        areas=areas,
        failures=failures,
        max_examples=max_examples,
        duration_s=duration_s,
        skips=skips,
        unreachable=unreachable,
        unavailable_reason=unavailable_reason,
        failure_rules=failure_rules,
    )


def render_summary(result: ConformanceResult) -> str:
    """A short, fixed-layout text summary for terminals and CI logs."""
    verdicts = {int(ExitCode.OK): "PASSED", int(ExitCode.TARGET_UNAVAILABLE): "TARGET UNAVAILABLE"}
    verdict = verdicts.get(result.exit_code, "FAILED")
    unanswered = f", {len(result.unreachable)} unanswered" if result.unreachable else ""
    lines = [
        f"conformance {verdict}: {result.checks_run} checks run, {result.passed} passed, "
        f"{result.failed} failed, {result.skipped} skipped, {len(result.spec_gaps)} spec gaps"
        f"{unanswered} (seed {result.seed}, {result.max_examples} fuzz examples, "
        f"{result.duration_s:.1f} s)",
        f"  {'area':<14}{'passed':>8}{'failed':>8}{'skipped':>9}{'spec gaps':>11}"
        + (f"{'unanswered':>12}" if result.unreachable else ""),
    ]
    for area, c in result.areas.items():
        lines.append(
            f"  {area:<14}{c.passed:>8}{c.failed:>8}{c.skipped:>9}{c.spec_gaps:>11}"
            + (f"{c.unavailable:>12}" if result.unreachable else "")
        )
    if result.unavailable:
        lines.append(f"target unavailable: {result.unavailable_reason}")
    if result.spec_gaps:
        lines.append("spec gaps (the contract leaves these open; reported, not failed):")
        lines += [f"  - {gap}" for gap in result.spec_gaps]
    if result.skips:
        reasons = sorted({reason for _, reason in result.skips})
        lines.append("skipped: " + "; ".join(reasons))
    if result.failures:
        lines.append("failures:")
        lines += [f"  - {nodeid}: {reason}" for nodeid, reason in result.failures]
        lines.append(f"reproduce the fuzz cases: {result.repro or f'--seed {result.seed}'}")
    return "\n".join(lines)
