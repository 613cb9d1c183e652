"""reports/verdict.json: the gate for machines, with the same counts as every other output."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from oms_harness.report.secrets import Secrets
from oms_harness.report.verdict_json import SCHEMA, verdict_document, write_verdict

TOKEN = "tok_ZXhhbXBsZS1zZWNyZXQtdG9rZW4tMTIzNDU2"


def test_failing_gate(fake: Any) -> None:
    verdict = fake.verdict(failing=True, breach=True)
    document = verdict_document(verdict)
    assert document["schema"] == SCHEMA
    assert document["exit_code"] == verdict.exit_code == 1
    assert document["passed"] is False
    assert document["seed"] == 4242
    assert document["spec_version"]
    assert document["harness_version"]
    totals = verdict.totals
    assert document["counts"] == {
        "passed": totals.passed,
        "failed": totals.failed,
        "not_judged": totals.not_judged,
        "skipped": totals.skipped,
        "spec_gaps": totals.spec_gaps,
        "total": totals.total,
    }
    assert [area["area"] for area in document["areas"]] == [row.area for row in verdict.rows]
    rules = {entry["rule"]: entry for entry in document["failed_rules"]}
    assert rules["slo.p95_ms"]["checks"] == ["load.smoke.slo.p95_ms"]
    assert sum(entry["count"] for entry in rules.values()) == totals.failed
    p95 = next(slo for slo in document["slos"] if slo["name"] == "p95_ms")
    assert p95 == {
        "name": "p95_ms",
        "measured": 320.0,
        "limit": 250.0,
        "unit": "ms",
        "bound": "max",
        "status": "failed",
        "detail": "",
    }
    min_rps = next(slo for slo in document["slos"] if slo["name"] == "min_rps")
    assert min_rps["bound"] == "min"
    assert document["load"]["scenario"] == "smoke"


def test_skipped_load_and_a_stop(fake: Any) -> None:
    verdict = replace(
        fake.verdict(with_load=False), load_skipped="--skip-load", problem="stopped", exit_code=3
    )
    document = verdict_document(verdict)
    assert document["load"] is None
    assert document["load_skipped"] == "--skip-load"
    assert document["problem"] == "stopped"
    assert document["counts"]["not_judged"] == 1  # the stopped phase
    assert {"area": "load", "skipped": 1}.items() <= next(
        a for a in document["areas"] if a["area"] == "load"
    ).items()


def test_written_redacted_and_valid(tmp_path: Path, fake: Any) -> None:
    verdict = replace(fake.verdict(), problem=f'token "{TOKEN}" was rejected')
    path = write_verdict(tmp_path / "verdict.json", verdict, Secrets().with_value(TOKEN))
    text = path.read_text(encoding="utf-8")
    assert TOKEN not in text
    assert json.loads(text)["problem"] == 'token "[redacted]" was rejected'


def test_load_contract_violations_by_rule(fake: Any) -> None:
    load = fake.load(violations={"decimal.wire-string": 7, "balance.expected": 2})
    document = verdict_document(replace(fake.verdict(), load=load, exit_code=1))
    assert document["load"]["contract_violations"] == {
        "count": 9,
        "by_rule": {"decimal.wire-string": 7, "balance.expected": 2},
    }
    assert document["load"]["failures_by_reason"] == {}  # errors are their own figure
    slo = next(s for s in document["slos"] if s["name"] == "contract_violations")
    assert slo["status"] == "failed"
    assert slo["detail"] == "decimal.wire-string x7, balance.expected x2"
    rules = {entry["rule"] for entry in document["failed_rules"]}
    assert "slo.contract_violations" in rules
