"""The compact verdict table that ends the gate's terminal output."""

from __future__ import annotations

from .model import GateVerdict, failures_by_rule, slo_status

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
            f"  {'area':<{width}}  {'passed':>6}  {'failed':>6}  {'not judged':>10}  "
            f"{'skipped':>7}  {'spec gaps':>9}"
        )
        rule = "  " + "-" * (len(header) - 2)
        lines += [header, rule]
        for r in [*rows, None, verdict.totals]:
            if r is None:
                lines.append(rule)
                continue
            mark = "ok" if r.ok else ("FAIL" if r.failed else "NOT JUDGED")
            lines.append(
                f"  {r.area:<{width}}  {r.passed:>6}  {r.failed:>6}  {r.not_judged:>10}  "
                f"{r.skipped:>7}  {r.spec_gaps:>9}  {mark}"
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
    groups = failures_by_rule(verdict)
    shown = 0
    for rule, failures in groups.items():
        lines.append(f"  [{rule}] {len(failures)} failed")
        for test_id, reason in failures:
            if shown < MAX_FAILURES_SHOWN:
                lines.append(f"    {test_id}: {reason}")
            shown += 1
    if shown > MAX_FAILURES_SHOWN:
        lines.append(f"  … {shown - MAX_FAILURES_SHOWN} more failures listed in the report")
    seed = verdict.seed if verdict.seed is not None else "n/a"
    lines.append(f"  seed {seed} · target {verdict.target} · {verdict.elapsed_s:.1f} s")
    if verdict.report_html is not None:
        lines.append(f"  report: {verdict.report_html}")
    if verdict.render_note and verdict.report_html is None:
        lines.append(f"  {verdict.render_note}")
    for label, value in verdict.extra.items():
        lines.append(f"  {label}: {value}")
    return "\n".join(lines)
