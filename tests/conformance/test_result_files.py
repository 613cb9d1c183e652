"""A run's Allure and JUnit files, finished for a reviewer from the plugin's records."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from oms_harness.conformance.result_files import (
    finish_allure,
    finish_junit,
    finish_outputs,
    junit_nodeid,
    nodeid_of,
    pasteable_curl,
)

FAILED = {
    "nodeid": "test_currency.py::test_x[USD]",
    "outcome": "failed",
    "reason": "Failed: [currency.echo] EUR, not USD (GET /v0.9/customers/cst_a/balance -> 200)",
    "spec_gaps": [],
    "unavailable": False,
    "area": "currency",
}
GAP = {
    "nodeid": "test_spec_gaps.py::test_gap[lower]",
    "outcome": "passed",
    "reason": "",
    "spec_gaps": ["usd answers 400"],
    "unavailable": False,
    "area": "spec-gaps",
}
FUZZ = {
    "nodeid": "test_fuzz.py::test_fuzz_positive",
    "outcome": "failed",
    "reason": "[response.schema] body does not match | [schemathesis.not_a_server_error] 500",
    "spec_gaps": [],
    "unavailable": False,
    "area": "response",
}
RECORDS = {r["nodeid"]: r for r in (FAILED, GAP, FUZZ)}
REPRO = "oms-harness conformance --seed 7 --max-examples 50 --only fuzz"


def test_nodeids_from_allure_and_junit_names() -> None:
    assert nodeid_of("test_currency#test_x", "test_x[USD]") == "test_currency.py::test_x[USD]"
    assert nodeid_of("pkg.test_a#Cls.test_y", "test_y") == "pkg/test_a.py::Cls::test_y"
    assert junit_nodeid("test_currency", "test_x[USD]") == "test_currency.py::test_x[USD]"
    assert junit_nodeid("pkg.test_a.Cls", "test_y") == "pkg/test_a.py::Cls::test_y"


def test_curl_sends_the_variable_not_a_placeholder() -> None:
    line = "curl -X GET -H 'Authorization: [redacted]' 'http://h/x'"
    assert pasteable_curl(line, "OMS_TOKEN") == (
        "curl -X GET -H \"Authorization: Bearer $OMS_TOKEN\" 'http://h/x'"
    )
    assert pasteable_curl('-H "Authorization: Bearer [redacted]"', "T") == (
        '-H "Authorization: Bearer $T"'
    )


def _result(results: Path, full_name: str, name: str, status: str, message: str = "") -> Path:
    path = results / f"{full_name.replace('#', '-')}-result.json"
    body: dict[str, Any] = {
        "fullName": full_name,
        "name": name,
        "status": status,
        "labels": [],
        "statusDetails": {
            "message": message,
            "trace": message + "\nReproduce with: curl -H 'Authorization: [redacted]' http://h/x",
        },
    }
    path.write_text(json.dumps(body), encoding="utf-8")
    return path


def _read(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def test_allure_results_finished(tmp_path: Path) -> None:
    failed = _result(tmp_path, "test_currency#test_x", "test_x[USD]", "failed", "Failed: GET …")
    gap = _result(tmp_path, "test_spec_gaps#test_gap", "test_gap[lower]", "passed")
    fuzz = _result(
        tmp_path, "test_fuzz#test_fuzz_positive", "test_fuzz_positive[GET /x]", "failed", "Group"
    )
    container = tmp_path / "c-container.json"
    container.write_text(
        json.dumps(
            {
                "befores": [{"name": "api", "status": "passed"}],
                "afters": [{"name": "api::<lambda>"}, {"name": "http::1", "status": "broken"}],
            }
        ),
        encoding="utf-8",
    )
    assert finish_allure(tmp_path, RECORDS, "OMS_TOKEN", REPRO) == 3

    one = _read(failed)
    assert one["statusDetails"]["message"] == FAILED["reason"].removeprefix("Failed: ")
    assert {"name": "rule", "value": "currency.echo"} in one["labels"]
    assert "Reproduce:" not in one["statusDetails"]["trace"]

    two = _read(gap)
    assert two["status"] == "skipped"
    assert two["statusDetails"]["message"] == "Spec gap: usd answers 400"

    three = _read(fuzz)  # schemathesis adds "[GET /x]" to the Allure name
    assert three["statusDetails"]["message"].startswith("[response.schema] ")
    assert three["statusDetails"]["trace"].startswith(f"Reproduce: {REPRO}\n")
    assert '"Authorization: Bearer $OMS_TOKEN"' in three["statusDetails"]["trace"]

    fixtures = _read(container)
    assert fixtures["befores"] == []
    assert fixtures["afters"] == [{"name": "http::1", "status": "broken"}]


JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="conformance" tests="3" failures="2" errors="0" skipped="0">
<testcase classname="test_currency" name="test_x[USD]"><failure message="GET … -&gt; 200: x">
trace</failure></testcase>
<testcase classname="test_spec_gaps" name="test_gap[lower]" />
<testcase classname="test_fuzz" name="test_fuzz_positive"><failure message="+ Exception Group
Traceback">Reproduce with: curl -H 'Authorization: [redacted]' x</failure></testcase>
</testsuite></testsuites>
"""


def test_junit_finished(tmp_path: Path) -> None:
    path = tmp_path / "junit.xml"
    path.write_text(JUNIT, encoding="utf-8")
    finish_junit(path, RECORDS, "OMS_TOKEN", REPRO)
    root = ET.parse(path).getroot()
    cases = {c.get("name"): c for c in root.iter("testcase")}
    failure = cases["test_currency.py::test_x[USD]"].find("failure")
    assert failure is not None
    assert failure.get("message", "").startswith("[currency.echo] EUR, not USD")
    assert failure.get("type") == "currency.echo"
    skipped = cases["test_spec_gaps.py::test_gap[lower]"].find("skipped")
    assert skipped is not None
    assert skipped.get("type") == "spec-gap"
    assert skipped.get("message") == "Spec gap: usd answers 400"
    fuzz = cases["test_fuzz.py::test_fuzz_positive"].find("failure")
    assert fuzz is not None
    assert "Traceback" not in fuzz.get("message", "")
    assert (fuzz.text or "").startswith(f"Reproduce: {REPRO}\n")
    assert "$OMS_TOKEN" in (fuzz.text or "")


def test_junit_cases_are_grouped_by_the_area_their_verdict_counts_in(tmp_path: Path) -> None:
    path = tmp_path / "junit.xml"
    path.write_text(JUNIT, encoding="utf-8")
    finish_junit(path, RECORDS, "OMS_TOKEN", REPRO)
    root = ET.parse(path).getroot()
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    # reading order of the areas; the fuzz failure counts in the area of its rule
    assert list(suites) == ["currency", "response", "spec-gaps"]
    for name, suite in suites.items():
        assert {c.get("classname") for c in suite.iter("testcase")} == {name}
        assert suite.get("tests") == "1"
    assert suites["currency"].get("failures") == "1"
    assert suites["response"].get("failures") == "1"
    assert suites["spec-gaps"].get("skipped") == "1"
    gap = suites["spec-gaps"].find("properties/property")
    assert gap is not None
    assert (gap.get("name"), gap.get("value")) == ("spec_gap", "usd answers 400")
    assert (root.get("tests"), root.get("failures"), root.get("skipped")) == ("3", "2", "1")


def test_without_records_the_files_stay_as_pytest_wrote_them(tmp_path: Path) -> None:
    path = tmp_path / "junit.xml"
    path.write_text(JUNIT, encoding="utf-8")
    finish_outputs(tmp_path / "missing.json", tmp_path, path, token_env="OMS_TOKEN")
    assert path.read_text(encoding="utf-8") == JUNIT
