"""The Locust process: what it inherits, how long it may run, what it prints, how it stops."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import psutil
import pytest

from oms_harness.load import process
from oms_harness.load.names import PLAN_ENV, PROGRESS_PREFIX, SHAPE_ENV, TOKEN_ENV
from oms_harness.load.progress import ProgressPrinter
from oms_harness.run_secrets import RunSecrets


def test_locust_gets_the_plan_and_the_token_and_no_credential_of_ours(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("OMS_HARNESS_LOAD_START_AT", "1700000000")
    monkeypatch.setenv("LOCUST_USERS", "500")
    monkeypatch.setenv("MY_TOKEN", "tok-from-the-user")
    monkeypatch.setenv("HAS_IT_INSIDE", "prefix-tok-from-the-user")
    monkeypatch.setenv(SHAPE_ENV, "1")
    env = process.locust_env(
        tmp_path / "plan.json",
        "tok-from-the-user",
        shaped=False,
        run_secrets=RunSecrets(["tok-from-the-user"]),
        credential_env=("MY_TOKEN",),
    )
    assert env[PLAN_ENV] == str(tmp_path / "plan.json")
    assert env[TOKEN_ENV] == "tok-from-the-user"
    for name in ("OMS_HARNESS_LOAD_START_AT", "LOCUST_USERS", "MY_TOKEN", "HAS_IT_INSIDE"):
        assert name not in env
    assert SHAPE_ENV not in env  # only the plan decides whether the run is shaped
    assert process.locust_env(tmp_path / "p", "t", shaped=True)[SHAPE_ENV] == "1"


def test_the_exit_code_of_locust_is_returned(tmp_path: Path) -> None:
    command = [sys.executable, "-c", "print('hello'); raise SystemExit(3)"]
    log = tmp_path / "locust.log"
    code = process.run_locust(command, dict(os.environ), tmp_path, log, 60, progress=None)
    assert code == 3
    assert log.read_text(encoding="utf-8").strip() == "hello"


def test_a_locust_that_outlives_its_bound_is_stopped_with_its_children(tmp_path: Path) -> None:
    """A forked worker (here a grandchild) goes too: the whole session is signalled."""
    pid_file = tmp_path / "grandchild.pid"
    script = (
        "import subprocess, sys, time, pathlib\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'])\n"
        f"pathlib.Path({str(pid_file)!r}).write_text(str(child.pid))\n"
        "time.sleep(120)\n"
    )
    command = [sys.executable, "-c", script]
    with pytest.raises(process.GeneratorFailedError, match="did not end within 1 s"):
        process.run_locust(
            command, dict(os.environ), tmp_path, tmp_path / "l.log", 1, progress=None
        )
    deadline = time.monotonic() + 30
    while not pid_file.exists() and time.monotonic() < deadline:  # pragma: no cover - slow start
        time.sleep(0.05)
    grandchild = int(pid_file.read_text(encoding="utf-8"))
    assert _gone(grandchild)


def _gone(pid: int) -> bool:
    """Ended (or a zombie nobody has reaped yet: it runs no more)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.05)
    return False  # pragma: no cover - the failure this test exists for


def test_progress_records_become_lines_and_a_transport_warning_is_said_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    record = PROGRESS_PREFIX + '{"elapsed_s":1,"duration_s":4,"sent":10,"completed":10}'
    warning = f"{process.TRANSPORT_WARNING} a touchpoint is missing"
    lines = [record, f"worker 1: {warning}", f"worker 2: {warning}", "other chatter"]
    script = "import sys\n" + "".join(f"print({line!r}, flush=True)\n" for line in lines)
    command = [sys.executable, "-c", script]
    printer = ProgressPrinter("load steady")
    code = process.run_locust(
        command, dict(os.environ), tmp_path, tmp_path / "l.log", 60, progress=printer
    )
    assert code == 0
    out, err = capsys.readouterr()
    expected = ProgressPrinter("load steady").feed(record)
    assert expected is not None
    assert out.splitlines() == [expected]
    assert err.count(warning) == 1


def test_the_log_tail_hides_secrets_and_progress_records(tmp_path: Path) -> None:
    log = tmp_path / "locust.log"
    record = PROGRESS_PREFIX + '{"elapsed_s":1}'
    log.write_text(f"start\n{record}\n\nboom: bearer s3cr3t-token rejected\n", encoding="utf-8")
    tail = process.log_tail(log, ["s3cr3t-token"])
    assert "s3cr3t-token" not in tail
    assert PROGRESS_PREFIX not in tail
    assert tail.startswith("start | boom: bearer ")
    assert process.log_tail(tmp_path / "missing.log", []) == ""
