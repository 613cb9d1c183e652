"""Allure 3 rendering: single self-contained file, served site, history, no analytics."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from oms_harness._resources import spec_path
from oms_harness.report import allure, render
from oms_harness.report.allure_load import write_load_results
from oms_harness.report.embedded import embedded_files
from oms_harness.report.render import (
    HISTORY_FILE,
    RenderOutcome,
    allure_command,
    analytics_left,
    recorded_entry,
    render_report,
    strip_analytics,
)
from oms_harness.report.secrets import Secrets

# The tail of Allure 3.18's awesome template, verbatim in structure.
TEMPLATE_TAIL = """
    <script>
      window.allure = window.allure || {};
    </script>
    <script   src="app-b3323b2606f19801ef1b.js"></script>
    <script async src="https://www.googletagmanager.com/gtag/js?id=G-LNDJ3J7WT0"></script>
    <script>
        window.dataLayer = window.dataLayer || [];
        function gtag(){dataLayer.push(arguments);}
        gtag('js', new Date());
        gtag('config', 'G-LNDJ3J7WT0', {
          "report": "awesome",
          "single_file": "true"
        });
    </script>
    <script async>
        window.allureReportDataReady = true;
      </script>
</body>
"""

ALLURE = allure_command()
needs_allure = pytest.mark.skipif(
    ALLURE is None, reason="Node.js or the npm package `allure` is missing (run `npm ci`)"
)


def test_strip_analytics_removes_loader_and_config_only() -> None:
    stripped = strip_analytics(TEMPLATE_TAIL)
    assert analytics_left(TEMPLATE_TAIL) == ["googletagmanager", "gtag("]
    assert analytics_left(stripped) == []
    assert 'src="app-b3323b2606f19801ef1b.js"' in stripped
    assert "window.allure = window.allure || {};" in stripped
    assert "window.allureReportDataReady = true;" in stripped
    assert stripped.count("<script") == stripped.count("</script>") == 3


def test_no_node_means_no_command(tmp_path: Path) -> None:
    assert allure_command([tmp_path], environ={"PATH": str(tmp_path)}) is None


def test_missing_package_means_no_command(tmp_path: Path) -> None:
    assert allure_command([tmp_path], environ={"PATH": "/usr/bin:/bin"}) is None


def test_explicit_cli_path_must_exist(tmp_path: Path) -> None:
    environ = {"PATH": "/usr/bin:/bin", "OMS_HARNESS_ALLURE": str(tmp_path / "cli.js")}
    assert allure_command([], environ=environ) is None


def test_without_allure_results_are_kept_and_the_way_to_render_is_told(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(render, "allure_command", lambda *_a, **_k: None)
    results = tmp_path / "allure-results"
    results.mkdir()
    (results / "x-result.json").write_text("{}", encoding="utf-8")
    outcome = render.render_report(results, tmp_path / "allure-report")
    assert outcome == RenderOutcome(False, None, None, render.how_to_render(results))
    assert "npm ci" in outcome.note
    assert "oms-harness report" in outcome.note
    assert not (tmp_path / "allure-report").exists()
    assert (results / "x-result.json").is_file()


def _results(tmp_path: Path, fake: Any) -> Path:
    results = tmp_path / "allure-results"
    allure.prepare_results_dir(results)
    allure.write_categories(results)
    allure.write_environment(
        results, allure.environment_values("http://127.0.0.1:1/v0.9", "v1", 42), Secrets()
    )
    write_load_results(results, fake.load(breach=True), Secrets())
    allure.write_result(
        results,
        full_name="conformance.test_currency.test_default_is_usd",
        name="default currency is USD",
        status="failed",
        message="AssertionError: default currency was EUR",
        labels=[("epic", "Contract"), ("feature", "Currency")],
    )
    allure.write_result(
        results,
        full_name="conformance.test_spec_gaps.test_unsupported_code",
        name="unsupported currency code",
        status="passed",
        labels=[("epic", "Contract"), ("feature", "Spec gaps"), ("tag", allure.SPEC_GAP_TAG)],
    )
    allure.write_problem_result(
        results, phase="load", message="Target unavailable: ConnectError", secrets=Secrets()
    )
    return results


@needs_allure
@pytest.mark.slow
def test_render_single_file_site_and_history(tmp_path: Path, fake: Any) -> None:
    results = _results(tmp_path, fake)
    report_dir = tmp_path / "allure-report"
    outcome = render_report(results, report_dir)
    assert outcome.rendered
    assert outcome.single_file == report_dir / "index.html"
    single = outcome.single_file.read_text(encoding="utf-8")
    # self-contained: every script and stylesheet inline, nothing fetched from anywhere
    assert re.findall(r'<script[^>]*\bsrc="(?!data:)', single) == []
    assert re.findall(r'<link[^>]*\bhref="(?!data:)', single) == []
    assert analytics_left(single) == []
    categories = json.loads(
        (report_dir / "site" / "widgets" / "categories.json").read_text(encoding="utf-8")
    )
    counts = {
        node["name"]: node["statistic"]["total"]
        for node in categories["nodes"].values()
        if node["type"] == "category"
    }
    assert counts == {
        "SLO breach": 1,
        "Contract violation": 1,
        "Spec gap": 1,
        "Target unavailable": 1,
    }
    site_index = (report_dir / "site" / "index.html").read_text(encoding="utf-8")
    assert analytics_left(site_index) == []
    assert list((report_dir / "site").glob("app-*.js"))
    history = results / HISTORY_FILE
    assert len(history.read_text(encoding="utf-8").splitlines()) == 1
    render_report(results, report_dir)  # a re-render of the same run: no second trend point
    entries = [json.loads(line) for line in history.read_text(encoding="utf-8").splitlines()]
    assert len(entries) == 1
    assert not list(tmp_path.glob(".*staging*"))
    globals_widget = json.loads(
        (report_dir / "site" / "widgets" / "globals.json").read_text(encoding="utf-8")
    )
    assert [a["name"] for a in globals_widget["attachments"]] == ["openapi.yaml"]


def _history(results: Path) -> list[str]:
    return (results / HISTORY_FILE).read_text(encoding="utf-8").splitlines()


def test_rendering_the_same_results_again_adds_no_history_entry(
    tmp_path: Path, fake: Any, fake_allure: list[str]
) -> None:
    results = _results(tmp_path, fake)
    report_dir = tmp_path / "allure-report"
    assert render_report(results, report_dir, command=fake_allure).rendered
    first = _history(results)
    assert len(first) == 1
    assert recorded_entry(results) == json.loads(first[0])["uuid"]
    for _ in range(2):  # `oms-harness report`, twice: no phantom trend points
        assert render_report(results, report_dir, command=fake_allure).rendered
    assert _history(results) == first
    # the next gate run starts from fresh results: it adds its own entry
    allure.prepare_results_dir(results)
    write_load_results(results, fake.load(), Secrets())
    render_report(results, report_dir, command=fake_allure)
    assert len(_history(results)) == 2
    assert _history(results)[0] == first[0]


def test_relative_dirs_render(
    tmp_path: Path, fake: Any, fake_allure: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Allure runs in a staging directory: a relative --report-dir must still work."""
    _results(tmp_path, fake)
    monkeypatch.chdir(tmp_path)
    outcome = render_report(Path("allure-results"), Path("allure-report"), command=fake_allure)
    assert outcome.single_file is not None
    assert (tmp_path / "allure-report" / "index.html").is_file()


def test_the_pinned_spec_is_a_global_attachment(
    tmp_path: Path, fake: Any, fake_allure: list[str]
) -> None:
    results = _results(tmp_path, fake)
    outcome = render_report(results, tmp_path / "allure-report", command=fake_allure)
    assert outcome.single_file is not None
    embedded = dict(embedded_files(outcome.single_file.read_bytes()))
    assert list(embedded.values()) == [spec_path().read_bytes()]
