"""``OMS_HARNESS_<FLAG>`` variables: they stand in for absent flags, flags win, bad values
are one usage error naming the variable, and README documents every one of them."""

from __future__ import annotations

import argparse
import json
import shlex
from pathlib import Path

import pytest

from oms_harness import cli
from oms_harness.commands import _environment

PROFILE = "examples/sandbox-profile.toml"


def settings(capsys: pytest.CaptureFixture[str], *args: str) -> list[str]:
    code = cli.main(["load", "--print-container-settings", "--profile", PROFILE, *args])
    assert code == 0
    return shlex.split(json.loads(capsys.readouterr().out)["locust_args"])


def value(argv: list[str], flag: str) -> str:
    return argv[argv.index(flag) + 1]


def test_a_variable_stands_in_for_an_absent_flag(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], repo_root: Path
) -> None:
    monkeypatch.chdir(repo_root)
    monkeypatch.setenv("OMS_HARNESS_RATE", "123")
    monkeypatch.setenv("OMS_HARNESS_DURATION", "1m30s")
    monkeypatch.setenv("OMS_HARNESS_MAX_IN_FLIGHT", "77")
    monkeypatch.setenv("OMS_HARNESS_EXPECT_WORKERS", "3")
    argv = settings(capsys)
    assert json.loads(value(argv, "--oms-schedule")) == [[90.0, 123.0, 123.0]]
    assert value(argv, "--oms-max-in-flight") == "77"
    assert value(argv, "--expect-workers") == "3"


def test_flags_win_over_variables(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], repo_root: Path
) -> None:
    monkeypatch.chdir(repo_root)
    monkeypatch.setenv("OMS_HARNESS_RATE", "not a number")  # never parsed: the flag is given
    argv = settings(capsys, "--rate", "50", "--duration", "10s")
    assert json.loads(value(argv, "--oms-schedule")) == [[10.0, 50.0, 50.0]]


def test_a_boolean_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], repo_root: Path
) -> None:
    monkeypatch.chdir(repo_root)
    monkeypatch.setenv("OMS_HARNESS_PRINT_CONTAINER_SETTINGS", "yes")
    assert cli.main(["load", "--profile", PROFILE, "--duration", "5s"]) == 0
    assert "locust_args" in json.loads(capsys.readouterr().out)


@pytest.mark.parametrize(
    ("name", "raw", "message"),
    [
        ("OMS_HARNESS_RATE", "fast", "OMS_HARNESS_RATE='fast' (for --rate)"),
        ("OMS_HARNESS_SCENARIO", "huge", "choose from"),
        ("OMS_HARNESS_QUIET", "perhaps", "OMS_HARNESS_QUIET='perhaps'"),
        ("OMS_HARNESS_PROCESSES", "0", "must be at least 1"),
    ],
)
def test_bad_values_are_one_usage_error_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    name: str,
    raw: str,
    message: str,
) -> None:
    monkeypatch.setenv(name, raw)
    assert cli.main(["load", "--duration", "1s"]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) == 1


def test_other_commands_ignore_the_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMS_HARNESS_PORT", "not a port")
    parser = cli.build_parser()
    args = parser.parse_args(["serve", "--list-mutants"])
    assert args.port != "not a port"


def _subparsers() -> dict[str, argparse.ArgumentParser]:
    parser = cli.build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {name: action.choices[name] for name in _environment.COMMANDS}


def test_readme_documents_every_variable(repo_root: Path) -> None:
    readme = (repo_root / "README.md").read_text(encoding="utf-8")
    rows = _environment.table(_subparsers())
    assert len(rows) > 30
    for name, flag, commands in rows:
        assert f"| `{name}` | `{flag}` | {', '.join(commands)} |" in readme, name
