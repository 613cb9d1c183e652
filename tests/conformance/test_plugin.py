"""The results plugin: outcomes, spec gaps and one-line reasons; no token in any report."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import jwt

TOKEN = jwt.encode({"sub": "plugin-test"}, "harness-test-signing-key-32-bytes!", algorithm="HS256")
"""A real JWT, minted at import (deterministic for xdist): no token text is committed."""

SUITE = f"""
import pytest

def test_passes():
    pass

def test_fails_mentioning_the_token():
    assert False, "the server rejected Bearer {TOKEN}"

def test_skips():
    pytest.skip("profile has no `empty` customer")

def test_spec_gap(request):
    from oms_harness.conformance.plugin import record_spec_gap

    record_spec_gap(request.node, "XYZ answers 400")

def test_breaks_a_decimal_rule():
    pytest.fail("GET /x -> 200: [decimal.consistent-places] '2400.3' has 1; [made.up] x",
                pytrace=False)
"""

OUTAGE = """
import httpx

def test_answered():
    pass

def test_refused_1():
    refused = ConnectionRefusedError(111, "Connection refused")
    raise httpx.ConnectError(str(refused)) from refused  # as httpx raises it

def test_refused_2():
    refused = ConnectionRefusedError(111, "Connection refused")
    raise httpx.ConnectError(str(refused)) from refused  # as httpx raises it

def test_refused_3():
    raise httpx.ReadTimeout("timed out")

def test_never_runs():
    pass
"""


def _run(tmp_path: Path, suite: str) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    (tmp_path / "test_auth.py").write_text(suite, encoding="utf-8")
    results = tmp_path / "results.json"
    junit = tmp_path / "junit.xml"
    env = {
        **os.environ,
        "OMS_HARNESS_TOKEN": TOKEN,
        "OMS_HARNESS_RESULTS": str(results),
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
    }
    env.pop("PYTEST_ADDOPTS", None)
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "oms_harness.conformance.plugin",
            "-q",
            "-p",
            "no:cacheprovider",
            f"--junitxml={junit}",
            "--rootdir",
            str(tmp_path),
            "-o",
            "junit_family=xunit2",
            "-c",
            os.devnull,
            str(tmp_path / "test_auth.py"),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    tests = {t["nodeid"].split("::")[1]: t for t in json.loads(results.read_text())["tests"]}
    return completed, tests


def test_results_and_redaction(tmp_path: Path) -> None:
    completed, tests = _run(tmp_path, SUITE)
    junit = tmp_path / "junit.xml"
    assert completed.returncode == 1, completed.stdout + completed.stderr
    assert tests["test_passes"]["outcome"] == "passed"
    assert tests["test_skips"] == {
        **tests["test_skips"],
        "outcome": "skipped",
        "reason": "profile has no `empty` customer",
    }
    assert tests["test_spec_gap"]["spec_gaps"] == ["XYZ answers 400"]
    failed = tests["test_fails_mentioning_the_token"]
    assert failed["outcome"] == "failed"
    assert failed["area"] == "auth"
    assert "the server rejected Bearer" in failed["reason"]
    assert failed["unavailable"] is False
    assert failed["rules"] == []
    # a failure counts in the area of the rule that broke, not of the suite that saw it
    decimal = tests["test_breaks_a_decimal_rule"]
    assert decimal["rules"] == ["decimal.consistent-places"]
    assert decimal["area"] == "decimal"
    # xunit2 allows no per-testcase <properties>: a spec gap must not put one there.
    assert "<properties>" not in junit.read_text(encoding="utf-8")
    assert "PytestWarning" not in completed.stdout
    results = (tmp_path / "results.json").read_text(encoding="utf-8")
    for text in (completed.stdout, junit.read_text(encoding="utf-8"), results):
        assert TOKEN not in text
        assert "eyJzdWIiOiJwbHVnaW4tdGVzdCJ9" not in text


def test_outage_is_marked_and_stops_the_session(tmp_path: Path) -> None:
    completed, tests = _run(tmp_path, OUTAGE)
    assert completed.returncode == 2, completed.stdout + completed.stderr  # interrupted
    assert tests["test_answered"]["outcome"] == "passed"
    for name in ("test_refused_1", "test_refused_2"):
        assert tests[name]["unavailable"] is True
        assert tests[name]["reason"] == (
            "target became unreachable: connection refused (ConnectError)"
        )
    assert tests["test_refused_3"]["reason"] == (
        "target became unreachable: no answer within the request timeout (ReadTimeout)"
    )
    assert "test_never_runs" not in tests
    assert "the target did not answer 3 tests in a row" in completed.stdout
