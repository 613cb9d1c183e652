"""Start the local reference as a subprocess for as long as a ``with`` block runs.

Used by ``conformance``/``gate``/``mutants`` when no target is given, and by the tests.
The child is ``python -m oms_harness serve --port 0 --write-profile FILE``; it is ready
when it prints its listening line, and it is always stopped (SIGTERM, then SIGKILL),
whatever ends the block: an exception, a failed assertion, Ctrl-C.
"""

from __future__ import annotations

import contextlib
import selectors
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .child_env import child_env
from .errors import ProfileError, TargetUnavailableError
from .profile import TargetProfile, load_profile

LISTENING_PREFIX = "oms-harness reference listening on "
STOP_TIMEOUT = 5.0
CREDENTIAL_ENV = ("OMS_TOKEN", "OMS_API_KEY", "OMS_API_SECRET")
"""The documented default credential variables: the reference inherits none of them."""


@dataclass(frozen=True)
class LocalTarget:
    """A running local reference."""

    base_url: str
    profile_path: Path
    profile: TargetProfile
    pid: int
    log_path: Path


@contextmanager
def local_reference(
    *,
    mutant: str | None = None,
    variant: str | None = None,
    serve_args: Sequence[str] = (),
    workdir: Path | None = None,
    startup_timeout: float = 30.0,
) -> Iterator[LocalTarget]:
    """Run ``oms-harness serve`` on a free loopback port and yield its description.

    ``mutant`` serves one deliberate contract violation, ``variant`` one benign variant.
    """
    own_dir = workdir is None
    directory = Path(tempfile.mkdtemp(prefix="oms-reference-")) if workdir is None else workdir
    directory.mkdir(parents=True, exist_ok=True)
    switched = mutant or variant
    name = f"reference-{switched}" if switched else "reference"
    profile_path = directory / f"{name}.toml"
    log_path = directory / f"{name}.log"
    command = [sys.executable, "-m", "oms_harness", "serve", "--host", "127.0.0.1", "--port", "0"]
    command += ["--write-profile", str(profile_path), "--stop-on-stdin-eof"]
    if mutant:
        command += ["--mutant", mutant]
    if variant:
        command += ["--variant", variant]
    command += list(serve_args)
    process: subprocess.Popen[str] | None = None
    try:
        with log_path.open("w", encoding="utf-8") as log:
            process = subprocess.Popen(
                command,
                env=child_env(credential_env=CREDENTIAL_ENV),  # a target needs no credential
                stdout=subprocess.PIPE,
                stderr=log,
                stdin=subprocess.PIPE,  # our death closes it: the child stops (no orphans)
                text=True,
                start_new_session=True,  # Ctrl-C reaches us; we stop the child ourselves
            )
        base_url = _await_listening(process, startup_timeout, log_path)
        try:
            profile = load_profile(profile_path)
        except ProfileError as exc:
            raise TargetUnavailableError(
                f"local reference wrote no usable profile: {exc}"
            ) from None
        yield LocalTarget(base_url, profile_path, profile, process.pid, log_path)
    finally:
        if process is not None:
            _stop(process)
        if own_dir:
            shutil.rmtree(directory, ignore_errors=True)


def _await_listening(process: subprocess.Popen[str], timeout: float, log_path: Path) -> str:
    """The base URL from the child's listening line, or one-line failure."""
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TargetUnavailableError(
                    f"local reference did not start within {timeout:g}s (log: {log_path})"
                )
            if not selector.select(remaining):
                continue
            line = process.stdout.readline()
            if not line:  # EOF: the child exited
                process.wait(timeout=STOP_TIMEOUT)
                raise TargetUnavailableError(
                    f"local reference exited with status {process.returncode}: "
                    f"{_last_line(log_path)}"
                )
            if line.startswith(LISTENING_PREFIX):
                return line[len(LISTENING_PREFIX) :].strip()


def _last_line(path: Path) -> str:
    with contextlib.suppress(OSError):
        lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        if lines:
            return lines[-1]
    return "no output"


def _stop(process: subprocess.Popen[str]) -> None:
    """SIGTERM, wait, then SIGKILL; never leaves the child running."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    for stream in (process.stdin, process.stdout):
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()
