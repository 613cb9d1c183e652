"""updatedAt: RFC 3339 when present, omitted (never null) without provider balances, not ahead."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from oms_harness.conformance.exchange import BalanceClient, Exchange
from oms_harness.conformance.suite import assert_holds, role_id
from oms_harness.conformance.target import Target
from oms_harness.contract import rules
from oms_harness.contract.rules import Violation

FEATURE = "updatedAt"
SPEC_POINTER = "/components/schemas/CustomerBalanceAggregate/properties/data/properties/updatedAt"


def _data(reply: Exchange) -> tuple[dict[str, object] | None, list[Violation]]:
    violations = rules.check_status_expected(reply.status, frozenset({200}), "balance")
    body, error = rules.parse_json(reply.body)
    if error:
        return None, [*violations, error]
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict):
        return None, [*violations, Violation("schema.200", "body has no data object")]
    return data, violations


@pytest.mark.parametrize("role", ["funded", "empty"])
def test_updated_at_is_rfc3339_and_not_in_future(
    api: BalanceClient, target: Target, role: str
) -> None:
    """updatedAt, when present, is an RFC 3339 time not in the future beyond a small skew"""
    reply = api.balance(role_id(target, role))
    data, violations = _data(reply)
    if data is not None:
        violations += rules.check_updated_at(data, now=datetime.now(UTC))
    assert_holds(reply, violations)


def test_updated_at_omitted_without_provider_balances(api: BalanceClient, target: Target) -> None:
    """A customer with no provider balances gets no updatedAt at all (not null)"""
    reply = api.balance(role_id(target, "empty"))
    data, violations = _data(reply)
    if data is not None:
        violations += rules.check_updated_at_absent(data)
    assert_holds(reply, violations)
