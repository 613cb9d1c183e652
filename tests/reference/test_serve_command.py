"""`oms-harness serve` on bad input: one line on stderr, exit 2, no traceback."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from oms_harness.cli import main
from oms_harness.reference.mutants import MUTANTS, VARIANTS


def _serve(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """In process: every one of these fails before anything listens."""
    code = main(["serve", "--port", "0", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _one_line_exit_2(result: tuple[int, str, str], needle: str) -> None:
    code, out, err = result
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert needle in lines[0]
    assert "Traceback" not in err
    assert out == ""


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--mutant", "no-such-mutant"], "unknown mutant"),
        (["--variant", "no-such-variant"], "unknown variant"),
        (["--variant", "value-as-number"], "unknown variant"),
        (["--mutant", "value-as-number", "--variant", "gzip"], "not both"),
        (["--latency", "fast"], "--latency"),
        (["--latency", "uniform:30ms:10ms"], "--latency"),
        (["--provider-error-rate", "2"], "--provider-error-rate"),
        (["--stall", "1s"], "--stall-every"),
        (["--stall", "2s", "--stall-every", "1s"], "--stall-every"),
        (["--fixtures", "/nonexistent/fixtures.json"], "not found"),
    ],
)
def test_bad_flags_exit_2_with_one_line(
    capsys: pytest.CaptureFixture[str], args: list[str], needle: str
) -> None:
    _one_line_exit_2(_serve(capsys, *args), needle)


def test_a_broken_fixture_file_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "fixtures.json"
    path.write_text('{"rates": {"USD": "1"}, "pricesUsd": {"X": "1"}, "customers": []}')
    _one_line_exit_2(_serve(capsys, "--fixtures", str(path)), "customers")


def test_a_port_in_use_exits_2() -> None:
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "oms_harness", "serve", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "cannot listen" in result.stderr
    assert "Traceback" not in result.stderr


def test_list_mutants_prints_one_line_each(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--list-mutants"]) == 0
    names = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert names == list(MUTANTS)


def test_list_variants_prints_one_line_each(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--list-variants"]) == 0
    names = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert names == list(VARIANTS)
