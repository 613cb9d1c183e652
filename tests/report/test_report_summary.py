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
    text = render_summary(fake.verdict())
    assert text.startswith("## ✅ oms-harness gate: PASS")
    assert "| fuzz | 12 | 0 | 0 | 0 | ✅ |" in text
    assert "| load SLOs | 4 | 0 | 0 | 0 | ✅ |" in text
    assert "| p95_ms | 12.5 ms | 250 ms | ✅ met |" in text
    assert "| error_rate | 0% | 1% | ✅ met |" in text
    assert "seed `4242`" in text
    assert "Spec gaps (2)" in text
    assert "Failing checks" not in text


def test_failing_summary_names_the_check_and_the_breach(fake: Any) -> None:
    text = render_summary(fake.verdict(failing=True, breach=True))
    assert text.startswith("## ❌ oms-harness gate: FAIL")
    assert "- `conformance/test_currency.py::test_default_is_usd`: default currency was EUR" in text
    assert "| p95_ms | 320 ms | 250 ms | ❌ breach |" in text


def test_generator_bound_is_flagged(fake: Any) -> None:
    text = render_summary(fake.verdict(generator_bound=True))
    assert "INVALID" in text.splitlines()[0]
    assert "Generator-bound" in text
    assert "✅ met" not in text


def test_long_failure_lists_are_cut(fake: Any) -> None:
    verdict = fake.verdict(failing=True)
    many = tuple((f"t::{i}", "r") for i in range(MAX_FAILURES_LISTED + 5))
    verdict = replace(verdict, conformance=replace(verdict.conformance, failures=many))
    text = render_summary(verdict)
    assert f"Failing checks ({MAX_FAILURES_LISTED + 5})" in text
    assert "… and 5 more" in text


def test_pipes_in_reasons_do_not_break_the_table(fake: Any) -> None:
    verdict = fake.verdict(failing=True)
    verdict = replace(
        verdict, conformance=replace(verdict.conformance, failures=(("t::a|b", "x|y\nz"),))
    )
    assert "- `t::a\\|b`: x\\|y z" in render_summary(verdict)


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
    assert any(
        "failed: conformance/test_currency.py::test_default_is_usd" in line for line in lines
    )
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
