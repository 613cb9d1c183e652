"""The gate's orchestration with stand-in runners: exit codes, outputs, secrets, order."""

from __future__ import annotations

import base64
import json
import socket
from pathlib import Path
from typing import Any

import pytest

from oms_harness.cli import main
from oms_harness.conformance.results import AreaCounts, ConformanceResult
from oms_harness.contract.typeid import new_customer_id
from oms_harness.errors import TargetUnavailableError, UsageError
from oms_harness.load.runner import LoadResult
from oms_harness.load.slo import SloVerdict
from oms_harness.preflight import PreflightResult
from oms_harness.report import render
from oms_harness.report.render import RenderOutcome
from oms_harness.target import Target

TOKEN = "tok_inline_ZXhhbXBsZS1zZWNyZXQtdG9rZW4"


Area = AreaCounts
Slo = SloVerdict


def Conformance(**fields: Any) -> ConformanceResult:
    """A real ``ConformanceResult``: three auth checks passed unless told otherwise."""
    defaults: dict[str, Any] = {
        "exit_code": 0,
        "seed": 99,
        "passed": 3,
        "failed": 0,
        "skipped": 0,
        "spec_gaps": [],
        "areas": {"auth": Area(passed=3)},
        "failures": [],
    }
    return ConformanceResult(**{**defaults, **fields})


def Load(*positional: Any, **fields: Any) -> LoadResult:
    """A real ``LoadResult`` with a healthy smoke run's figures unless told otherwise."""
    defaults: dict[str, Any] = {
        "generator_bound": False,
        "achieved_rps": 50.0,
        "target_rps": 50.0,
        "requests": 400,
    }
    return LoadResult(*positional, **{**defaults, **fields})


class Runners:
    """Records calls; returns what the test asks for."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.conformance = Conformance()
        self.load_exit = 0
        self.generator_bound = False
        self.preflight_error: Exception | None = None
        self.load_error: Exception | None = None
        self.load_kwargs: dict[str, Any] = {}

    def preflight(self, base_url: str, funded: str, auth: Any, **_: Any) -> PreflightResult:
        self.calls.append("preflight")
        if self.preflight_error:
            raise self.preflight_error
        return PreflightResult(token=auth.token(), status=200)

    def run_conformance(self, target: Target, **kwargs: Any) -> Conformance:
        target.token()  # as the real runner does: the gate's preflight result is shared
        self.calls.append("conformance")
        assert Path(kwargs["alluredir"]).is_absolute()
        assert Path(kwargs["junitxml"]).is_absolute()
        return self.conformance

    def run_load(self, target: Target, **kwargs: Any) -> Load:
        target.token()
        self.calls.append(f"load:{kwargs['scenario']}")
        self.load_kwargs = kwargs
        if self.load_error:
            raise self.load_error
        run_dir = Path(kwargs["output_root"]) / "smoke-x"
        run_dir.mkdir(parents=True)
        summary = run_dir / "summary.json"
        summary.write_text(json.dumps({"ok": True}), encoding="utf-8")
        breach = self.load_exit == 1
        slos = [Slo("p95_ms", 250.0, 300.0 if breach else 5.0, not breach, "ms")]
        return Load(
            self.load_exit, run_dir, summary, None, slos, generator_bound=self.generator_bound
        )


@pytest.fixture
def runners(monkeypatch: pytest.MonkeyPatch) -> Runners:
    import oms_harness.conformance.runner as conformance_runner
    import oms_harness.load.runner as load_runner
    import oms_harness.preflight as preflight_module

    fake = Runners()
    monkeypatch.setattr(preflight_module, "run_preflight", fake.preflight)
    monkeypatch.setattr(conformance_runner, "run_conformance", fake.run_conformance)
    monkeypatch.setattr(load_runner, "run_load", fake.run_load)
    return fake


@pytest.fixture
def profile(tmp_path: Path) -> Path:
    path = tmp_path / "target.toml"
    path.write_text(
        f'base_url = "http://127.0.0.1:9/v0.9"\ntoken = "{TOKEN}"\n'
        f'[customers]\nfunded = "{new_customer_id()}"\n',
        encoding="utf-8",
    )
    return path


def gate(profile: Path, tmp_path: Path, *extra: str) -> int:
    report_dir = str(tmp_path / "r")
    return main(
        ["gate", "--profile", str(profile), "--report-dir", report_dir, "--no-render", *extra]
    )


def _summary(tmp_path: Path) -> str:
    return (tmp_path / "r" / "summary.md").read_text(encoding="utf-8")


def test_green_runs_phases_in_order(runners: Runners, profile: Path, tmp_path: Path) -> None:
    assert gate(profile, tmp_path) == 0
    assert runners.calls == ["preflight", "conformance", "load:smoke"]
    assert _summary(tmp_path).startswith("## ✅")
    assert (tmp_path / "r" / "junit.xml").is_file()


def test_skip_load(runners: Runners, profile: Path, tmp_path: Path) -> None:
    assert gate(profile, tmp_path, "--skip-load") == 0
    assert runners.calls == ["preflight", "conformance"]
    assert "Load: skipped (--skip-load)" in _summary(tmp_path)


def test_violation_and_slo_breach_exit_1(runners: Runners, profile: Path, tmp_path: Path) -> None:
    runners.conformance = Conformance(exit_code=1, failures=[("test_auth.py::t", "got 404")])
    assert gate(profile, tmp_path) == 1
    assert "`test_auth.py::t`: got 404" in _summary(tmp_path)


def test_slo_breach_alone_exits_1(runners: Runners, profile: Path, tmp_path: Path) -> None:
    runners.load_exit = 1
    assert gate(profile, tmp_path) == 1
    assert "❌ breach" in _summary(tmp_path)


def test_generator_bound_exits_4(runners: Runners, profile: Path, tmp_path: Path) -> None:
    runners.load_exit, runners.generator_bound = 4, True
    assert gate(profile, tmp_path) == 4
    assert "Generator-bound" in _summary(tmp_path)


def test_unavailable_target_exits_3_and_skips_the_rest(
    runners: Runners, profile: Path, tmp_path: Path
) -> None:
    runners.preflight_error = TargetUnavailableError("cannot reach target: ConnectError")
    assert gate(profile, tmp_path) == 3
    assert runners.calls == ["preflight"]
    summary = _summary(tmp_path)
    assert "cannot reach target: ConnectError" in summary
    results = tmp_path / "r" / "allure-results"
    messages = [
        json.loads(p.read_text(encoding="utf-8"))["statusDetails"]["message"]
        for p in results.glob("*-result.json")
    ]
    # the stopped phase (broken) and the load that never ran (skipped, as in JUnit)
    assert sorted(messages) == [
        "Load skipped: not run: the gate stopped in preflight",
        "Target unavailable: cannot reach target: ConnectError",
    ]


def test_load_error_keeps_the_conformance_verdict(
    runners: Runners, profile: Path, tmp_path: Path
) -> None:
    runners.load_error = UsageError(f"refusing production host (token {TOKEN})")
    assert gate(profile, tmp_path) == 2
    summary = _summary(tmp_path)
    assert "| auth | 3 |" in summary
    assert "refusing production host" in summary
    assert TOKEN not in summary


def test_no_file_written_contains_the_token(
    runners: Runners, profile: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runners.conformance = Conformance(exit_code=1, failures=[("t", f"Authorization: {TOKEN}")])
    assert gate(profile, tmp_path) == 1
    for path in (tmp_path / "r").rglob("*"):
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), path
    out, err = capsys.readouterr()
    assert TOKEN not in out
    assert TOKEN not in err


def test_the_final_sweep_reports_a_leak(
    runners: Runners,
    profile: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    original = runners.run_load

    def leaky_load(profile: Any, **kwargs: Any) -> Load:
        result = original(profile, **kwargs)
        (result.report_dir / "locust.log").write_text(f"token={TOKEN}", encoding="utf-8")
        return result

    import oms_harness.load.runner as load_runner

    monkeypatch.setattr(load_runner, "run_load", leaky_load)
    assert gate(profile, tmp_path) == 0
    log = next((tmp_path / "r" / "load").rglob("locust.log"))
    assert log.read_text(encoding="utf-8") == "token=[redacted]"
    assert "redacted a credential in 1 file(s)" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--load-scenario", "nope"], "unknown load scenario 'nope'"),
        (["--max-examples", "0"], "argument --max-examples: '0' must be at least 1"),
    ],
)
def test_usage_errors_before_anything_runs(
    runners: Runners,
    profile: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    flags: list[str],
    message: str,
) -> None:
    try:
        code = gate(profile, tmp_path, *flags)
    except SystemExit as exit_info:  # argparse rejects a bad value before `run`
        code = int(exit_info.code or 0)
    assert code == 2
    assert runners.calls == []
    assert message in capsys.readouterr().err


def test_token_without_profile_is_a_usage_error(
    runners: Runners, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["gate", "--token", TOKEN, "--report-dir", str(tmp_path / "r")]) == 2
    assert runners.calls == []
    err = capsys.readouterr().err
    assert "--token needs --profile" in err
    assert TOKEN not in err


def test_a_violation_outranks_a_later_stop(runners: Runners, profile: Path, tmp_path: Path) -> None:
    runners.conformance = Conformance(exit_code=1, failures=[("test_auth.py::t", "got 404")])
    runners.load_error = TargetUnavailableError("target stopped answering")
    assert gate(profile, tmp_path) == 1
    summary = _summary(tmp_path)
    assert "target stopped answering" in summary
    assert "Load: skipped (not run: the gate stopped in load)" in summary


def _state(path: Path) -> tuple[bytes, int, int]:
    st = path.stat()
    return path.read_bytes(), st.st_mtime_ns, st.st_ino


def test_the_sweep_leaves_files_the_run_did_not_write(
    runners: Runners, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A user's profile kept in the report dir keeps its token; so does any other own file."""
    reports = tmp_path / "r"
    reports.mkdir()
    profile = reports / "target.toml"
    profile.write_text(
        f'base_url = "http://127.0.0.1:9/v0.9"\ntoken = "{TOKEN}"\n'
        f'[customers]\nfunded = "{new_customer_id()}"\n',
        encoding="utf-8",
    )
    notes = reports / "notes" / "my-token.txt"
    notes.parent.mkdir()
    notes.write_text(f"sandbox token {TOKEN}\n", encoding="utf-8")
    before = {path: _state(path) for path in (profile, notes)}
    assert gate(profile, tmp_path) == 0
    assert {path: _state(path) for path in (profile, notes)} == before
    assert "redacted a credential" not in capsys.readouterr().err


def test_the_sweep_fixes_a_preexisting_file_the_run_changed(
    runners: Runners,
    profile: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    log = tmp_path / "r" / "load" / "gate.log"
    log.parent.mkdir(parents=True)
    log.write_text("earlier run\n", encoding="utf-8")
    original = runners.run_load

    def leaky_load(profile: Any, **kwargs: Any) -> Load:
        with log.open("a", encoding="utf-8") as handle:
            handle.write(f"token={TOKEN}\n")
        return original(profile, **kwargs)

    import oms_harness.load.runner as load_runner

    monkeypatch.setattr(load_runner, "run_load", leaky_load)
    assert gate(profile, tmp_path) == 0
    assert log.read_text(encoding="utf-8") == "earlier run\ntoken=[redacted]\n"
    assert "redacted a credential in 1 file(s)" in capsys.readouterr().err


def test_a_credential_embedded_in_the_single_file_fails_the_gate(
    runners: Runners,
    profile: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Base64 inside the HTML cannot be redacted in place: the file goes, the gate fails."""

    def leaky_render(results_dir: Path, report_dir: Path) -> RenderOutcome:
        report_dir.mkdir(parents=True)
        blob = base64.b64encode(f"authorization: Bearer {TOKEN}".encode()).decode()
        single = report_dir / "index.html"
        single.write_text(f'<script>d("data/attachments/a1.txt","{blob}")</script>')
        return RenderOutcome(True, single, report_dir / "site", "rendered")

    import oms_harness.commands.gate as gate_command

    monkeypatch.setattr(gate_command, "render_report", leaky_render)
    report_dir = str(tmp_path / "r")
    assert main(["gate", "--profile", str(profile), "--report-dir", report_dir]) == 4
    assert not (tmp_path / "r" / "allure-report" / "index.html").exists()
    err = capsys.readouterr().err
    assert "a credential is embedded in" in err
    assert "data/attachments/a1.txt" in err
    assert TOKEN not in err


def test_without_node_the_gate_says_how_to_render(
    runners: Runners,
    profile: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(render, "allure_command", lambda *_a, **_k: None)
    report_dir = str(tmp_path / "r")
    assert main(["gate", "--profile", str(profile), "--report-dir", report_dir]) == 0
    err = capsys.readouterr().err
    assert "None" not in err
    report_lines = [line for line in err.splitlines() if "] report: " in line]
    assert "npm ci" in report_lines[-1]
    assert "oms-harness report" in report_lines[-1]
    assert "npm ci" in _summary(tmp_path)


def test_spec_links_get_their_section_attached(
    runners: Runners, profile: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = runners.run_conformance

    def linking_conformance(profile: Any, **kwargs: Any) -> Conformance:
        result = {
            "uuid": "u1",
            "name": "t",
            "status": "passed",
            "links": [{"name": "spec /info", "url": "spec/openapi.yaml#/info", "type": "link"}],
        }
        Path(kwargs["alluredir"], "u1-result.json").write_text(json.dumps(result))
        return original(profile, **kwargs)

    import oms_harness.conformance.runner as conformance_runner

    monkeypatch.setattr(conformance_runner, "run_conformance", linking_conformance)
    assert gate(profile, tmp_path, "--skip-load") == 0
    written = json.loads((tmp_path / "r" / "allure-results" / "u1-result.json").read_text())
    assert [a["name"] for a in written["attachments"]] == ["spec /info"]


@pytest.mark.parametrize("kind", ["under-a-file", "is-a-file"])
def test_bad_report_dir_is_one_usage_line(
    runners: Runners,
    profile: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    kind: str,
) -> None:
    regular = tmp_path / "a-file"
    regular.write_text("x", encoding="utf-8")
    report_dir = regular / "reports" if kind == "under-a-file" else regular
    code = main(["gate", "--profile", str(profile), "--report-dir", str(report_dir)])
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith(f"oms-harness gate: error: --report-dir {report_dir}: ")
    assert runners.calls == []
    assert regular.read_text(encoding="utf-8") == "x"


def test_unwritable_step_summary_does_not_hide_the_verdict(
    runners: Runners,
    profile: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "nonexistent" / "dir" / "x"))
    runners.conformance = Conformance(exit_code=1, failures=[("test_auth.py::t", "got 404")])
    assert gate(profile, tmp_path) == 1
    out, err = capsys.readouterr()
    assert "oms-harness gate: FAIL" in out
    warnings = [line for line in err.splitlines() if "GITHUB_STEP_SUMMARY" in line]
    assert len(warnings) == 1
    assert "Traceback" not in err


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Any connection attempt is recorded and refused: these tests must never leave the box."""
    attempts: list[object] = []

    def refuse(self: socket.socket, address: object) -> None:
        attempts.append(address)
        raise OSError("network use in a test that must not touch the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    return attempts


@pytest.fixture
def production_profile(tmp_path: Path) -> Path:
    path = tmp_path / "production.toml"
    path.write_text(
        f'base_url = "https://api.polygon.technology/v0.9"\ntoken = "{TOKEN}"\n'
        f'[customers]\nfunded = "{new_customer_id()}"\n',
        encoding="utf-8",
    )
    return path


def test_production_is_refused_before_any_request(
    runners: Runners,
    production_profile: Path,
    tmp_path: Path,
    no_network: list[object],
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["gate", "--profile", str(production_profile), "--report-dir", str(tmp_path / "r")])
    assert code == 2
    assert runners.calls == []
    assert no_network == []
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "refusing to load-test the production host api.polygon.technology" in err[0]
    assert "--allow-production" in err[0]
    assert not (tmp_path / "r").exists()


def test_allow_production_reaches_the_load_runner(
    runners: Runners, production_profile: Path, tmp_path: Path, no_network: list[object]
) -> None:
    assert gate(production_profile, tmp_path, "--allow-production") == 0
    assert runners.calls == ["preflight", "conformance", "load:smoke"]
    assert runners.load_kwargs["allow_production"] is True
    assert no_network == []


def test_skip_load_needs_no_production_consent(
    runners: Runners, production_profile: Path, tmp_path: Path, no_network: list[object]
) -> None:
    assert gate(production_profile, tmp_path, "--skip-load") == 0
    assert runners.calls == ["preflight", "conformance"]


def test_default_is_not_allowed_in_production(
    runners: Runners, profile: Path, tmp_path: Path
) -> None:
    assert gate(profile, tmp_path) == 0
    assert runners.load_kwargs["allow_production"] is False


def _synthetic_smoke(path: Path, profile: Path, median_ms: float, seed: int) -> Path:
    """A stored smoke run (8 s at 50 req/s) with the profile's request mix."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "regression"))
    from runfactory import lognormal_intervals, write_run

    from oms_harness.load.traffic import build_mix
    from oms_harness.profile import load_profile

    kinds = [k.to_json() for k in build_mix(load_profile(profile))]
    intervals = lognormal_intervals(8, 50, median_ms, seed=seed)
    return write_run(path, intervals, scenario="smoke", rate=50, kinds=kinds)


def test_baseline_comparison_joins_the_gate_verdict(
    runners: Runners, profile: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    baseline = _synthetic_smoke(tmp_path / "baseline", profile, 5.0, seed=1)

    def slower_load(profile_: Any, **kwargs: Any) -> Load:
        runners.calls.append("load")
        run_dir = _synthetic_smoke(Path(kwargs["output_root"]) / "smoke-x", profile, 15.0, 2)
        slos = [Slo("p95_ms", 250.0, 20.0, True, "ms")]
        return Load(0, run_dir, run_dir / "summary.json", None, slos)

    import oms_harness.load.runner as load_runner

    monkeypatch.setattr(load_runner, "run_load", slower_load)
    assert gate(profile, tmp_path, "--baseline", str(baseline)) == 1
    summary = _summary(tmp_path)
    assert "## Regression check" in summary
    assert "| p50 |" in summary
    results = [
        json.loads(p.read_text()) for p in (tmp_path / "r" / "allure-results").glob("*-result.json")
    ]
    by_name = {r["name"]: r["status"] for r in results}
    assert by_name["Regression check p50 (sequential)"] == "failed"
    assert by_name["Regression check throughput (sequential)"] == "passed"
    verdict = json.loads((tmp_path / "r" / "verdict.json").read_text(encoding="utf-8"))
    assert verdict["exit_code"] == 1
    assert verdict["verdict"] == "FAIL: regression beyond the tolerance against the baseline"
    regression = verdict["regression"]
    assert regression["verdict"] == "regression"
    assert regression["mode"] == "sequential"
    p50 = next(f for f in regression["figures"] if f["figure"] == "p50")
    assert p50["verdict"] == "regression"
    assert p50["ci_pct"][0] > 0
    assert regression["outputs"]["comparison"] == "regression/comparison.json"
    assert verdict["drift"]["verdict"] == "not assessed"  # an 8 s smoke
    assert "FAIL: regression beyond the tolerance" in summary


def test_verdict_json_has_no_regression_without_a_baseline(
    runners: Runners, profile: Path, tmp_path: Path
) -> None:
    assert gate(profile, tmp_path) == 0
    verdict = json.loads((tmp_path / "r" / "verdict.json").read_text(encoding="utf-8"))
    assert verdict["regression"] is None
    assert verdict["drift"] is None


def test_missing_baseline_stops_the_gate_before_any_request(
    runners: Runners, profile: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert gate(profile, tmp_path, "--baseline", "nope", "--baseline-dir", str(tmp_path)) == 2
    assert "no baseline or run directory 'nope'" in capsys.readouterr().err
    assert runners.calls == []
