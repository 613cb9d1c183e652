"""One count everywhere: the terminal, Allure, JUnit, summary.md and verdict.json agree.

Each gate here runs as a user runs it (a subprocess) against the local reference, once
clean and once against a mutant with the load smoke (so an SLO breach is counted too), and
every output is read back the way its consumer reads it.
"""

from __future__ import annotations

import collections
import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from oms_harness.contract.registry import check_name
from oms_harness.local_target import local_reference
from oms_harness.report.embedded import embedded_files

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

GATE_TIMEOUT_S = 300
KEYS = ("passed", "failed", "not_judged", "skipped", "spec_gaps")


def _gate(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "oms_harness", "gate", "--max-examples", "50", *args],
        capture_output=True,
        text=True,
        timeout=GATE_TIMEOUT_S,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def _cli(stdout: str) -> dict[str, int]:
    """The verdict table's total row: passed failed not-judged skipped spec-gaps."""
    row = next(line.split() for line in stdout.splitlines() if line.split()[:1] == ["total"])
    return dict(zip(KEYS, map(int, row[1:6]), strict=True))


def _summary(text: str) -> dict[str, int]:
    row = next(line for line in text.splitlines() if line.startswith("| **total** |"))
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    return dict(zip(KEYS, map(int, cells[1:6]), strict=True))


def _verdict(path: Path) -> dict[str, int]:
    counts = json.loads(path.read_text(encoding="utf-8"))["counts"]
    return {key: int(counts[key]) for key in KEYS}


def _junit(path: Path) -> dict[str, int]:
    """JUnit has four outcomes: spec gaps are ``<skipped type="spec-gap">``."""
    root = ET.parse(path).getroot()
    cases = list(root.iter("testcase"))
    skipped = [c.find("skipped") for c in cases if c.find("skipped") is not None]
    gaps = sum(1 for s in skipped if s is not None and s.get("type") == "spec-gap")
    failed = sum(1 for c in cases if c.find("failure") is not None)
    errors = sum(1 for c in cases if c.find("error") is not None)
    assert int(root.get("tests", "0")) == len(cases)
    assert int(root.get("failures", "0")) == failed
    assert int(root.get("errors", "0")) == errors
    assert int(root.get("skipped", "0")) == len(skipped)
    return {
        "passed": len(cases) - failed - errors - len(skipped),
        "failed": failed,
        "not_judged": errors,
        "skipped": len(skipped) - gaps,
        "spec_gaps": gaps,
    }


def _allure_results(reports: Path) -> list[dict[str, Any]]:
    """What a reviewer's browser renders: the results inside the single file when there is
    one, else the raw results."""
    single = reports / "allure-report" / "index.html"
    if single.is_file():
        return [
            json.loads(content)
            for name, content in embedded_files(single.read_bytes())
            if name.startswith("data/test-results/")
        ]
    return [
        json.loads(path.read_text(encoding="utf-8"))
        for path in (reports / "allure-results").glob("*-result.json")
    ]


def _allure(reports: Path) -> dict[str, int]:
    results = _allure_results(reports)
    statuses = collections.Counter(r["status"] for r in results)
    gaps = [r for r in results if str(_message(r)).startswith("Spec gap: ")]
    assert all(r["status"] == "skipped" for r in gaps)  # never counted as passed
    return {
        "passed": statuses["passed"],
        "failed": statuses["failed"],
        "not_judged": statuses["broken"],
        "skipped": statuses["skipped"] - len(gaps),
        "spec_gaps": len(gaps),
    }


def _message(result: dict[str, Any]) -> str:
    details = result.get("error") or result.get("statusDetails") or {}
    return str(details.get("message") or "")


def _all_counts(reports: Path, stdout: str) -> dict[str, dict[str, int]]:
    return {
        "cli": _cli(stdout),
        "summary.md": _summary((reports / "summary.md").read_text(encoding="utf-8")),
        "verdict.json": _verdict(reports / "verdict.json"),
        "junit.xml": _junit(reports / "junit.xml"),
        "allure": _allure(reports),
    }


def _assert_agree(counts: dict[str, dict[str, int]]) -> dict[str, int]:
    first = counts["cli"]
    assert all(other == first for other in counts.values()), json.dumps(counts, indent=1)
    return first


def test_counts_agree_on_the_clean_reference(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    result = _gate("--report-dir", str(reports), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    counts = _assert_agree(_all_counts(reports, result.stdout))
    assert counts["failed"] == counts["not_judged"] == 0
    assert counts["spec_gaps"] > 0
    assert counts["passed"] > 100
    assert not list(reports.glob("*.xml"))[1:], "one JUnit file by default"
    verdict = json.loads((reports / "verdict.json").read_text(encoding="utf-8"))
    assert verdict["exit_code"] == 0
    assert verdict["failed_rules"] == []
    assert verdict["spec_version"]
    assert verdict["harness_version"]
    assert verdict["seed"]
    assert {slo["name"] for slo in verdict["slos"]} >= {"p95_ms", "p99_ms", "error_rate"}


def test_counts_agree_on_a_mutant_with_an_slo_breach(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    with local_reference(mutant="value-as-number", workdir=tmp_path / "ref") as target:
        result = _gate(
            "--profile", str(target.profile_path), "--report-dir", str(reports), cwd=tmp_path
        )
    assert result.returncode == 1, result.stdout + result.stderr[-3000:]
    counts = _assert_agree(_all_counts(reports, result.stdout))
    assert counts["failed"] > 1
    verdict = json.loads((reports / "verdict.json").read_text(encoding="utf-8"))
    rules = {entry["rule"]: entry["count"] for entry in verdict["failed_rules"]}
    assert "decimal.wire-string" in rules
    assert "slo.contract_violations" in rules  # issue 8: apart from error_rate
    assert sum(rules.values()) == counts["failed"]
    # the load run's contract violations, by rule, in summary.json, summary.md and verdict.json
    load_summary = json.loads(
        next((reports / "load").glob("*/summary.json")).read_text(encoding="utf-8")
    )
    by_rule = load_summary["contract_violations"]["by_rule"]
    assert by_rule.get("decimal.wire-string", 0) > 0, load_summary["contract_violations"]
    assert verdict["load"]["contract_violations"]["by_rule"] == by_rule
    assert verdict["load"]["contract_violations"]["count"] == sum(by_rule.values())
    summary_md = (reports / "summary.md").read_text(encoding="utf-8")
    assert f"`decimal.wire-string`: {by_rule['decimal.wire-string']}" in summary_md
    assert "decimal.wire-string x" in result.stdout  # the CLI names the rule beside the SLO
    # JUnit: one suite per area, with the same counts as the verdict's areas
    areas = {a["area"]: a for a in verdict["areas"]}
    for suite in ET.parse(reports / "junit.xml").getroot().iter("testsuite"):
        name = suite.get("name", "")
        if name in areas and name != "load":
            assert int(suite.get("failures", "0")) == areas[name]["failed"], name
            assert int(suite.get("tests", "0")) == areas[name]["total"], name
    # every failure message starts with its rule id, in JUnit as in Allure
    for case in ET.parse(reports / "junit.xml").getroot().iter("testcase"):
        failure = case.find("failure")
        if failure is not None:
            message = failure.get("message", "")
            assert re.match(r"^\[[a-z0-9.\-_]+\] ", message), message
            assert "Traceback" not in message
            assert check_name(message) in rules
    failed = [r for r in _allure_results(reports) if r["status"] == "failed"]
    assert all(_message(r).startswith("[") for r in failed)
    # each failure once on the terminal, no traceback, the area table once
    assert "Traceback" not in result.stdout
    assert result.stdout.count("  area ") == 1
    assert result.stdout.count("test_currency.py::test_default_currency:") == 1


def test_conformance_junit_only_when_asked(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    kept = tmp_path / "ci" / "conformance.xml"
    result = _gate(
        "--report-dir",
        str(reports),
        "--skip-load",
        "--no-render",
        "--conformance-junit",
        str(kept),
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    assert sorted(p.name for p in reports.glob("*.xml")) == ["junit.xml"]
    suites = [s.get("name") for s in ET.parse(kept).getroot().iter("testsuite")]
    assert suites[:2] == ["fuzz", "currency"], suites  # one suite per area, in reading order
    _assert_agree(_all_counts(reports, result.stdout))
