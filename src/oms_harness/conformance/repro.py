"""The command that reproduces a conformance run's fuzz cases, complete and pasteable.

A reviewer pastes it as it is: it names the same target (the profile file, or the base URL
given on the command line), the seed, the fuzz budget and ``--only fuzz``. Without either,
the run was against the embedded local reference, which the command starts again.
"""

from __future__ import annotations

import shlex
from urllib.parse import urlsplit, urlunsplit

from ..profile import TargetProfile

LOCAL_REFERENCE_NAME = "local-reference"
"""The ``name`` the embedded reference writes into its profile (``serve --write-profile``)."""


def repro_command(profile: TargetProfile, *, seed: int, max_examples: int, only: str) -> str:
    """``oms-harness conformance --profile p.toml --seed 7 --max-examples 200 --only fuzz``."""
    parts = ["oms-harness", "conformance"]
    if profile.name == LOCAL_REFERENCE_NAME:
        pass  # the embedded reference: started again by the command itself
    elif profile.source is not None:
        parts += ["--profile", str(profile.source)]
    else:
        parts += ["--base-url", _without_userinfo(profile.base_url)]
    parts += ["--seed", str(seed), "--max-examples", str(max_examples), "--only", only]
    return shlex.join(parts)


def _without_userinfo(url: str) -> str:
    """A command line is visible to every user of the machine: no credential in it."""
    split = urlsplit(url)
    host = split.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    if split.port is not None:
        host = f"{host}:{split.port}"
    return urlunsplit((split.scheme, host, split.path, "", ""))
