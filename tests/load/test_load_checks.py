"""Load response checks: the one judge, a short reason, and contract violation vs error."""

from __future__ import annotations

import json

from oms_harness.contract.typeid import new_customer_id
from oms_harness.load.checks import CheckFailure, LoadChecker, check_response, expectations_for
from oms_harness.load.traffic import MALFORMED_ID, RequestKind

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


def _check(kind: RequestKind, status: int, raw: bytes, content_type: str | None) -> str | None:
    failure = check_response(kind, status, raw, content_type, expectations_for([kind]))
    return failure.reason if failure else None


def _failure(kind: RequestKind, status: int, raw: bytes) -> CheckFailure | None:
    return check_response(kind, status, raw, JSON, expectations_for([kind]))


def test_a_correct_balance_passes() -> None:
    assert _check(_kind(), 200, _balance(updatedAt="2024-01-01T00:00:00Z"), JSON) is None


def test_unexpected_status_names_both_and_the_error_code_only() -> None:
    body = json.dumps({"error": "upstream said: secret details", "code": "provider_error"}).encode()
    reason = _check(_kind(), 502, body, JSON)
    assert reason == "status 502 (provider_error), expected 200"


def test_contract_violation_gives_the_rule_and_hides_the_id() -> None:
    reason = _check(_kind(), 200, _balance(estimatedBalanceValue=12.5), JSON)
    assert reason is not None
    assert reason.startswith("[decimal.wire-string]")
    assert "estimatedBalanceValue" in reason
    assert "float" in reason
    reason = _check(_kind(), 200, _balance(customerId=new_customer_id()), JSON)
    assert reason is not None
    assert reason.startswith("[id.echo]")
    assert CID not in reason
    assert "{id}" in reason


def test_currency_echo_and_content_type_are_checked() -> None:
    assert "[currency.echo]" in (
        _check(_kind(), 200, _balance(estimatedBalanceCurrencyCode="USD"), JSON) or ""
    )
    assert "[response.content-type]" in (_check(_kind(), 200, _balance(), "text/plain") or "")


def test_role_rules_empty_has_no_updated_at_and_expected_values_match() -> None:
    empty = _kind(role="empty")
    assert "[updated-at.omitted-when-empty]" in (
        _check(empty, 200, _balance(updatedAt="2024-01-01T00:00:00Z"), JSON) or ""
    )
    assert _check(empty, 200, _balance(), JSON) is None
    valued = _kind(value="12.50")
    assert _check(valued, 200, _balance(), JSON) is None
    reason = _check(valued, 200, _balance(estimatedBalanceValue="12.60"), JSON)
    # the conformance suites' rule, not a load-only copy of it
    assert reason is not None
    assert reason.startswith("[balance.expected]")
    assert "'12.50'" in reason
    reason = _check(valued, 200, _balance(estimatedBalanceValue="12.5"), JSON)
    assert reason is not None
    assert reason.startswith("[decimal.consistent-places]")


def test_the_raw_wire_text_of_the_value_is_judged_not_only_the_parsed_string() -> None:
    valued = _kind(value="2400.30")
    plain = _balance(estimatedBalanceValue="2400.30")
    assert _check(valued, 200, plain, JSON) is None
    escaped = plain.replace(b'"2400.30"', b'"\\u0032400.30"')
    assert json.loads(escaped)["data"]["estimatedBalanceValue"] == "2400.30"
    reason = _check(valued, 200, escaped, JSON)
    assert reason is not None
    assert reason.startswith("[decimal.raw-text]")


def test_the_cache_keeps_judging_raw_text_per_exact_bytes() -> None:
    kind = _kind()
    checker = LoadChecker([kind])
    plain = _balance(estimatedBalanceValue="2400.30")
    escaped = plain.replace(b'"2400.30"', b'"\\u0032400.30"')
    assert checker(kind, 200, plain, JSON) is None
    assert checker(kind, 200, plain, JSON) is None
    assert (checker.hits, checker.misses) == (1, 1)
    for _ in range(2):  # a violation is never cached as a pass
        failure = checker(kind, 200, escaped, JSON)
        assert failure is not None
        assert failure.reason.startswith("[decimal.raw-text]")
        assert failure.rule == "decimal.raw-text"
    assert (checker.hits, checker.misses) == (1, 3)


def test_error_answers_need_the_exact_body() -> None:
    missing = _kind(role="missing", status=404, currency=None)
    assert _check(missing, 404, b'{"error":"customer not found"}', JSON) is None
    reason = _check(missing, 404, b'{"error":"no such customer"}', JSON)
    assert reason is not None
    assert reason.startswith("[")
    assert "not strict JSON" in (_check(missing, 404, b"<html>", JSON) or "")


def test_an_unexpected_5xx_is_an_error_not_a_contract_violation() -> None:
    body = json.dumps({"error": "upstream said: secret details", "code": "provider_error"}).encode()
    failure = _failure(_kind(), 502, body)
    assert failure == CheckFailure("status 502 (provider_error), expected 200")
    assert _failure(_kind(), 500, b"oops") == CheckFailure("status 500, expected 200")


def test_a_wrong_status_below_500_is_a_contract_violation_by_rule() -> None:
    failure = _failure(_kind(), 404, b'{"error":"customer not found"}')
    assert failure is not None
    assert failure.rule == "status.role"
    assert failure.reason.startswith("[status.role] status 404, expected 200")
    malformed = RequestKind("m", "malformed", MALFORMED_ID, None, 400, 1.0)
    failure = _failure(malformed, 200, _balance())
    assert failure is not None
    assert failure.rule == "id.malformed"


def test_a_documented_error_with_a_wrong_body_is_a_contract_violation() -> None:
    kind = _kind(role="provider_error", status=502, currency=None)
    failure = _failure(kind, 502, b'{"error":"x","code":"provider_failure"}')
    assert failure is not None
    assert failure.rule == "response.schema"


def test_rules_across_answers_run_under_load_too() -> None:
    """One history per process: a value that changes between identical questions is caught."""
    kind = _kind()
    checker = LoadChecker([kind], stable_balances=True)
    assert checker(kind, 200, _balance(), JSON) is None
    failure = checker(kind, 200, _balance(estimatedBalanceValue="12.60"), JSON)
    assert failure is not None
    assert failure.rule == "balance.repeat-agrees"
    assert CID not in failure.reason
    places = checker(kind, 200, _balance(estimatedBalanceValue="12.5"), JSON)
    assert places is not None
    assert places.rule == "decimal.consistent-places"


def test_values_that_move_pass_under_load_unless_the_profile_says_they_are_stable() -> None:
    kind = _kind()
    checker = LoadChecker([kind])
    assert checker(kind, 200, _balance(), JSON) is None
    assert checker(kind, 200, _balance(estimatedBalanceValue="12.60"), JSON) is None


def test_expectations_come_from_the_mix() -> None:
    kinds = [
        _kind(value="12.50"),
        _kind(currency="USD"),
        RequestKind("m", "malformed", MALFORMED_ID, None, 400, 1.0),
    ]
    found = expectations_for(kinds)
    assert found.roles == {"funded": CID}
    assert found.supported_currencies == ("EUR", "USD")
    assert found.expected == {"funded": {"EUR": "12.50"}}
