"""One authenticated request before any suite runs: is the target there, and does it accept us?

Without it an unreachable target or a dead token shows up as hundreds of failing checks (or,
worse, as a fuzz run where every answer is a schema-valid 401). The preflight turns both into
exit code 3 with one line, within one wall-clock deadline (token exchange included) and a
response size cap, so a target that trickles its answer cannot hold a run forever. A funded
customer the target does not know (404) means the profile describes another target: exit 2.
Any other answer is left to the suites to judge.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from urllib.parse import quote

from .bounded_http import fetch
from .contract import spec
from .credentials import TokenAuth
from .errors import ProfileError, TargetUnavailableError, UsageError

PREFLIGHT_TIMEOUT_S = 10.0
ENV_PREFLIGHT_TIMEOUT = "OMS_HARNESS_PREFLIGHT_TIMEOUT"
REJECTED_STATUSES = frozenset({401, 403})


@dataclass(frozen=True)
class PreflightResult:
    token: str
    """The bearer token the preflight was accepted with (never printed)."""
    status: int
    """What the funded customer's balance answered."""

    def __repr__(self) -> str:
        return f"PreflightResult(status={self.status})"


def preflight_timeout() -> float:
    """The deadline in seconds: :data:`ENV_PREFLIGHT_TIMEOUT`, else the default."""
    raw = os.environ.get(ENV_PREFLIGHT_TIMEOUT, "").strip()
    if not raw:
        return PREFLIGHT_TIMEOUT_S
    try:
        value = float(raw)
    except ValueError:
        raise UsageError(f"{ENV_PREFLIGHT_TIMEOUT} must be a number of seconds") from None
    if not 0 < value < float("inf"):
        raise UsageError(f"{ENV_PREFLIGHT_TIMEOUT} must be positive")
    return value


def run_preflight(
    base_url: str, funded: str, auth: TokenAuth, *, deadline_s: float | None = None
) -> PreflightResult:
    """GET the funded customer's balance within ``deadline_s`` (exit 3 / 2 on failure)."""
    limit = preflight_timeout() if deadline_s is None else deadline_s
    started = time.monotonic()
    token = auth.token(deadline_s=limit)
    remaining = limit - (time.monotonic() - started)
    if remaining <= 0:
        raise TargetUnavailableError(f"target {base_url} did not answer within {limit:g} s")
    # the token source signs the request itself: with client credentials a 401 is answered by
    # one fresh exchange and one retry, as every other sender does
    response = fetch(
        "GET",
        base_url + spec.balance_path(quote(funded, safe="")),
        what=f"target {base_url}",
        deadline_s=remaining,
        stated_s=limit,
        auth=auth,
        headers={"Accept": "application/json"},
    )
    token = auth.token()
    if response.status in REJECTED_STATUSES:
        raise TargetUnavailableError(
            f"target {base_url} rejected the configured credentials "
            f"(GET the funded customer's balance answered {response.status})"
        )
    if response.status == 404:
        raise ProfileError(
            f"the profile does not describe this target: role funded, customer {funded} "
            f"answered 404 (expected 200)"
        )
    return PreflightResult(token=token, status=response.status)
