"""Error bodies: every non-2xx answer validated against the spec's own schema for its status."""

from __future__ import annotations

import pytest

from oms_harness.conformance.corpus import BASE_ID
from oms_harness.conformance.exchange import BalanceClient
from oms_harness.conformance.suite import assert_judged, role_id
from oms_harness.conformance.target import SuiteTarget

FEATURE = "Error bodies"
SPEC_POINTER = "/paths/~1customers~1{id}~1balance/get/responses"
ERROR_ROLES = ("unprovisioned", "provider_error", "provider_unreachable", "missing")


@pytest.mark.parametrize("role", ERROR_ROLES)
def test_role_answers_its_documented_error(
    api: BalanceClient, target: SuiteTarget, role: str
) -> None:
    """Each failing role answers its documented status with a schema-valid, exact body"""
    assert_judged(target, api.balance(role_id(target, role)))


def test_bad_request_body(api: BalanceClient, target: SuiteTarget) -> None:
    """A malformed id gets the 400 body with the spec's exact text"""
    assert_judged(target, api.balance(BASE_ID.upper()))


def test_unauthorized_body(api: BalanceClient, target: SuiteTarget) -> None:
    """No credentials get the 401 body with the spec's exact text"""
    assert_judged(target, api.balance(role_id(target, "funded"), authorization=None))
