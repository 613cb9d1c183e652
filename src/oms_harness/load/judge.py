"""Turn a run's merged ``results.json`` into its verdict, its files and a :class:`LoadResult`.

Used for runs this harness started (``oms-harness load``) and for results produced elsewhere
(``--judge``, e.g. a Kubernetes master's log): the same percentiles, SLOs, generator health,
``summary.json``, ``.hgrm`` files and plot either way.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..exit_codes import ExitCode
from ..target_url import public_url
from . import histograms, plot, slo, summary
from .health import GeneratorHealth, ProcessHealth, assess
from .plan import LoadPlan
from .results import RESULTS_FILE, read_results
from .slo import SloVerdict


@dataclass(frozen=True)
class LoadResult:
    exit_code: int
    report_dir: Path
    summary_path: Path
    plot_path: Path | None
    slos: list[SloVerdict]
    generator_bound: bool
    achieved_rps: float
    target_rps: float
    requests: int
    failures: dict[str, int] = field(default_factory=dict)
    unavailable_reason: str = ""
    """Why the run is exit 3: the target stopped answering during it."""
    contract_violations: dict[str, int] = field(default_factory=dict)
    """Rule id -> answers under load that broke it (the ``contract_violations`` SLO)."""


def judge(
    plan: LoadPlan,
    *,
    results_path: Path,
    report_dir: Path,
    started_at: str,
    limits: Mapping[str, float],
    echo: bool,
    unavailable: str = "",
) -> LoadResult:
    """The verdict of one run: exit 0 (SLOs met), 1 (breached), 3 (``unavailable`` says why
    the target stopped answering) or 4 (result invalid)."""
    results = read_results(results_path)
    schedule = plan.schedule
    window = schedule.duration
    latency = summary.latency_tables(results)
    measured = summary.measured_figures(results, latency, window)
    verdicts = slo.evaluate(
        limits, measured, {"contract_violations": summary.violation_detail(results)}
    )
    health = _health(results, window)
    invalid = list(health.reasons)
    reported = int(results.get("processes_reported", 0))
    expected = int(results.get("processes_expected", 1))
    if reported < expected:
        invalid.append(f"only {reported} of {expected} generator processes reported")
    if unavailable:
        exit_code = int(ExitCode.TARGET_UNAVAILABLE)
    elif invalid:
        exit_code = int(ExitCode.RESULT_INVALID)
    elif all(v.passed for v in verdicts):
        exit_code = int(ExitCode.OK)
    else:
        exit_code = int(ExitCode.FAILED)

    hists = results["histograms"]
    histograms.write_hgrm(
        histograms.decode(hists["corrected"]), report_dir / summary.HGRM_CORRECTED
    )
    histograms.write_hgrm(histograms.decode(hists["raw"]), report_dir / summary.HGRM_RAW)
    plot_path = _plot(plan, results, report_dir, started_at=started_at, limits=limits)
    outputs = {
        "summary": summary.SUMMARY_FILE,
        "results": RESULTS_FILE,
        "hgrm_corrected": summary.HGRM_CORRECTED,
        "hgrm_raw": summary.HGRM_RAW,
        "plot": summary.PLOT_FILE if plot_path else "",
        "locust_html": "locust.html",
        "locust_csv": "locust_stats.csv",
        "locust_log": "locust.log",
    }
    planned = {
        "schedule": schedule.to_json(),
        "duration_s": schedule.duration,
        "target_rps": round(schedule.mean_rps, 3),
        "peak_rps": schedule.peak_rps,
        "planned_requests": schedule.total_arrivals,
        "max_in_flight": plan.in_flight,
        "processes": plan.workers,
    }
    document = summary.build_summary(
        scenario=plan.scenario,
        base_url=plan.base_url,
        started_at=started_at,
        plan=planned,
        results=results,
        latency=latency,
        measured=measured,
        limits=limits,
        verdicts=verdicts,
        health=health,
        invalid_reasons=invalid,
        exit_code=exit_code,
        outputs=outputs,
    )
    if unavailable:
        document["target_unavailable"] = unavailable
    summary_path = report_dir / summary.SUMMARY_FILE
    summary.write_summary(summary_path, document)
    if echo:
        print(summary.format_report(document), flush=True)
        if unavailable:
            print(f"  target unavailable: {unavailable}", flush=True)
        print(f"  report: {report_dir}", flush=True)
    counters = results.get("counters", {})
    return LoadResult(
        exit_code=exit_code,
        report_dir=report_dir,
        summary_path=summary_path,
        plot_path=plot_path,
        slos=verdicts,
        generator_bound=bool(invalid),
        achieved_rps=health.achieved_rps,
        target_rps=health.target_rps,
        requests=int(counters.get("completed", 0)) + int(counters.get("unfinished", 0)),
        failures={str(k): int(v) for k, v in results.get("failures", {}).items()},
        unavailable_reason=unavailable,
        contract_violations={
            str(k): int(v) for k, v in results.get("contract_violations", {}).items()
        },
    )


def _plot(
    plan: LoadPlan,
    results: Mapping[str, Any],
    report_dir: Path,
    *,
    started_at: str,
    limits: Mapping[str, float],
) -> Path | None:
    hists = results["histograms"]
    path = report_dir / summary.PLOT_FILE
    try:
        plot.render(
            path,
            title=f"{plan.scenario} at {plan.schedule.mean_rps:g} req/s",
            intervals=results.get("intervals", []),
            interval_s=float(results.get("interval_s", 1.0)),
            curves={
                "corrected": histograms.percentile_curve(histograms.decode(hists["corrected"])),
                "raw": histograms.percentile_curve(histograms.decode(hists["raw"])),
            },
            target=public_url(plan.base_url),
            started_at=started_at,
            planned_rps=plan.schedule.mean_rps,
            limits=limits,
            failures=plot.failures_per_second(report_dir / "locust_stats_history.csv"),
            failure_totals={
                "errors": sum(int(n) for n in results.get("failures", {}).values()),
                "contract_violations": summary.violation_count(results),
            },
        )
    except (OSError, ValueError) as exc:  # a plot is a convenience, never the verdict
        print(f"  (no plot: {type(exc).__name__}: {exc})", file=sys.stderr)
        return None
    return path


def _health(results: Mapping[str, Any], window: float) -> GeneratorHealth:
    processes = {
        name: ProcessHealth(
            cpu_samples=tuple(float(x) for x in p.get("cpu_samples", [])),
            planned=int(p.get("planned", 0)),
            sent=int(p.get("sent", 0)),
            send_span_s=float(p.get("send_span_s", 0.0)),
            users=int(p.get("users", 0)),
            max_in_flight=int(p.get("max_in_flight", 0)),
            late_sends=int(p.get("late_sends", 0)),
        )
        for name, p in results.get("processes", {}).items()
    }
    return assess(processes, window_s=window)
