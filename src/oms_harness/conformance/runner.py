"""Run the conformance suites against a target in a pytest subprocess and return a verdict.

A subprocess keeps Hypothesis, schemathesis' check registry and allure's listeners fresh for
every run (``mutants`` runs many in one process). The target reaches it through the
environment: the profile as a temporary file without any inline token, the token in
``OMS_HARNESS_TOKEN``. After the run every file it wrote is swept for secrets.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import IO

from .._resources import conformance_dir
from ..errors import UsageError
from ..preflight import preflight
from ..profile import TargetProfile, render_profile
from ..redaction import Redactor
from .areas import FUZZ_MODULES, SEMANTIC_MODULES
from .results import AreaCounts, ConformanceResult, render_summary, summarise
from .target import (
    DEFAULT_MAX_EXAMPLES,
    ENV_MAX_EXAMPLES,
    ENV_PROFILE,
    ENV_RESULTS,
    ENV_SEED,
    ENV_TOKEN,
)

__all__ = ["AreaCounts", "ConformanceResult", "pytest_command", "run_conformance"]

ONLY_CHOICES = ("fuzz", "semantic")
PLUGINS = ("schemathesis.pytest.plugin", "_hypothesis_pytestplugin", "allure_pytest.plugin")
"""The only third-party pytest plugins the suites need. Autoloading the rest (locust pulls
in gevent, xdist, anyio, ...) doubled the start-up time of every run."""
_SCRUBBED_ENV = ("PYTEST_ADDOPTS", "PYTEST_PLUGINS", "PYTEST_XDIST_WORKER")


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
    command += ["--rootdir", str(suites), "-q", "--tb=short", "--color=no"]
    for plugin in PLUGINS:
        command += ["-p", plugin]
    command += ["-o", "junit_family=xunit2", "-o", "junit_suite_name=conformance"]
    if junitxml is not None:
        command.append(f"--junitxml={junitxml}")
    if alluredir is not None:
        command.append(f"--alluredir={alluredir}")
    command += list(extra)
    command += [str(suites / module) for module in modules]
    return command


def _stream(stream: IO[str], redact: Redactor, echo: bool) -> str:
    """Relay pytest's output (redacted) and return its last non-blank line."""
    last = ""
    for line in stream:
        clean = redact(line)
        if clean.strip():
            last = clean.strip()
        if echo:
            sys.stdout.write(clean)
            sys.stdout.flush()
    return last


def run_conformance(
    profile: TargetProfile,
    *,
    max_examples: int = DEFAULT_MAX_EXAMPLES,
    seed: int | None = None,
    only: str | None = None,
    junitxml: Path | None = None,
    alluredir: Path | None = None,
    echo: bool = True,
) -> ConformanceResult:
    """Preflight the target, run the suites, and summarise (printing it when ``echo``)."""
    if max_examples < 1:
        raise UsageError("--max-examples must be at least 1")
    token = preflight(profile)
    seed = random.randrange(2**32) if seed is None else seed
    redact = Redactor([token, profile.credentials.token, profile.credentials.expired_token])
    # pytest runs in a temporary directory: relative paths are the caller's, so anchor them here.
    junitxml = junitxml.resolve() if junitxml is not None else None
    alluredir = alluredir.resolve() if alluredir is not None else None
    command = pytest_command(only=only, junitxml=junitxml, alluredir=alluredir)
    for path in (junitxml, alluredir):
        if path is not None:
            (path if path == alluredir else path.parent).mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="oms-conformance-") as workdir:
        work = Path(workdir)
        profile_path = work / "target.toml"
        anonymous = replace(profile, credentials=replace(profile.credentials, token=None))
        profile_path.write_text(render_profile(anonymous), encoding="utf-8")
        profile_path.chmod(0o600)
        results_path = work / "results.json"
        env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED_ENV}
        env.update(
            {
                ENV_PROFILE: str(profile_path),
                ENV_TOKEN: token,
                ENV_SEED: str(seed),
                ENV_MAX_EXAMPLES: str(max_examples),
                ENV_RESULTS: str(results_path),
                "PYTHONDONTWRITEBYTECODE": "1",
                "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
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
        ) as process:
            assert process.stdout is not None
            try:
                last_line = _stream(process.stdout, redact, echo)
                status = process.wait()
            except BaseException:
                process.kill()
                raise
        result = summarise(
            results_path,
            seed=seed,
            max_examples=max_examples,
            duration_s=time.monotonic() - started,
            pytest_status=status,
            pytest_last_line=last_line,
        )
    for path in (junitxml, alluredir):
        if path is not None and path.exists():
            redact.tree(path)
    if echo:
        print(render_summary(result))
    return result
