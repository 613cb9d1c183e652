"""Customer ids: echoed exactly, and anything that is not a `cst` TypeID answers 400.

The invalid-id corpus runs twice: on a synthetic id, and as near misses of every real
customer the profile names (a server that folds case or trims blanks before the lookup
only shows it on ids that exist). Malformed percent-escapes go on the wire raw.
"""

from __future__ import annotations

from collections.abc import Callable

import allure
import pytest

from oms_harness.conformance.corpus import InvalidId
from oms_harness.conformance.exchange import BalanceClient, Exchange
from oms_harness.conformance.suite import assert_judged, role_id
from oms_harness.conformance.target import SuiteTarget

FEATURE = "Customer ids"
SPEC_POINTER = "/components/schemas/InvalidCustomerIdErrorBody"


@pytest.mark.parametrize("role", ["funded", "empty"])
def test_id_is_echoed(api: BalanceClient, target: SuiteTarget, role: str) -> None:
    """data.customerId echoes the requested id and is a cst TypeID"""
    assert_judged(target, api.balance(role_id(target, role)))


def _rejected(
    api: BalanceClient, target: SuiteTarget, entry: InvalidId, spec_gap: Callable[[str], None]
) -> None:
    allure.dynamic.parameter("id", entry.display)
    allure.dynamic.description(f"{entry.why}: {entry.display}")
    reply: Exchange = api.balance(segment=entry.segment)
    assert_judged(target, reply)
    if reply.status == 404 and reply.sent is not None and reply.sent.reshapes_path:
        spec_gap(f"an id that is not one path segment ({entry.display!r}) answers 404")


def test_invalid_id_is_rejected(
    api: BalanceClient, target: SuiteTarget, invalid_id: InvalidId, spec_gap: Callable[[str], None]
) -> None:
    """An id that is not a cst TypeID answers 400 with the exact body"""
    _rejected(api, target, invalid_id, spec_gap)


def test_near_miss_of_a_real_id_is_rejected(
    api: BalanceClient, target: SuiteTarget, near_miss: InvalidId, spec_gap: Callable[[str], None]
) -> None:
    """A near miss of a real customer's id (case, blanks, escapes, ...) answers 400"""
    _rejected(api, target, near_miss, spec_gap)


@allure.severity(allure.severity_level.CRITICAL)
def test_unknown_valid_id_is_not_found(api: BalanceClient, target: SuiteTarget) -> None:
    """A valid TypeID that names no customer answers 404 with the exact body"""
    assert_judged(target, api.balance(role_id(target, "missing")))
