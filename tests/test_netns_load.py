"""scripts/netns_load.py: master and two workers in separate network namespaces, the reference
in a third; binds, merged histograms and a worker killed mid-run (see the script)."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_distributed_run_across_network_namespaces(repo_root: Path) -> None:
    script = repo_root / "scripts" / "netns_load.py"
    result = subprocess.run(
        [sys.executable, str(script), "--rate", "40", "--duration", "10"],
        capture_output=True, text=True, timeout=600, check=False, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    if result.returncode == 2:
        pytest.skip(f"network namespaces unavailable: {result.stderr.strip()}")
    report = json.loads(result.stdout)
    failed = [c for c in report["checks"] if not c["passed"]]
    assert not failed, json.dumps(failed, indent=1)
    assert len(report["checks"]) == 5
    names = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=False)
    left = {line.split(" ", 1)[0] for line in names.stdout.splitlines()}
    assert len(report["namespaces"]) == 5
    assert not left & set(report["namespaces"])  # every namespace the script made is gone


def _script(repo_root: Path) -> Any:
    spec = importlib.util.spec_from_file_location("netns_load", repo_root / "scripts/netns_load.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _namespaces() -> set[str]:
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=False)
    return {line.split(" ", 1)[0] for line in listed.stdout.splitlines()}


def test_namespaces_of_a_run_that_died_are_swept_and_a_live_runs_are_kept(
    repo_root: Path,
) -> None:
    script = _script(repo_root)
    reason = script.unavailable()
    if reason is not None:
        pytest.skip(f"network namespaces unavailable: {reason}")
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # its pid now names no process
    stale, live = f"oms{gone.pid}-w1", f"oms{os.getpid()}-w2"
    try:
        for name in (stale, live):
            subprocess.run(["ip", "netns", "add", name], check=True, capture_output=True)
        assert stale in script.sweep_stale()
        assert live in _namespaces()
        assert stale not in _namespaces()
    finally:
        for name in (stale, live):
            subprocess.run(["ip", "netns", "del", name], check=False, capture_output=True)


def test_a_stopped_run_removes_its_namespaces(repo_root: Path) -> None:
    script = repo_root / "scripts" / "netns_load.py"
    if (reason := _script(repo_root).unavailable()) is not None:
        pytest.skip(f"network namespaces unavailable: {reason}")
    run = subprocess.Popen(
        [sys.executable, str(script), "--rate", "20", "--duration", "30"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        hub = f"oms{run.pid}-hub"
        deadline = time.monotonic() + 60
        while hub not in _namespaces() and run.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert hub in _namespaces(), "the run made no namespaces"
        run.send_signal(signal.SIGTERM)
        assert run.wait(timeout=120) == 128 + signal.SIGTERM
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
    assert not {name for name in _namespaces() if name.startswith(f"oms{run.pid}-")}
