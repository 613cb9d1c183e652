"""Currency: the default currency, every supported code echoed, consistent decimals, values."""

from __future__ import annotations

import allure
import pytest

from oms_harness.conformance.exchange import BalanceClient
from oms_harness.conformance.suite import assert_judged, role_id
from oms_harness.conformance.target import SuiteTarget
from oms_harness.contract import spec
from oms_harness.contract.roles import BALANCE_ROLES

FEATURE = "Currency"
SPEC_POINTER = "/paths/~1customers~1{id}~1balance/get/parameters/1"


@allure.severity(allure.severity_level.BLOCKER)
def test_default_currency(api: BalanceClient, target: SuiteTarget) -> None:
    """Without the currency query the balance is in the spec's default currency"""
    assert_judged(target, api.balance(role_id(target, "funded")))


def test_supported_currency_is_echoed(
    api: BalanceClient, target: SuiteTarget, currency: str
) -> None:
    """Each supported currency is echoed in estimatedBalanceCurrencyCode"""
    assert_judged(target, api.balance(role_id(target, "funded"), currency=currency))


def test_explicit_default_equals_default(api: BalanceClient, target: SuiteTarget) -> None:
    """Asking for the default currency explicitly answers exactly what the default answers"""
    customer = role_id(target, "funded")
    default = spec.default_currency()
    if default not in target.profile.supported_currencies:
        pytest.skip(f"the profile does not list the default currency {default}")
    assert_judged(target, api.balance(customer), api.balance(customer, currency=default))


def test_decimals_consistent_per_currency(
    api: BalanceClient, target: SuiteTarget, currency: str
) -> None:
    """A currency keeps one number of decimals across every customer the profile names"""
    customers = [cid for role in BALANCE_ROLES if (cid := target.customer(role))]
    if len(customers) < 2 and not target.profile.expected:
        pytest.skip("profile names fewer than two customers with balances")
    queries: list[str | None] = [currency]
    if currency == spec.default_currency():
        queries.append(None)
    assert_judged(
        target, *(api.balance(cid, currency=query) for cid in customers for query in queries)
    )


def test_expected_values(
    api: BalanceClient, target: SuiteTarget, expected_case: tuple[str, str]
) -> None:
    """The balance equals the exact value the profile expects"""
    role, currency = expected_case
    assert_judged(target, api.balance(role_id(target, role), currency=currency))
