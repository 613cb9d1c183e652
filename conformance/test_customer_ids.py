"""Customer ids: echoed exactly, and anything that is not a `cst` TypeID answers 400."""

from __future__ import annotations

from collections.abc import Callable

import allure
import pytest

from oms_harness.conformance.corpus import InvalidId
from oms_harness.conformance.exchange import BalanceClient
from oms_harness.conformance.suite import assert_holds, role_id
from oms_harness.conformance.target import Target
from oms_harness.contract import rules
from oms_harness.contract.rules import BalanceRequest

FEATURE = "Customer ids"
SPEC_POINTER = "/components/schemas/InvalidCustomerIdErrorBody"


@pytest.mark.parametrize("role", ["funded", "empty"])
def test_id_is_echoed(api: BalanceClient, target: Target, role: str) -> None:
    """data.customerId echoes the requested id and is a cst TypeID"""
    customer = role_id(target, role)
    reply = api.balance(customer)
    violations = rules.check_status_expected(reply.status, frozenset({200}), role)
    if reply.status == 200:
        body, error = rules.parse_json(reply.body)
        data = body.get("data") if isinstance(body, dict) else None
        violations += [error] if error else []
        if isinstance(data, dict):
            violations += rules.check_customer_id_echo(data.get("customerId"), customer)
        violations += rules.check_balance_response(
            reply.body, BalanceRequest(customer), content_type=reply.content_type
        )
    assert_holds(reply, violations)


def test_invalid_id_is_rejected(
    api: BalanceClient, invalid_id: InvalidId, spec_gap: Callable[[str], None]
) -> None:
    """An id that is not a cst TypeID answers 400 with the exact body"""
    allure.dynamic.parameter("id", invalid_id.display)
    allure.dynamic.description(f"{invalid_id.why}: {invalid_id.display}")
    reply = api.balance(segment=invalid_id.segment)
    decoded = invalid_id.decoded.decode("utf-8", errors="replace")
    if rules.id_reshapes_path(decoded):
        # No longer one path segment: a router's own 404 is as correct as the operation's 400.
        assert_holds(
            reply, rules.check_reshaped_id_answer(reply.status, reply.body, reply.content_type)
        )
        if reply.status == 404:
            spec_gap(f"an id that is not one path segment ({invalid_id.display!r}) answers 404")
        return
    violations = rules.check_status_expected(reply.status, frozenset({400}), invalid_id.why)
    violations += rules.check_error_response(reply.status, reply.body, reply.content_type)
    if reply.status == 400:
        violations += rules.check_exact_error(400, reply.body)
    assert_holds(reply, violations)


@allure.severity(allure.severity_level.CRITICAL)
def test_unknown_valid_id_is_not_found(api: BalanceClient, target: Target) -> None:
    """A valid TypeID that names no customer answers 404 with the exact body"""
    customer = role_id(target, "missing")
    reply = api.balance(customer)
    violations = rules.check_status_expected(reply.status, frozenset({404}), "unknown valid id")
    violations += rules.check_error_response(reply.status, reply.body, reply.content_type)
    if reply.status == 404:
        violations += rules.check_exact_error(404, reply.body)
    assert_holds(reply, violations)
