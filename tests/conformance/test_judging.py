"""What the judge is told was sent is recovered from the request as it went out."""

from __future__ import annotations

import pytest

from oms_harness.conformance.judging import id_segment, sent_from
from oms_harness.conformance.target import SuiteTarget
from oms_harness.contract import typeid
from oms_harness.profile import parse_profile

TOKEN = "valid-token-value"
FUNDED = typeid.encode("cst", typeid.uuid7(unix_ms=1_700_000_000_000, random_bytes=bytes(10)))
BASE = "http://127.0.0.1:9/v0.9"


@pytest.fixture
def target() -> SuiteTarget:
    profile = parse_profile({"base_url": BASE, "customers": {"funded": FUNDED}})
    return SuiteTarget(profile=profile, token=TOKEN)


def _url(segment: str, query: str = "") -> str:
    return f"{BASE}/customers/{segment}/balance" + (f"?{query}" if query else "")


@pytest.mark.parametrize(
    ("segment", "decoded"),
    [
        (FUNDED, FUNDED),
        ("a%2Fb", "a/b"),
        ("cst_%zz", "cst_%zz"),
        ("%", "%"),
        ("", ""),
        ("cst_x%FF", None),
    ],
)
def test_the_id_is_decoded_as_the_server_will(
    target: SuiteTarget, segment: str, decoded: str | None
) -> None:
    assert sent_from(_url(segment), f"Bearer {TOKEN}", target).customer_id == decoded


def test_currencies_and_credential(target: SuiteTarget) -> None:
    sent = sent_from(
        _url(FUNDED, "estimatedBalanceCurrencyCode=USD&estimatedBalanceCurrencyCode=EUR&x=1"),
        None,
        target,
    )
    assert sent.currencies == ("USD", "EUR")
    assert sent.currency is None
    assert not sent.authenticated
    assert sent_from(_url(FUNDED), f"Bearer {TOKEN}", target).authenticated
    assert not sent_from(_url(FUNDED), f"Token {TOKEN}", target).authenticated
    assert sent_from(_url(FUNDED, "estimatedBalanceCurrencyCode="), None, target).currencies == (
        "",
    )


def test_another_path_is_no_balance_request() -> None:
    assert id_segment(f"{BASE}/customers/x/balance/more") is None
    assert id_segment(f"{BASE}/customers/a/b/balance") == "a/b"
