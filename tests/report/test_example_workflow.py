"""examples/github-actions.yml: a workflow a user can copy as it is."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

WORKFLOW = Path(__file__).resolve().parents[2] / "examples" / "github-actions.yml"


def _steps() -> list[dict[str, Any]]:
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    steps: list[dict[str, Any]] = workflow["jobs"]["gate"]["steps"]
    return steps


def test_gate_runs_with_the_token_from_a_secret() -> None:
    gate = next(s for s in _steps() if "oms-harness gate" in s.get("run", ""))
    assert gate["env"]["OMS_TOKEN"].startswith("${{ secrets.")
    assert "--token" not in gate["run"]


def test_report_is_uploaded_even_when_the_gate_fails() -> None:
    upload = next(s for s in _steps() if s.get("uses", "").startswith("actions/upload-artifact"))
    assert upload["if"] == "always()"
    for path in ("reports/allure-report/index.html", "reports/junit.xml", "reports/summary.md"):
        assert path in upload["with"]["path"]


def test_allure_is_installed_from_the_lock_file() -> None:
    assert any("npm ci" in s.get("run", "") for s in _steps())
