"""`oms-harness report [--serve]`: render again from existing results; serve on loopback."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from oms_harness.cli import main
from oms_harness.report import allure
from oms_harness.report.allure_load import write_load_results
from oms_harness.report.render import allure_command
from oms_harness.report.secrets import Secrets

HAS_ALLURE = allure_command() is not None


def _results(report_dir: Path, fake: Any) -> Path:
    results = report_dir / "allure-results"
    allure.prepare_results_dir(results)
    write_load_results(results, fake.load(), Secrets())
    return results


def test_no_results_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--report-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "no Allure results" in err[0]


def test_serve_without_a_rendered_report_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", "--report-dir", str(tmp_path), "--serve", "--no-render"]) == 2
    assert "no rendered report" in capsys.readouterr().err


@pytest.mark.skipif(not HAS_ALLURE, reason="Node.js or the npm package `allure` is missing")
def test_renders_again_then_serves_on_loopback(tmp_path: Path, fake: Any) -> None:
    _results(tmp_path, fake)
    assert main(["report", "--report-dir", str(tmp_path)]) == 0
    assert (tmp_path / "allure-report" / "index.html").is_file()
    command = [sys.executable, "-m", "oms_harness", "report", "--report-dir", str(tmp_path)]
    server = subprocess.Popen(
        [*command, "--serve", "--no-render", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert server.stdout is not None
        line = server.stdout.readline().strip()
        assert line.startswith("serving the report on http://127.0.0.1:")
        url = line.split(" on ", 1)[1].split(" ", 1)[0]
        page = httpx.get(url, timeout=10)
        assert page.status_code == 200
        assert "googletagmanager" not in page.text
        assert '<div id="app"></div>' in page.text
    finally:
        server.terminate()
        server.wait(timeout=10)
        if server.stdout is not None:
            server.stdout.close()


def test_rendering_again_adds_no_trend_point(
    tmp_path: Path, fake: Any, fake_allure: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from oms_harness.report import render

    monkeypatch.setattr(render, "allure_command", lambda *_a, **_k: fake_allure)
    results = _results(tmp_path, fake)
    history = results / render.HISTORY_FILE
    assert main(["report", "--report-dir", str(tmp_path)]) == 0
    first = history.read_text(encoding="utf-8")
    assert len(first.splitlines()) == 1
    assert main(["report", "--report-dir", str(tmp_path)]) == 0
    assert main(["report", "--report-dir", str(tmp_path)]) == 0
    assert history.read_text(encoding="utf-8") == first


def test_ctrl_c_stops_serving_with_exit_130(tmp_path: Path) -> None:
    site = tmp_path / "allure-report" / "site"
    site.mkdir(parents=True)
    (site / "index.html").write_text("<html></html>", encoding="utf-8")
    command = [sys.executable, "-m", "oms_harness", "report", "--report-dir", str(tmp_path)]
    server = subprocess.Popen(
        [*command, "--serve", "--no-render", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        assert server.stdout.readline().startswith("serving the report on http://127.0.0.1:")
        server.send_signal(signal.SIGINT)
        _, err = server.communicate(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    assert server.returncode == 130, err
    assert "Traceback" not in err
    assert err.strip() == "oms-harness report: interrupted"
