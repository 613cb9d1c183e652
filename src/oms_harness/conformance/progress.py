"""A pytest plugin for the conformance subprocess: progress records, and its lifeline.

Instead of pytest's dots the harness shows one line at most every 5 s: tests done of the
total, failures so far. The plugin prints a JSON record with :data:`PREFIX`; the runner
turns it into the line (and hides pytest's progress dots). It also ties the subprocess to
the harness (:func:`oms_harness.lifeline.watch_parent`): if the harness dies, pytest stops
instead of fuzzing the target on its own.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from .. import lifeline

PREFIX = "oms-harness-conformance-progress: "
INTERVAL_S = 5.0

_STATE: dict[str, Any] = {"total": 0, "done": 0, "failed": set(), "last": 0.0, "config": None}


def pytest_configure(config: pytest.Config) -> None:
    lifeline.watch_parent()
    _STATE.update(total=0, done=0, failed=set(), last=time.monotonic(), config=config)


def pytest_collection_finish(session: pytest.Session) -> None:
    _STATE["total"] = len(session.items)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.failed:
        _STATE["failed"].add(report.nodeid)
    if report.when != "teardown":
        return
    _STATE["done"] += 1
    now = time.monotonic()
    if now - _STATE["last"] >= INTERVAL_S:
        _STATE["last"] = now
        _emit()


def pytest_sessionfinish(session: pytest.Session) -> None:
    _emit()


def record() -> dict[str, int]:
    return {"done": _STATE["done"], "total": _STATE["total"], "failed": len(_STATE["failed"])}


def _emit() -> None:
    config = _STATE["config"]
    reporter = config.pluginmanager.get_plugin("terminalreporter") if config else None
    text = PREFIX + json.dumps(record(), separators=(",", ":"))
    if reporter is not None:
        reporter.write_line(text)
    else:  # pragma: no cover - pytest always has a terminal reporter unless -p no:terminal
        print(text, flush=True)


def split(line: str) -> tuple[str, dict[str, int] | None]:
    """(the text before a progress record, the record) of an output line; pytest may have
    written dots before it on the same line. ``(line, None)`` for any other line."""
    start = line.find(PREFIX)
    if start < 0:
        return line, None
    try:
        data = json.loads(line[start + len(PREFIX) :])
    except ValueError:
        return line, None
    if not isinstance(data, dict):
        return line, None
    return line[:start].strip(), data


def format_line(data: dict[str, int]) -> str:
    return (
        f"  conformance: {data.get('done', 0)}/{data.get('total', 0)} tests done, "
        f"{data.get('failed', 0)} failed so far"
    )
