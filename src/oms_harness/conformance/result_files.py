"""Finish the Allure and JUnit files of one conformance run for a reviewer.

allure-pytest and pytest's JUnit writer know nothing of rules or spec gaps, so after the
run each result is rewritten from the plugin's records (nodeid -> outcome, short reason,
spec gaps):

* a failure's message is its short cause, which starts with the rule id; the result gets a
  ``rule`` label (the categories group by it) and keeps its full text as the trace;
* a spec-gap probe is ``skipped`` with ``Spec gap: <finding>`` as its message, so no
  overview counts it as passed; JUnit gets the same ``<skipped type="spec-gap">``;
* the pasted curl of a fuzz case sends ``$OMS_TOKEN`` (the variable's name), not a redacted
  placeholder that cannot run;
* JUnit cases are regrouped into one ``testsuite`` per area, named like the verdict's rows;
* fixture set-up and tear-down steps that passed (or never reported a status, shown as
  "unknown") are dropped: only a fixture that broke is worth a reviewer's look.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..contract.registry import check_name
from ..redaction import REDACTED
from ..report.allure import RULE_LABEL
from .allure_io import SPEC_GAP_PROPERTY
from .areas import AREA_ORDER, area_of

SPEC_GAP_PREFIX = "Spec gap: "
SPEC_GAP_TYPE = "spec-gap"
_CURL_AUTH = re.compile(
    r"""(['"]?)Authorization: (?:Bearer )?(?:\[redacted\]|\[Filtered\])\1""", re.IGNORECASE
)


def nodeid_of(full_name: str, name: str) -> str:
    """allure-pytest's ``pkg.test_mod#test_x`` + ``test_x[p]`` -> ``pkg/test_mod.py::test_x[p]``."""
    module, _, function = full_name.partition("#")
    classes = function.split(".")[:-1]
    return "::".join([module.replace(".", "/") + ".py", *classes, name])


def junit_nodeid(classname: str, name: str) -> str:
    """pytest's JUnit ``classname="pkg.test_mod.Class"`` + ``name`` -> the nodeid."""
    parts = classname.split(".")
    split = next((i for i, p in enumerate(parts) if p.startswith("test_")), len(parts) - 1)
    module = "/".join(parts[: split + 1]) + ".py"
    return "::".join([module, *parts[split + 1 :], name])


def pasteable_curl(text: str, token_env: str) -> str:
    """Curl lines that send ``$TOKEN_ENV`` where the token was redacted."""
    return _CURL_AUTH.sub(f'"Authorization: Bearer ${token_env}"', text)


def short_cause(reason: str) -> str:
    """The reason without pytest's ``Failed:`` prefix."""
    return reason.removeprefix("Failed: ").strip()


def records_by_nodeid(tests: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {str(t.get("nodeid")): t for t in tests}


def finish_allure(
    alluredir: Path, records: Mapping[str, Mapping[str, Any]], token_env: str, repro: str = ""
) -> int:
    """Rewrite this run's results and containers in ``alluredir``; returns results changed."""
    changed = 0
    for path in sorted(alluredir.glob("*-result.json")):
        result = json.loads(path.read_text(encoding="utf-8"))
        record = _record_of(records, str(result.get("fullName", "")), str(result.get("name")))
        if record is None or not _finish_result(result, record, token_env, repro):
            continue
        path.write_text(json.dumps(result), encoding="utf-8")
        changed += 1
    for path in sorted(alluredir.glob("*-container.json")):
        _drop_fixture_noise(path)
    return changed


def _record_of(
    records: Mapping[str, Mapping[str, Any]], full_name: str, name: str
) -> Mapping[str, Any] | None:
    """The plugin's record of an Allure result; schemathesis adds ``[GET /path]`` to the
    Allure name of a test whose pytest nodeid has no parameters."""
    found = records.get(nodeid_of(full_name, name))
    if found is None and "[" in name:
        found = records.get(nodeid_of(full_name, name.split("[", 1)[0]))
    return found


def reproduce_line(nodeid: str, repro: str) -> str:
    """``Reproduce: <command>`` for a fuzz test (empty for the others)."""
    return f"Reproduce: {repro}\n\n" if repro and area_of(nodeid) == "fuzz" else ""


def _finish_result(
    result: dict[str, Any], record: Mapping[str, Any], token_env: str, repro: str
) -> bool:
    details = result.setdefault("statusDetails", {})
    gaps = [str(g) for g in record.get("spec_gaps", [])]
    if record.get("outcome") == "failed" and not record.get("unavailable"):
        cause = short_cause(str(record.get("reason", "")))
        trace = str(details.get("trace") or details.get("message") or "")
        details["message"] = cause
        details["trace"] = reproduce_line(str(record.get("nodeid")), repro) + pasteable_curl(
            trace, token_env
        )
        labels = [lb for lb in result.get("labels", []) if lb.get("name") != RULE_LABEL]
        labels.append({"name": RULE_LABEL, "value": check_name(cause)})
        result["labels"] = labels
        return True
    if record.get("outcome") == "passed" and gaps:
        result["status"] = "skipped"
        details["message"] = SPEC_GAP_PREFIX + "; ".join(gaps)
        return True
    if "trace" in details and REDACTED in str(details["trace"]):
        details["trace"] = pasteable_curl(str(details["trace"]), token_env)
        return True
    return False


def _drop_fixture_noise(path: Path) -> None:
    container = json.loads(path.read_text(encoding="utf-8"))
    kept = {}
    for key in ("befores", "afters"):
        fixtures = container.get(key, [])
        kept[key] = [f for f in fixtures if f.get("status") in ("failed", "broken")]
    if kept == {k: container.get(k, []) for k in kept}:
        return
    container.update(kept)
    path.write_text(json.dumps(container), encoding="utf-8")


def finish_junit(
    junit: Path, records: Mapping[str, Mapping[str, Any]], token_env: str, repro: str = ""
) -> None:
    """Short causes as failure messages, spec gaps as ``<skipped type="spec-gap">``, and the
    cases regrouped into one ``testsuite`` per area (see :func:`group_by_area`)."""
    try:
        tree = ET.parse(junit)  # noqa: S314  (pytest's own output)
    except (OSError, ET.ParseError):
        return
    root = tree.getroot()
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    placed: list[tuple[str, ET.Element]] = []
    for suite in suites:
        for case in suite.iter("testcase"):
            nodeid = junit_nodeid(case.get("classname", ""), case.get("name", ""))
            record = records.get(nodeid)
            placed.append((nodeid, case))
            if record is None:
                continue
            gaps = [str(g) for g in record.get("spec_gaps", [])]
            failure = case.find("failure")
            if failure is not None and record.get("outcome") == "failed":
                failure.set("message", short_cause(str(record.get("reason", ""))))
                failure.set("type", check_name(str(record.get("reason", ""))))
                text = pasteable_curl(failure.text or "", token_env)
                failure.text = reproduce_line(nodeid, repro) + text
            elif record.get("outcome") == "passed" and gaps and case.find("skipped") is None:
                message = SPEC_GAP_PREFIX + "; ".join(gaps)
                ET.SubElement(case, "skipped", type=SPEC_GAP_TYPE, message=message)
    template = suites[0] if suites else ET.Element("testsuite")
    grouped = group_by_area(placed, records, template)
    ET.indent(grouped)
    ET.ElementTree(grouped).write(junit, encoding="utf-8", xml_declaration=True)


def group_by_area(
    cases: list[tuple[str, ET.Element]],
    records: Mapping[str, Mapping[str, Any]],
    template: ET.Element,
) -> ET.Element:
    """``<testsuites>`` with one ``<testsuite name=AREA>`` per area, in reading order.

    A case's area is the one the verdict counts it in (the area of the first rule its
    failure broke, else its suite's: the plugin's record), so each suite's counts are the
    area's row in the CLI table, ``summary.md`` and ``verdict.json``. Each case keeps its
    nodeid as ``name`` (as the terminal names it) with the area as ``classname``; each suite
    carries the spec gaps found in it as ``spec_gap`` properties.
    """
    by_area: dict[str, list[ET.Element]] = {}
    gaps: dict[str, list[str]] = {}
    for nodeid, case in cases:
        record = records.get(nodeid)
        area = str(record.get("area")) if record and record.get("area") else area_of(nodeid)
        case.set("classname", area)
        case.set("name", nodeid)
        by_area.setdefault(area, []).append(case)
        if record is not None:
            gaps.setdefault(area, []).extend(str(g) for g in record.get("spec_gaps", []))
    order = [a for a in AREA_ORDER if a in by_area] + sorted(set(by_area) - set(AREA_ORDER))
    root = ET.Element("testsuites", name=template.get("name", "conformance"))
    for area in order:
        suite = ET.SubElement(root, "testsuite", name=area)
        for key in ("timestamp", "hostname"):
            if template.get(key):
                suite.set(key, str(template.get(key)))
        if gaps.get(area):
            properties = ET.SubElement(suite, "properties")
            for finding in dict.fromkeys(gaps[area]):
                ET.SubElement(properties, "property", name=SPEC_GAP_PROPERTY, value=finding)
        members = by_area[area]
        suite.extend(members)
        suite.set("tests", str(len(members)))
        suite.set("failures", str(sum(1 for c in members if c.find("failure") is not None)))
        suite.set("errors", str(sum(1 for c in members if c.find("error") is not None)))
        suite.set("skipped", str(sum(1 for c in members if c.find("skipped") is not None)))
        suite.set("time", f"{sum(_seconds(c) for c in members):.3f}")
    for name in ("tests", "failures", "errors", "skipped"):
        root.set(name, str(sum(int(s.get(name, "0")) for s in root)))
    return root


def _seconds(case: ET.Element) -> float:
    try:
        return float(case.get("time", "0"))
    except ValueError:
        return 0.0


def finish_outputs(
    results_file: Path,
    alluredir: Path | None,
    junit: Path | None,
    *,
    token_env: str,
    repro: str = "",
) -> None:
    """Apply :func:`finish_allure` and :func:`finish_junit` from the plugin's results file."""
    try:
        data = json.loads(results_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return  # no records (pytest crashed): the files stay as pytest wrote them
    tests = data.get("tests", []) if isinstance(data, dict) else []
    records = records_by_nodeid([t for t in tests if isinstance(t, dict)])
    if alluredir is not None and alluredir.is_dir():
        finish_allure(alluredir, records, token_env, repro)
    if junit is not None and junit.is_file():
        finish_junit(junit, records, token_env, repro)
