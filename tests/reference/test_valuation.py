"""Decimal sums, conversion and quantisation of the reference (hand-checked figures)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from oms_harness.reference import valuation
from oms_harness.reference.data import Fixtures, parse_fixtures


def _fixtures(*holdings: tuple[str, str, str | None]) -> Fixtures:
    balances: list[dict[str, Any]] = [
        {"asset": asset, "quantity": qty, **({"updatedAt": ts} if ts else {})}
        for asset, qty, ts in holdings
    ]
    return parse_fixtures(
        {
            "rates": {"USD": "1", "EUR": "0.92", "GBP": "0.79", "JPY": "155.5"},
            "pricesUsd": {"BTC": "65000.00", "USDC": "1.00", "POL": "0.40", "DUST": "0.1"},
            "customers": [
                {
                    "id": "cst_01kspy4bg0ejevzs1e5pzj5gdx",
                    "wallets": [
                        {"id": "w1", "balances": balances[:1]},
                        {"id": "w2", "balances": balances[1:]},
                    ],
                }
            ],
        }
    )


def _value(fixtures: Fixtures, currency: str) -> str:
    (customer,) = fixtures.customers.values()
    return valuation.balance_value(customer, currency, fixtures)


def test_sum_over_wallets_is_exact() -> None:
    # 0.02 x 65000 + 500.25 + 375.125 x 0.40 = 1300 + 500.25 + 150.05
    fixtures = _fixtures(("BTC", "0.02", None), ("USDC", "500.25", None), ("POL", "375.125", None))
    (customer,) = fixtures.customers.values()
    assert valuation.total_usd(customer, fixtures) == Decimal("1950.30")
    assert _value(fixtures, "USD") == "1950.30"


def test_binary_floats_would_get_this_wrong_decimal_does_not() -> None:
    # 3 x 0.1 in binary floats is 0.30000000000000004; three DUST at 0.1 each
    fixtures = _fixtures(("DUST", "1", None), ("DUST", "1", None), ("DUST", "1", None))
    (customer,) = fixtures.customers.values()
    assert valuation.total_usd(customer, fixtures) == Decimal("0.3")
    assert _value(fixtures, "USD") == "0.30"


@pytest.mark.parametrize(
    ("usdc", "currency", "expected"),
    [
        ("100.125", "USD", "100.12"),  # half-even: 2 is even, stays
        ("100.135", "USD", "100.14"),  # half-even: 3 is odd, goes up
        ("100.125", "EUR", "92.12"),  # 92.115 -> 92.12
        ("100.125", "GBP", "79.10"),  # 79.09875 -> 79.10, trailing zero kept
        ("2400.30", "EUR", "2208.28"),  # 2208.276
        ("1", "JPY", "156"),  # 155.5 -> 156 (0 minor units, half-even: 5 odd -> up)
        ("2", "JPY", "311"),  # 311.0
        ("0", "USD", "0.00"),
    ],
)
def test_conversion_then_one_rounding_to_the_minor_unit(
    usdc: str, currency: str, expected: str
) -> None:
    assert _value(_fixtures(("USDC", usdc, None)), currency) == expected


def test_no_holdings_is_zero_with_minor_units() -> None:
    fixtures = _fixtures()
    assert _value(fixtures, "USD") == "0.00"
    assert _value(fixtures, "JPY") == "0"


def test_inverted_conversion_differs_for_non_usd() -> None:
    fixtures = _fixtures(("USDC", "100", None))
    (customer,) = fixtures.customers.values()
    assert valuation.balance_value(customer, "EUR", fixtures, inverted=True) == "108.70"
    assert valuation.balance_value(customer, "USD", fixtures, inverted=True) == "100.00"


def test_latest_update_is_the_maximum_across_wallets_normalised_to_utc() -> None:
    fixtures = _fixtures(
        ("USDC", "1", "2026-05-28T09:00:00Z"),
        ("USDC", "1", "2026-05-28T11:30:00.250+02:00"),  # 09:30:00.250Z, the latest
        ("USDC", "1", None),
    )
    (customer,) = fixtures.customers.values()
    assert valuation.latest_update(customer) == datetime(2026, 5, 28, 9, 30, 0, 250000, UTC)
    assert valuation.updated_at_text(customer) == "2026-05-28T09:30:00.250Z"


def test_no_timestamps_means_no_updated_at() -> None:
    fixtures = _fixtures(("USDC", "1", None))
    (customer,) = fixtures.customers.values()
    assert valuation.updated_at_text(customer) is None
