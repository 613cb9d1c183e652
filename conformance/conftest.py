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
from oms_harness.conformance.corpus import invalid_ids, real_near_misses
from oms_harness.conformance.exchange import BalanceClient, new_http_client
from oms_harness.conformance.plugin import record_spec_gap
from oms_harness.conformance.target import SuiteTarget, session_target
from oms_harness.contract.registry import area_of as area_of_rule
from oms_harness.contract.registry import area_title, rule_ids_in
from oms_harness.contract.roles import EXISTING_ROLES
from oms_harness.redaction import Redactor


@pytest.fixture(scope="session")
def target() -> SuiteTarget:
    """The target under test, from ``OMS_HARNESS_PROFILE`` / ``OMS_HARNESS_TOKEN``."""
    return session_target()


@pytest.fixture(scope="session")
def redactor(target: SuiteTarget) -> Redactor:
    return Redactor([target.token, target.profile.credentials.expired_token])


@pytest.fixture(scope="session")
def http() -> Iterator[httpx.Client]:
    """One keep-alive connection pool for the whole session."""
    with new_http_client() as client:
        yield client


@pytest.fixture
def api(target: SuiteTarget, redactor: Redactor, http: httpx.Client) -> Iterator[BalanceClient]:
    """A client whose every exchange becomes an Allure step with request, response, curl."""
    with BalanceClient(target, redactor=redactor, on_exchange=attach_exchange, http=http) as client:
        yield client


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


_CALL_REPORT = pytest.StashKey[pytest.TestReport]()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Keep the call phase's report, so the labels fixture knows which rules broke."""
    outcome = yield
    report: pytest.TestReport = outcome.get_result()  # type: ignore[attr-defined]
    if report.when == "call":
        item.stash[_CALL_REPORT] = report


@pytest.fixture(autouse=True)
def _allure_labels(request: pytest.FixtureRequest) -> Iterator[None]:
    """Epic/story/severity and a spec link from the module and the test's docstring; after
    the test, the feature: the area of the first rule that broke, else the module's."""
    module = request.module
    allure.dynamic.epic("Customer balance contract")
    doc = (request.function.__doc__ or "").strip().splitlines()
    if doc:
        allure.dynamic.story(doc[0])
    allure.dynamic.severity(getattr(module, "SEVERITY", allure.severity_level.CRITICAL))
    pointer = getattr(module, "SPEC_POINTER", None)
    if pointer:
        allure.dynamic.link(spec_link(pointer), name=f"spec {pointer}")
    yield
    report = request.node.stash.get(_CALL_REPORT, None)
    broken = rule_ids_in(report.longreprtext) if report is not None and report.failed else []
    if broken:
        allure.dynamic.feature(area_title(area_of_rule(broken[0])))
        allure.dynamic.tag(*broken)
    else:
        allure.dynamic.feature(getattr(module, "FEATURE", module.__name__))


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
    if "near_miss" in names:
        target = session_target()
        real = {role: cid for role in EXISTING_ROLES if (cid := target.customer(role))}
        misses = real_near_misses(real)
        metafunc.parametrize("near_miss", misses, ids=[entry.name for entry in misses])
