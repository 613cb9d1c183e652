"""Decimal wire format: judged on the raw JSON text, never on a parsed float."""

from __future__ import annotations

import re

import allure
import pytest

from oms_harness.conformance.exchange import BalanceClient
from oms_harness.conformance.suite import assert_holds, role_id
from oms_harness.conformance.target import Target
from oms_harness.contract import decimal_string, rules
from oms_harness.contract.rules import BalanceRequest, Violation

FEATURE = "Decimal wire format"
SPEC_POINTER = "/components/schemas/fixedDecimalString"
SEVERITY = allure.severity_level.BLOCKER

# The JSON value right after the key, as text: a string, a number, or a literal.
_RAW_VALUE_RE = re.compile(
    rb'"estimatedBalanceValue"\s*:\s*("(?:[^"\\]|\\.)*"|[-+0-9.eE]+|[A-Za-z]+)'
)


def raw_value_violations(raw: bytes) -> list[Violation]:
    """The value as written on the wire: a JSON string in the strict grammar, no escapes."""
    match = _RAW_VALUE_RE.search(raw)
    if match is None:
        return [Violation("balance-value.raw", "no estimatedBalanceValue in the raw body")]
    token = match.group(1).decode("utf-8", errors="replace")
    if not token.startswith('"'):
        return [Violation("balance-value.type", f"estimatedBalanceValue is written as {token}")]
    if not decimal_string.is_decimal_string(token[1:-1]):
        return [
            Violation("balance-value.grammar", f"estimatedBalanceValue is written as {token[:40]}")
        ]
    return []


@pytest.mark.parametrize("role", ["funded", "empty"])
def test_value_is_a_strict_decimal_string(
    api: BalanceClient, target: Target, role: str, currency: str
) -> None:
    """estimatedBalanceValue is a JSON string: no number, exponent, sign, blank or leading zero"""
    customer = role_id(target, role)
    reply = api.balance(customer, currency=currency)
    violations = rules.check_status_expected(reply.status, frozenset({200}), role)
    if reply.status == 200:
        violations += raw_value_violations(reply.body)
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
        violations += raw_value_violations(reply.body)
    assert_holds(reply, violations)
