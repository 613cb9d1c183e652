"""Load response checks: expected status first, then the shared contract rules."""

from __future__ import annotations

import json

from oms_harness.contract.typeid import new_customer_id
from oms_harness.load.checks import CachedChecker, check_response
from oms_harness.load.traffic import RequestKind

CID = new_customer_id()
JSON = "application/json"


def _kind(
    role: str = "funded", status: int = 200, currency: str | None = "EUR", value: str | None = None
) -> RequestKind:
    return RequestKind(f"t [{role}]", role, CID, currency, status, 1.0, value)


def _balance(**data: object) -> bytes:
    body = {
        "customerId": CID,
        "estimatedBalanceCurrencyCode": "EUR",
        "estimatedBalanceValue": "12.50",
    }
    body.update(data)  # type: ignore[arg-type]
    return json.dumps({"data": {k: v for k, v in body.items() if v is not None}}).encode()


def test_a_correct_balance_passes() -> None:
    assert check_response(_kind(), 200, _balance(updatedAt="2024-01-01T00:00:00Z"), JSON) is None


def test_unexpected_status_names_both_and_the_error_code_only() -> None:
    body = json.dumps({"error": "upstream said: secret details", "code": "provider_error"}).encode()
    reason = check_response(_kind(), 502, body, JSON)
    assert reason == "status 502 (provider_error), expected 200"


def test_contract_violation_gives_the_rule_and_hides_the_id() -> None:
    reason = check_response(_kind(), 200, _balance(estimatedBalanceValue=12.5), JSON)
    assert reason is not None
    assert reason.startswith("[schema.200]")
    assert "estimatedBalanceValue" in reason
    assert "12.5" in reason
    reason = check_response(_kind(), 200, _balance(customerId=new_customer_id()), JSON)
    assert reason is not None
    assert reason.startswith("[customer-id.echo]")
    assert CID not in reason
    assert "{id}" in reason


def test_currency_echo_and_content_type_are_checked() -> None:
    assert "[currency.echo]" in (
        check_response(_kind(), 200, _balance(estimatedBalanceCurrencyCode="USD"), JSON) or ""
    )
    assert "[content-type]" in (check_response(_kind(), 200, _balance(), "text/plain") or "")


def test_role_rules_empty_has_no_updated_at_and_expected_values_match() -> None:
    empty = _kind(role="empty")
    assert "[updated-at.omitted]" in (
        check_response(empty, 200, _balance(updatedAt="2024-01-01T00:00:00Z"), JSON) or ""
    )
    assert check_response(empty, 200, _balance(), JSON) is None
    valued = _kind(value="12.50")
    assert check_response(valued, 200, _balance(), JSON) is None
    reason = check_response(valued, 200, _balance(estimatedBalanceValue="12.5"), JSON)
    # the conformance suites' rule, not a load-only copy of it
    assert reason is not None
    assert reason.startswith("[balance-value.expected]")
    assert "'12.50'" in reason


def test_the_raw_wire_text_of_the_value_is_judged_not_only_the_parsed_string() -> None:
    valued = _kind(value="2400.30")
    plain = _balance(estimatedBalanceValue="2400.30")
    assert check_response(valued, 200, plain, JSON) is None
    escaped = plain.replace(b'"2400.30"', b'"\\u0032400.30"')
    assert json.loads(escaped)["data"]["estimatedBalanceValue"] == "2400.30"
    reason = check_response(valued, 200, escaped, JSON)
    assert reason is not None
    assert reason.startswith("[balance-value.raw]")


def test_the_cache_keeps_judging_raw_text_per_exact_bytes() -> None:
    checker = CachedChecker()
    kind = _kind()
    plain = _balance(estimatedBalanceValue="2400.30")
    escaped = plain.replace(b'"2400.30"', b'"\\u0032400.30"')
    assert checker(kind, 200, plain, JSON) is None
    assert checker(kind, 200, plain, JSON) is None
    assert (checker.hits, checker.misses) == (1, 1)
    for _ in range(2):  # a violation is never cached as a pass
        assert (checker(kind, 200, escaped, JSON) or "").startswith("[balance-value.raw]")
    assert (checker.hits, checker.misses) == (1, 3)


def test_error_answers_need_the_exact_body() -> None:
    missing = _kind(role="missing", status=404, currency=None)
    assert check_response(missing, 404, b'{"error":"customer not found"}', JSON) is None
    reason = check_response(missing, 404, b'{"error":"no such customer"}', JSON)
    assert reason is not None
    assert reason.startswith("[")
    assert "not strict JSON" in (check_response(missing, 404, b"<html>", JSON) or "")
