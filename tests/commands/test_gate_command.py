"""The gate's orchestration with stand-in runners: exit codes, outputs, secrets, order."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from oms_harness.cli import main
from oms_harness.contract.typeid import new_customer_id
from oms_harness.errors import TargetUnavailableError, UsageError

TOKEN = "tok_inline_ZXhhbXBsZS1zZWNyZXQtdG9rZW4"


@dataclass(frozen=True)
class Area:
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    spec_gaps: int = 0


@dataclass(frozen=True)
class Conformance:
    exit_code: int = 0
    seed: int | None = 99
    passed: int = 3
    failed: int = 0
    skipped: int = 0
    spec_gaps: list[str] = field(default_factory=list)
    areas: dict[str, Area] = field(default_factory=lambda: {"auth": Area(passed=3)})
    failures: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Slo:
    name: str
    limit: float
    measured: float | None
    passed: bool
    unit: str


@dataclass(frozen=True)
class Load:
    exit_code: int
    report_dir: Path
    summary_path: Path
    plot_path: Path | None
    slos: list[Slo]
    generator_bound: bool = False
    achieved_rps: float = 50.0
    target_rps: float = 50.0
    requests: int = 400
    failures: dict[str, int] = field(default_factory=dict)


class Runners:
    """Records calls; returns what the test asks for."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.conformance = Conformance()
        self.load_exit = 0
        self.generator_bound = False
        self.preflight_error: Exception | None = None
        self.load_error: Exception | None = None

    def preflight(self, profile: Any) -> str:
        self.calls.append("preflight")
        if self.preflight_error:
            raise self.preflight_error
        return str(profile.credentials.token)

    def run_conformance(self, profile: Any, **kwargs: Any) -> Conformance:
        self.calls.append("conformance")
        assert Path(kwargs["alluredir"]).is_absolute()
        assert Path(kwargs["junitxml"]).is_absolute()
        return self.conformance

    def run_load(self, profile: Any, **kwargs: Any) -> Load:
        self.calls.append(f"load:{kwargs['scenario']}")
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
    monkeypatch.setattr(preflight_module, "preflight", fake.preflight)
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
    assert messages == ["Target unavailable: cannot reach target: ConnectError"]


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
