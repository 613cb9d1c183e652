"""``reports/summary.md``: the verdict in a form a CI posts on a pull request.

Short on purpose: the headline, one table row per area and the totals (the same numbers as
the terminal, Allure's overview and JUnit), the failing checks grouped by rule with their
one-line reason, the SLOs measured vs limit, the seed to reproduce, and where the full
report is: the CI run's artifacts when the CI's variables say where they are (GitHub:
``GITHUB_SERVER_URL``, ``GITHUB_REPOSITORY``, ``GITHUB_RUN_ID``), else the report's path
relative to the working directory. Appended to ``$GITHUB_STEP_SUMMARY`` when that variable
is set: best effort, since a CI's summary file is a courtesy and must never hide the verdict.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

from .model import GateVerdict, failures_by_rule, slo_status
from .secrets import Secrets

MAX_FAILURES_LISTED = 20
_ICON = {0: "✅", 1: "❌", 2: "⚠️", 3: "⛔", 4: "⚠️"}


def _cell(text: str) -> str:
    """Markdown table cell: pipes escaped, one line."""
    return text.replace("|", "\\|").replace("\n", " ")


def artifact_url(environ: Mapping[str, str]) -> str | None:
    """The CI run's page, where its artifacts (the report) are; None outside a known CI."""
    run_id = environ.get("GITHUB_RUN_ID")
    repository = environ.get("GITHUB_REPOSITORY")
    if run_id and repository:
        server = environ.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/")
        return f"{server}/{repository}/actions/runs/{run_id}#artifacts"
    if environ.get("GITLAB_CI") == "true" and environ.get("CI_JOB_URL"):
        return f"{environ['CI_JOB_URL']}/artifacts/browse"
    return None


def _where(path: Path) -> str:
    """A path relative to the working directory when it is below it (never an absolute
    path of the machine that ran the gate, which means nothing to the reader)."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return path.name if path.is_absolute() else str(path)


def render_summary(verdict: GateVerdict, environ: Mapping[str, str] | None = None) -> str:
    """The Markdown text (no file I/O; redact before writing)."""
    env = os.environ if environ is None else environ
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
            "| area | passed | failed | not judged | skipped | spec gaps | |",
            "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
        ]
        for r in [*rows, verdict.totals]:
            name = f"**{r.area}**" if r.area == "total" else _cell(r.area)
            mark = "✅" if r.ok else ("❌" if r.failed else "⚠️")
            lines.append(
                f"| {name} | {r.passed} | {r.failed} | {r.not_judged} | {r.skipped} | "
                f"{r.spec_gaps} | {mark} |"
            )
        lines.append("")
    lines += _failures_section(verdict)
    lines += _load_section(verdict)
    gaps = verdict.conformance.spec_gaps if verdict.conformance else ()
    if gaps:
        lines.append(
            f"<details><summary>Spec gaps ({len(gaps)}): findings, not failures</summary>\n"
        )
        lines += [f"- {_cell(gap)}" for gap in gaps]
        lines += ["", "</details>", ""]
    url = artifact_url(env)
    if url is not None:
        lines.append(f"Report: [Allure report in the run's artifacts]({url})")
    elif verdict.report_html is not None:
        lines.append(f"Report: `{_where(verdict.report_html)}` (single file, opens from disk)")
    elif verdict.render_note:
        lines.append(verdict.render_note)
    return "\n".join(lines).rstrip() + "\n"


def _failures_section(verdict: GateVerdict) -> list[str]:
    """Failing checks grouped by rule id, most frequent rule first."""
    groups = failures_by_rule(verdict)
    if not groups:
        return []
    count = sum(len(items) for items in groups.values())
    lines = [f"### Failing checks ({count}) by rule", ""]
    listed = 0
    for rule, items in sorted(groups.items(), key=lambda group: -len(group[1])):
        lines.append(f"- **`{_cell(rule)}`** ({len(items)})")
        for test_id, reason in items:
            if listed < MAX_FAILURES_LISTED:
                lines.append(f"  - `{_cell(test_id)}`: {_cell(reason)}")
            listed += 1
    if listed > MAX_FAILURES_LISTED:
        lines.append(f"- … {listed - MAX_FAILURES_LISTED} more listed in the report")
    lines.append("")
    return lines


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
    if load.contract_violations:
        ordered = sorted(load.contract_violations.items(), key=lambda item: (-item[1], item[0]))
        shown = ", ".join(f"`{_cell(rule)}`: {n}" for rule, n in ordered)
        total = sum(load.contract_violations.values())
        lines += [f"Contract violations under load ({total}) by rule: {shown}", ""]
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
    env = os.environ if environ is None else environ
    text = secrets.scrub(render_summary(verdict, env))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
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
