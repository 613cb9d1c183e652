"""Allure results of the load run: one per SLO and one for generator health.

Each result owns its evidence (Allure 3 links an attachment file to one result only, so a
shared file leaves every other page with "Failed to load attachment"): the latency plot,
the load ``summary.json``, the failures grouped by cause, and the latency percentiles.
A result's identity is the scenario and the SLO, never a measured figure: the measured
value lives in the message, description and steps, so History and trends follow one test
across runs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..contract.registry import check_name
from ..load.histograms import beyond_samples
from .allure import attach_copy, attach_text, write_result
from .model import LOWER_BOUND_SLOS, LoadFacts, SloRow, fmt_num, slo_rule, slo_status
from .secrets import Secrets

LOAD_EPIC = "Load"
SLO_FEATURE = "SLOs"
SHOWN_PERCENTILES = ("p50", "p90", "p95", "p99", "p99.9", "max")


def _labels(story: str, severity: str = "critical") -> list[tuple[str, str]]:
    return [
        ("epic", LOAD_EPIC),
        ("feature", SLO_FEATURE),
        ("story", story),
        ("severity", severity),
        ("parentSuite", "oms-harness gate"),
        ("suite", "load"),
        ("framework", "oms-harness"),
    ]


def _summary(load: LoadFacts) -> dict[str, Any]:
    if load.summary_path is None or not load.summary_path.is_file():
        return {}
    try:
        data = json.loads(load.summary_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def failures_by_cause(
    failures: Mapping[str, int],
    violations: Mapping[str, int] | None = None,
    violation_reasons: Mapping[str, int] | None = None,
) -> str:
    """The load run's failed answers by cause, largest first, in two figures kept apart:
    answers that broke a contract rule (by rule id, then exact reason: the
    ``contract_violations`` SLO) and failed requests (by reason: the ``error_rate`` SLO)."""
    violations = violations or {}
    reasons = violation_reasons or {}
    lines: list[str] = []
    if violations:
        total = sum(violations.values())
        lines += [f"{total} answers broke a contract rule (contract_violations), by rule id", ""]
        for rule, count in sorted(violations.items(), key=lambda item: (-item[1], item[0])):
            lines.append(f"{count:>7}  [{rule}]")
            mine = [(r, n) for r, n in reasons.items() if check_name(r) == rule]
            for reason, n in sorted(mine, key=lambda item: -item[1]):
                lines.append(f"{n:>15}  {reason}")
        lines.append("")
    if failures:
        lines += [
            f"{sum(failures.values())} failed requests (error_rate: transport errors, "
            "timeouts, undocumented 5xx), by reason",
            "",
        ]
        for reason, count in sorted(failures.items(), key=lambda item: (-item[1], item[0])):
            lines.append(f"{count:>7}  {reason}")
    if not lines:
        return "no failed requests, no contract violation\n"
    return "\n".join(lines).rstrip() + "\n"


def percentile_table(summary: Mapping[str, Any]) -> str:
    """Corrected and raw percentiles; those the sample count cannot resolve marked ``*``."""
    latency = summary.get("latency_ms", {})
    if not isinstance(latency, Mapping) or not latency:
        return ""
    lines = ["latency ms   " + "".join(f"{name:>10}" for name in SHOWN_PERCENTILES)]
    unresolved: set[str] = set()
    count = 0
    for kind in ("corrected", "raw"):
        row = latency.get(kind)
        if not isinstance(row, Mapping):
            continue
        count = int(row.get("count") or 0)
        cells = []
        for name in SHOWN_PERCENTILES:
            value = row.get(name)
            mark = "*" if value is not None and beyond_samples(name, count) else ""
            unresolved.update([name] if mark else [])
            cells.append(("-" if value is None else f"{fmt_num(float(value))}{mark}").rjust(10))
        lines.append(f"{kind:<13}" + "".join(cells))
    if unresolved:
        lines.append(
            f"* {', '.join(sorted(unresolved))}: beyond what {count} samples resolve "
            "(the value shown is the largest sample)"
        )
    return "\n".join(lines) + "\n"


def _violation_reasons(summary: Mapping[str, Any]) -> Mapping[str, int]:
    """The exact reasons behind the contract violations, from the load ``summary.json``."""
    section = summary.get("contract_violations", {})
    found = section.get("by_reason", {}) if isinstance(section, Mapping) else {}
    return {str(k): int(v) for k, v in found.items()} if isinstance(found, Mapping) else {}


def _slo_note(slo: SloRow, summary: Mapping[str, Any]) -> str:
    """A latency SLO judged on a percentile the samples cannot resolve says so."""
    percentile = slo.name.removesuffix("_ms")
    corrected = summary.get("latency_ms", {}).get("corrected", {})
    count = int(corrected.get("count") or 0) if isinstance(corrected, Mapping) else 0
    if slo.name.endswith("_ms") and count and beyond_samples(percentile, count):
        return f" ({percentile} beyond what {count} samples resolve: it is the largest sample)"
    return ""


def write_load_results(results_dir: Path, load: LoadFacts, secrets: Secrets) -> list[Path]:
    """One Allure test per SLO plus one for generator health, each with its own evidence."""
    summary = _summary(load)
    run = (
        f"scenario `{load.scenario}`: {load.requests} requests, achieved "
        f"{load.achieved_rps:.1f} of {load.target_rps:g} req/s"
    )
    written = []
    for slo in load.slos:
        status, message = slo_status(slo, load.generator_bound)
        message += _slo_note(slo, summary)
        bound = "≥" if slo.name in LOWER_BOUND_SLOS else "≤"
        labels = _labels(f"SLO {slo.name}")
        if status == "failed":
            labels.append(("rule", slo_rule(slo)))
        written.append(
            write_result(
                results_dir,
                full_name=f"oms_harness.load.{load.scenario}.slo.{slo.name}",
                name=f"SLO {slo.name} {bound} {slo.shown_limit}",
                status=status,
                message=message,
                labels=labels,
                parameters=[("scenario", load.scenario)],
                attachments=_evidence(results_dir, load, summary, secrets),
                description=f"{slo.describe()}{_slo_note(slo, summary)}.\n\nLoad {run}.",
                steps=[
                    _step(f"measured {slo.shown_measured}", status),
                    _step(f"limit {bound} {slo.shown_limit}", "passed"),
                ],
            )
        )
    written.append(_write_generator_health(results_dir, load, summary, secrets, run))
    return written


def _step(name: str, status: str) -> dict[str, Any]:
    return {"name": name, "status": status, "stage": "finished", "steps": [], "attachments": []}


def _evidence(
    results_dir: Path, load: LoadFacts, summary: Mapping[str, Any], secrets: Secrets
) -> list[dict[str, str]]:
    """Fresh copies for one result: plot, summary.json, failures by cause, percentiles."""
    attachments = []
    if load.plot_path is not None:
        plot = attach_copy(results_dir, load.plot_path, "latency, throughput and errors plot")
        if plot is not None:
            attachments.append(plot)
    if load.summary_path is not None and load.summary_path.is_file():
        text = secrets.scrub(load.summary_path.read_text(encoding="utf-8", errors="replace"))
        attachments.append(attach_text(results_dir, text, "load summary.json", "application/json"))
    attachments.append(
        attach_text(
            results_dir,
            secrets.scrub(
                failures_by_cause(
                    load.failures, load.contract_violations, _violation_reasons(summary)
                )
            ),
            "failures by cause",
            "text/plain",
        )
    )
    table = percentile_table(summary)
    if table:
        attachments.append(attach_text(results_dir, table, "latency percentiles", "text/plain"))
    return attachments


def _write_generator_health(
    results_dir: Path, load: LoadFacts, summary: Mapping[str, Any], secrets: Secrets, run: str
) -> Path:
    rate = f"achieved {load.achieved_rps:.1f} of {load.target_rps:g} req/s"
    status = load.health_status
    if status == "broken":
        message = f"Generator-bound: {rate}; the figures cannot be trusted"
    else:
        message = f"Generator kept the schedule: {rate}"
    return write_result(
        results_dir,
        full_name=f"oms_harness.load.{load.scenario}.generator_health",
        name="Load generator kept the schedule",
        status=status,
        message=message,
        labels=_labels("Generator health", severity="normal"),
        parameters=[("scenario", load.scenario)],
        attachments=_evidence(results_dir, load, summary, secrets),
        description=f"Load {run}.",
    )


def write_skipped_load_result(results_dir: Path, reason: str, secrets: Secrets) -> Path:
    """A skipped result for a load run that did not happen (JUnit has the same case)."""
    return write_result(
        results_dir,
        full_name="oms_harness.load.slos",
        name="Load SLOs",
        status="skipped",
        message=secrets.scrub(f"Load skipped: {reason}"),
        labels=_labels("Load not run", severity="normal"),
    )
