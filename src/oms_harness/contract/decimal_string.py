"""The ``fixedDecimalString`` wire format and minor-unit quantisation.

The spec says only "wire-safe decimal string that preserves trailing zeros". The strict
grammar enforced here: optional integer part without leading zeros, optional fraction,
no sign, exponent, blanks, ``NaN`` or ``Infinity``. Balances are never negative.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_EVEN, Decimal

DECIMAL_STRING_PATTERN = r"^(0|[1-9][0-9]*)(\.[0-9]+)?$"
_DECIMAL_STRING_RE = re.compile(r"(0|[1-9][0-9]*)(\.[0-9]+)?\Z")

MINOR_UNITS: dict[str, int] = {
    "USD": 2,
    "EUR": 2,
    "GBP": 2,
    "CHF": 2,
    "CAD": 2,
    "AUD": 2,
    "MXN": 2,
    "BRL": 2,
    "JPY": 0,
    "KRW": 0,
    "BHD": 3,
    "KWD": 3,
}
"""ISO 4217 minor units of the currencies the harness knows; others default to 2."""

DEFAULT_MINOR_UNIT = 2


def is_decimal_string(text: str) -> bool:
    """True when ``text`` obeys the strict decimal-string grammar."""
    return _DECIMAL_STRING_RE.match(text) is not None


def fraction_digits(text: str) -> int:
    """Digits after the point of a decimal string (``"2400.30"`` -> 2)."""
    _, point, fraction = text.partition(".")
    return len(fraction) if point else 0


def minor_unit(currency: str) -> int:
    """Decimal places of ``currency`` (ISO 4217), 2 when the harness does not know it."""
    return MINOR_UNITS.get(currency, DEFAULT_MINOR_UNIT)


def quantize(amount: Decimal, currency: str) -> Decimal:
    """Round ``amount`` to the currency's minor unit, banker's rounding."""
    return amount.quantize(Decimal(1).scaleb(-minor_unit(currency)), rounding=ROUND_HALF_EVEN)


def format_amount(amount: Decimal, currency: str) -> str:
    """Quantise and render as a fixed-point string that keeps trailing zeros."""
    text = format(quantize(amount, currency), "f")
    if text.startswith("-"):
        raise ValueError(f"balances are never negative: {text}")
    return text
