"""Shared fixtures of the conformance suites: the target, a recording client, role lookup.

The target comes from the environment (``OMS_HARNESS_PROFILE`` + ``OMS_HARNESS_TOKEN``, set
by ``oms-harness conformance``); a role the profile does not name skips its tests with the
reason. Every exchange is attached to the Allure result with its Authorization redacted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import allure
import httpx
import pytest

from oms_harness.conformance.allure_io import (
    SPEC_GAP_PROPERTY,
    attach_exchange,
    mark_spec_gap,
    spec_link,
)
from oms_harness.conformance.corpus import invalid_ids
from oms_harness.conformance.exchange import BalanceClient, new_http_client
from oms_harness.conformance.plugin import record_spec_gap
from oms_harness.conformance.target import Target, session_target
from oms_harness.contract.rules import DecimalPlacesTracker
from oms_harness.redaction import Redactor


@pytest.fixture(scope="session")
def target() -> Target:
    """The target under test, from ``OMS_HARNESS_PROFILE`` / ``OMS_HARNESS_TOKEN``."""
    return session_target()


@pytest.fixture(scope="session")
def redactor(target: Target) -> Redactor:
    return Redactor([target.token, target.profile.credentials.expired_token])


@pytest.fixture(scope="session")
def http() -> Iterator[httpx.Client]:
    """One keep-alive connection pool for the whole session."""
    with new_http_client() as client:
        yield client


@pytest.fixture
def api(target: Target, redactor: Redactor, http: httpx.Client) -> Iterator[BalanceClient]:
    """A client whose every exchange becomes an Allure step with request, response, curl."""
    with BalanceClient(target, redactor=redactor, on_exchange=attach_exchange, http=http) as client:
        yield client


@pytest.fixture(scope="session")
def decimals() -> DecimalPlacesTracker:
    """One tracker per session: a currency keeps its number of decimals across customers."""
    return DecimalPlacesTracker()


@pytest.fixture
def spec_gap(
    request: pytest.FixtureRequest, record_testsuite_property: Callable[[str, object], None]
) -> Callable[[str], None]:
    """``spec_gap("…")`` records a finding: counted as a spec gap, not a failure.

    The results plugin counts it; JUnit gets it as a ``testsuite`` property (``xunit2`` has
    no per-testcase properties, hence not ``record_property``); Allure tags the test.
    """

    def record(finding: str) -> None:
        record_spec_gap(request.node, finding)
        record_testsuite_property(SPEC_GAP_PROPERTY, finding)
        mark_spec_gap(finding)

    return record


@pytest.fixture(autouse=True)
def _allure_labels(request: pytest.FixtureRequest) -> None:
    """Epic/feature/story/severity and a spec link from the module and the test's docstring."""
    module = request.module
    allure.dynamic.epic("Customer balance contract")
    allure.dynamic.feature(getattr(module, "FEATURE", module.__name__))
    doc = (request.function.__doc__ or "").strip().splitlines()
    if doc:
        allure.dynamic.story(doc[0])
    allure.dynamic.severity(getattr(module, "SEVERITY", allure.severity_level.CRITICAL))
    pointer = getattr(module, "SPEC_POINTER", None)
    if pointer:
        allure.dynamic.link(spec_link(pointer), name=f"spec {pointer}")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize from the profile: its currencies, its expected values, the id corpus."""
    names = metafunc.fixturenames
    if "currency" in names:
        codes = list(session_target().profile.supported_currencies)
        metafunc.parametrize("currency", codes, ids=codes)
    if "expected_case" in names:
        expected = session_target().profile.expected
        cases = [(role, code) for role, values in expected.items() for code in values]
        if cases:
            metafunc.parametrize("expected_case", cases, ids=[f"{r}-{c}" for r, c in cases])
        else:
            metafunc.parametrize(
                "expected_case",
                [
                    pytest.param(
                        None, marks=pytest.mark.skip(reason="profile has no [expected] values")
                    )
                ],
                ids=["none"],
            )
    if "invalid_id" in names:
        corpus = invalid_ids()
        metafunc.parametrize("invalid_id", corpus, ids=[entry.name for entry in corpus])
