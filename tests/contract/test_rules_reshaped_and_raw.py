"""Paths a router may answer for, and the decimal value judged on the wire text."""

from __future__ import annotations

import json

import pytest

from oms_harness.contract import rules
from oms_harness.contract.verdict import Answer, Expectations, Sent, judge

CID = "cst_01h455vb4pex5vsknk084sn02q"


def _balance(**data: object) -> bytes:
    base: dict[str, object] = {
        "customerId": CID,
        "estimatedBalanceCurrencyCode": "USD",
        "estimatedBalanceValue": "2400.30",
    }
    return json.dumps({"data": {**base, **data}}).encode()


@pytest.mark.parametrize(
    ("customer_id", "reshapes"),
    [
        ("", True),
        (".", True),
        ("..", True),
        ("a/b", True),
        ("/", True),
        (CID, False),
        ("cst_", False),
        ("%2F", False),
        ("...", False),
    ],
)
def test_id_reshapes_path(customer_id: str, reshapes: bool) -> None:
    assert rules.id_reshapes_path(customer_id) is reshapes


def test_raw_value_is_found_in_data_not_in_an_extra_property() -> None:
    """Another object reusing the key (here with a JSON number) is not data's value."""
    raw = (
        b'{"data":{"wallets":[{"walletId":"wlt_1","estimatedBalanceValue":1800.25}],'
        b'"customerId":"' + CID.encode() + b'","estimatedBalanceCurrencyCode":"USD",'
        b'"estimatedBalanceValue":"2400.30"}}'
    )
    expect = Expectations(roles={"funded": CID}, supported_currencies=("USD",))
    assert judge(Sent.balance(CID), Answer(200, raw, "application/json"), expect) == []
    assert rules.check_raw_value_text(raw, "2400.30") == []
    assert rules.check_raw_value_text(_balance(), "2400.30") == []
    pretty = json.dumps(json.loads(_balance()), indent=2).encode()
    assert rules.check_raw_value_text(pretty, "2400.30") == []


@pytest.mark.parametrize(
    "raw",
    [
        b'{"data":{"estimatedBalanceValue":"\\u0032400.30"}}',
        b'{"data":{"estimatedBalanceValue":"2400\\u002e30"}}',
        b'{"data":{"value":"2400.30"}}',
    ],
)
def test_raw_value_written_with_escapes_or_elsewhere_breaks_raw_text(raw: bytes) -> None:
    assert [v.rule for v in rules.check_raw_value_text(raw, "2400.30")] == ["decimal.raw-text"]
