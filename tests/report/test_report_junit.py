"""reports/junit.xml: conformance checks merged with SLOs; nothing green by omission."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path
from typing import Any

import jwt

from oms_harness.redaction import REDACTED, Redactor
from oms_harness.report.junit import write_junit
from oms_harness.report.secrets import Secrets

TOKEN = jwt.encode({"sub": "test"}, "harness-test-signing-key-32-bytes!", algorithm="HS256")
"""A real JWT, minted at import (deterministic for xdist): no token text is committed."""

PYTEST_JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites name="pytest tests"><testsuite name="pytest" errors="0" failures="1" skipped="1"
 tests="3" time="1.2"><testcase classname="conformance.test_currency" name="test_default_is_usd"
 time="0.1"><failure message="default currency was EUR">request: Authorization: Bearer {token}
</failure></testcase><testcase classname="conformance.test_auth" name="test_no_header" time="0.1"/>
<testcase classname="conformance.test_ids" name="test_unprovisioned" time="0"><skipped
 message="profile has no `unprovisioned` customer"/></testcase></testsuite></testsuites>
"""


def _parse(path: Path) -> ET.Element:
    return ET.parse(path).getroot()


def _cases(root: ET.Element) -> dict[str, ET.Element]:
    return {f"{c.get('classname')}::{c.get('name')}": c for c in root.iter("testcase")}


def test_merges_conformance_and_slos(tmp_path: Path, fake: Any) -> None:
    conformance_xml = tmp_path / "conformance-junit.xml"
    conformance_xml.write_text(PYTEST_JUNIT.format(token=TOKEN), encoding="utf-8")
    verdict = fake.verdict(failing=True, breach=True)
    path = write_junit(
        tmp_path / "junit.xml", verdict, conformance_xml, Secrets().with_value(TOKEN)
    )
    root = _parse(path)
    cases = _cases(root)
    assert cases["conformance.test_currency::test_default_is_usd"].find("failure") is not None
    assert cases["load.smoke.slo::p95_ms"].find("failure").get("message") == (
        "[slo.p95_ms] SLO breach: p95_ms: measured 320 ms, limit 250 ms"
    )
    assert cases["load.smoke.slo::p99_ms"].find("failure") is None
    assert "load.smoke::generator_health" in cases
    assert (root.get("tests"), root.get("failures"), root.get("errors"), root.get("skipped")) == (
        "8",
        "2",
        "0",
        "1",
    )
    assert TOKEN not in path.read_text(encoding="utf-8")


def test_generator_bound_slos_are_errors(tmp_path: Path, fake: Any) -> None:
    path = write_junit(tmp_path / "junit.xml", fake.verdict(generator_bound=True), None, Secrets())
    suite = next(s for s in _parse(path).iter("testsuite") if s.get("name") == "load.smoke")
    assert (suite.get("tests"), suite.get("errors"), suite.get("failures")) == ("5", "5", "0")


def test_stopped_gate_is_an_error_not_an_empty_green(tmp_path: Path, fake: Any) -> None:
    verdict = replace(
        fake.verdict(with_load=False),
        conformance=None,
        exit_code=3,
        problem="Target unavailable: cannot reach target http://127.0.0.1:9/v0.9: ConnectError",
    )
    root = _parse(write_junit(tmp_path / "junit.xml", verdict, None, Secrets()))
    cases = _cases(root)
    error = cases["gate::gate_completed"].find("error")
    assert error is not None
    assert "ConnectError" in (error.get("message") or "")
    assert cases["load::slos"].find("skipped") is not None
    assert root.get("errors") == "1"


def test_a_redacted_conformance_file_stays_valid_xml(tmp_path: Path, fake: Any) -> None:
    conformance_xml = tmp_path / "conformance-junit.xml"
    conformance_xml.write_text(PYTEST_JUNIT.format(token=TOKEN), encoding="utf-8")
    assert Redactor([TOKEN]).file(conformance_xml)  # the runner's plain-text sweep
    ET.parse(conformance_xml)  # the marker carries no markup characters
    root = _parse(write_junit(tmp_path / "junit.xml", fake.verdict(), conformance_xml, Secrets()))
    failure = _cases(root)["conformance.test_currency::test_default_is_usd"].find("failure")
    assert failure is not None
    assert f"Authorization: Bearer {REDACTED}" in (failure.text or "")
    assert TOKEN not in (failure.text or "")


def test_unreadable_conformance_junit_is_replaced_by_the_verdict(tmp_path: Path, fake: Any) -> None:
    broken = tmp_path / "broken.xml"
    broken.write_text("<testsuites><testsuite", encoding="utf-8")
    verdict = fake.verdict(failing=True)
    root = _parse(write_junit(tmp_path / "junit.xml", verdict, broken, Secrets()))
    cases = _cases(root)
    failure = cases["conformance::conformance/test_currency.py::test_default_is_usd"].find(
        "failure"
    )
    assert failure is not None
    assert failure.get("message") == "default currency was EUR"
    assert {"fuzz::fuzz", "auth::auth"} <= set(cases)
    assert root.get("failures") == "1"


def test_a_synthesised_failure_sits_in_the_area_of_its_rule(tmp_path: Path, fake: Any) -> None:
    verdict = fake.verdict(failing=True)
    failures = (("test_currency.py::test_x", "[decimal.grammar] 1.0e3 is no decimal"),)
    verdict = replace(verdict, conformance=replace(verdict.conformance, failures=failures))
    root = _parse(write_junit(tmp_path / "junit.xml", verdict, None, Secrets()))
    failure = _cases(root)["decimal::test_currency.py::test_x"].find("failure")
    assert failure is not None
    assert failure.get("type") == "decimal.grammar"
