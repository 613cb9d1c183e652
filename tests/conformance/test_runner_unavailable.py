"""A target that dies after the preflight is "target unavailable" (exit 3), not a violation."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from oms_harness.local_target import local_reference

RUN_TIMEOUT_S = 300


@pytest.mark.e2e
def test_target_killed_after_preflight_exits_3() -> None:
    with local_reference() as reference:
        command = [sys.executable, "-m", "oms_harness", "conformance"]
        command += ["--profile", str(reference.profile_path), "--max-examples", "5", "--seed", "3"]
        with subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        ) as runner:
            assert runner.stdout is not None
            try:
                # The runner prints its first line after the preflight, before the suites.
                first = runner.stdout.readline()
                assert first.startswith("conformance: http://127.0.0.1:"), first
                os.kill(reference.pid, signal.SIGKILL)
                rest, _ = runner.communicate(timeout=RUN_TIMEOUT_S)
            finally:
                if runner.poll() is None:
                    runner.kill()
        token = reference.profile.credentials.token
    output = first + rest
    assert runner.returncode == 3, output
    lines = output.splitlines()
    assert any(line.startswith("conformance TARGET UNAVAILABLE:") for line in lines), output
    assert (
        "target unavailable: target became unreachable: connection refused (ConnectError)" in lines
    ), output
    assert "the target did not answer 3 tests in a row" in output
    assert token
    assert token not in output
