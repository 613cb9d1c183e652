"""While a run is active, no child carries a secret on its command line, and each child's
environment holds only the credentials its job needs.

Every descendant of the harness is sampled from ``/proc`` (via psutil) while the run is
under way: ``/proc/<pid>/cmdline`` is readable by every user of the machine, so no secret
may ever be there; ``/proc/<pid>/environ`` shows what each child inherited.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import pytest

from oms_harness.local_target import LocalTarget, local_reference
from oms_harness.reference.auth import DEV_API_KEY, DEV_API_SECRET
from oms_harness.report.render import allure_command

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

JWT = re.compile(r"eyJ[A-Za-z0-9_-]{2,}\.eyJ[A-Za-z0-9_-]{2,}")
RUN_TIMEOUT_S = 300


@dataclass(frozen=True)
class Seen:
    cmdline: str
    environ: dict[str, str]


def _watch(process: subprocess.Popen[str]) -> dict[tuple[int, str], Seen]:
    """Every descendant seen while ``process`` runs (sampled every 50 ms), per program.

    A child sampled between fork and exec is still a copy of the harness (its command line
    and environment): such a sample is not a child's, so it is dropped, and a pid is sampled
    again whenever its command line changes (the exec has happened since).
    """
    seen: dict[tuple[int, str], Seen] = {}
    parent = psutil.Process(process.pid)
    harness = " ".join(parent.cmdline())
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while process.poll() is None and time.monotonic() < deadline:
        try:
            children = parent.children(recursive=True)
        except psutil.NoSuchProcess:
            break
        for child in children:
            try:
                cmdline = " ".join(child.cmdline())
                if cmdline == harness or (child.pid, cmdline) in seen:
                    continue
                environ = child.environ()
                if " ".join(child.cmdline()) != cmdline:
                    continue  # it exec'd while being read: the next sample has it whole
                seen[(child.pid, cmdline)] = Seen(cmdline, environ)
            except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                continue
        time.sleep(0.05)
    return seen


def _run(
    argv: list[str], env: dict[str, str], cwd: Path
) -> tuple[int, str, dict[tuple[int, str], Seen]]:
    with subprocess.Popen(
        [sys.executable, "-m", "oms_harness", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
    ) as process:
        try:
            seen = _watch(process)
            output, _ = process.communicate(timeout=RUN_TIMEOUT_S)
        finally:
            if process.poll() is None:
                process.kill()
    return process.returncode, output, seen


def _kinds(seen: dict[tuple[int, str], Seen]) -> dict[str, list[Seen]]:
    kinds: dict[str, list[Seen]] = {"pytest": [], "locust": [], "node": [], "other": []}
    for entry in seen.values():
        if " -m pytest " in entry.cmdline:
            kinds["pytest"].append(entry)
        elif "locust" in entry.cmdline:
            kinds["locust"].append(entry)
        elif "node" in entry.cmdline.split(" ", 1)[0] or "allure" in entry.cmdline:
            kinds["node"].append(entry)
        else:
            kinds["other"].append(entry)
    return kinds


def _client_credentials_profile(inline: Path, path: Path) -> None:
    lines = [
        line for line in inline.read_text(encoding="utf-8").splitlines() if "token" not in line
    ]
    at = lines.index("[customers]")
    lines[at:at] = ['api_key_env = "OMS_TEST_API_KEY"', 'api_secret_env = "OMS_TEST_API_SECRET"']
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _values(environ: dict[str, str]) -> str:
    return "\n".join(environ.values())


def test_gate_children_carry_no_secret_and_only_the_credentials_they_need(
    tmp_path: Path,
) -> None:
    profile = tmp_path / "cc.toml"
    with local_reference(workdir=tmp_path / "ref") as reference:
        _client_credentials_profile(reference.profile_path, profile)
        env = {**os.environ, "OMS_TEST_API_KEY": DEV_API_KEY, "OMS_TEST_API_SECRET": DEV_API_SECRET}
        env.pop("OMS_TOKEN", None)
        argv = ["gate", "--profile", str(profile), "--report-dir", str(tmp_path / "r")]
        code, output, seen = _run([*argv, "--max-examples", "5", "--quiet"], env, tmp_path)
    assert code == 0, output[-3000:]
    kinds = _kinds(seen)
    assert kinds["pytest"], seen
    assert kinds["locust"], seen
    if allure_command() is not None:
        assert kinds["node"], seen
    for entry in seen.values():
        for secret in (DEV_API_KEY, DEV_API_SECRET):
            assert secret not in entry.cmdline
        assert not JWT.search(entry.cmdline), entry.cmdline
        assert "OMS_TEST_API_KEY" not in entry.environ
        assert "OMS_TEST_API_SECRET" not in entry.environ
    for entry in kinds["pytest"] + kinds["node"]:  # they exchange nothing
        assert DEV_API_KEY not in _values(entry.environ)
        assert DEV_API_SECRET not in _values(entry.environ)
    for entry in kinds["node"]:  # and send no request
        assert not JWT.search(_values(entry.environ))
    for entry in kinds["pytest"]:
        assert JWT.search(entry.environ.get("OMS_HARNESS_TOKEN", ""))
    for entry in kinds["locust"]:  # the generator exchanges its own tokens
        assert entry.environ.get("OMS_HARNESS_LOAD_API_SECRET") == DEV_API_SECRET


def _token_env_profile(reference: LocalTarget, tmp_path: Path) -> tuple[Path, str]:
    """The reference's profile with its token read from $OMS_TEST_TOKEN instead (and the token)."""
    token = reference.profile.credentials.token
    assert token
    lines = reference.profile_path.read_text(encoding="utf-8").splitlines()
    profile = tmp_path / "env-token.toml"
    kept = [line for line in lines if not line.startswith("token")]
    profile.write_text("\n".join(['token_env = "OMS_TEST_TOKEN"', *kept]) + "\n", "utf-8")
    return profile, token


def test_load_children_with_a_static_token(tmp_path: Path) -> None:
    with local_reference(workdir=tmp_path / "ref") as reference:
        profile, token = _token_env_profile(reference, tmp_path)
        env = {**os.environ, "OMS_TEST_TOKEN": token}
        argv = ["load", "--profile", str(profile), "--report-dir", str(tmp_path / "load")]
        code, output, seen = _run([*argv, "--duration", "5s", "--processes", "2"], env, tmp_path)
    assert code in (0, 1), output[-3000:]
    kinds = _kinds(seen)
    assert len(kinds["locust"]) >= 2, seen  # the master and its forked workers
    for entry in seen.values():
        assert token not in entry.cmdline
        assert "OMS_TEST_TOKEN" not in entry.environ
        assert "OMS_HARNESS_LOAD_API_KEY" not in entry.environ
    for entry in kinds["locust"]:
        assert entry.environ.get("OMS_HARNESS_LOAD_TOKEN") == token


def test_every_child_of_a_load_run_gets_an_environment_made_for_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spawns: list[Any]
) -> None:
    """Exact where the sampling above is not: a child that lives a millisecond (``uname -p``
    behind ``platform.platform()`` did) is seen by the audit hook all the same."""
    from oms_harness import cli

    with local_reference(workdir=tmp_path / "ref") as reference:
        profile, token = _token_env_profile(reference, tmp_path)
        monkeypatch.setenv("OMS_TEST_TOKEN", token)
        argv = ["load", "--profile", str(profile), "--report-dir", str(tmp_path / "load")]
        baseline = ["--save-baseline", "b", "--baseline-dir", str(tmp_path / "baselines")]
        code = cli.main([*argv, "--duration", "3s", *baseline])
    assert code in (0, 1)
    assert any("locust" in " ".join(spawn.args) for spawn in spawns), spawns
    for spawn in spawns:
        assert spawn.env is not None, spawn.args  # nothing inherits the harness's environment
        assert "OMS_TEST_TOKEN" not in spawn.env, spawn.args
        assert token not in " ".join(spawn.args)
        holders = {name for name, value in spawn.env.items() if token in value}
        assert holders <= {"OMS_HARNESS_LOAD_TOKEN"}, (spawn.args, holders)
