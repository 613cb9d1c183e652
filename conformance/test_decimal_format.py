"""Decimal wire format: judged on the raw JSON text, never on a parsed float."""

from __future__ import annotations

import allure
import pytest

from oms_harness.conformance.exchange import BalanceClient
from oms_harness.conformance.suite import assert_judged, role_id
from oms_harness.conformance.target import SuiteTarget

FEATURE = "Decimal wire format"
SPEC_POINTER = "/components/schemas/fixedDecimalString"
SEVERITY = allure.severity_level.BLOCKER


@pytest.mark.parametrize("role", ["funded", "empty"])
def test_value_is_a_strict_decimal_string(
    api: BalanceClient, target: SuiteTarget, role: str, currency: str
) -> None:
    """estimatedBalanceValue is a JSON string: no number, exponent, sign, blank or leading zero"""
    customer = role_id(target, role)
    assert_judged(target, api.balance(customer, currency=currency), api.balance(customer))
