"""Currency: USD by default, every supported code echoed, consistent decimals, exact values."""

from __future__ import annotations

import allure
import pytest

from oms_harness.conformance.exchange import BalanceClient
from oms_harness.conformance.suite import assert_holds, role_id
from oms_harness.conformance.target import Target
from oms_harness.contract import rules
from oms_harness.contract.rules import BalanceRequest, DecimalPlacesTracker

FEATURE = "Currency"
SPEC_POINTER = "/paths/~1customers~1{id}~1balance/get/parameters/1"
BALANCE_ROLES = ("funded", "empty")


def _value(raw: bytes) -> object:
    body, _ = rules.parse_json(raw)
    data = body.get("data") if isinstance(body, dict) else None
    return data.get("estimatedBalanceValue") if isinstance(data, dict) else None


@allure.severity(allure.severity_level.BLOCKER)
def test_default_currency_is_usd(api: BalanceClient, target: Target) -> None:
    """Without estimatedBalanceCurrencyCode the balance is in USD"""
    customer = role_id(target, "funded")
    reply = api.balance(customer)
    violations = rules.check_status_expected(reply.status, frozenset({200}), "funded customer")
    violations += rules.check_balance_response(
        reply.body, BalanceRequest(customer), content_type=reply.content_type
    )
    assert_holds(reply, violations)


def test_supported_currency_is_echoed(api: BalanceClient, target: Target, currency: str) -> None:
    """Each supported currency is echoed in estimatedBalanceCurrencyCode"""
    customer = role_id(target, "funded")
    reply = api.balance(customer, currency=currency)
    violations = rules.check_status_expected(reply.status, frozenset({200}), "funded customer")
    violations += rules.check_balance_response(
        reply.body, BalanceRequest(customer, currency), content_type=reply.content_type
    )
    assert_holds(reply, violations)


def test_explicit_usd_equals_default(api: BalanceClient, target: Target) -> None:
    """Asking for USD explicitly answers exactly what the default answers"""
    customer = role_id(target, "funded")
    default = api.balance(customer)
    explicit = api.balance(customer, currency="USD")
    violations = rules.check_status_expected(default.status, frozenset({200}), "default")
    violations += rules.check_status_expected(explicit.status, frozenset({200}), "explicit USD")
    assert_holds(explicit, violations)
    assert _value(explicit.body) == _value(default.body), (
        f"explicit USD answers {_value(explicit.body)!r}, the default {_value(default.body)!r}"
    )


def test_decimals_consistent_per_currency(
    api: BalanceClient, target: Target, currency: str, decimals: DecimalPlacesTracker
) -> None:
    """A currency keeps one number of decimals across every customer the profile names"""
    customers = {role: cid for role in BALANCE_ROLES if (cid := target.customer(role))}
    if len(customers) < 2 and not target.profile.expected:
        pytest.skip("profile names fewer than two customers with balances")
    queries: list[str | None] = [currency] + ([None] if currency == "USD" else [])
    for role, customer in customers.items():
        for query in queries:
            reply = api.balance(customer, currency=query)
            violations = rules.check_status_expected(reply.status, frozenset({200}), role)
            value = _value(reply.body)
            if isinstance(value, str):
                violations += decimals.observe(currency, value, f"{role} {query or 'default'}")
            assert_holds(reply, violations)


def test_expected_values(
    api: BalanceClient, target: Target, expected_case: tuple[str, str]
) -> None:
    """The balance equals the exact value the profile expects"""
    role, currency = expected_case
    customer = role_id(target, role)
    wanted = target.profile.expected[role][currency]
    reply = api.balance(customer, currency=currency)
    violations = rules.check_status_expected(reply.status, frozenset({200}), role)
    violations += rules.check_expected_value(
        _value(reply.body), wanted, f"profile [expected.{role}] {currency}"
    )
    assert_holds(reply, violations)
