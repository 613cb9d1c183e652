"""The contract rules as custom schemathesis checks, so every fuzzed answer is judged by them.

Schemathesis' built-in checks see the spec, which says little; these see the contract:
what status a request must get (401 without the valid token, 400 for a malformed id, the
role's status otherwise), the exact error bodies, and for every 200 the id echo, the
currency echo, the decimal wire format, ``updatedAt`` and the expected values. Each rule is
called from :mod:`oms_harness.contract.rules`; nothing is restated here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote_to_bytes, urlsplit

import schemathesis

from ..contract import rules, spec, typeid
from ..contract.rules import BalanceRequest, DecimalPlacesTracker, Violation
from .fuzz_schema import CURRENCY_PARAM
from .target import Target

_PATH_RE = re.compile(r"/customers/(?P<segment>.*)/balance\Z", re.DOTALL)


@dataclass
class _State:
    target: Target
    tracker: DecimalPlacesTracker


_STATE: list[_State] = []


def configure(target: Target) -> None:
    """Point the checks at ``target`` (the conftest calls this once per session)."""
    _STATE[:] = [_State(target, DecimalPlacesTracker())]


@dataclass(frozen=True)
class SentRequest:
    """What the server received, recovered from the wire (not from the generated case)."""

    authorization: str | None
    customer_id: str | None
    """The percent-decoded id; None when it is not UTF-8 (or the path did not match)."""
    raw_segment: str
    currencies: tuple[str, ...]

    @property
    def currency(self) -> str | None:
        return self.currencies[0] if len(self.currencies) == 1 else None


def sent_request(url: str, headers: Any) -> SentRequest:
    """Parse the request URL and headers the way the server will."""
    parts = urlsplit(url)
    match = _PATH_RE.search(parts.path)
    segment = match["segment"] if match else ""
    try:
        customer_id: str | None = unquote_to_bytes(segment).decode("utf-8") if match else None
    except UnicodeDecodeError:
        customer_id = None
    query = parse_qs(parts.query, keep_blank_values=True)
    authorization = headers.get("Authorization") if headers is not None else None
    return SentRequest(
        authorization=authorization,
        customer_id=customer_id,
        raw_segment=segment,
        currencies=tuple(query.get(CURRENCY_PARAM, ())),
    )


def currency_open(target: Target, sent: SentRequest) -> bool:
    """True when the currency query is one the contract leaves open (unsupported, repeated)."""
    return bool(sent.currencies) and (
        sent.currency is None or sent.currency not in target.profile.supported_currencies
    )


def _reshaped(sent: SentRequest) -> bool:
    """The id is not one path segment: a router may answer its own 404."""
    return sent.customer_id is not None and rules.id_reshapes_path(sent.customer_id)


def expected_statuses(target: Target, sent: SentRequest) -> tuple[frozenset[int], str] | None:
    """The statuses a correct target may answer, and why; None when the contract is silent."""
    if sent.authorization != target.authorization:
        if _reshaped(sent):
            return frozenset({401, 404}), "no valid token, id that is not a path segment"
        return frozenset({401}), "no valid bearer token: 401 before anything else"
    customer_id = sent.customer_id
    currency_is_open = currency_open(target, sent)
    if customer_id is None or not typeid.is_customer_id(customer_id):
        if currency_is_open:
            return None  # which of two bad inputs is reported first is not specified
        if _reshaped(sent):
            # The path itself changes shape; a router may answer its own 404.
            return frozenset({400, 404}), "id that is not a path segment"
        return frozenset({400}), "malformed customer id"
    if currency_is_open:
        return None  # spec gap: unsupported / repeated currency codes
    status = target.expected_status(customer_id)
    return frozenset({status}), f"the profile's answer for {customer_id}"


def _content_type(response: schemathesis.Response) -> str | None:
    values = response.headers.get("content-type")
    return values[0] if values else None


def contract_violations(
    target: Target,
    tracker: DecimalPlacesTracker,
    sent: SentRequest,
    status: int,
    raw: bytes,
    content_type: str | None,
) -> list[Violation]:
    """Every contract rule that applies to one answer."""
    expected = expected_statuses(target, sent)
    violations: list[Violation] = []
    if expected is not None:
        violations += rules.check_status_expected(status, *expected)
    if status == 404 and _reshaped(sent):
        return violations  # a router's own 404 lies outside the operation: no body to judge
    if status == 200 and sent.customer_id is not None and currency_open(target, sent):
        # Spec gap: the answer's currency (and label) is the open question; the rest holds.
        violations += rules.check_balance_any_currency(
            raw, sent.customer_id, content_type=content_type
        )
    elif status == 200 and sent.customer_id is not None:
        request = BalanceRequest(sent.customer_id, sent.currency)
        violations += rules.check_balance_response(raw, request, content_type=content_type)
        body, _ = rules.parse_json(raw)
        data = body.get("data") if isinstance(body, dict) else None
        value = data.get("estimatedBalanceValue") if isinstance(data, dict) else None
        if isinstance(value, str):
            where = f"{sent.customer_id} {request.expected_currency}"
            violations += tracker.observe(request.expected_currency, value, where)
        for role, cid in target.roles().items():
            if cid == sent.customer_id:
                wanted = target.profile.expected.get(role, {}).get(request.expected_currency)
                if wanted is not None:
                    violations += rules.check_expected_value(value, wanted, f"role {role}")
                if role == "empty" and isinstance(data, dict):
                    violations += rules.check_updated_at_absent(data)
    elif status != 200:
        violations += rules.check_error_response(status, raw, content_type)
        if status in spec.documented_statuses():
            violations += rules.check_exact_error(status, raw)
    return violations


@schemathesis.check
def oms_balance_contract(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case[Any]
) -> bool | None:
    """The balance contract: expected status, exact error bodies, and the 200 rules."""
    if not _STATE:
        return None
    state = _STATE[0]
    request = response.request
    if (request.method or "GET").upper() != "GET":
        return None  # other methods: `unsupported_method` judges them; the contract is GET only
    sent = sent_request(str(request.url), request.headers)
    violations = contract_violations(
        state.target,
        state.tracker,
        sent,
        response.status_code,
        response.content,
        _content_type(response),
    )
    if violations:
        raise AssertionError("; ".join(str(v) for v in dict.fromkeys(violations)))
    return True
