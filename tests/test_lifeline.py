"""Children die with the harness, however it dies: SIGKILL during a load and a conformance run.

The request counter sits at the target (a counting relay in front of the local reference),
so "no further request" is measured where it matters, not from what the children report.
Waits are bounded wait-for-condition loops with generous limits, never wall-time asserts.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import psutil
import pytest
from counting_proxy import CountingProxy, counting_proxy

from oms_harness import lifeline
from oms_harness.local_target import local_reference
from oms_harness.profile import load_profile, render_profile

LIMIT_S = 60.0
"""Generous bound of every wait (a loaded 2-core machine); the harness promises 5 s."""
QUIET_S = 2.0
"""After the children are gone, the counter must not move during this long."""


def wait_for(condition: Callable[[], bool], what: str, limit: float = LIMIT_S) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.1)


def test_parent_death_signal_is_armed_on_linux() -> None:
    if not sys.platform.startswith("linux"):
        pytest.skip("PR_SET_PDEATHSIG is Linux-only; the parent watch covers other systems")
    code = (
        "import ctypes, signal, sys; from oms_harness import lifeline; "
        "assert lifeline.set_parent_death_signal(signal.SIGTERM); "
        "value = ctypes.c_int(); libc = ctypes.CDLL(None); "
        "libc.prctl(2, ctypes.byref(value), 0, 0, 0); sys.exit(0 if value.value == 15 else 1)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_the_watch_is_off_outside_the_harness() -> None:
    assert lifeline.watch_parent({}) is False
    assert lifeline.watch_parent({lifeline.PARENT_PID_ENV: "not-a-pid"}) is False


def test_a_child_whose_parent_is_already_gone_ends_itself() -> None:
    called: list[bool] = []
    assert lifeline.watch_parent(
        {lifeline.PARENT_PID_ENV: str(os.getppid() + 1_000_000)},
        on_orphaned=lambda: called.append(True),
    )
    assert called == [True]


def test_the_watch_notices_a_parent_that_dies(tmp_path: Path) -> None:
    """A grandchild watched by the lifeline (no parent-death signal: the watch alone)."""
    marker = tmp_path / "orphaned"
    grandchild = (
        "import os, sys, time; from oms_harness import lifeline; "
        "lifeline.set_parent_death_signal = lambda sig=0: False; "
        f"lifeline.watch_parent(on_orphaned=lambda: (open({str(marker)!r}, 'w').close(), "
        "os._exit(0))); time.sleep(60)"
    )
    middle = (
        "import os, subprocess, sys; from oms_harness import lifeline; "
        "env = {**os.environ, **lifeline.child_environment()}; "
        f"p = subprocess.Popen([sys.executable, '-c', {grandchild!r}], env=env); "
        "print(p.pid, flush=True); import time; time.sleep(60)"
    )
    with subprocess.Popen(
        [sys.executable, "-c", middle], stdout=subprocess.PIPE, text=True
    ) as parent:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        time.sleep(0.5)  # let the watch start before its parent dies
        parent.kill()
    wait_for(marker.exists, "the orphaned child to notice")
    wait_for(lambda: not psutil.pid_exists(child) or psutil.Process(child).status() == "zombie",
             "the orphaned child to exit")  # fmt: skip


def _profile_through(proxy: CountingProxy, source: Path, tmp_path: Path) -> Path:
    profile = load_profile(source)
    parts = urlsplit(profile.base_url)
    url = parts._replace(netloc=f"127.0.0.1:{proxy.port}").geturl()
    path = tmp_path / "through-proxy.toml"
    path.write_text(render_profile(profile.with_overrides(base_url=url)), encoding="utf-8")
    return path


def _kill_and_check(harness: subprocess.Popen[str], proxy: CountingProxy, least: int) -> None:
    wait_for(lambda: proxy.requests >= least, f"{least} requests at the target")
    root = psutil.Process(harness.pid)
    children = root.children(recursive=True)
    assert children, "the harness started no child"
    harness.send_signal(signal.SIGKILL)
    harness.wait()

    def all_gone() -> bool:
        return all(
            not child.is_running() or child.status() == psutil.STATUS_ZOMBIE for child in children
        )

    wait_for(all_gone, "every child of the killed harness to exit")
    settled = proxy.requests
    time.sleep(QUIET_S)
    assert proxy.requests == settled, "the target still got requests after the harness died"


def _upstream(base_url: str) -> tuple[str, int]:
    parts = urlsplit(base_url)
    return parts.hostname or "127.0.0.1", int(parts.port or 80)


@pytest.mark.e2e
@pytest.mark.slow
def test_sigkill_during_load_with_two_processes_leaves_no_child(tmp_path: Path) -> None:
    with (
        local_reference(workdir=tmp_path / "ref") as target,
        counting_proxy(_upstream(target.base_url)) as proxy,
    ):
        profile = _profile_through(proxy, target.profile_path, tmp_path)
        harness = subprocess.Popen(
            [sys.executable, "-m", "oms_harness", "load", "--profile", str(profile),
             "--processes", "2", "--rate", "40", "--duration", "60s", "--quiet",
             "--report-dir", str(tmp_path / "reports")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
            cwd=tmp_path, text=True,
        )  # fmt: skip
        try:
            _kill_and_check(harness, proxy, least=100)
        finally:
            if harness.poll() is None:
                harness.kill()


@pytest.mark.e2e
@pytest.mark.slow
def test_sigkill_during_conformance_leaves_no_child(tmp_path: Path) -> None:
    with (
        local_reference(workdir=tmp_path / "ref") as target,
        counting_proxy(_upstream(target.base_url)) as proxy,
    ):
        profile = _profile_through(proxy, target.profile_path, tmp_path)
        harness = subprocess.Popen(
            [sys.executable, "-m", "oms_harness", "conformance", "--profile", str(profile),
             "--max-examples", "2000"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
            cwd=tmp_path, text=True,
        )  # fmt: skip
        try:
            _kill_and_check(harness, proxy, least=60)
        finally:
            if harness.poll() is None:
                harness.kill()


@pytest.mark.e2e
@pytest.mark.slow
def test_sigkill_leaves_no_token_file_of_the_embedded_reference(tmp_path: Path) -> None:
    harness = subprocess.Popen(
        [sys.executable, "-m", "oms_harness", "conformance", "--max-examples", "2000"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
        cwd=tmp_path, text=True,
    )  # fmt: skip
    try:
        root = psutil.Process(harness.pid)

        def pytest_started() -> bool:
            return any("pytest" in " ".join(c.cmdline()) for c in root.children(recursive=True))

        wait_for(pytest_started, "the conformance suites to start")
        children = root.children(recursive=True)
        serve = next(c for c in children if "--write-profile" in c.cmdline())
        written = Path(serve.cmdline()[serve.cmdline().index("--write-profile") + 1])
        assert written.exists()
        harness.kill()
        harness.wait()
        wait_for(lambda: not any(c.is_running() and c.status() != "zombie" for c in children),
                 "every child to exit")  # fmt: skip
        assert not written.exists(), "the reference left its token-bearing profile behind"
        assert not re.search(r"oms-conformance-", " ".join(os.listdir(tmp_path)))
    finally:
        if harness.poll() is None:
            harness.kill()
