"""local_reference(): starts the reference on a free port, always stops it."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import httpx
import psutil
import pytest

from oms_harness.errors import TargetUnavailableError
from oms_harness.local_target import local_reference
from oms_harness.profile import ROLES


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is gone for our purposes; Popen.wait() reaps it
    with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
        return handle.read().split()[2] != "Z"


def test_it_serves_writes_a_full_profile_and_stops(tmp_path: Path) -> None:
    with local_reference(workdir=tmp_path) as target:
        assert target.base_url.startswith("http://127.0.0.1:")
        assert target.base_url.endswith("/v0.9")
        assert target.profile.base_url == target.base_url
        assert set(target.profile.customers) == set(ROLES)
        assert target.profile.supported_currencies == ("USD", "EUR", "GBP")
        assert target.profile.expected["empty"] == {"USD": "0.00", "EUR": "0.00", "GBP": "0.00"}
        assert stat.S_IMODE(target.profile_path.stat().st_mode) == 0o600
        token = target.profile.credentials.token
        assert token is not None
        funded = target.profile.customers["funded"]
        response = httpx.get(
            f"{target.base_url}/customers/{funded}/balance",
            headers={"authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert response.status_code == 200
        assert _alive(target.pid)
        pid = target.pid
    assert not _alive(pid)
    assert token not in target.log_path.read_text(encoding="utf-8")


def _run_and_raise(error: BaseException, pids: list[int]) -> None:
    with local_reference() as target:
        pids.append(target.pid)
        raise error


@pytest.mark.parametrize("error", [RuntimeError("boom"), KeyboardInterrupt()])
def test_it_stops_the_server_when_the_block_raises(error: BaseException) -> None:
    pids: list[int] = []
    with pytest.raises(type(error)):
        _run_and_raise(error, pids)
    assert len(pids) == 1
    assert not _alive(pids[0])


def test_a_server_that_cannot_start_is_one_line_target_unavailable() -> None:
    with pytest.raises(TargetUnavailableError) as caught, local_reference(mutant="no-such"):
        pass
    message = str(caught.value)
    assert "\n" not in message
    assert "unknown mutant" in message


def test_the_missing_role_is_a_fresh_unknown_id() -> None:
    with local_reference() as first, local_reference() as second:
        assert first.profile.customers["missing"] != second.profile.customers["missing"]
        token = first.profile.credentials.token
        missing = first.profile.customers["missing"]
        response = httpx.get(
            f"{first.base_url}/customers/{missing}/balance",
            headers={"authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert response.status_code == 404


def test_the_profile_carries_an_expired_token_the_server_rejects() -> None:
    with local_reference() as target:
        expired = target.profile.credentials.expired_token
        assert expired is not None
        assert expired != target.profile.credentials.token
        funded = target.profile.customers["funded"]
        response = httpx.get(
            f"{target.base_url}/customers/{funded}/balance",
            headers={"authorization": f"Bearer {expired}"},
            timeout=10,
        )
        assert response.status_code == 401


_SUPERVISOR = """
import sys, time
from oms_harness.local_target import local_reference
with local_reference() as target:
    print(target.pid, flush=True)
    time.sleep(120)
"""


def test_the_server_dies_with_a_supervisor_killed_by_sigkill() -> None:
    """No finally block runs on SIGKILL: the closed stdin pipe is what stops the child."""
    supervisor = subprocess.Popen(
        [sys.executable, "-c", _SUPERVISOR], stdout=subprocess.PIPE, text=True
    )
    try:
        assert supervisor.stdout is not None
        server_pid = int(supervisor.stdout.readline())
        assert psutil.pid_exists(server_pid)
        supervisor.kill()
        supervisor.wait(timeout=30)
        psutil.Process(server_pid).wait(timeout=30)  # raises TimeoutExpired if it lingers
    except psutil.NoSuchProcess:
        pass  # already gone: what we want
    finally:
        if supervisor.poll() is None:
            supervisor.kill()
            supervisor.wait()
        if supervisor.stdout is not None:
            supervisor.stdout.close()
