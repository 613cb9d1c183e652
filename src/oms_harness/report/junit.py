"""``reports/junit.xml``: every check of the gate, for any CI that reads JUnit.

The conformance runner's JUnit file is merged as it is (already one ``testsuite`` per area,
see :func:`oms_harness.conformance.result_files.group_by_area`); the load SLOs and
generator health become a ``load`` suite, and a phase that could not run becomes an
``<error>`` case, so a CI never sees "0 tests, green".
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from ..contract import registry
from ..contract.registry import check_name
from .model import GateVerdict, slo_status
from .secrets import Secrets


def _suites_from(path: Path | None) -> list[ET.Element] | None:
    """The ``testsuite`` elements of a pytest JUnit file; None when absent or unreadable."""
    if path is None or not path.is_file():
        return None
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        root = ET.fromstring(text)  # noqa: S314  (our own pytest output)
    except ET.ParseError:
        return None
    return [root] if root.tag == "testsuite" else list(root.iter("testsuite"))


def _synthesised_suite(verdict: GateVerdict) -> ET.Element | None:
    """Without a readable conformance JUnit file: one case per area, one per failure (in the
    area of its rule, like the verdict counts it)."""
    conformance = verdict.conformance
    if conformance is None:
        return None
    suite = ET.Element("testsuite", name="conformance")
    for row in conformance.rows:
        case = ET.SubElement(suite, "testcase", classname=row.area, name=row.area, time="0")
        if row.passed == 0 and row.failed == 0 and row.skipped:
            ET.SubElement(case, "skipped", message=f"{row.skipped} skipped")
    for test_id, reason in conformance.failures:
        rule = check_name(reason)
        area = registry.area_of(rule) if rule in registry.RULES else "conformance"
        case = ET.SubElement(suite, "testcase", classname=area, name=test_id, time="0")
        ET.SubElement(case, "failure", message=reason, type=rule).text = reason
    cases = list(suite.iter("testcase"))
    suite.set("tests", str(len(cases)))
    suite.set("failures", str(len(conformance.failures)))
    suite.set("errors", "0")
    suite.set("skipped", str(sum(1 for c in cases if c.find("skipped") is not None)))
    return suite


def _count(suite: ET.Element, name: str) -> int:
    try:
        return int(suite.get(name, "0"))
    except ValueError:
        return 0


def _load_suite(verdict: GateVerdict) -> ET.Element | None:
    load = verdict.load
    if load is None:
        return None
    suite = ET.Element("testsuite", name=f"load.{load.scenario}")
    failures = errors = 0
    for slo in load.slos:
        case = ET.SubElement(
            suite, "testcase", classname=f"load.{load.scenario}.slo", name=slo.name, time="0"
        )
        status, message = slo_status(slo, load.generator_bound)
        if status == "failed":
            failures += 1
            ET.SubElement(case, "failure", message=message, type="SLOBreach").text = message
        elif status == "broken":
            errors += 1
            ET.SubElement(case, "error", message=message, type="NotJudged").text = message
    health = ET.SubElement(
        suite,
        "testcase",
        classname=f"load.{load.scenario}",
        name="generator_health",
        time="0",
    )
    if load.generator_bound:
        errors += 1
        text = (
            f"Generator-bound: achieved {load.achieved_rps:.1f} of {load.target_rps:g} req/s; "
            "the figures cannot be trusted"
        )
        ET.SubElement(health, "error", message=text, type="GeneratorBound").text = text
    suite.set("tests", str(len(load.slos) + 1))
    suite.set("failures", str(failures))
    suite.set("errors", str(errors))
    suite.set("skipped", "0")
    return suite


def _problem_suite(verdict: GateVerdict) -> ET.Element | None:
    if verdict.problem is None:
        return None
    suite = ET.Element("testsuite", name="gate", tests="1", failures="0", errors="1", skipped="0")
    case = ET.SubElement(suite, "testcase", classname="gate", name="gate_completed", time="0")
    error = ET.SubElement(case, "error", message=verdict.problem, type="GateStopped")
    error.text = verdict.problem
    return suite


def _skipped_load_suite(verdict: GateVerdict) -> ET.Element | None:
    if verdict.load is not None or verdict.load_skipped is None:
        return None
    suite = ET.Element("testsuite", name="load", tests="1", failures="0", errors="0", skipped="1")
    case = ET.SubElement(suite, "testcase", classname="load", name="slos", time="0")
    ET.SubElement(case, "skipped", message=verdict.load_skipped)
    return suite


def write_junit(
    path: Path, verdict: GateVerdict, conformance_junit: Path | None, secrets: Secrets
) -> Path:
    """Write the merged JUnit file; every text passes through the redactor."""
    root = ET.Element("testsuites", name="oms-harness gate")
    suites = _suites_from(conformance_junit)
    if suites is None:
        synthesised = _synthesised_suite(verdict)
        suites = [synthesised] if synthesised is not None else []
    for extra in (_problem_suite(verdict), _load_suite(verdict), _skipped_load_suite(verdict)):
        if extra is not None:
            suites.append(extra)
    for suite in suites:
        root.append(suite)
    for name in ("tests", "failures", "errors", "skipped"):
        root.set(name, str(sum(_count(s, name) for s in suites)))
    root.set("time", f"{verdict.elapsed_s:.3f}")
    _scrub_tree(root, secrets)
    ET.indent(root)
    text = ET.tostring(root, encoding="unicode", xml_declaration=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n", encoding="utf-8")
    return path


def _scrub_tree(root: ET.Element, secrets: Secrets) -> None:
    """Redact every attribute and text node (before serialising, so the XML stays valid)."""
    for element in root.iter():
        for key, value in element.attrib.items():
            element.set(key, secrets.scrub(value))
        if element.text:
            element.text = secrets.scrub(element.text)
        if element.tail:
            element.tail = secrets.scrub(element.tail)
