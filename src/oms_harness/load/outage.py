"""Whether a load run that lost answers lost its target (exit 3) or only some requests.

Unanswered requests alone do not say the target is gone: one bounded probe after the run
decides, so a brief blip stays an error-rate figure and a dead target is exit 3.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from ..bounded_http import fetch
from ..contract import spec
from ..errors import TargetUnavailableError
from ..preflight import preflight_timeout
from ..target import Target

OUTAGE_PROBE_S = 5.0


def outage_reason(target: Target, results: Mapping[str, Any]) -> str:
    """Why the target counts as gone (exit 3), or "": requests went unanswered during the
    run and the target still gives no HTTP answer at all afterwards (any status, even a 401
    to a token minted before a restart, means it is back)."""
    counters = results.get("counters", {})
    no_answer = int(results.get("statuses", {}).get("0", 0)) + int(counters.get("unfinished", 0))
    if no_answer == 0:
        return ""
    funded = target.profile.customer("funded")
    assert funded is not None
    try:
        fetch(
            "GET",
            target.base_url + spec.balance_path(quote(funded, safe="")),
            what=f"target {target.base_url}",
            deadline_s=min(OUTAGE_PROBE_S, preflight_timeout()),
        )
    except TargetUnavailableError as exc:
        sent = int(counters.get("sent", 0)) or no_answer
        return (
            f"the target stopped answering during the run ({no_answer} of {sent} requests "
            f"got no answer) and still does not: {exc}"
        )
    return ""
