"""One resolved target per command: URL, credentials, secrets, outputs and preflight, decided once.

Built from the profile and the flags before anything else runs, then handed to every layer
(conformance, load, report); none of them re-parses the URL or rebuilds credentials. The
production guard judges the normalised host here, once. The preflight runs at most once per
command, whichever phase asks first; the others share its result (or its failure).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import preflight
from .credentials import TokenAuth, token_auth
from .errors import HarnessError, UsageError
from .outputs import OutputPath, check_outputs
from .preflight import PreflightResult
from .profile import TargetProfile
from .run_secrets import RunSecrets
from .target_url import TargetURL, parse_target_url

PRODUCTION_HOSTS = frozenset({"api.polygon.technology"})


def is_production_host(host: str) -> bool:
    """``host`` (already normalised) is the production API or one of its sub-domains."""
    return host in PRODUCTION_HOSTS or any(host.endswith("." + p) for p in PRODUCTION_HOSTS)


def check_production(url: TargetURL, *, allow_production: bool) -> None:
    """Refuse the production API unless the user said so explicitly."""
    if is_production_host(url.host) and not allow_production:
        raise UsageError(
            f"refusing to load-test the production host {url.host}; "
            "pass --allow-production if you really mean it"
        )


class _Once:
    """The preflight's outcome, computed by the first caller and shared by the rest."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.result: PreflightResult | None = None
        self.error: HarnessError | None = None


@dataclass(frozen=True, eq=False)
class Target:
    """Where requests go, how they authenticate, and what must never be written."""

    profile: TargetProfile
    url: TargetURL
    auth: TokenAuth
    secrets: RunSecrets
    credential_env: tuple[str, ...] = ()
    """Names of the user's environment variables holding credentials (kept from children)."""
    preflight_timeout: float | None = None
    """The preflight's deadline in seconds (None: ``OMS_HARNESS_PREFLIGHT_TIMEOUT`` or 10)."""
    _preflight: _Once = field(default_factory=_Once, repr=False)

    def __repr__(self) -> str:
        return f"Target({self.base_url!r})"

    @property
    def base_url(self) -> str:
        return self.url.base_url

    @property
    def host(self) -> str:
        return self.url.host

    def ready(self) -> PreflightResult:
        """The preflight's result: run on the first call, shared by every later one."""
        once = self._preflight
        with once.lock:
            if once.result is None and once.error is None:
                funded = self.profile.customer("funded")
                assert funded is not None  # parse_profile requires it
                try:
                    once.result = preflight.run_preflight(
                        self.base_url, funded, self.auth, deadline_s=self.preflight_timeout
                    )
                except HarnessError as exc:
                    once.error = exc
            if once.error is not None:
                raise once.error
            assert once.result is not None
            return once.result

    def token(self) -> str:
        """The token requests are sent with (after the preflight accepted it)."""
        return self.ready().token


def resolve_target(
    profile: TargetProfile,
    *,
    environ: Mapping[str, str] | None = None,
    allow_production: bool | None = None,
    outputs: Sequence[OutputPath] = (),
    preflight_timeout: float | None = None,
) -> Target:
    """The command's one target (exit 2 for anything wrong with it, before any request).

    ``allow_production=None`` means the command sends no load (the guard does not apply).
    """
    env = os.environ if environ is None else environ
    url = parse_target_url(profile.base_url)
    if allow_production is not None:
        check_production(url, allow_production=allow_production)
    check_outputs(outputs)
    profile = replace(profile, base_url=url.base_url)
    secrets = RunSecrets.from_profile(profile, env)
    auth = token_auth(profile, env, on_token=secrets.add)
    creds = profile.credentials
    names = tuple(n for n in (creds.token_env, creds.api_key_env, creds.api_secret_env) if n)
    return Target(
        profile=profile,
        url=url,
        auth=auth,
        secrets=secrets,
        credential_env=names,
        preflight_timeout=preflight_timeout,
    )


def output(path: Path | None, flag: str, *, directory: bool) -> list[OutputPath]:
    """One output path to check (none when the flag was not given)."""
    return [] if path is None else [OutputPath(path, flag, directory)]


def as_target(target: Target | TargetProfile) -> Target:
    """A library caller may hand a profile; a command hands its one resolved target."""
    return target if isinstance(target, Target) else resolve_target(target)
