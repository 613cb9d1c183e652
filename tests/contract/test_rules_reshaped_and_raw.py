"""The rules that let a correct server choose where the contract is silent (pure functions)."""

from __future__ import annotations

import json

import pytest

from oms_harness.contract import rules

CID = "cst_01h455vb4pex5vsknk084sn02q"


def _balance(**data: object) -> bytes:
    base: dict[str, object] = {
        "customerId": CID,
        "estimatedBalanceCurrencyCode": "USD",
        "estimatedBalanceValue": "2400.30",
    }
    return json.dumps({"data": {**base, **data}}).encode()


@pytest.mark.parametrize(
    ("customer_id", "reshapes"),
    [
        ("", True),
        (".", True),
        ("..", True),
        ("a/b", True),
        ("/", True),
        (CID, False),
        ("cst_", False),
        ("%2F", False),
        ("...", False),
    ],
)
def test_id_reshapes_path(customer_id: str, reshapes: bool) -> None:
    assert rules.id_reshapes_path(customer_id) is reshapes


@pytest.mark.parametrize(
    ("status", "raw", "content_type", "authenticated"),
    [
        (400, b'{"error":"invalid customer id"}', "application/json", True),
        (401, b'{"error":"unauthorized"}', "application/json", False),
        (404, b"<html>Not Found</html>", "text/html", True),
        (404, b'{"detail":"Not Found"}', "application/json", False),
    ],
)
def test_reshaped_id_accepts_the_operation_or_a_router(
    status: int, raw: bytes, content_type: str, authenticated: bool
) -> None:
    assert (
        rules.check_reshaped_id_answer(status, raw, content_type, authenticated=authenticated) == []
    )


@pytest.mark.parametrize(
    ("status", "raw", "authenticated", "rule"),
    [
        (400, b'{"error":"invalid id"}', True, "error-body.400"),
        (200, b"{}", True, "status.expected"),
        (400, b'{"error":"invalid customer id"}', False, "status.expected"),
        (500, b'{"error":"boom"}', True, "status.expected"),
    ],
)
def test_reshaped_id_still_fails_other_answers(
    status: int, raw: bytes, authenticated: bool, rule: str
) -> None:
    found = rules.check_reshaped_id_answer(
        status, raw, "application/json", authenticated=authenticated
    )
    assert rule in {v.rule for v in found}


@pytest.mark.parametrize("label", ["USD", "EUR", "JPY"])
def test_any_currency_balance_accepts_any_label(label: str) -> None:
    raw = _balance(estimatedBalanceCurrencyCode=label)
    assert rules.check_balance_any_currency(raw, CID, content_type="application/json") == []


@pytest.mark.parametrize(
    ("raw", "rule"),
    [
        (_balance(estimatedBalanceValue=2400.3), "balance-value.type"),
        (_balance(estimatedBalanceValue="2.4E+3"), "balance-value.grammar"),
        (_balance(customerId="cst_01h455vb4pex5vsknk084sn02r"), "customer-id.echo"),
        (_balance(updatedAt=None), "updated-at.null"),
        (_balance(estimatedBalanceCurrencyCode=None), "schema.200"),
        (b"{nope", "body.json"),
    ],
)
def test_any_currency_balance_still_judges_the_rest(raw: bytes, rule: str) -> None:
    found = rules.check_balance_any_currency(raw, CID, content_type="application/json")
    assert rule in {v.rule for v in found}


def test_any_currency_balance_checks_the_content_type() -> None:
    found = rules.check_balance_any_currency(_balance(), CID, content_type="text/plain")
    assert [v.rule for v in found] == ["content-type"]


def test_raw_value_is_found_in_data_not_in_an_extra_property() -> None:
    """Another object reusing the key (here with a JSON number) is not data's value."""
    raw = (
        b'{"data":{"wallets":[{"walletId":"wlt_1","estimatedBalanceValue":1800.25}],'
        b'"customerId":"' + CID.encode() + b'","estimatedBalanceCurrencyCode":"USD",'
        b'"estimatedBalanceValue":"2400.30"}}'
    )
    assert rules.check_raw_balance_value(raw) == []
    assert rules.check_raw_balance_value(_balance()) == []
    pretty = json.dumps(json.loads(_balance()), indent=2).encode()
    assert rules.check_raw_balance_value(pretty) == []


@pytest.mark.parametrize(
    ("raw", "rule"),
    [
        (b'{"data":{"estimatedBalanceValue":2400.30}}', "balance-value.type"),
        (b'{"data":{"estimatedBalanceValue":"2.4003E+3"}}', "balance-value.grammar"),
        (b'{"data":{"estimatedBalanceValue":"02400.30"}}', "balance-value.grammar"),
        (b'{"data":{"estimatedBalanceValue":"\\u0032400.30"}}', "balance-value.raw"),
        (b'{"data":{"value":"2400.30"}}', "balance-value.raw"),
        (b'{"estimatedBalanceValue":"2400.30"}', "balance-value.raw"),
        (b"not json", "body.json"),
    ],
)
def test_raw_value_breaches(raw: bytes, rule: str) -> None:
    assert [v.rule for v in rules.check_raw_balance_value(raw)] == [rule]
