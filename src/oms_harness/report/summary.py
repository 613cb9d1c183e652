"""``reports/summary.md``: the verdict in a form a CI posts on a pull request.

Short on purpose: the headline, one table row per area, the failing checks by name with
their one-line reason, the SLOs measured vs limit, the seed to reproduce, and where the
full report is. Appended to ``$GITHUB_STEP_SUMMARY`` when that variable is set: best
effort, since a CI's summary file is a courtesy and must never hide the verdict.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

from .allure import slo_status
from .model import GateVerdict
from .secrets import Secrets

MAX_FAILURES_LISTED = 20
_ICON = {0: "✅", 1: "❌", 2: "⚠️", 3: "⛔", 4: "⚠️"}


def _cell(text: str) -> str:
    """Markdown table cell: pipes escaped, one line."""
    return text.replace("|", "\\|").replace("\n", " ")


def render_summary(verdict: GateVerdict) -> str:
    """The Markdown text (no file I/O; redact before writing)."""
    icon = _ICON.get(verdict.exit_code, "⚠️")
    lines = [
        f"## {icon} oms-harness gate: {verdict.headline}",
        "",
        f"Target `{verdict.target}` · exit code {verdict.exit_code} · "
        f"seed `{verdict.seed if verdict.seed is not None else 'n/a'}` · "
        f"{verdict.elapsed_s:.0f} s",
        "",
    ]
    if verdict.problem:
        lines += [f"> **{_cell(verdict.problem)}**", ""]
    rows = verdict.rows
    if rows:
        lines += [
            "| area | passed | failed | skipped | spec gaps | |",
            "| --- | ---: | ---: | ---: | ---: | --- |",
        ]
        lines += [
            f"| {_cell(r.area)} | {r.passed} | {r.failed} | {r.skipped} | {r.spec_gaps} | "
            f"{'✅' if r.ok else '❌'} |"
            for r in rows
        ]
        lines.append("")
    failures = verdict.conformance.failures if verdict.conformance else ()
    if failures:
        lines.append(f"### Failing checks ({len(failures)})")
        lines.append("")
        lines += [
            f"- `{_cell(test_id)}`: {_cell(reason)}"
            for test_id, reason in failures[:MAX_FAILURES_LISTED]
        ]
        if len(failures) > MAX_FAILURES_LISTED:
            lines.append(f"- … and {len(failures) - MAX_FAILURES_LISTED} more (see the report)")
        lines.append("")
    lines += _load_section(verdict)
    gaps = verdict.conformance.spec_gaps if verdict.conformance else ()
    if gaps:
        lines.append(
            f"<details><summary>Spec gaps ({len(gaps)}): findings, not failures</summary>\n"
        )
        lines += [f"- {_cell(gap)}" for gap in gaps]
        lines += ["", "</details>", ""]
    if verdict.report_html is not None:
        lines.append(f"Report: `{verdict.report_html}` (single file, opens from disk)")
    elif verdict.render_note:
        lines.append(verdict.render_note)
    return "\n".join(lines).rstrip() + "\n"


def _load_section(verdict: GateVerdict) -> list[str]:
    load = verdict.load
    if load is None:
        return [f"Load: skipped ({verdict.load_skipped})", ""] if verdict.load_skipped else []
    lines = [
        f"### Load `{load.scenario}`: {load.requests} requests, "
        f"{load.achieved_rps:.1f} of {load.target_rps:g} req/s",
        "",
    ]
    if load.generator_bound:
        lines += ["> **Generator-bound**: the schedule was not kept; figures are not trusted.", ""]
    if load.slos:
        lines += ["| SLO | measured | limit | verdict |", "| --- | ---: | ---: | --- |"]
        for slo in load.slos:
            status, _ = slo_status(slo, load.generator_bound)
            word = {"passed": "✅ met", "failed": "❌ breach"}.get(status, "⚠️ not judged")
            lines.append(
                f"| {_cell(slo.name)} | {slo.shown_measured} | {slo.shown_limit} | {word} |"
            )
        lines.append("")
    if load.failures:
        shown = ", ".join(f"{_cell(k)}: {v}" for k, v in sorted(load.failures.items()))
        lines += [f"Load failures by reason: {shown}", ""]
    return lines


def write_summary(
    path: Path,
    verdict: GateVerdict,
    secrets: Secrets,
    environ: Mapping[str, str] | None = None,
) -> Path:
    """Write ``summary.md`` and append it to ``$GITHUB_STEP_SUMMARY`` when set."""
    text = secrets.scrub(render_summary(verdict))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    env = os.environ if environ is None else environ
    step_summary = env.get("GITHUB_STEP_SUMMARY")
    if step_summary:
        try:
            with Path(step_summary).open("a", encoding="utf-8") as handle:
                handle.write(text + "\n")
        except OSError as exc:
            print(
                f"oms-harness: warning: cannot append the summary to $GITHUB_STEP_SUMMARY "
                f"({step_summary}): {exc.strerror or exc}",
                file=sys.stderr,
            )
    return path
