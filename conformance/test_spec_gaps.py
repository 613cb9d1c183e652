"""Spec gaps: what the contract leaves open is probed and reported, not judged.

An unsupported, lower-case, empty or repeated currency code may get any answer the
operation documents, with a body valid for that status. That answer is recorded as a
spec-gap finding. An undocumented status or an invalid body still fails.
"""

from __future__ import annotations

from collections.abc import Callable

import allure
import pytest

from oms_harness.conformance.exchange import BalanceClient
from oms_harness.conformance.suite import assert_judged, role_id
from oms_harness.conformance.target import SuiteTarget
from oms_harness.contract import spec

FEATURE = "Spec gaps"
SPEC_POINTER = "/paths/~1customers~1{id}~1balance/get/parameters/1"
SEVERITY = allure.severity_level.MINOR
PARAM = spec.currency_parameter()

PROBES = {
    "unsupported-code": (f"{PARAM}=XYZ", "an unsupported currency code"),
    "lower-case-code": (f"{PARAM}=usd", "a lower-case currency code"),
    "empty-value": (f"{PARAM}=", "an empty currency value"),
    "repeated-parameter": (f"{PARAM}=USD&{PARAM}=EUR", "the currency parameter twice"),
    "three-digit-code": (f"{PARAM}=840", "a numeric ISO 4217 code"),
}


def _summary(raw: bytes) -> str:
    text = raw.decode("utf-8", errors="replace").strip()
    return text if len(text) <= 120 else text[:117] + "..."


@pytest.mark.parametrize("probe", list(PROBES))
def test_currency_spec_gap(
    api: BalanceClient, target: SuiteTarget, probe: str, spec_gap: Callable[[str], None]
) -> None:
    """What the spec leaves open about the currency is answered with a documented status"""
    query, what = PROBES[probe]
    customer = role_id(target, "funded")
    reply = api.balance(customer, raw_query=query)
    # The judge leaves the status open here and holds the answer to what still applies.
    assert_judged(target, reply)
    spec_gap(f"{what} (?{query}) answers {reply.status} {_summary(reply.body)}")
