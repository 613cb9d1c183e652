"""Decimal wire format: judged on the raw JSON text, never on a parsed float."""

from __future__ import annotations

import allure
import pytest

from oms_harness.conformance.exchange import BalanceClient
from oms_harness.conformance.suite import assert_holds, role_id
from oms_harness.conformance.target import Target
from oms_harness.contract import rules
from oms_harness.contract.rules import BalanceRequest

FEATURE = "Decimal wire format"
SPEC_POINTER = "/components/schemas/fixedDecimalString"
SEVERITY = allure.severity_level.BLOCKER


@pytest.mark.parametrize("role", ["funded", "empty"])
def test_value_is_a_strict_decimal_string(
    api: BalanceClient, target: Target, role: str, currency: str
) -> None:
    """estimatedBalanceValue is a JSON string: no number, exponent, sign, blank or leading zero"""
    customer = role_id(target, role)
    reply = api.balance(customer, currency=currency)
    violations = rules.check_status_expected(reply.status, frozenset({200}), role)
    if reply.status == 200:
        violations += rules.check_raw_balance_value(reply.body)
        violations += rules.check_balance_response(
            reply.body, BalanceRequest(customer, currency), content_type=reply.content_type
        )
    assert_holds(reply, violations)


def test_default_currency_value_is_a_strict_decimal_string(
    api: BalanceClient, target: Target
) -> None:
    """The default-currency answer obeys the same wire format"""
    customer = role_id(target, "funded")
    reply = api.balance(customer)
    violations = rules.check_status_expected(reply.status, frozenset({200}), "funded")
    if reply.status == 200:
        violations += rules.check_raw_balance_value(reply.body)
    assert_holds(reply, violations)
