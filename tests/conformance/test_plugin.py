"""The results plugin: outcomes, spec gaps and one-line reasons; no token in any report."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJwbHVnaW4tdGVzdCJ9.c2lnbmF0dXJlLXBsdWdpbg"

SUITE = f"""
import pytest

def test_passes():
    pass

def test_fails_mentioning_the_token():
    assert False, "the server rejected Bearer {TOKEN}"

def test_skips():
    pytest.skip("profile has no `empty` customer")

def test_spec_gap(record_property):
    record_property("spec_gap", "XYZ answers 400")
"""


def test_results_and_redaction(tmp_path: Path) -> None:
    (tmp_path / "test_auth.py").write_text(SUITE, encoding="utf-8")
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
    assert completed.returncode == 1, completed.stdout + completed.stderr
    tests = {t["nodeid"].split("::")[1]: t for t in json.loads(results.read_text())["tests"]}
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
    for text in (completed.stdout, junit.read_text(encoding="utf-8"), results.read_text()):
        assert TOKEN not in text
        assert "eyJzdWIiOiJwbHVnaW4tdGVzdCJ9" not in text
