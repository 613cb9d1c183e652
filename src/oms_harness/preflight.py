"""One authenticated request before any suite runs: is the target there, and does it accept us?

Without it an unreachable target or a dead token shows up as hundreds of failing checks (or,
worse, as a fuzz run where every answer is a schema-valid 401). The preflight turns both into
exit code 3 with one line. Anything else the target answers is left to the suites to judge.
"""

from __future__ import annotations

from urllib.parse import quote

import httpx

from .credentials import TokenProvider
from .errors import ProfileError, TargetUnavailableError
from .profile import TargetProfile

PREFLIGHT_TIMEOUT_S = 10.0
REJECTED_STATUSES = frozenset({401, 403})


def preflight(profile: TargetProfile, *, timeout: float = PREFLIGHT_TIMEOUT_S) -> str:
    """Return the bearer token to use, or raise why the target cannot be tested."""
    token = TokenProvider(profile, timeout=timeout).token()
    funded = profile.customer("funded")
    if funded is None:  # pragma: no cover - parse_profile requires it
        raise ProfileError("profile has no `funded` customer")
    url = f"{profile.base_url}/customers/{quote(funded, safe='')}/balance"
    try:
        response = httpx.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=timeout)
    except httpx.TimeoutException:
        raise TargetUnavailableError(
            f"target {profile.base_url} did not answer within {timeout:g} s"
        ) from None
    except httpx.HTTPError as exc:
        raise TargetUnavailableError(
            f"cannot reach target {profile.base_url}: {type(exc).__name__}"
        ) from None
    if response.status_code in REJECTED_STATUSES:
        raise TargetUnavailableError(
            f"target {profile.base_url} rejected the configured credentials "
            f"(GET the funded customer's balance answered {response.status_code})"
        )
    return token
