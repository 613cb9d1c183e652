"""Error bodies: every non-2xx answer validated against the spec's own schema for its status."""

from __future__ import annotations

import pytest

from oms_harness.conformance.corpus import BASE_ID
from oms_harness.conformance.exchange import BalanceClient
from oms_harness.conformance.suite import assert_holds, role_id
from oms_harness.conformance.target import Target
from oms_harness.contract import rules, spec
from oms_harness.contract.rules import Violation
from oms_harness.profile import ROLE_STATUS

FEATURE = "Error bodies"
SPEC_POINTER = "/paths/~1customers~1{id}~1balance/get/responses"
ERROR_ROLES = ("unprovisioned", "provider_error", "provider_unreachable", "missing")


def error_violations(status: int, raw: bytes, content_type: str | None) -> list[Violation]:
    """Documented status, JSON content type, the spec's schema, and the exact strings."""
    violations = rules.check_error_response(status, raw, content_type)
    if status in spec.documented_statuses() and status != 200:
        violations += rules.check_exact_error(status, raw)
    return violations


@pytest.mark.parametrize("role", ERROR_ROLES)
def test_role_answers_its_documented_error(api: BalanceClient, target: Target, role: str) -> None:
    """Each failing role answers its documented status with a schema-valid, exact body"""
    customer = role_id(target, role)
    expected = ROLE_STATUS[role]
    reply = api.balance(customer)
    violations = rules.check_status_expected(reply.status, frozenset({expected}), role)
    if reply.status != 200:
        violations += error_violations(reply.status, reply.body, reply.content_type)
    assert_holds(reply, violations)


def test_bad_request_body(api: BalanceClient) -> None:
    """400 carries exactly {"error": "invalid customer id"}"""
    reply = api.balance(BASE_ID.upper())
    violations = rules.check_status_expected(reply.status, frozenset({400}), "upper-case id")
    violations += error_violations(reply.status, reply.body, reply.content_type)
    assert_holds(reply, violations)


def test_unauthorized_body(api: BalanceClient, target: Target) -> None:
    """401 carries exactly {"error": "unauthorized"}"""
    reply = api.balance(role_id(target, "funded"), authorization=None)
    violations = rules.check_status_expected(reply.status, frozenset({401}), "no credentials")
    violations += error_violations(reply.status, reply.body, reply.content_type)
    assert_holds(reply, violations)


def test_success_is_json(api: BalanceClient, target: Target) -> None:
    """A 200 is labelled application/json too"""
    reply = api.balance(role_id(target, "funded"))
    assert_holds(reply, rules.check_content_type(reply.content_type))
