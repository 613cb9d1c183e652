"""The fuzz suite's contract check: which status a request must get, and the 200 rules."""

from __future__ import annotations

import json

import pytest

from oms_harness.conformance.checks import contract_violations, expected_statuses, sent_request
from oms_harness.conformance.target import Target
from oms_harness.contract import typeid
from oms_harness.contract.rules import DecimalPlacesTracker
from oms_harness.profile import parse_profile

TOKEN = "valid-token-value"
# Fixed ids: parametrized test ids must be the same in every xdist worker.
IDS = {
    role: typeid.encode("cst", typeid.uuid7(unix_ms=1_700_000_000_000 + n, random_bytes=bytes(10)))
    for n, role in enumerate(("funded", "empty", "unprovisioned"))
}
UNKNOWN = typeid.encode("cst", typeid.uuid7(unix_ms=1_700_000_000_999, random_bytes=bytes(10)))
BASE = "http://127.0.0.1:9/v0.9"


@pytest.fixture
def target() -> Target:
    profile = parse_profile(
        {
            "base_url": BASE,
            "customers": IDS,
            "currencies": {"supported": ["USD", "EUR"]},
            "expected": {"funded": {"USD": "10.50"}},
        }
    )
    return Target(profile=profile, token=TOKEN)


def _sent(path_id: str, query: str = "", auth: str | None = f"Bearer {TOKEN}") -> object:
    url = f"{BASE}/customers/{path_id}/balance" + (f"?{query}" if query else "")
    return sent_request(url, {"Authorization": auth} if auth else {})


def _body(cid: str, value: object = "10.50", currency: str = "USD") -> bytes:
    data = {
        "customerId": cid,
        "estimatedBalanceValue": value,
        "estimatedBalanceCurrencyCode": currency,
    }
    return json.dumps({"data": data}).encode()


@pytest.mark.parametrize(
    ("path_id", "query", "auth", "expected"),
    [
        (IDS["funded"], "", f"Bearer {TOKEN}", {200}),
        (IDS["unprovisioned"], "estimatedBalanceCurrencyCode=EUR", f"Bearer {TOKEN}", {422}),
        (UNKNOWN, "", f"Bearer {TOKEN}", {404}),
        ("CST_X", "", f"Bearer {TOKEN}", {400}),
        ("a%2Fb", "", f"Bearer {TOKEN}", {400, 404}),
        ("%FF", "", f"Bearer {TOKEN}", {400}),
        (IDS["funded"], "", None, {401}),
        ("CST_X", "", "Bearer wrong", {401}),
    ],
)
def test_expected_statuses(
    target: Target, path_id: str, query: str, auth: str | None, expected: set[int]
) -> None:
    found = expected_statuses(target, _sent(path_id, query, auth))  # type: ignore[arg-type]
    assert found is not None
    assert found[0] == expected


@pytest.mark.parametrize(
    "query",
    [
        "estimatedBalanceCurrencyCode=XYZ",
        "estimatedBalanceCurrencyCode=USD&estimatedBalanceCurrencyCode=EUR",
    ],
)
def test_open_currency_questions_have_no_expectation(target: Target, query: str) -> None:
    assert expected_statuses(target, _sent(IDS["funded"], query)) is None  # type: ignore[arg-type]


def test_correct_200_has_no_violation(target: Target) -> None:
    sent = _sent(IDS["funded"])
    found = contract_violations(
        target,
        DecimalPlacesTracker(),
        sent,
        200,
        _body(IDS["funded"]),
        "application/json",  # type: ignore[arg-type]
    )
    assert found == []


@pytest.mark.parametrize(
    ("body", "rule"),
    [
        (_body(IDS["funded"], value=10.5), "balance-value.type"),
        (_body(IDS["funded"], value="10.5"), "balance-value.expected"),
        (_body(IDS["funded"], currency="EUR"), "currency.echo"),
        (_body(IDS["empty"]), "customer-id.echo"),
    ],
)
def test_broken_200_is_caught(target: Target, body: bytes, rule: str) -> None:
    sent = _sent(IDS["funded"])
    found = contract_violations(target, DecimalPlacesTracker(), sent, 200, body, "application/json")  # type: ignore[arg-type]
    assert rule in {v.rule for v in found}


def test_rejected_valid_token_fails(target: Target) -> None:
    """A 401 for the valid token is a failure, never a pass as "auth works"."""
    sent = _sent(IDS["funded"])
    body = b'{"error":"unauthorized"}'
    found = contract_violations(target, DecimalPlacesTracker(), sent, 401, body, "application/json")  # type: ignore[arg-type]
    assert {v.rule for v in found} == {"status.expected"}


def test_wrong_error_text_is_caught(target: Target) -> None:
    sent = _sent("CST_X")
    found = contract_violations(
        target,
        DecimalPlacesTracker(),
        sent,
        400,
        b'{"error":"invalid id"}',
        "application/json",  # type: ignore[arg-type]
    )
    assert "error-body.400" in {v.rule for v in found}


# What a correct server may answer where the contract leaves a choice (benign variants).

ROUTER_404 = b"404 page not found\n"


@pytest.mark.parametrize(
    "query",
    [
        "estimatedBalanceCurrencyCode=XYZ",
        "estimatedBalanceCurrencyCode=usd",
        "estimatedBalanceCurrencyCode=",
        "estimatedBalanceCurrencyCode=USD&estimatedBalanceCurrencyCode=EUR",
    ],
)
@pytest.mark.parametrize("label", ["USD", "EUR"])
def test_open_currency_200_in_any_currency_passes(target: Target, query: str, label: str) -> None:
    """An unsupported or repeated code answered 200 in some currency is a spec gap, not a breach."""
    sent = _sent(IDS["funded"], query)
    body = _body(IDS["funded"], value="9.66", currency=label)
    found = contract_violations(target, DecimalPlacesTracker(), sent, 200, body, "application/json")  # type: ignore[arg-type]
    assert found == []


def test_open_currency_200_is_still_a_valid_balance(target: Target) -> None:
    sent = _sent(IDS["funded"], "estimatedBalanceCurrencyCode=XYZ")
    for body, rule in [
        (_body(IDS["funded"], value=10.5), "balance-value.type"),
        (_body(IDS["empty"]), "customer-id.echo"),
    ]:
        found = contract_violations(
            target,
            DecimalPlacesTracker(),
            sent,  # type: ignore[arg-type]
            200,
            body,
            "application/json",
        )
        assert rule in {v.rule for v in found}


@pytest.mark.parametrize("path_id", ["", "a%2Fb", "a/b"])
@pytest.mark.parametrize("auth", [f"Bearer {TOKEN}", None])
def test_router_404_for_an_id_that_is_no_path_segment_passes(
    target: Target, path_id: str, auth: str | None
) -> None:
    """A framework router answers its own 404 (any body) when the id is not one segment."""
    sent = _sent(path_id, auth=auth)
    found = contract_violations(target, DecimalPlacesTracker(), sent, 404, ROUTER_404, "text/plain")  # type: ignore[arg-type]
    assert found == []


def test_router_404_for_a_one_segment_id_still_fails(target: Target) -> None:
    sent = _sent("CST_X")
    found = contract_violations(target, DecimalPlacesTracker(), sent, 404, ROUTER_404, "text/plain")  # type: ignore[arg-type]
    assert "status.expected" in {v.rule for v in found}


def test_operation_answer_for_an_id_that_is_no_path_segment_is_still_judged(
    target: Target,
) -> None:
    sent = _sent("a%2Fb")
    body = b'{"error":"invalid id"}'
    found = contract_violations(target, DecimalPlacesTracker(), sent, 400, body, "application/json")  # type: ignore[arg-type]
    assert "error-body.400" in {v.rule for v in found}
