"""pytest plugin loaded into the conformance subprocess (``-p oms_harness.conformance.plugin``).

It does two jobs the suites must not each repeat: it redacts every failure report before
JUnit, Allure or the terminal sees it, and it writes a compact JSON results file (outcome,
area, one-line reason, the rule ids a failure names, spec-gap findings per test) that the
runner turns into its summary. A failure's area is that of the first rule it names.

Reasons come from the exception itself where it is known: a schemathesis ``FailureGroup``
gives its failures' codes, titles and first detail lines; a transport error (connection
refused or reset, a timeout) marks the test ``unavailable``: the target stopped answering,
which is not a contract violation.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
import urllib3.exceptions

from ..contract.registry import SCHEMATHESIS_CHECK_PREFIX, rule_ids_in
from ..redaction import Redactor
from .allure_io import SPEC_GAP_PROPERTY
from .areas import area_of
from .target import ENV_RESULTS, ENV_TOKEN

_RESULTS: dict[str, dict[str, Any]] = {}
"""nodeid -> outcome record; one pytest session per process, so module state is the run."""
_FROM_EXCEPTION: dict[str, tuple[str, bool]] = {}
"""nodeid -> (reason, unavailable) taken from the exception in ``pytest_runtest_makereport``."""
_REDACTOR = Redactor([os.environ.get(ENV_TOKEN)])
_REASON_LIMIT = 300
SPEC_GAPS_KEY = pytest.StashKey[list[str]]()
"""Where ``record_spec_gap`` keeps a test's findings (not ``user_properties``: under
``junit_family=xunit2`` those become ``<properties>`` a testcase may not have)."""
UNREACHABLE = "target became unreachable"
UNFINISHED = "unfinished"
"""A test whose call phase never reported (the run was interrupted): not a pass."""
STOP_AFTER_UNANSWERED = 3
"""Consecutive tests the target did not answer before the session stops: a dead target
would otherwise cost every remaining test its connect (or 15 s read) timeout."""
_STATE = {"unanswered": 0}
_SESSION: list[pytest.Session] = []
_STATUS_LINE = re.compile(r"^\[\d{3}\]")
_FAILURE_CODE = re.compile(r"^ST\d{3} ")

TRANSPORT_ERRORS: tuple[type[BaseException], ...] = (
    httpx.TransportError,
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    requests.exceptions.ChunkedEncodingError,
    urllib3.exceptions.NewConnectionError,
    urllib3.exceptions.ProtocolError,
    urllib3.exceptions.TimeoutError,
    ConnectionError,  # refused, reset, aborted, broken pipe
    TimeoutError,
)
"""The target did not answer (the suites use httpx, schemathesis uses requests/urllib3)."""
_TIMEOUTS: tuple[type[BaseException], ...] = (
    httpx.TimeoutException,
    requests.exceptions.Timeout,
    urllib3.exceptions.TimeoutError,
    TimeoutError,
)


def pytest_configure(config: pytest.Config) -> None:
    _RESULTS.clear()
    _FROM_EXCEPTION.clear()
    _STATE["unanswered"] = 0


def pytest_sessionstart(session: pytest.Session) -> None:
    _SESSION[:] = [session]


def _count_unanswered(unanswered: bool) -> None:
    """Stop the session once the target has not answered several tests in a row."""
    _STATE["unanswered"] = _STATE["unanswered"] + 1 if unanswered else 0
    if _STATE["unanswered"] >= STOP_AFTER_UNANSWERED and _SESSION:
        _SESSION[0].shouldstop = f"the target did not answer {STOP_AFTER_UNANSWERED} tests in a row"


def record_spec_gap(node: pytest.Item, finding: str) -> None:
    """Count the running test as a spec-gap finding (read back in the results file)."""
    node.stash.setdefault(SPEC_GAPS_KEY, []).append(finding)


def _exception_tree(exc: BaseException) -> Iterator[BaseException]:
    """``exc``, its group members, causes, contexts and wrapped errors (each once)."""
    seen: set[int] = set()
    pending = [exc]
    while pending:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        if isinstance(current, BaseExceptionGroup):
            pending.extend(current.exceptions)
        pending.extend(e for e in (current.__cause__, current.__context__) if e is not None)
        # requests wraps urllib3's MaxRetryError in args; MaxRetryError keeps ``reason``.
        pending.extend(a for a in current.args if isinstance(a, BaseException))
        reason = getattr(current, "reason", None)
        if isinstance(reason, BaseException):
            pending.append(reason)


def _is_verdict(exc: BaseException) -> bool:
    """An assertion or ``pytest.fail``: the suite judged an answer, the target did answer."""
    return isinstance(exc, AssertionError | pytest.fail.Exception)


def unavailable_reason(exc: BaseException) -> str | None:
    """``target became unreachable: connection refused (ConnectError)``, or None when the
    error is not a transport failure (or a verdict on an answer came with it)."""
    tree = list(_exception_tree(exc))
    if any(_is_verdict(e) for e in tree):
        return None
    transport = [e for e in tree if isinstance(e, TRANSPORT_ERRORS)]
    if not transport:
        return None
    first = transport[0]
    os_errors = [e for e in tree if isinstance(e, OSError) and e.strerror]
    if os_errors:  # before timeouts: urllib3's NewConnectionError is a ConnectTimeoutError
        what = str(os_errors[-1].strerror).lower()
    elif any(isinstance(e, _TIMEOUTS) for e in tree):
        what = "no answer within the request timeout"
    else:
        what = (_one_line(str(first)) if str(first).strip() else "") or "the connection failed"
    return _REDACTOR(f"{UNREACHABLE}: {what} ({type(first).__name__})")[:_REASON_LIMIT]


def _schemathesis_failures(exc: BaseException) -> str:
    """One part per failure, `` | ``-joined, contract rules first: ``[rule] cause`` for the
    contract check, ``[schemathesis.<check>] title: detail`` for a built-in check; so the
    reason starts with a rule id like every other failure's. Empty when none is found."""
    from schemathesis.core.failures import Failure

    contract: list[str] = []
    builtin: list[str] = []
    for found in _exception_tree(exc):
        if isinstance(found, Failure):
            detail = next((ln.strip() for ln in found.message.splitlines() if ln.strip()), "")
            if detail.startswith("["):  # our contract check: already "[rule] cause"
                part, into = detail, contract
            else:
                name = found.checks[0] if found.checks else found.code.lower()
                part = f"[{SCHEMATHESIS_CHECK_PREFIX}{name}] {found.title}" + (
                    f": {detail}" if detail else ""
                )
                into = builtin
            part = " ".join(part.split())
            if part not in contract + builtin:
                into.append(part)
    return _REDACTOR(" | ".join(contract + builtin))[:_REASON_LIMIT]


def _one_line(text: str) -> str:
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("E "):
            line = line[2:].strip()
        if line and not line.startswith(("def ", "@", ">", "Traceback")):
            return line[:_REASON_LIMIT]
    return text.strip()[:_REASON_LIMIT]


def _schemathesis_reason(text: str) -> str | None:
    """The same reason from a FailureGroup's text, when the exception itself is gone."""
    lines = [line.strip().lstrip("|+- ") for line in text.splitlines()]
    for index, line in enumerate(lines):
        if "Schemathesis found" in line:
            parts: list[list[str]] = []  # [title] or [title, first detail line]
            for follow in lines[index + 1 :]:
                if _STATUS_LINE.match(follow) or follow.startswith(("Reproduce", "curl")):
                    break
                if _FAILURE_CODE.match(follow) or (follow and not parts):
                    parts.append([follow])
                elif follow and len(parts[-1]) == 1:
                    parts[-1].append(follow)
            found = " | ".join(": ".join(p) for p in parts) if parts else line
            return found[:_REASON_LIMIT]
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
    """Innermost wrapper: take the reason from the exception, and redact before
    allure/junit/terminal read the report."""
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    if report.failed and call.excinfo is not None and report.nodeid not in _FROM_EXCEPTION:
        error = call.excinfo.value
        unreachable = unavailable_reason(error)
        if unreachable is not None:
            _FROM_EXCEPTION[report.nodeid] = (unreachable, True)
        elif found := _schemathesis_failures(error):
            _FROM_EXCEPTION[report.nodeid] = (found, False)
    gaps = item.stash.get(SPEC_GAPS_KEY, [])
    if gaps and call.when == "call":
        entry = _entry(report.nodeid)
        entry["spec_gaps"] += [g for g in map(_REDACTOR, gaps) if g not in entry["spec_gaps"]]
    if report.longrepr is not None and not isinstance(report.longrepr, tuple):
        report.longrepr = _REDACTOR(str(report.longrepr))
    report.sections = [(title, _REDACTOR(content)) for title, content in report.sections]


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.longrepr is not None and not isinstance(report.longrepr, tuple | str):
        report.longrepr = _REDACTOR(str(report.longrepr))
    elif isinstance(report.longrepr, str):
        report.longrepr = _REDACTOR(report.longrepr)
    entry = _entry(report.nodeid)
    for name, value in report.user_properties:  # suites written with record_property
        if name == SPEC_GAP_PROPERTY and _REDACTOR(str(value)) not in entry["spec_gaps"]:
            entry["spec_gaps"].append(_REDACTOR(str(value)))
    if report.failed:
        if entry["outcome"] != "failed":
            entry["outcome"] = "failed"
            reason, unavailable = _FROM_EXCEPTION.get(report.nodeid) or (_reason(report), False)
            entry["reason"] = reason
            entry["unavailable"] = unavailable
            if not unavailable and report.longrepr is not None:
                entry["rules"] = rule_ids_in(str(report.longrepr))
                entry["area"] = area_of(report.nodeid, entry["rules"])
            if report.when != "call" and not unavailable:
                entry["reason"] = f"{report.when} error: {entry['reason']}"
            _count_unanswered(unavailable)
    elif report.when == "call" and report.passed:
        entry["outcome"] = "passed"
        _count_unanswered(False)
    elif report.skipped and entry["outcome"] in (UNFINISHED, "passed"):
        entry["outcome"] = "skipped"
        entry["reason"] = _reason(report)


def _entry(nodeid: str) -> dict[str, Any]:
    return _RESULTS.setdefault(
        nodeid,
        {
            "nodeid": nodeid,
            "area": area_of(nodeid),
            "outcome": UNFINISHED,
            "reason": "",
            "spec_gaps": [],
            "unavailable": False,
            "rules": [],
        },
    )


def pytest_collectreport(report: pytest.CollectReport) -> None:
    if not report.failed:
        return
    _RESULTS[report.nodeid or "<collection>"] = {
        "nodeid": report.nodeid or "<collection>",
        "area": area_of(report.nodeid),
        "outcome": "failed",
        "reason": f"collection error: {_reason(report)}",
        "spec_gaps": [],
        "unavailable": False,
        "rules": [],
    }


def pytest_sessionfinish(session: pytest.Session) -> None:
    path = os.environ.get(ENV_RESULTS)
    if not path:
        return
    Path(path).write_text(
        json.dumps({"tests": list(_RESULTS.values())}, indent=1), encoding="utf-8"
    )
