"""updatedAt: RFC 3339 when present, omitted (never null) without provider balances, not ahead."""

from __future__ import annotations

import pytest

from oms_harness.conformance.exchange import BalanceClient
from oms_harness.conformance.suite import assert_judged, role_id
from oms_harness.conformance.target import SuiteTarget

FEATURE = "updatedAt"
SPEC_POINTER = "/components/schemas/CustomerBalanceAggregate/properties/data/properties/updatedAt"


@pytest.mark.parametrize("role", ["funded", "empty"])
def test_updated_at_is_rfc3339_and_not_in_future(
    api: BalanceClient, target: SuiteTarget, role: str
) -> None:
    """updatedAt, when present, is an RFC 3339 time not in the future beyond a small skew"""
    assert_judged(target, api.balance(role_id(target, role)))


def test_updated_at_omitted_without_provider_balances(
    api: BalanceClient, target: SuiteTarget
) -> None:
    """A customer with no provider balances gets no updatedAt at all (not null)"""
    assert_judged(target, api.balance(role_id(target, "empty")))
