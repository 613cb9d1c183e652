"""`oms-harness gate` end to end, as a user runs it: a subprocess against a live reference."""

from __future__ import annotations

import json
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import psutil
import pytest

from oms_harness.contract.typeid import new_customer_id
from oms_harness.local_target import local_reference
from oms_harness.report.render import allure_command

pytestmark = pytest.mark.e2e

GATE_TIMEOUT_S = 300
HAS_ALLURE = allure_command() is not None
CHECK_REPORT = Path(__file__).resolve().parents[2] / "scripts" / "check_report.py"
VISIT_SAMPLE = 40
"""Results beyond the failed ones and one per suite/area/category whose pages get visited."""


def gate(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "oms_harness", "gate", *args],
        capture_output=True,
        text=True,
        timeout=GATE_TIMEOUT_S,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def _junit_cases(path: Path) -> dict[str, ET.Element]:
    root = ET.parse(path).getroot()
    return {f"{c.get('classname')}::{c.get('name')}": c for c in root.iter("testcase")}


@pytest.mark.slow
def test_clean_reference_passes_with_every_output(tmp_path: Path) -> None:
    """The README's main job: no target given, defaults, everything written."""
    reports = tmp_path / "reports"
    result = gate("--report-dir", str(reports), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    assert "oms-harness gate: PASS" in result.stdout
    assert "seed " in result.stdout
    assert "Traceback" not in result.stderr
    summary = (reports / "summary.md").read_text(encoding="utf-8")
    assert summary.startswith("## ✅ oms-harness gate: PASS")
    assert "| load |" in summary
    cases = _junit_cases(reports / "junit.xml")
    assert any(name.startswith("load.smoke.slo::p95_ms") for name in cases)
    assert len(cases) > 50
    assert not [c for c in cases.values() if c.find("failure") is not None]
    results = reports / "allure-results"
    assert (results / "environment.properties").is_file()
    assert (results / "categories.json").is_file()
    assert len(list(results.glob("*-result.json"))) >= len(cases) - 1
    single_file = reports / "allure-report" / "index.html"
    if HAS_ALLURE:
        assert "googletagmanager" not in single_file.read_text(encoding="utf-8")
        assert (reports / "allure-report" / "site" / "index.html").is_file()
        assert f"report: {single_file}" in result.stdout
    else:  # the gate must still pass, keep the results and say how to render
        assert not single_file.exists()
        assert "npm ci" in result.stdout


@pytest.mark.slow
def test_mutant_fails_and_the_summary_names_the_check(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    with local_reference(mutant="default-currency-eur", workdir=tmp_path / "ref") as target:
        result = gate(
            "--profile",
            str(target.profile_path),
            "--report-dir",
            str(reports),
            "--skip-load",
            "--no-render",
            "--max-examples",
            "50",
            cwd=tmp_path,
        )
    assert result.returncode == 1, result.stdout + result.stderr[-3000:]
    summary = (reports / "summary.md").read_text(encoding="utf-8")
    assert summary.startswith("## ❌ oms-harness gate: FAIL")
    failing = [line for line in summary.splitlines() if line.startswith("  - `")]
    assert any("test_currency" in line for line in failing), summary
    assert "| currency |" in summary
    cases = _junit_cases(reports / "junit.xml")
    assert any("currency" in n and c.find("failure") is not None for n, c in cases.items())
    assert "Load: skipped (--skip-load)" in summary


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
def test_closed_port_exits_3_with_one_line_and_reports(tmp_path: Path) -> None:
    profile = tmp_path / "closed.toml"
    profile.write_text(
        f'base_url = "http://127.0.0.1:{_closed_port()}/v0.9"\n'
        'token = "a-token-for-a-closed-port"\n'
        f'[customers]\nfunded = "{new_customer_id()}"\n',
        encoding="utf-8",
    )
    reports = tmp_path / "reports"
    result = gate(
        "--profile", str(profile), "--report-dir", str(reports), "--no-render", cwd=tmp_path
    )
    assert result.returncode == 3, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert "target unreachable" in result.stdout
    summary = (reports / "summary.md").read_text(encoding="utf-8")
    assert summary.startswith("## ⛔")
    assert "cannot reach" in summary or "did not answer" in summary
    cases = _junit_cases(reports / "junit.xml")
    assert cases["gate::gate_completed"].find("error") is not None


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('base_url = "http://127.0.0.1:1/v0.9"\n[customers\n', "invalid TOML"),
        (
            'base_url = "http://127.0.0.1:1/v0.9"\ntoken = "t"\n[customers]\nfunded = "x"\n',
            "TypeID",
        ),
    ],
)
def test_broken_profile_exits_2_with_one_line(tmp_path: Path, content: str, message: str) -> None:
    profile = tmp_path / "broken.toml"
    profile.write_text(content, encoding="utf-8")
    result = gate("--profile", str(profile), "--report-dir", str(tmp_path / "r"), cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("oms-harness gate: error: ")
    assert message in lines[0]
    assert "Traceback" not in result.stderr


def test_missing_profile_exits_2(tmp_path: Path) -> None:
    result = gate("--profile", str(tmp_path / "nope.toml"), cwd=tmp_path)
    assert result.returncode == 2
    assert "file not found" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_unknown_load_scenario_exits_2_before_anything_runs(tmp_path: Path) -> None:
    result = gate("--load-scenario", "nope", "--report-dir", str(tmp_path / "r"), cwd=tmp_path)
    assert result.returncode == 2
    assert "nope" in result.stderr
    assert not (tmp_path / "r").exists()


@pytest.mark.slow
@pytest.mark.skipif(not HAS_ALLURE, reason="Node.js or the npm package `allure` is missing")
@pytest.mark.skipif(
    shutil.which("chromium") is None,
    reason="Debian package `chromium` is not installed (apt-get install -y chromium)",
)
def test_report_in_headless_chromium_after_two_runs(tmp_path: Path) -> None:
    """As a reviewer opens it from disk, after a clean run and then a mutant run with the
    load smoke: no attachment missed, the failing check actionable, the failed SLO with its
    plot, the SLO's History holding the earlier run, and not one request leaving the machine.

    The pages visited one by one (attachments expanded, none failing to load) are a
    deterministic sample (``check_report.py --sample``): every failed or broken result, at
    least one of every suite, area and category, and 40 of the rest drawn with a fixed
    seed; the ~520 pages took five minutes. ``scripts/check_report.py`` without ``--sample``
    (a human's default) visits every result."""
    reports = tmp_path / "reports"
    flags = ["--report-dir", str(reports), "--max-examples", "20"]
    first = gate(*flags, cwd=tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr[-3000:]
    with local_reference(mutant="value-as-number", workdir=tmp_path / "ref") as target:
        second = gate("--profile", str(target.profile_path), *flags, cwd=tmp_path)
    assert second.returncode == 1, second.stdout + second.stderr[-3000:]
    shots = tmp_path / "screenshots"
    single_file = reports / "allure-report" / "index.html"
    check = subprocess.run(
        [
            sys.executable,
            str(CHECK_REPORT),
            str(single_file),
            "--out",
            str(shots),
            "--min-history",
            "1",
            "--sample",
            str(VISIT_SAMPLE),
        ],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    verdict = json.loads(check.stdout)
    expected = {
        "overview rendered",
        "overview lists every suite",
        "no attachment missed in the data",
        "every attachment loads",
        "failed check opens",
        "request and response shown",
        "failure is actionable",
        "failed SLO shows its plot",
        "categories grouped by rule",
        "spec section attached",
        "spec in global attachments",
        "SLO history has 1+ entries",
        "no network requests",
    }
    assert set(verdict["checks"]) == expected
    assert [name for name, ok in verdict["checks"].items() if not ok] == [], verdict
    assert verdict["visited"] == f"sample {VISIT_SAMPLE}, seed 0"
    assert verdict["results_with_attachments"] > 100
    assert verdict["failed_not_visited"] == [], "every failed or broken result is visited"
    assert verdict["groups_not_visited"] == [], "one result of every suite, area, category"
    assert verdict["results_visited"] > VISIT_SAMPLE
    assert check.returncode == 0
    pngs = (
        "overview",
        "failed-semantic",
        "failed-slo",
        "slo-history",
        "spec-section",
        "categories",
    )
    for png in pngs:
        assert (shots / f"{png}.png").read_bytes().startswith(b"\x89PNG")


def _read_until(stream: object, marker: str, timeout_s: float) -> list[str]:
    """Lines of ``stream`` up to the first containing ``marker`` (bounded wait)."""
    lines: list[str] = []
    deadline = time.monotonic() + timeout_s
    with selectors.DefaultSelector() as selector:
        selector.register(stream, selectors.EVENT_READ)  # type: ignore[arg-type]
        while time.monotonic() < deadline:
            if not selector.select(deadline - time.monotonic()):
                continue
            line = stream.readline()  # type: ignore[attr-defined]
            if not line:
                break
            lines.append(line)
            if marker in line:
                return lines
    raise AssertionError(f"no {marker!r} line; got: {''.join(lines)[-2000:]}")


def _references(gate_pid: int) -> list[psutil.Process]:
    return [
        child
        for child in psutil.Process(gate_pid).children(recursive=True)
        if "serve" in child.cmdline()
    ]


@pytest.mark.slow
def test_sigterm_stops_the_local_reference_and_exits_143(tmp_path: Path) -> None:
    """A CI cancel, `timeout` or Kubernetes sends SIGTERM: nothing may be left running."""
    flags = ["--skip-load", "--no-render", "--report-dir", str(tmp_path / "reports")]
    process = subprocess.Popen(
        [sys.executable, "-m", "oms_harness", "gate", *flags],
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    references: list[psutil.Process] = []
    try:
        assert process.stderr is not None
        _read_until(process.stderr, "] target: http://127.0.0.1:", 60)
        references = _references(process.pid)
        assert len(references) == 1, references
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=60)
        assert process.returncode == 143, err
        assert "oms-harness gate: terminated" in err.splitlines()
        assert "Traceback" not in err
        _, alive = psutil.wait_procs(references, timeout=10)
        assert alive == [], f"the local reference outlived the gate: {alive}"
    finally:
        for reference in references:
            if reference.is_running():
                reference.kill()
        if process.poll() is None:
            process.kill()
            process.wait()
