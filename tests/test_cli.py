"""The command line: usage errors are one line and exit 2; every command has help."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time

import pytest

from oms_harness import __version__, cli
from oms_harness.cli import COMMANDS, main


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "oms_harness", *args], capture_output=True, text=True, timeout=60
    )


def test_version() -> None:
    result = _run("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"oms-harness {__version__}"


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["no-such-command"],
        ["conformance", "--no-such-flag"],
        ["conformance", "--timeout", "0"],
        ["conformance", "--max-examples", "-3"],
        ["load", "--rate", "nan"],
        ["mutants", "--jobs", "zero"],
    ],
)
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


class _SelfTerminating:
    """A command that gets SIGTERM mid-run (as from a CI cancel) and records its cleanup."""

    def __init__(self) -> None:
        self.cleaned_up = False

    def configure(self, parser: argparse.ArgumentParser) -> None:
        return None

    def run(self, args: argparse.Namespace) -> int:
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(10)  # the handler interrupts this; without one the command returns 0
            return 0
        finally:
            self.cleaned_up = True


def test_sigterm_unwinds_and_exits_143(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    command = _SelfTerminating()
    monkeypatch.setattr(cli, "_module", lambda name: command)

    def callers_handler(signum: int, frame: object) -> None:
        """Harmless: without main()'s own handler the test fails instead of killing pytest."""

    previous = signal.signal(signal.SIGTERM, callers_handler)
    try:
        code = main(["gate"])
        after = signal.getsignal(signal.SIGTERM)
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert code == 143
    assert command.cleaned_up
    assert capsys.readouterr().err.strip().splitlines() == ["oms-harness gate: terminated"]
    assert after is callers_handler  # main() puts the caller's handler back
