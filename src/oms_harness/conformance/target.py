"""The target the suites run against, handed from the runner to pytest through the environment.

This is the suites' view of the command's resolved :class:`oms_harness.target.Target`: the
runner has normalised the URL and run the preflight; pytest gets the profile and the token.

The profile travels as a file path (written without any inline token), the token as an
environment variable: neither lands on a command line nor in a file under ``reports/``.
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ..contract import typeid
from ..contract.roles import ROLE_STATUS
from ..contract.verdict import Expectations
from ..credentials import token_auth
from ..errors import ProfileError
from ..profile import TargetProfile, load_profile

ENV_PROFILE = "OMS_HARNESS_PROFILE"
ENV_TOKEN = "OMS_HARNESS_TOKEN"
ENV_SEED = "OMS_HARNESS_SEED"
ENV_MAX_EXAMPLES = "OMS_HARNESS_MAX_EXAMPLES"
ENV_RESULTS = "OMS_HARNESS_RESULTS"
ENV_REPRO = "OMS_HARNESS_REPRO"
"""The complete command that reproduces the fuzz cases (shown in the report)."""

DEFAULT_MAX_EXAMPLES = 200
DEFAULT_SEED = 0


@dataclass(frozen=True)
class SuiteTarget:
    """A validated profile, the token to send, and the fuzz budget."""

    profile: TargetProfile
    token: str
    seed: int = DEFAULT_SEED
    max_examples: int = DEFAULT_MAX_EXAMPLES
    missing_fallback: str = ""
    """The ``missing`` id when the profile names none (derived from the seed when empty)."""

    def __repr__(self) -> str:  # never show the token
        return f"SuiteTarget(base_url={self.base_url!r}, seed={self.seed})"

    @property
    def base_url(self) -> str:
        return self.profile.base_url

    @property
    def authorization(self) -> str:
        return f"Bearer {self.token}"

    def customer(self, role: str) -> str | None:
        """The id for ``role``; ``missing`` defaults to a fresh, valid, unknown id."""
        found = self.profile.customer(role)
        if found is None and role == "missing":
            return self.missing_fallback or unknown_customer_id(self.seed)
        return found

    def roles(self) -> dict[str, str]:
        """Every role with an id (``missing`` always has one)."""
        return {role: cid for role in ROLE_STATUS if (cid := self.customer(role)) is not None}

    @functools.cached_property
    def expectations(self) -> Expectations:
        """What the judge needs from the profile (computed once per target)."""
        return Expectations(
            roles=self.roles(),
            supported_currencies=tuple(self.profile.supported_currencies),
            expected=self.profile.expected,
            stable_balances=self.profile.stable_balances,
        )


def unknown_customer_id(seed: int) -> str:
    """A valid id no real customer has, the same for the same seed (so a run reproduces).

    A UUIDv7 dated 2020-01-01 with 74 bits derived from the seed: a target minting ids now
    cannot hold it except by a collision of random bits.
    """
    digest = hashlib.sha256(f"oms-harness missing customer {seed}".encode()).digest()
    return typeid.encode(
        typeid.CUSTOMER_PREFIX, typeid.uuid7(unix_ms=_MISSING_EPOCH_MS, random_bytes=digest[:10])
    )


_MISSING_EPOCH_MS = 1_577_836_800_000


def _int(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ProfileError(f"environment variable {name} must be an integer") from None


@functools.cache
def _load(path: str) -> TargetProfile:
    return load_profile(Path(path))


def target_from_env(environ: Mapping[str, str] | None = None) -> SuiteTarget:
    """Build the target from ``OMS_HARNESS_*`` variables (raises ProfileError if unusable)."""
    env = os.environ if environ is None else environ
    path = env.get(ENV_PROFILE)
    if not path:
        raise ProfileError(
            f"set {ENV_PROFILE} to a target profile "
            "(or run the suites via `oms-harness conformance`)"
        )
    profile = _load(path)
    token = env.get(ENV_TOKEN) or token_auth(profile, env).token()
    return SuiteTarget(
        profile=profile,
        token=token,
        seed=_int(env, ENV_SEED, DEFAULT_SEED),
        max_examples=_int(env, ENV_MAX_EXAMPLES, DEFAULT_MAX_EXAMPLES),
    )


@functools.cache
def session_target() -> SuiteTarget:
    """The one target of a pytest session (suites and fuzz checks share its ``missing`` id)."""
    return target_from_env()
