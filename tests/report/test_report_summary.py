"""reports/summary.md: a short verdict that names what failed."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from oms_harness.report.secrets import Secrets
from oms_harness.report.summary import MAX_FAILURES_LISTED, render_summary, write_summary
from oms_harness.report.table import render_table

TOKEN = "tok_ZXhhbXBsZS1zZWNyZXQtdG9rZW4tMTIzNDU2"


def test_green_summary(fake: Any) -> None:
    text = render_summary(fake.verdict(), environ={})
    assert text.startswith("## ✅ oms-harness gate: PASS")
    assert "| fuzz | 12 | 0 | 0 | 0 | 0 | ✅ |" in text
    assert "| load | 5 | 0 | 0 | 0 | 0 | ✅ |" in text  # four SLOs and generator health
    assert "| **total** | 34 | 0 | 0 | 0 | 3 | ✅ |" in text
    assert "| p95_ms | 12.5 ms | 250 ms | ✅ met |" in text
    assert "| error_rate | 0% | 1% | ✅ met |" in text
    assert "seed `4242`" in text
    assert "Spec gaps (2)" in text
    assert "Failing checks" not in text


def test_failing_summary_names_the_check_and_the_breach(fake: Any) -> None:
    text = render_summary(fake.verdict(failing=True, breach=True), environ={})
    assert text.startswith("## ❌ oms-harness gate: FAIL")
    assert "### Failing checks (2) by rule" in text
    assert "- **`slo.p95_ms`** (1)" in text
    assert (
        "  - `conformance/test_currency.py::test_default_is_usd`: default currency was EUR" in text
    )
    assert "| p95_ms | 320 ms | 250 ms | ❌ breach |" in text


def test_summary_groups_failures_by_rule(fake: Any) -> None:
    verdict = fake.verdict(failing=True)
    failures = (
        ("t::a", "[response.schema] x"),
        ("t::b", "[currency.echo] y"),
        ("t::c", "[response.schema] z"),
    )
    verdict = replace(verdict, conformance=replace(verdict.conformance, failures=failures))
    lines = render_summary(verdict, environ={}).splitlines()
    start = lines.index("- **`response.schema`** (2)")
    assert lines[start + 1 : start + 4] == [
        "  - `t::a`: [response.schema] x",
        "  - `t::c`: [response.schema] z",
        "- **`currency.echo`** (1)",
    ]


def test_summary_links_the_ci_artifacts_when_the_ci_says_where(fake: Any) -> None:
    verdict = replace(fake.verdict(), report_html=Path("/abs/reports/allure-report/index.html"))
    github = {
        "GITHUB_SERVER_URL": "https://github.example",
        "GITHUB_REPOSITORY": "org/repo",
        "GITHUB_RUN_ID": "99",
    }
    text = render_summary(verdict, environ=github)
    assert "(https://github.example/org/repo/actions/runs/99#artifacts)" in text
    assert "/abs/" not in text
    local = render_summary(verdict, environ={})
    assert "/abs/" not in local  # outside the working directory: the file name only
    assert "`index.html`" in local


def test_generator_bound_is_flagged(fake: Any) -> None:
    text = render_summary(fake.verdict(generator_bound=True), environ={})
    assert "INVALID" in text.splitlines()[0]
    assert "Generator-bound" in text
    assert "✅ met" not in text


def test_long_failure_lists_are_cut(fake: Any) -> None:
    verdict = fake.verdict(failing=True)
    many = tuple((f"t::{i}", "r") for i in range(MAX_FAILURES_LISTED + 5))
    verdict = replace(verdict, conformance=replace(verdict.conformance, failures=many))
    text = render_summary(verdict, environ={})
    assert f"Failing checks ({MAX_FAILURES_LISTED + 5}) by rule" in text
    assert "… 5 more listed in the report" in text


def test_pipes_in_reasons_do_not_break_the_table(fake: Any) -> None:
    verdict = fake.verdict(failing=True)
    verdict = replace(
        verdict, conformance=replace(verdict.conformance, failures=(("t::a|b", "x|y\nz"),))
    )
    assert "  - `t::a\\|b`: x\\|y z" in render_summary(verdict, environ={})


def test_write_summary_redacts_and_appends_to_step_summary(tmp_path: Path, fake: Any) -> None:
    verdict = replace(fake.verdict(), problem=f"token {TOKEN} was rejected")
    step_summary = tmp_path / "step_summary.md"
    step_summary.write_text("earlier step\n", encoding="utf-8")
    path = write_summary(
        tmp_path / "summary.md",
        verdict,
        Secrets().with_value(TOKEN),
        environ={"GITHUB_STEP_SUMMARY": str(step_summary)},
    )
    written = path.read_text(encoding="utf-8")
    assert TOKEN not in written
    assert "[redacted]" in written
    appended = step_summary.read_text(encoding="utf-8")
    assert appended.startswith("earlier step\n## ✅")
    assert TOKEN not in appended


def test_no_step_summary_without_the_variable(tmp_path: Path, fake: Any) -> None:
    write_summary(tmp_path / "summary.md", fake.verdict(), Secrets(), environ={})
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".md"] == ["summary.md"]


def test_terminal_table(fake: Any) -> None:
    table = render_table(
        replace(fake.verdict(failing=True, breach=True), report_html=Path("r.html"))
    )
    lines = table.splitlines()
    assert lines[0] == "oms-harness gate: FAIL: contract violation or SLO breach (exit 1)"
    assert any(
        line.split()[:3] == ["currency", "5", "1"] and line.endswith("FAIL") for line in lines
    )
    assert "    p95_ms: measured 320 ms, limit 250 ms  BREACH" in lines
    assert "  [unnamed] 1 failed" in lines
    assert any(
        line.startswith("    conformance/test_currency.py::test_default_is_usd: ") for line in lines
    )
    assert lines.count("  [slo.p95_ms] 1 failed") == 1
    assert any(line.split()[:4] == ["total", "33", "2", "0"] for line in lines)
    assert "seed 4242" in table
    assert "  report: r.html" in lines


def test_unwritable_step_summary_is_one_warning_not_a_failure(
    tmp_path: Path, fake: Any, capsys: Any
) -> None:
    path = write_summary(
        tmp_path / "summary.md",
        fake.verdict(),
        Secrets(),
        environ={"GITHUB_STEP_SUMMARY": str(tmp_path / "nonexistent" / "dir" / "x")},
    )
    assert path.read_text(encoding="utf-8").startswith("## ✅")
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("oms-harness: warning: cannot append the summary")
    assert "No such file or directory" in err[0]


def test_summary_names_the_load_contract_violations_by_rule(fake: Any) -> None:
    load = fake.load(violations={"decimal.wire-string": 7, "balance.expected": 2})
    text = render_summary(replace(fake.verdict(), load=load, exit_code=1), environ={})
    assert (
        "Contract violations under load (9) by rule: `decimal.wire-string`: 7, "
        "`balance.expected`: 2"
    ) in text
    assert (
        "contract_violations: measured 9 violations, limit 0 violations (decimal.wire-string x7"
        in text
    )
