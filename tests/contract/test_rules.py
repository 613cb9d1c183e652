"""The contract rules over raw bytes: a clean answer passes, each single breach is named."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from oms_harness.contract import (
    BalanceRequest,
    check_content_type,
    check_exact_error,
    check_updated_at_absent,
    parse_json,
)
from oms_harness.contract.rules import Violation
from oms_harness.contract.verdict import Answer, AnswerHistory, Expectations, Sent, judge

CID = "cst_01jz4w2v8ge8vbd4z9x0fz3k7m"
NOW = datetime(2026, 6, 1, tzinfo=UTC)
GOOD: dict[str, Any] = {
    "data": {
        "customerId": CID,
        "estimatedBalanceCurrencyCode": "USD",
        "estimatedBalanceValue": "2400.30",
        "updatedAt": "2026-05-28T10:00:00Z",
    }
}


def _raw(data_changes: dict[str, Any] | None = None, drop: str | None = None) -> str:
    body = json.loads(json.dumps(GOOD))
    body["data"].update(data_changes or {})
    if drop:
        del body["data"][drop]
    return json.dumps(body)


EXPECT = Expectations(roles={"funded": CID}, supported_currencies=("USD", "EUR", "GBP"))


def _rules(raw: str | bytes, request: BalanceRequest | None = None) -> set[str]:
    asked = request or BalanceRequest(CID)
    body = raw.encode() if isinstance(raw, str) else raw
    sent = Sent.balance(asked.customer_id, asked.currency)
    return {v.rule for v in judge(sent, Answer(200, body, "application/json"), EXPECT, now=NOW)}


def check_error_response(status: int, raw: str, content_type: str | None) -> list[Violation]:
    """The judge on an error answer to a request whose expected status is left open."""
    sent = Sent.balance(CID, "XYZ")  # an open currency question: any documented status
    return judge(sent, Answer(status, raw.encode(), content_type), EXPECT, now=NOW)


def test_clean_answer_has_no_violation() -> None:
    assert _rules(_raw()) == set()
    assert _rules(_raw(drop="updatedAt")) == set()
    assert (
        _rules(_raw({"estimatedBalanceCurrencyCode": "EUR"}), BalanceRequest(CID, "EUR")) == set()
    )


@pytest.mark.parametrize(
    ("raw", "rule"),
    [
        (_raw({"estimatedBalanceValue": 2400.3}), "decimal.wire-string"),
        (_raw({"estimatedBalanceValue": "2.4003E+3"}), "decimal.grammar"),
        (_raw({"estimatedBalanceValue": "02400.30"}), "decimal.grammar"),
        (_raw({"estimatedBalanceValue": " 2400.30"}), "decimal.grammar"),
        (_raw({"estimatedBalanceValue": "-1.00"}), "decimal.grammar"),
        (_raw({"estimatedBalanceValue": "NaN"}), "decimal.grammar"),
        (_raw({"customerId": CID.upper()}), "id.echo"),
        (_raw({"estimatedBalanceCurrencyCode": "EUR"}), "currency.default"),
        (_raw({"updatedAt": None}), "updated-at.not-null"),
        (_raw({"updatedAt": "2026-05-28 10:00:00"}), "updated-at.rfc3339"),
        (_raw({"updatedAt": "2027-01-01T00:00:00Z"}), "updated-at.not-future"),
        ('{"data": {"customerId": "x", "customerId": "y"}}', "response.json"),
        ('{"data": NaN}', "response.json"),
        (b"\xff\xfe", "response.json"),
        ("[]", "response.schema"),
        (_raw(drop="estimatedBalanceValue"), "response.schema"),
    ],
)
def test_each_breach_is_named(raw: str | bytes, rule: str) -> None:
    assert rule in _rules(raw)


def test_echo_of_an_invalid_requested_id_is_still_flagged() -> None:
    bad = "cst_01JZ4W2V8GE8VBD4Z9X0FZ3K7M"
    assert "id.typeid" in _rules(_raw({"customerId": bad}), BalanceRequest(bad))


def test_explicit_currency_must_be_echoed() -> None:
    assert "currency.echo" in _rules(_raw(), BalanceRequest(CID, "GBP"))


def test_updated_at_absent_rule() -> None:
    assert check_updated_at_absent({"customerId": CID}) == []
    assert [v.rule for v in check_updated_at_absent({"updatedAt": "2026-01-01T00:00:00Z"})] == [
        "updated-at.omitted-when-empty"
    ]


@pytest.mark.parametrize(
    ("content_type", "ok"),
    [
        ("application/json", True),
        ("application/json; charset=utf-8", True),
        ("text/plain", False),
        (None, False),
        ("application/problem+json", False),
    ],
)
def test_content_type(content_type: str | None, ok: bool) -> None:
    assert (check_content_type(content_type) == []) is ok


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (400, {"error": "invalid customer id"}),
        (401, {"error": "unauthorized"}),
        (404, {"error": "customer not found"}),
        (
            422,
            {
                "code": "provider_user_account_not_found",
                "error": "provider account not provisioned for this customer",
            },
        ),
        (502, {"code": "provider_error", "error": "anything the provider said"}),
        (503, {"code": "provider_unreachable", "error": "upstream provider unreachable"}),
    ],
)
def test_spec_error_bodies_pass(status: int, body: dict[str, str]) -> None:
    raw = json.dumps(body)
    assert check_error_response(status, raw, "application/json") == []
    assert check_exact_error(status, raw) == []


@pytest.mark.parametrize(
    ("status", "body", "rule"),
    [
        (400, {"error": "invalid id"}, "response.schema"),
        (401, {"message": "unauthorized"}, "response.schema"),
        (404, {"error": "not found"}, "response.schema"),
        (422, {"error": "provider account not provisioned for this customer"}, "response.schema"),
        (502, {"code": "provider_failure", "error": "x"}, "response.schema"),
        (
            503,
            {"code": "provider_error", "error": "upstream provider unreachable"},
            "response.schema",
        ),
        (500, {"error": "boom"}, "status.documented"),
    ],
)
def test_error_body_breaches(status: int, body: dict[str, str], rule: str) -> None:
    found = {v.rule for v in check_error_response(status, json.dumps(body), "application/json")}
    assert rule in found


def test_exact_error_names_the_field() -> None:
    found = check_exact_error(502, json.dumps({"code": "nope", "error": "x"}))
    assert [str(v) for v in found] == [
        "[error.exact-body] 502 code is 'nope', expected 'provider_error'"
    ]


def test_wrong_content_type_on_error() -> None:
    found = check_error_response(401, '{"error": "unauthorized"}', "text/html")
    assert [v.rule for v in found] == ["response.content-type"]


def test_parse_json_rejects_constants_and_duplicates() -> None:
    assert parse_json('{"a": 1}') == ({"a": 1}, None)
    for raw in ('{"a": Infinity}', '{"a": 1, "a": 2}', "{"):
        value, violation = parse_json(raw)
        assert value is None
        assert violation is not None
        assert violation.rule == "response.json"


def test_history_catches_a_lost_trailing_zero() -> None:
    history = AnswerHistory()
    assert history.observe("cst_a", "USD", "2400.30") == []
    assert history.observe("cst_b", "USD", "0.00") == []
    assert history.observe("cst_a", "EUR", "12.5") == []  # another currency, own reference
    found = history.observe("cst_c", "USD", "7.5")
    assert [v.rule for v in found] == ["decimal.consistent-places"]
    assert "'7.5' has 1 (cst_c USD), 2 before (cst_a USD)" in found[0].message


def test_unregistered_rule_ids_are_refused() -> None:
    with pytest.raises(KeyError):
        Violation("no.such-rule", "a typo in the harness")
