"""Run the conformance suites against a target in a pytest subprocess and return a verdict.

A subprocess keeps Hypothesis, schemathesis' check registry and allure's listeners fresh for
every run (``mutants`` runs many in one process). The target reaches it through the
environment: the profile as a temporary file without any inline token, the token in
``OMS_HARNESS_TOKEN``. After the run every file it wrote (and only those: a results
directory may hold the user's own files) is swept for secrets.

The suites get a time limit (``timeout=``, ``OMS_HARNESS_CONFORMANCE_TIMEOUT`` seconds, or
:func:`default_timeout` from the fuzz budget). At the limit pytest is interrupted (so the
outcomes so far are kept), then killed with its process group; the run is exit 3 "target
unavailable" unless a contract violation was already seen (exit 1).
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import IO

from .. import lifeline
from .._resources import conformance_dir
from ..child_env import child_env
from ..durations import parse_duration
from ..errors import UsageError
from ..profile import TargetProfile, render_profile
from ..redaction import Redactor, snapshot, written_since
from ..target import Target, as_target
from . import progress
from .areas import FUZZ_MODULES, SEMANTIC_MODULES
from .repro import repro_command
from .result_files import finish_outputs
from .results import AreaCounts, ConformanceResult, render_summary, summarise
from .target import (
    DEFAULT_MAX_EXAMPLES,
    ENV_MAX_EXAMPLES,
    ENV_PROFILE,
    ENV_REPRO,
    ENV_RESULTS,
    ENV_SEED,
    ENV_TOKEN,
)

__all__ = [
    "AreaCounts",
    "ConformanceResult",
    "default_timeout",
    "pytest_command",
    "run_conformance",
]

ONLY_CHOICES = ("fuzz", "semantic")
PLUGINS = ("schemathesis.pytest.plugin", "_hypothesis_pytestplugin", "allure_pytest.plugin")
"""The only third-party pytest plugins the suites need. Autoloading the rest (locust pulls
in gevent, xdist, anyio, ...) doubled the start-up time of every run."""
_SCRUBBED_ENV = ("PYTEST_ADDOPTS", "PYTEST_PLUGINS", "PYTEST_XDIST_WORKER")
"""Besides every credential (see :mod:`oms_harness.child_env`): pytest gets the token only."""
ENV_TIMEOUT = "OMS_HARNESS_CONFORMANCE_TIMEOUT"
INTERRUPT_GRACE_S = 10.0
"""After SIGINT at the time limit, how long pytest gets to write its results before SIGKILL."""


def default_timeout(max_examples: int) -> float:
    """Seconds the suites may take: 10 min for the semantic suites and start-up, plus 3 s per
    fuzz example (two fuzz tests; a healthy target answers in milliseconds, a hung one hits
    the 15 s request timeout of every call, which this bound cuts short)."""
    return 600.0 + 3.0 * max_examples


def _timeout(timeout: float | None, max_examples: int) -> float:
    if timeout is None:
        raw = os.environ.get(ENV_TIMEOUT, "").strip()
        if not raw:
            return default_timeout(max_examples)
        timeout = parse_duration(raw, ENV_TIMEOUT)
    if not timeout > 0:
        raise UsageError(f"the conformance time limit must be positive, not {timeout:g} s")
    return timeout


def pytest_command(
    *,
    only: str | None = None,
    junitxml: Path | None = None,
    alluredir: Path | None = None,
    extra: tuple[str, ...] = (),
) -> list[str]:
    """The pytest invocation of the suites (its own ini and rootdir: no project settings)."""
    suites = conformance_dir()
    if only is None:
        modules = (*SEMANTIC_MODULES, *FUZZ_MODULES)
    elif only == "semantic":
        modules = SEMANTIC_MODULES
    elif only == "fuzz":
        modules = FUZZ_MODULES
    else:
        raise UsageError(f"--only must be one of {', '.join(ONLY_CHOICES)}, not {only!r}")
    command = [sys.executable, "-m", "pytest", "-c", str(suites / "pytest.ini")]
    # -rN: no "short test summary"; the runner's own summary names each failure once
    command += ["--rootdir", str(suites), "-q", "--tb=short", "-rN", "--color=no"]
    for plugin in PLUGINS:
        command += ["-p", plugin]
    # xunit2: the schema CI tools validate; spec gaps go in as testsuite properties.
    command += ["-o", "junit_family=xunit2", "-o", "junit_suite_name=conformance"]
    if junitxml is not None:
        command.append(f"--junitxml={junitxml}")
    if alluredir is not None:
        command.append(f"--alluredir={alluredir}")
    command += list(extra)
    command += [str(suites / module) for module in modules]
    return command


_SECTION = re.compile(r"^=+ (FAILURES|ERRORS) =+$")
_SECTION_END = re.compile(
    r"^=+ (warnings summary|short test summary info) =+$"
    r"|^(=+ )?\d+ (failed|passed|skipped|error|errors|deselected)\b.* in [\d.]+s"
)
"""What follows pytest's failure sections: its warnings (kept: they are not failures) or
its final line."""
_DOTS = re.compile(r"[.FEsxX]+\s*(\[\s*\d+%\])?")
"""A line of pytest's ``-q`` progress dots (replaced by the progress records)."""


def _stream(stream: IO[str], redact: Redactor, echo: bool) -> str:
    """Relay pytest's output (redacted, progress records as lines, no dots); return its
    last non-blank line that is not a progress record.

    pytest's failure sections (tracebacks) are not relayed: each failure is named once, by
    the summary, and its full text is in the JUnit and Allure results.
    """
    last = ""
    hiding = False
    for line in stream:
        clean = redact(line)
        before, record = progress.split(clean.strip())
        if record is not None and echo:
            print(progress.format_line(record), flush=True)
        if before:
            last = before
        if _SECTION.match(before):
            hiding = True
        elif hiding and _SECTION_END.match(before):
            hiding = False
        if hiding and not before.startswith("!"):  # "!!! Interrupted: why !!!" still shows
            continue
        if echo and before and not _DOTS.fullmatch(before):
            print(before, flush=True)
        elif echo and not before and record is None:
            sys.stdout.write(clean)
            sys.stdout.flush()
    return last


def _signal_group(process: subprocess.Popen[str], signum: signal.Signals) -> None:
    """Signal pytest's process group (it leads it); nothing when it has already exited."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signum)


def _expire(process: subprocess.Popen[str], expired: threading.Event) -> None:
    """At the time limit: SIGINT (pytest writes the outcomes so far), then SIGKILL."""
    if process.poll() is not None:
        return  # finished just in time
    expired.set()
    _signal_group(process, signal.SIGINT)
    try:
        process.wait(timeout=INTERRUPT_GRACE_S)
    except subprocess.TimeoutExpired:
        _signal_group(process, signal.SIGKILL)


def run_conformance(
    target: Target | TargetProfile,
    *,
    max_examples: int = DEFAULT_MAX_EXAMPLES,
    seed: int | None = None,
    only: str | None = None,
    junitxml: Path | None = None,
    alluredir: Path | None = None,
    echo: bool = True,
    timeout: float | None = None,
    quiet: bool = False,
    summary: bool = True,
) -> ConformanceResult:
    """Preflight the target, run the suites, and summarise (printing it when ``echo``).

    ``quiet`` keeps the progress lines and pytest's output back (the summary still prints).
    ``timeout`` bounds the suites in seconds (default: ``OMS_HARNESS_CONFORMANCE_TIMEOUT``,
    else :func:`default_timeout`). ``summary=False`` leaves the area table and the failures
    to a caller that prints its own verdict (the gate), so neither is shown twice.
    """
    if max_examples < 1:
        raise UsageError("--max-examples must be at least 1")
    limit = _timeout(timeout, max_examples)
    target = as_target(target)
    profile = target.profile
    token = target.token()  # the command's one preflight (shared with the gate's phases)
    seed = random.randrange(2**32) if seed is None else seed
    redact = target.secrets.redactor()
    # pytest runs in a temporary directory: relative paths are the caller's, so anchor them here.
    junitxml = junitxml.resolve() if junitxml is not None else None
    alluredir = alluredir.resolve() if alluredir is not None else None
    command = pytest_command(only=only, junitxml=junitxml, alluredir=alluredir)
    for path in (junitxml, alluredir):
        if path is not None:
            (path if path == alluredir else path.parent).mkdir(parents=True, exist_ok=True)
    before = snapshot(junitxml, alluredir)
    repro = repro_command(profile, seed=seed, max_examples=max_examples, only="fuzz")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="oms-conformance-") as workdir:
        work = Path(workdir)
        profile_path = work / "target.toml"
        anonymous = replace(profile, credentials=replace(profile.credentials, token=None))
        profile_path.write_text(render_profile(anonymous), encoding="utf-8")
        profile_path.chmod(0o600)
        results_path = work / "results.json"
        env = child_env(target.secrets, credential_env=target.credential_env)
        for name in _SCRUBBED_ENV:
            env.pop(name, None)
        env.update(
            {
                ENV_PROFILE: str(profile_path),
                ENV_TOKEN: token,
                ENV_SEED: str(seed),
                ENV_MAX_EXAMPLES: str(max_examples),
                ENV_RESULTS: str(results_path),
                ENV_REPRO: repro,
                "PYTHONDONTWRITEBYTECODE": "1",
                "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
                **lifeline.child_environment(),
            }
        )
        if echo:
            print(f"conformance: {profile.base_url} (seed {seed}, {max_examples} fuzz examples)")
            sys.stdout.flush()
        with subprocess.Popen(
            command,
            cwd=work,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
            errors="replace",
            start_new_session=True,  # its own process group: the time limit stops all of it
            preexec_fn=lifeline.preexec_for(os.getpid()),  # it dies with us, even by SIGKILL
        ) as process:
            assert process.stdout is not None
            expired = threading.Event()
            timer = threading.Timer(limit, _expire, (process, expired))
            timer.daemon = True
            timer.start()
            try:
                last_line = _stream(process.stdout, redact, echo and not quiet)
                status = process.wait()
            except BaseException:
                _signal_group(process, signal.SIGKILL)
                raise
            finally:
                timer.cancel()
        timed_out = ""
        if expired.is_set():
            timed_out = (
                f"the suites did not finish within {limit:g} s (the target answers too slowly "
                f"or hangs); set {ENV_TIMEOUT} to allow longer"
            )
        result = summarise(
            results_path,
            seed=seed,
            max_examples=max_examples,
            duration_s=time.monotonic() - started,
            pytest_status=status,
            pytest_last_line=last_line,
            timed_out=timed_out,
        )
        result = replace(result, repro=repro)
        finish_outputs(
            results_path,
            alluredir,
            junitxml,
            token_env=profile.credentials.token_env,
            repro=repro,
        )
    for path in written_since(before, junitxml, alluredir):
        redact.file(path)
    if echo and summary:
        print(render_summary(result))
    return result
