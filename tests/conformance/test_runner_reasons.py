"""One-line reasons from the exception: schemathesis failures by rule, outages as such."""

from __future__ import annotations

import socket

import httpx
import pytest
import requests
from schemathesis.core.failures import CustomFailure, FailureGroup, ServerError

from oms_harness.conformance.plugin import (
    _schemathesis_failures,
    _schemathesis_reason,
    unavailable_reason,
)

# What pytest shows for a FailureGroup (its ExceptionGroup rendering), trimmed.
GROUP_TEXT = """\
+ Exception Group Traceback (most recent call last):
  |   File "/work/main/conformance/test_fuzz.py", line 37, in test_fuzz_positive
  |     case.call_and_validate(session=fuzz.http_session())
  | schemathesis.core.failures.FailureGroup: Schemathesis found 1 distinct failure
  |
  | - ST901 Custom check failed: `oms_balance_contract`
  |
  |     [balance.expected] estimatedBalanceValue is '0', expected '0.00' (role empty)
  |
  | [200] OK:
  |
  |     `{"data":{"estimatedBalanceValue":"0"}}`
  |
  | Reproduce with:
  |
  |     curl -X GET -H 'Authorization: [redacted]' 'http://127.0.0.1:1/v0.9/customers/x/balance'
"""


def _custom(message: str) -> CustomFailure:
    return CustomFailure(
        operation="GET /customers/{id}/balance",
        title="Custom check failed: `oms_balance_contract`",
        message=message,
        exception=AssertionError(message),
    )


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_failure_group_names_code_check_and_rule() -> None:
    group = FailureGroup(
        [
            _custom("[balance.expected] estimatedBalanceValue is '0'\nmore detail"),
            ServerError(operation="GET /x", status_code=500),
        ]
    )
    reason = _schemathesis_failures(group)
    # the contract rule first, by its id; the built-in check by its schemathesis check name
    assert reason.startswith("[balance.expected] estimatedBalanceValue is '0' | ")
    assert " | [schemathesis.not_a_server_error] " in reason  # on the same line
    assert "\n" not in reason
    assert "more detail" not in reason


def test_failure_inside_another_group_is_found() -> None:
    wrapped = BaseExceptionGroup("flaky", [FailureGroup([_custom("[rule.x] broken")])])
    assert "[rule.x] broken" in (_schemathesis_failures(wrapped) or "")


def test_non_schemathesis_errors_have_no_failure_reason() -> None:
    assert _schemathesis_failures(AssertionError("x")) == ""


def test_text_fallback_finds_the_qualified_group_line() -> None:
    reason = _schemathesis_reason(GROUP_TEXT)
    assert reason == (
        "ST901 Custom check failed: `oms_balance_contract`: [balance.expected] "
        "estimatedBalanceValue is '0', expected '0.00' (role empty)"
    )


def test_refused_httpx_connection_is_unavailable() -> None:
    with pytest.raises(httpx.TransportError) as caught:
        httpx.get(f"http://127.0.0.1:{_closed_port()}/v0.9", timeout=5)
    reason = unavailable_reason(caught.value)
    assert reason == "target became unreachable: connection refused (ConnectError)"


def test_refused_requests_connection_is_unavailable_not_a_timeout() -> None:
    with pytest.raises(requests.ConnectionError) as caught:
        requests.get(f"http://127.0.0.1:{_closed_port()}/v0.9", timeout=5)
    reason = unavailable_reason(ExceptionGroup("hypothesis", [caught.value]))
    assert reason == "target became unreachable: connection refused (ConnectionError)"


def test_read_timeout_is_unavailable() -> None:
    error = httpx.ReadTimeout("timed out")
    assert unavailable_reason(error) == (
        "target became unreachable: no answer within the request timeout (ReadTimeout)"
    )


@pytest.mark.parametrize(
    "error",
    [
        AssertionError("status 200, expected 401"),
        FailureGroup([_custom("[rule.x] broken")]),
        ValueError("bad JSON"),
    ],
    ids=["assertion", "schemathesis", "other"],
)
def test_verdicts_and_other_errors_are_not_outages(error: BaseException) -> None:
    assert unavailable_reason(error) is None


def test_a_verdict_reached_while_handling_an_outage_stays_a_verdict() -> None:
    def judge() -> None:
        try:
            raise httpx.ConnectError("refused")
        except httpx.ConnectError:
            pytest.fail("the contract says 401", pytrace=False)

    with pytest.raises(pytest.fail.Exception) as failed:
        judge()
    assert isinstance(failed.value.__context__, httpx.ConnectError)
    assert unavailable_reason(failed.value) is None
