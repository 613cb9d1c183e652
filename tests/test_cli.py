"""The command line: usage errors are one line and exit 2; every command has help."""

from __future__ import annotations

import subprocess
import sys

import pytest

from oms_harness import __version__
from oms_harness.cli import COMMANDS, main


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "oms_harness", *args], capture_output=True, text=True, timeout=60
    )


def test_version() -> None:
    result = _run("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"oms-harness {__version__}"


@pytest.mark.parametrize("argv", [[], ["no-such-command"], ["conformance", "--no-such-flag"]])
def test_usage_errors_exit_2_with_one_line(argv: list[str]) -> None:
    result = _run(*argv)
    assert result.returncode == 2
    error_lines = [line for line in result.stderr.splitlines() if "error:" in line]
    assert len(error_lines) == 1
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    assert command in capsys.readouterr().out
