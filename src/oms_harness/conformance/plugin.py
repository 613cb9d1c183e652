"""pytest plugin loaded into the conformance subprocess (``-p oms_harness.conformance.plugin``).

It does two jobs the suites must not each repeat: it redacts every failure report before
JUnit, Allure or the terminal sees it, and it writes a compact JSON results file (outcome,
area, one-line reason, spec-gap findings per test) that the runner turns into its summary.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from ..redaction import Redactor
from .allure_io import SPEC_GAP_PROPERTY
from .areas import area_of
from .target import ENV_RESULTS, ENV_TOKEN

_RESULTS: dict[str, dict[str, Any]] = {}
"""nodeid -> outcome record; one pytest session per process, so module state is the run."""
_REDACTOR = Redactor([os.environ.get(ENV_TOKEN)])
_REASON_LIMIT = 300


def pytest_configure(config: pytest.Config) -> None:
    _RESULTS.clear()


def _one_line(text: str) -> str:
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("E "):
            line = line[2:].strip()
        if line and not line.startswith(("def ", "@", ">", "Traceback")):
            return line[:_REASON_LIMIT]
    return text.strip()[:_REASON_LIMIT]


def _schemathesis_reason(text: str) -> str | None:
    """``ST901 Custom check failed: `x`: <first detail line>`` from a FailureGroup report."""
    lines = [line.strip().lstrip("|+-").strip() for line in text.splitlines()]
    for index, line in enumerate(lines):
        if line.startswith("Schemathesis found"):
            titles = []
            for follow in lines[index + 1 :]:
                if follow.startswith(("[", "Reproduce", "curl")):
                    break
                if follow:
                    titles.append(follow)
            return " | ".join(titles)[:_REASON_LIMIT] if titles else line
    return None


def _reason(report: pytest.TestReport | pytest.CollectReport) -> str:
    longrepr = report.longrepr
    if longrepr is None:
        return ""
    if isinstance(longrepr, tuple):  # skip: (path, lineno, reason)
        return _REDACTOR(str(longrepr[2])).removeprefix("Skipped: ")
    found = _schemathesis_reason(_REDACTOR(str(longrepr)))
    if found:
        return found
    crash = getattr(longrepr, "reprcrash", None)
    message = getattr(crash, "message", None)
    if isinstance(message, str) and message:
        return _one_line(_REDACTOR(message))
    return _one_line(_REDACTOR(str(longrepr)))


@pytest.hookimpl(hookwrapper=True, trylast=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Innermost wrapper: redact before allure/junit/terminal read the report."""
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    if report.longrepr is not None and not isinstance(report.longrepr, tuple):
        report.longrepr = _REDACTOR(str(report.longrepr))
    report.sections = [(title, _REDACTOR(content)) for title, content in report.sections]


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.longrepr is not None and not isinstance(report.longrepr, tuple | str):
        report.longrepr = _REDACTOR(str(report.longrepr))
    elif isinstance(report.longrepr, str):
        report.longrepr = _REDACTOR(report.longrepr)
    entry = _RESULTS.setdefault(
        report.nodeid,
        {
            "nodeid": report.nodeid,
            "area": area_of(report.nodeid),
            "outcome": "passed",
            "reason": "",
            "spec_gaps": [],
        },
    )
    for name, value in report.user_properties:
        if name == SPEC_GAP_PROPERTY and str(value) not in entry["spec_gaps"]:
            entry["spec_gaps"].append(_REDACTOR(str(value)))
    if report.failed:
        if entry["outcome"] != "failed":
            entry["outcome"] = "failed"
            entry["reason"] = _reason(report)
            if report.when != "call":
                entry["reason"] = f"{report.when} error: {entry['reason']}"
    elif report.skipped and entry["outcome"] == "passed":
        entry["outcome"] = "skipped"
        entry["reason"] = _reason(report)


def pytest_collectreport(report: pytest.CollectReport) -> None:
    if not report.failed:
        return
    _RESULTS[report.nodeid or "<collection>"] = {
        "nodeid": report.nodeid or "<collection>",
        "area": area_of(report.nodeid),
        "outcome": "failed",
        "reason": f"collection error: {_reason(report)}",
        "spec_gaps": [],
    }


def pytest_sessionfinish(session: pytest.Session) -> None:
    path = os.environ.get(ENV_RESULTS)
    if not path:
        return
    Path(path).write_text(
        json.dumps({"tests": list(_RESULTS.values())}, indent=1), encoding="utf-8"
    )
