"""The environment of a child process: the user's, minus every credential, plus what it needs.

A child inherits everything by default, so an API secret would reach Node (the Allure
renderer) and pytest even when they only need a minted token or nothing at all. Each child
gets the variables of the user's environment that carry no run secret, and then exactly
the credentials its job needs (the token where requests are sent, the key and secret only
where a token is exchanged), by name.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping

from .run_secrets import RunSecrets

INTERNAL_PREFIX = "OMS_HARNESS_"
"""The harness's own hand-over variables: a child never inherits a parent's."""


def child_env(
    secrets: RunSecrets | None = None,
    *,
    credential_env: Iterable[str] = (),
    extra: Mapping[str, str] | None = None,
    environ: Mapping[str, str] | None = None,
    keep_internal: Iterable[str] = (),
) -> dict[str, str]:
    """``environ`` (default ``os.environ``) without credentials, then ``extra`` on top."""
    source = os.environ if environ is None else environ
    values = secrets.values() if secrets is not None else frozenset()
    dropped = set(credential_env)
    kept = set(keep_internal)
    env = {
        name: value
        for name, value in source.items()
        if name not in dropped
        and (not name.startswith(INTERNAL_PREFIX) or name in kept)
        and not any(secret in value for secret in values)
    }
    env.update(extra or {})
    return env


_TOOL_NAMES = frozenset(
    {"PATH", "HOME", "USER", "LOGNAME", "LANG", "TZ", "TMPDIR", "TEMP", "TMP", "SYSTEMROOT", "CI"}
)
_TOOL_PREFIXES = ("LC_", "NODE_", "NPM_CONFIG_", "npm_config_", "XDG_")


def tool_env(
    extra: Mapping[str, str] | None = None, environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The environment of a tool that sends no request (Node for Allure): an allow-list."""
    source = os.environ if environ is None else environ
    env = {
        name: value
        for name, value in source.items()
        if name in _TOOL_NAMES or name.startswith(_TOOL_PREFIXES)
    }
    env.update(extra or {})
    return env
