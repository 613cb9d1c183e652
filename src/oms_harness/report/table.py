"""The compact verdict table that ends the gate's terminal output."""

from __future__ import annotations

from .allure import slo_status
from .model import GateVerdict

MAX_FAILURES_SHOWN = 10


def render_table(verdict: GateVerdict) -> str:
    """Plain text, fixed-width, no colour: readable in any CI log."""
    lines = [f"oms-harness gate: {verdict.headline} (exit {verdict.exit_code})"]
    if verdict.problem:
        lines.append(f"  {verdict.problem}")
    rows = verdict.rows
    if rows:
        width = max(len("area"), *(len(r.area) for r in rows))
        header = (
            f"  {'area':<{width}}  {'passed':>6}  {'failed':>6}  {'skipped':>7}  {'spec gaps':>9}"
        )
        lines += [header, "  " + "-" * (len(header) - 2)]
        for r in rows:
            mark = "ok" if r.ok else "FAIL"
            lines.append(
                f"  {r.area:<{width}}  {r.passed:>6}  {r.failed:>6}  {r.skipped:>7}  "
                f"{r.spec_gaps:>9}  {mark}"
            )
    load = verdict.load
    if load is not None:
        lines.append(
            f"  load {load.scenario}: {load.requests} requests, "
            f"{load.achieved_rps:.1f} of {load.target_rps:g} req/s"
            + ("  GENERATOR-BOUND" if load.generator_bound else "")
        )
        for slo in load.slos:
            status, _ = slo_status(slo, load.generator_bound)
            word = {"passed": "met", "failed": "BREACH"}.get(status, "not judged")
            lines.append(f"    {slo.describe()}  {word}")
    elif verdict.load_skipped:
        lines.append(f"  load: skipped ({verdict.load_skipped})")
    failures = verdict.conformance.failures if verdict.conformance else ()
    for test_id, reason in failures[:MAX_FAILURES_SHOWN]:
        lines.append(f"  failed: {test_id}: {reason}")
    if len(failures) > MAX_FAILURES_SHOWN:
        lines.append(f"  … and {len(failures) - MAX_FAILURES_SHOWN} more in the report")
    seed = verdict.seed if verdict.seed is not None else "n/a"
    lines.append(f"  seed {seed} · target {verdict.target} · {verdict.elapsed_s:.1f} s")
    if verdict.report_html is not None:
        lines.append(f"  report: {verdict.report_html}")
    if verdict.render_note and verdict.report_html is None:
        lines.append(f"  {verdict.render_note}")
    for label, value in verdict.extra.items():
        lines.append(f"  {label}: {value}")
    return "\n".join(lines)
