"""The strict decimal-string grammar and minor-unit quantisation."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oms_harness.contract import decimal_string


@pytest.mark.parametrize(
    "text", ["0", "0.00", "2400.30", "1", "10", "0.5", "123456789012345678.123456"]
)
def test_accepts_plain_decimals(text: str) -> None:
    assert decimal_string.is_decimal_string(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        " 1.00",
        "1.00 ",
        "+1.00",
        "-1.00",
        "01.00",
        "00",
        "1.",
        ".5",
        "1e3",
        "2.4003E+3",
        "NaN",
        "Infinity",
        "-0",
        "1,000.00",
        "1.0.0",
        "\uff11.\uff10\uff10",  # full-width digits
        "1.00\n",
        "0x10",
    ],
)
def test_rejects_everything_else(text: str) -> None:
    assert not decimal_string.is_decimal_string(text)


def test_pattern_constant_matches_the_compiled_rule() -> None:
    samples = ["0", "2400.30", "01", "1e3", "-1", "1."]
    pattern = re.compile(decimal_string.DECIMAL_STRING_PATTERN)
    assert [bool(pattern.match(s)) for s in samples] == [
        decimal_string.is_decimal_string(s) for s in samples
    ]


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("2400.3", "USD", "2400.30"),
        ("2400.305", "USD", "2400.30"),  # half-even
        ("2400.315", "USD", "2400.32"),
        ("0", "EUR", "0.00"),
        ("1234.5", "JPY", "1234"),
        ("1.2345", "BHD", "1.234"),
        ("7", "XYZ", "7.00"),  # unknown codes default to two places
    ],
)
def test_format_amount_quantises_and_keeps_trailing_zeros(
    amount: str, currency: str, expected: str
) -> None:
    assert decimal_string.format_amount(Decimal(amount), currency) == expected


def test_negative_balances_are_refused() -> None:
    with pytest.raises(ValueError, match="never negative"):
        decimal_string.format_amount(Decimal("-1"), "USD")


@given(st.decimals(min_value=0, max_value=10**12, allow_nan=False, allow_infinity=False, places=6))
def test_formatted_amounts_always_obey_the_grammar(amount: Decimal) -> None:
    text = decimal_string.format_amount(amount, "USD")
    assert decimal_string.is_decimal_string(text)
    assert decimal_string.fraction_digits(text) == 2
