"""`oms-harness load` refuses bad requests with one line and exit 2, before anything starts."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import jwt
import pytest

from oms_harness.contract.typeid import new_customer_id


def load(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "oms_harness", "load", *args],
        capture_output=True, text=True, timeout=60, cwd=cwd, stdin=subprocess.DEVNULL, check=False,
    )  # fmt: skip


def _profile(tmp_path: Path, base_url: str) -> Path:
    path = tmp_path / "target.toml"
    path.write_text(
        f'base_url = "{base_url}"\ntoken = "tok-never-used-123"\n'
        f'[customers]\nfunded = "{new_customer_id()}"\n'
    )
    return path


def test_production_host_is_refused_without_the_flag(tmp_path: Path) -> None:
    profile = _profile(tmp_path, "https://api.polygon.technology/v0.9")
    result = load("--profile", str(profile), "--report-dir", str(tmp_path / "r"), cwd=tmp_path)
    assert result.returncode == 2
    assert "refusing to load-test the production host" in result.stderr
    assert "--allow-production" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--rate", "5000"], "--max-rate"),
        (["--duration", "3h"], "--max-duration"),
        (["--duration", "soon"], "invalid duration"),
        (["--master", "--worker"], "exclude each other"),
        (["--worker"], "--master-host"),
        (["--users", "1", "--processes", "2"], "at least the number of processes"),
        (["--slo-error-rate", "2"], "must be a fraction from 0 to 1"),
        (["--slo-error-rate", "-0.1"], "must be at least 0"),
        (["--processes", "1000"], "raise it with --max-processes"),
        (["--worker", "--master-host", "127.0.0.1", "--processes", "1000"], "--max-processes"),
        (["--processes", "0"], "must be at least 1"),
    ],
)
def test_bad_flags_exit_2_with_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    profile = _profile(tmp_path, "http://127.0.0.1:9/v0.9")
    result = load("--profile", str(profile), *args, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_closed_port_exits_3_before_the_run(tmp_path: Path) -> None:
    profile = _profile(tmp_path, "http://127.0.0.1:9/v0.9")
    result = load("--profile", str(profile), "--report-dir", str(tmp_path / "r"), cwd=tmp_path)
    assert result.returncode == 3, result.stderr
    assert "tok-never-used-123" not in result.stderr + result.stdout
    assert not (tmp_path / "r").exists()


def test_a_profile_error_rate_above_one_is_a_profile_error(tmp_path: Path) -> None:
    profile = _profile(tmp_path, "http://127.0.0.1:9/v0.9")
    profile.write_text(profile.read_text() + "[slo]\nerror_rate = 2\n")
    result = load("--profile", str(profile), "--report-dir", str(tmp_path / "r"), cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "slo.error_rate is a fraction from 0 to 1" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "r").exists()


def test_max_processes_raises_the_process_cap(tmp_path: Path) -> None:
    """Past the cap with the flag, the run gets as far as the target (closed port: exit 3)."""
    profile = _profile(tmp_path, "http://127.0.0.1:9/v0.9")
    args = ["--profile", str(profile), "--users", "1000", "--report-dir", str(tmp_path / "r")]
    capped = load(*args, "--processes", "1000", cwd=tmp_path)
    assert capped.returncode == 2, capped.stderr
    raised = load(*args, "--processes", "1000", "--max-processes", "1000", cwd=tmp_path)
    assert raised.returncode == 3, raised.stderr


def test_a_static_token_expiring_before_the_run_ends_is_refused(tmp_path: Path) -> None:
    token = jwt.encode({"exp": int(time.time()) + 60}, "k" * 32, algorithm="HS256")
    profile = _profile(tmp_path, "http://127.0.0.1:9/v0.9")
    reports = tmp_path / "r"
    result = load(
        "--profile", str(profile), "--token", token, "--duration", "2m",
        "--report-dir", str(reports), cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert "the token expires in" in result.stderr
    assert "api_key_env/api_secret_env" in result.stderr
    assert token not in result.stderr + result.stdout
    assert len(result.stderr.strip().splitlines()) == 1
    assert not reports.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--baseline", "nope"], "no baseline or run directory 'nope'"),
        (["--save-baseline", "../escape"], "baseline name '../escape'"),
        (["--save-baseline", "x", "--worker", "--master-host", "h"], "not with --worker"),
        (["--min-effect-pct", "-3"], "must be at least 0"),
        (["--confidence", "0.1"], "confidence must be at least 0.5"),
        (["--drift-min-duration", "often"], "invalid duration"),
    ],
)
def test_regression_flags_are_checked_before_any_load(
    tmp_path: Path, args: list[str], message: str
) -> None:
    profile = _profile(tmp_path, "http://127.0.0.1:9/v0.9")
    result = load("--profile", str(profile), "--baseline-dir", str(tmp_path / "b"),
                  "--report-dir", str(tmp_path / "r"), *args, cwd=tmp_path)  # fmt: skip
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "r").exists()


def test_a_regression_table_with_a_typo_is_a_profile_error(tmp_path: Path) -> None:
    profile = _profile(tmp_path, "http://127.0.0.1:9/v0.9")
    profile.write_text(profile.read_text() + "\n[regression]\nmin_efect_pct = 5\n")
    result = load("--profile", str(profile), "--report-dir", str(tmp_path / "r"), cwd=tmp_path)
    assert result.returncode == 2
    assert "unknown key regression.min_efect_pct" in result.stderr
