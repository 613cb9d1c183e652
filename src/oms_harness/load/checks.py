"""Judge one load response with the one judge, and say whether a failure is a contract
violation (counted by rule id) or an error (the target failed to answer: a 5xx it was not
expected to send; transport errors never reach this module).

The judgement itself is :func:`oms_harness.contract.verdict.judge`, with one
:class:`~oms_harness.contract.verdict.AnswerHistory` per generator process, so the rules
across answers (decimals per currency, repeated answers agree) run under load too. A reason
never carries the token, a whole body, or the customer id (it is replaced by ``{id}``), so
failure tables group by cause instead of by request.
"""

from __future__ import annotations

import email.utils
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..contract import rules
from ..contract.roles import ROLE_STATUS
from ..contract.verdict import Answer, AnswerHistory, Expectations, Sent, expected_status, judge
from .traffic import RequestKind

MAX_REASON = 160
MAX_RETRY_AFTER_S = 60.0


def _short(text: str) -> str:
    return text if len(text) <= MAX_REASON else text[: MAX_REASON - 1] + "…"


@dataclass(frozen=True)
class CheckFailure:
    """Why one answer failed: a short reason, and the contract rule it broke (None when the
    target failed to answer properly instead: an unexpected 5xx counts in ``error_rate``)."""

    reason: str
    rule: str | None = None


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


def expectations_for(
    kinds: Sequence[RequestKind], *, stable_balances: bool = False
) -> Expectations:
    """What the judge needs, from the run's request mix and the plan (it carries no profile)."""
    roles = {k.role: k.customer_id for k in kinds if k.role in ROLE_STATUS}
    currencies = tuple(dict.fromkeys(k.currency for k in kinds if k.currency is not None))
    expected: dict[str, dict[str, str]] = {}
    for kind in kinds:
        if kind.currency is not None and kind.expected_value is not None:
            expected.setdefault(kind.role, {})[kind.currency] = kind.expected_value
    return Expectations(
        roles=roles,
        supported_currencies=currencies,
        expected=expected,
        stable_balances=stable_balances,
    )


class LoadChecker:
    """The judge for one generator process, memoised on the exact answer bytes.

    The rules are functions of (request, status, body, content type) and, for the rules
    across answers, of what came before; a target under load answers the same request with
    the same bytes again and again, and an answer that passed once adds nothing new to the
    history, so only passes are cached. A violation is rare and re-judged each time (the
    "updatedAt in the future" rule depends on the clock). Schema validation costs ~0.2 ms per
    answer; a cache hit costs a dictionary lookup.
    """

    def __init__(
        self, kinds: Sequence[RequestKind], size: int = 4096, *, stable_balances: bool = False
    ) -> None:
        self.size = size
        self.expectations = expectations_for(kinds, stable_balances=stable_balances)
        self.history = AnswerHistory()
        self._passed: OrderedDict[tuple[str, int, bytes, str | None], None] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def __call__(
        self, kind: RequestKind, status: int, raw: bytes, content_type: str | None
    ) -> CheckFailure | None:
        key = (kind.name, status, raw, content_type)
        if key in self._passed:
            self.hits += 1
            return None
        self.misses += 1
        failure = check_response(kind, status, raw, content_type, self.expectations, self.history)
        if failure is None:
            self._passed[key] = None
            if len(self._passed) > self.size:
                self._passed.popitem(last=False)
        return failure

    def warm_up(self, kinds: Sequence[RequestKind]) -> None:
        """Load the spec and build each status's schema validator before the clock starts.

        The first check of a status parses the OpenAPI document and compiles a JSON-schema
        validator (tens of milliseconds); done inside the run, it would stall the event loop
        and show up as latency of the first requests. No history: nothing is recorded.
        """
        for kind in {k.expected_status: k for k in kinds}.values():
            check_response(kind, kind.expected_status, b"{}", "application/json", self.expectations)


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
    kind: RequestKind,
    status: int,
    raw: bytes,
    content_type: str | None,
    expectations: Expectations,
    history: AnswerHistory | None = None,
) -> CheckFailure | None:
    """None when the answer keeps the contract for this kind, else why not (and which rule)."""
    sent = Sent.balance(kind.customer_id, kind.currency)
    answer = Answer(status, raw, content_type)
    violations = judge(sent, answer, expectations, history=history)
    if not violations:
        return None
    expected = expected_status(sent, expectations)
    if status >= 500 and (expected is None or status not in expected.statuses):
        return CheckFailure(status_reason(status, kind.expected_status, raw))
    first = violations[0]
    return CheckFailure(_short(str(first).replace(kind.customer_id, "{id}")), first.rule)
