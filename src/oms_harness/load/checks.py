"""Judge one load response: the expected status, then the shared contract rules.

The rules themselves live once in :mod:`oms_harness.contract.rules`; this module only picks
which apply to a request kind and turns the first violation into a short, stable failure
reason. A reason never carries the token, a whole body, or the customer id (it is replaced by
``{id}``), so failure tables group by cause instead of by request.
"""

from __future__ import annotations

import email.utils
import time
from collections import OrderedDict
from collections.abc import Mapping

from ..contract import rules
from .traffic import RequestKind

MAX_REASON = 160
MAX_RETRY_AFTER_S = 60.0


def _short(text: str) -> str:
    return text if len(text) <= MAX_REASON else text[: MAX_REASON - 1] + "…"


def _reason(kind: RequestKind, violations: list[rules.Violation]) -> str | None:
    if not violations:
        return None
    first = violations[0]
    return _short(f"[{first.rule}] {first.message}".replace(kind.customer_id, "{id}"))


def _error_code(raw: bytes) -> str | None:
    """The ``code`` of an error body when it is a short machine word (never free text)."""
    body, error = rules.parse_json(raw)
    if error or not isinstance(body, Mapping):
        return None
    code = body.get("code")
    if isinstance(code, str) and len(code) <= 40 and code.replace("_", "").isalnum():
        return code
    return None


def status_reason(status: int, expected: int, raw: bytes) -> str:
    code = _error_code(raw) if status >= 400 else None
    shown = f"{status} ({code})" if code else str(status)
    return f"status {shown}, expected {expected}"


class CachedChecker:
    """:func:`check_response` memoised on the exact answer bytes.

    The rules are pure functions of (request, status, body, content type), and a target
    under load answers the same request with the same bytes again and again, so a verdict
    computed once holds for every identical answer. Only passes are cached: a violation is
    rare and re-judged each time (the "updatedAt in the future" rule depends on the clock,
    and a pass can only stay a pass as time moves forward). Schema validation costs
    ~0.2 ms per answer; a cache hit costs a dictionary lookup.
    """

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._passed: OrderedDict[tuple[str, int, bytes, str | None], None] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def __call__(
        self, kind: RequestKind, status: int, raw: bytes, content_type: str | None
    ) -> str | None:
        key = (kind.name, status, raw, content_type)
        if key in self._passed:
            self.hits += 1
            return None
        self.misses += 1
        reason = check_response(kind, status, raw, content_type)
        if reason is None:
            self._passed[key] = None
            if len(self._passed) > self.size:
                self._passed.popitem(last=False)
        return reason


def warm_up(kinds: list[RequestKind]) -> None:
    """Load the spec and build each status's schema validator before the clock starts.

    The first check of a status parses the OpenAPI document and compiles a JSON-schema
    validator (tens of milliseconds); done inside the run, it would stall the event loop and
    show up as latency of the first requests.
    """
    for kind in {k.expected_status: k for k in kinds}.values():
        check_response(kind, kind.expected_status, b"{}", "application/json")


def retry_after_seconds(value: str | None, now: float | None = None) -> float:
    """Seconds to pause for a ``Retry-After`` (delta-seconds or an HTTP date), capped at 60.

    A 429 without a usable header still pauses for one second.
    """
    if not value:
        return 1.0
    try:
        seconds = float(value.strip())
    except ValueError:
        try:
            moment = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return 1.0
        seconds = moment.timestamp() - (time.time() if now is None else now)
    if seconds != seconds:  # NaN
        return 1.0
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_S)


def check_response(
    kind: RequestKind, status: int, raw: bytes, content_type: str | None
) -> str | None:
    """None when the answer keeps the contract for this kind, else why not."""
    if status != kind.expected_status:
        return status_reason(status, kind.expected_status, raw)
    if status == 200:
        request = rules.BalanceRequest(kind.customer_id, kind.currency)
        violations = rules.check_balance_response(raw, request, content_type=content_type)
        if not violations:
            violations = rules.check_raw_balance_value(raw)
        if not violations:
            violations = _role_rules(kind, raw)
        return _reason(kind, violations)
    violations = rules.check_error_response(status, raw, content_type)
    if not violations:
        violations = rules.check_exact_error(status, raw)
    return _reason(kind, violations)


def _role_rules(kind: RequestKind, raw: bytes) -> list[rules.Violation]:
    """What the profile knows about this customer: no ``updatedAt`` when empty, exact values."""
    if kind.role != "empty" and kind.expected_value is None:
        return []
    body, error = rules.parse_json(raw)
    if error or not isinstance(body, Mapping) or not isinstance(body.get("data"), Mapping):
        return [error] if error else []
    data = body["data"]
    if kind.role == "empty":
        violations = rules.check_updated_at_absent(data)
        if violations:
            return violations
    if kind.expected_value is None:
        return []
    where = f"{kind.role} {kind.currency or 'default currency'}, from the profile"
    return rules.check_expected_value(data.get("estimatedBalanceValue"), kind.expected_value, where)
