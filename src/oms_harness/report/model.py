"""The gate's verdict as plain data, independent of the runners that produced it.

The conformance and load runners each return their own result type; the report writers
(JUnit, summary, Allure, the terminal table) only read this model, so they can be tested
on synthetic data and survive changes in the runners. ``from_conformance`` and
``from_load`` are the only places that know the runners' shapes (duck-typed Protocols).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ..contract import registry
from ..contract.registry import SLO_CHECK_PREFIX, check_name
from ..exit_codes import ExitCode


class AreaCountsLike(Protocol):
    @property
    def passed(self) -> int: ...
    @property
    def failed(self) -> int: ...
    @property
    def skipped(self) -> int: ...
    @property
    def spec_gaps(self) -> int | Sequence[str]: ...


class ConformanceLike(Protocol):
    """What the gate reads from ``run_conformance`` (brief interface 5)."""

    @property
    def exit_code(self) -> int: ...
    @property
    def seed(self) -> int | None: ...
    @property
    def spec_gaps(self) -> Sequence[str]: ...
    @property
    def areas(self) -> Mapping[str, AreaCountsLike]: ...
    @property
    def failures(self) -> Sequence[tuple[str, str]]: ...


class SloLike(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def limit(self) -> float: ...
    @property
    def measured(self) -> float | None: ...
    @property
    def passed(self) -> bool: ...
    @property
    def unit(self) -> str: ...
    @property
    def detail(self) -> str: ...


class LoadLike(Protocol):
    """What the gate reads from ``run_load`` (brief interface 6)."""

    @property
    def exit_code(self) -> int: ...
    @property
    def report_dir(self) -> Path: ...
    @property
    def summary_path(self) -> Path: ...
    @property
    def plot_path(self) -> Path | None: ...
    @property
    def slos(self) -> Sequence[SloLike]: ...
    @property
    def generator_bound(self) -> bool: ...
    @property
    def achieved_rps(self) -> float: ...
    @property
    def target_rps(self) -> float: ...
    @property
    def requests(self) -> int: ...
    @property
    def failures(self) -> Mapping[str, int]: ...
    @property
    def contract_violations(self) -> Mapping[str, int]: ...


AREA_ORDER = ("fuzz", *registry.AREAS, "spec-gaps")
"""Conformance areas in the order reviewers read them (brief interface 5); the rule areas
come from the registry, as the failures are filed under them."""


@dataclass(frozen=True)
class AreaRow:
    """One line of the verdict table: a conformance area, the load checks, or the gate.

    The same four outcomes every report counts: ``passed``, ``failed`` (a violation or a
    breach), ``not_judged`` (Allure "broken", a JUnit error: a generator-bound SLO, a
    stopped phase), ``skipped`` and ``spec_gaps`` (Allure and JUnit show both as skipped;
    the "Spec gap" category and ``type="spec-gap"`` tell them apart).
    """

    area: str
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    spec_gaps: int = 0
    not_judged: int = 0

    @property
    def ok(self) -> bool:
        return self.failed == 0 and self.not_judged == 0

    @property
    def total(self) -> int:
        return self.passed + self.failed + self.skipped + self.spec_gaps + self.not_judged


def total_row(rows: Sequence[AreaRow]) -> AreaRow:
    """The sum of ``rows``: the figures Allure's overview and JUnit's totals show."""
    return AreaRow(
        "total",
        passed=sum(r.passed for r in rows),
        failed=sum(r.failed for r in rows),
        skipped=sum(r.skipped for r in rows),
        spec_gaps=sum(r.spec_gaps for r in rows),
        not_judged=sum(r.not_judged for r in rows),
    )


@dataclass(frozen=True)
class SloRow:
    """One SLO: measured against its limit. ``measured`` is None when nothing was measured."""

    name: str
    limit: float
    measured: float | None
    passed: bool
    unit: str = ""
    detail: str = ""
    """What the figure is made of, when it has parts: the ``contract_violations`` SLO names
    its rule ids (``decimal.wire-string x400``)."""

    def describe(self) -> str:
        """``p95_ms: measured 12.35 ms, limit 250 ms`` (one line, for messages and tables)."""
        detail = f" ({self.detail})" if self.detail else ""
        return f"{self.name}: measured {self.shown_measured}, limit {self.shown_limit}{detail}"

    @property
    def shown_measured(self) -> str:
        return "n/a" if self.measured is None else self._with_unit(self.measured)

    @property
    def shown_limit(self) -> str:
        return self._with_unit(self.limit)

    def _with_unit(self, value: float) -> str:
        if self.unit == "fraction":
            return f"{fmt_num(value * 100)}%"
        return f"{fmt_num(value)} {self.unit}".strip()


@dataclass(frozen=True)
class LoadFacts:
    """The load run in the terms a reviewer needs; ``None`` in the verdict when skipped."""

    scenario: str
    exit_code: int
    slos: tuple[SloRow, ...]
    generator_bound: bool
    achieved_rps: float
    target_rps: float
    requests: int
    failures: Mapping[str, int]
    """Failed requests by reason: transport errors, timeouts, undocumented 5xx."""
    report_dir: Path | None = None
    summary_path: Path | None = None
    plot_path: Path | None = None
    contract_violations: Mapping[str, int] = field(default_factory=dict)
    """Answers under load that broke a contract rule, by rule id (apart from ``failures``)."""
    regression: Mapping[str, Any] | None = None
    """The comparison with the baseline (``summary.json`` → ``regression``), if one ran."""
    drift: Mapping[str, Any] | None = None
    """The drift verdict (``summary.json`` → ``drift``), if the run was judged for it."""

    @property
    def health_status(self) -> str:
        """The generator-health check: ``passed`` or ``broken`` (figures not trusted)."""
        return "broken" if self.generator_bound else "passed"

    @property
    def row(self) -> AreaRow:
        """Every SLO plus the generator-health check, counted by their report status."""
        statuses = [slo_status(slo, self.generator_bound)[0] for slo in self.slos]
        statuses.append(self.health_status)
        return AreaRow(
            "load",
            passed=statuses.count("passed"),
            failed=statuses.count("failed"),
            not_judged=statuses.count("broken"),
        )


LOWER_BOUND_SLOS = frozenset({"min_rps"})
"""SLOs whose limit is a floor; every other SLO is a ceiling."""


def slo_rule(slo: SloRow) -> str:
    """An SLO's check name in the reports: ``slo.p95_ms``."""
    return f"{SLO_CHECK_PREFIX}{slo.name}"


def slo_status(slo: SloRow, generator_bound: bool) -> tuple[str, str]:
    """Report status and message of one SLO: a pass under a bound generator is no pass."""
    if generator_bound:
        return "broken", f"Generator-bound: not judged; {slo.describe()}"
    if slo.measured is None:
        return "broken", f"SLO not measured: {slo.describe()}"
    if slo.passed:
        return "passed", f"SLO met: {slo.describe()}"
    return "failed", f"[{slo_rule(slo)}] SLO breach: {slo.describe()}"


@dataclass(frozen=True)
class ConformanceFacts:
    exit_code: int
    seed: int | None
    rows: tuple[AreaRow, ...]
    failures: tuple[tuple[str, str], ...]
    spec_gaps: tuple[str, ...]


@dataclass(frozen=True)
class GateVerdict:
    """Everything the reports say about one gate run."""

    exit_code: int
    target: str
    conformance: ConformanceFacts | None = None
    load: LoadFacts | None = None
    load_skipped: str | None = None
    problem: str | None = None
    """A run-stopping problem (target unavailable, load crashed), one line."""
    elapsed_s: float = 0.0
    report_html: Path | None = None
    render_note: str = ""
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def seed(self) -> int | None:
        return self.conformance.seed if self.conformance else None

    @property
    def rows(self) -> list[AreaRow]:
        rows = list(self.conformance.rows) if self.conformance else []
        if self.load is not None:
            rows.append(self.load.row)
        elif self.load_skipped is not None:
            rows.append(AreaRow("load", skipped=1))  # JUnit and Allure show one skipped case
        if self.problem is not None:
            rows.append(AreaRow("gate", not_judged=1))  # the stopped phase's broken result
        return rows

    @property
    def totals(self) -> AreaRow:
        return total_row(self.rows)

    @property
    def headline(self) -> str:
        if self.exit_code == ExitCode.FAILED and self.regressed:
            if not any(row.failed for row in self.rows):
                return REGRESSION_HEADLINE
            return f"{VERDICT_WORDS[ExitCode.FAILED]}, and a regression against the baseline"
        return VERDICT_WORDS.get(self.exit_code, f"exit {self.exit_code}")

    @property
    def regressed(self) -> bool:
        """The load run regressed against ``--baseline`` (an exit 1 of its own)."""
        found = self.load.regression if self.load is not None else None
        return bool(found) and found is not None and found.get("verdict") == "regression"

    @property
    def breached_slos(self) -> list[SloRow]:
        return [slo for slo in self.load.slos if not slo.passed] if self.load else []


REGRESSION_HEADLINE = "FAIL: regression beyond the tolerance against the baseline"
VERDICT_WORDS: dict[int, str] = {
    ExitCode.OK: "PASS: every check held and every SLO was met",
    ExitCode.FAILED: "FAIL: contract violation or SLO breach",
    ExitCode.USAGE: "ERROR: usage or profile error",
    ExitCode.TARGET_UNAVAILABLE: "ERROR: target unreachable or credentials rejected",
    ExitCode.RESULT_INVALID: "INVALID: the load generator was the bottleneck; figures not trusted",
    ExitCode.INTERRUPTED: "INTERRUPTED",
}


def failures_by_rule(verdict: GateVerdict) -> dict[str, list[tuple[str, str]]]:
    """Every failed check as (test or SLO, reason), grouped by its first rule id.

    Rules in order of first appearance; conformance failures first, then SLO breaches.
    """
    groups: dict[str, list[tuple[str, str]]] = {}
    failures = list(verdict.conformance.failures) if verdict.conformance else []
    load = verdict.load
    if load is not None:
        for slo in load.slos:
            status, message = slo_status(slo, load.generator_bound)
            if status == "failed":
                failures.append((f"load.{load.scenario}.slo.{slo.name}", message))
    for test_id, reason in failures:
        groups.setdefault(check_name(reason), []).append((test_id, reason))
    return groups


def fmt_num(value: float) -> str:
    """Compact number for people: ``50`` not ``50.0``; ``12.35``; ``0.25``; ``1235``."""
    if not math.isfinite(value):
        return str(value)
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    if abs(value) >= 1000:
        return f"{value:.0f}"
    return f"{value:.4g}"


def _count(value: int | Sequence[str]) -> int:
    return value if isinstance(value, int) else len(value)


def from_conformance(result: ConformanceLike) -> ConformanceFacts:
    """Adapt a ``ConformanceResult`` (areas in reading order, unknown areas last)."""
    names = [a for a in AREA_ORDER if a in result.areas]
    names += sorted(a for a in result.areas if a not in AREA_ORDER)
    rows = tuple(
        AreaRow(
            area=name,
            passed=result.areas[name].passed,
            failed=result.areas[name].failed,
            skipped=result.areas[name].skipped,
            spec_gaps=_count(result.areas[name].spec_gaps),
        )
        for name in names
    )
    return ConformanceFacts(
        exit_code=int(result.exit_code),
        seed=result.seed,
        rows=rows,
        failures=tuple((str(t), str(r)) for t, r in result.failures),
        spec_gaps=tuple(result.spec_gaps),
    )


def from_load(result: LoadLike, scenario: str) -> LoadFacts:
    """Adapt a ``LoadResult``."""
    return LoadFacts(
        scenario=scenario,
        exit_code=int(result.exit_code),
        slos=tuple(
            SloRow(
                name=s.name,
                limit=float(s.limit),
                measured=None if s.measured is None else float(s.measured),
                passed=bool(s.passed),
                unit=s.unit,
                detail=s.detail,
            )
            for s in result.slos
        ),
        generator_bound=bool(result.generator_bound),
        achieved_rps=float(result.achieved_rps),
        target_rps=float(result.target_rps),
        requests=int(result.requests),
        failures=dict(result.failures),
        contract_violations=dict(result.contract_violations),
        report_dir=result.report_dir,
        summary_path=result.summary_path,
        plot_path=result.plot_path,
    )


def gate_exit_code(conformance: int | None, load: int | None) -> int:
    """One exit code for the whole gate, with the sub-commands' meanings.

    A usage or availability problem stops everything (2, 3); then any violation or
    breach (1) wins over an untrustworthy load result (4), which wins over green (0).
    """
    codes = [c for c in (conformance, load) if c is not None]
    for decisive in (ExitCode.USAGE, ExitCode.TARGET_UNAVAILABLE, ExitCode.FAILED):
        if decisive in codes:
            return int(decisive)
    if ExitCode.RESULT_INVALID in codes:
        return int(ExitCode.RESULT_INVALID)
    return max(codes, default=int(ExitCode.OK))
