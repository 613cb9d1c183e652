"""The Locust process: its environment, its session, its bound, its progress lines, its stop.

Locust runs in its own session so that its forked workers stop with it, and it gets the
parent-death signal so that it stops with the harness (:mod:`..lifeline`), however the
harness dies. Its environment is the user's without any credential (:mod:`..child_env`),
plus the plan's path and the token by environment only: never on a command line.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from .. import lifeline
from ..child_env import child_env
from ..errors import HarnessError
from ..exit_codes import ExitCode
from ..redaction import Redactor
from ..run_secrets import RunSecrets
from .names import PLAN_ENV, PROGRESS_PREFIX, SHAPE_ENV, TOKEN_ENV
from .progress import LogFollower, ProgressPrinter

TRANSPORT_WARNING = "load transport:"


class GeneratorFailedError(HarnessError):
    """Locust ended without results: the run measured nothing trustworthy."""

    exit_code = ExitCode.RESULT_INVALID


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def locust_env(
    plan_path: Path,
    token: str,
    *,
    shaped: bool,
    secrets: Mapping[str, str] | None = None,
    run_secrets: RunSecrets | None = None,
    credential_env: tuple[str, ...] = (),
) -> dict[str, str]:
    """Locust's environment: the user's without any credential or ``LOCUST_*`` setting, plus
    the plan's path, the token and (client credentials only) the key and secret."""
    env = child_env(run_secrets, credential_env=credential_env)
    env = {k: v for k, v in env.items() if not k.startswith("LOCUST_")}
    env.update({PLAN_ENV: str(plan_path), TOKEN_ENV: token, "PYTHONUNBUFFERED": "1"})
    env.update(secrets or {})
    env.update(lifeline.child_environment())
    env.pop(SHAPE_ENV, None)
    if shaped:
        env[SHAPE_ENV] = "1"
    return env


def run_locust(
    command: list[str],
    env: Mapping[str, str],
    cwd: Path,
    log_path: Path,
    timeout: float,
    *,
    progress: ProgressPrinter | None,
) -> int:
    """Run Locust in its own session (so its forked workers die with it), bounded by ``timeout``.

    The child gets the parent-death signal (and watches our pid): if the harness dies, even
    by SIGKILL, Locust and its workers stop at once instead of loading the target until
    their backstop. With ``progress``, each progress record in the log becomes one line.
    """
    started = time.monotonic()
    follower, warned = LogFollower(log_path), set[str]()
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            env=dict(env),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=lifeline.preexec_for(os.getpid()),
        )
        try:
            while True:
                try:
                    code = process.wait(timeout=0.25)
                except subprocess.TimeoutExpired:
                    code = None
                if progress is not None:
                    _echo_progress(follower, progress, warned)
                if code is not None:
                    return code
                if time.monotonic() - started > timeout:
                    _stop_group(process)
                    raise GeneratorFailedError(
                        f"Locust did not end within {timeout:.0f} s; stopped it"
                    )
        except BaseException:
            _stop_group(process)
            raise


def _echo_progress(follower: LogFollower, progress: ProgressPrinter, seen: set[str]) -> None:
    for line in follower.lines():
        text = progress.feed(line)
        if text is not None:
            print(text, flush=True)
        elif TRANSPORT_WARNING in line:
            warning = line[line.index(TRANSPORT_WARNING) :]
            if warning not in seen:  # once, however many processes say it
                seen.add(warning)
                print(f"  WARNING {warning}", file=sys.stderr, flush=True)


def _stop_group(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    for sig, wait in ((signal.SIGINT, 5.0), (signal.SIGTERM, 3.0), (signal.SIGKILL, 3.0)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def log_tail(path: Path, secrets: list[str], lines: int = 5) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    tail = [line for line in text.splitlines() if line.strip()]
    tail = [line for line in tail if PROGRESS_PREFIX not in line][-lines:]
    return Redactor(secrets)(" | ".join(tail))[-400:]
