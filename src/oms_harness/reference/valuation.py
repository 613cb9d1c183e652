"""Balance arithmetic: exact ``Decimal`` sums, USD -> currency conversion, quantisation.

Everything stays in :class:`decimal.Decimal` with a wide context until the single final
rounding to the currency's minor unit (banker's rounding, via the contract module), so no
binary float ever touches money.
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_EVEN, Context, Decimal, localcontext

from ..contract import decimal_string, rfc3339
from .data import Customer, Fixtures

_WIDE = Context(prec=60)
"""Enough digits that sums and products of fixture values are exact."""


def total_usd(customer: Customer, fixtures: Fixtures) -> Decimal:
    """Exact sum of quantity x USD price over every holding of every wallet."""
    with localcontext(_WIDE):
        return sum(
            (
                holding.quantity * fixtures.prices_usd[holding.asset]
                for wallet in customer.wallets
                for holding in wallet.holdings
            ),
            Decimal(0),
        )


def convert(
    amount_usd: Decimal, currency: str, fixtures: Fixtures, *, inverted: bool = False
) -> Decimal:
    """USD -> ``currency`` at the fixture rate (units per 1 USD), exact.

    ``inverted`` divides instead of multiplying: the ``wrong-conversion`` mutant.
    """
    rate = fixtures.rates[currency]
    with localcontext(_WIDE):
        return amount_usd / rate if inverted else amount_usd * rate


def balance_value(
    customer: Customer,
    currency: str,
    fixtures: Fixtures,
    *,
    inverted: bool = False,
    places: int | None = None,
) -> str:
    """The wire value: converted, quantised to the minor unit, trailing zeros kept.

    ``places`` fixes the decimals for every currency instead (the ``four-decimal-places``
    variant: still one consistent number of decimals per currency).
    """
    amount = convert(total_usd(customer, fixtures), currency, fixtures, inverted=inverted)
    if places is None:
        return decimal_string.format_amount(amount, currency)
    return format(amount.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN), "f")


def wallet_values(customer: Customer, currency: str, fixtures: Fixtures) -> list[tuple[str, str]]:
    """(wallet id, value in ``currency`` at the minor unit) per wallet (a variant's extra)."""
    values = []
    for wallet in customer.wallets:
        with localcontext(_WIDE):
            usd = sum(
                (h.quantity * fixtures.prices_usd[h.asset] for h in wallet.holdings), Decimal(0)
            )
        value = decimal_string.format_amount(convert(usd, currency, fixtures), currency)
        values.append((wallet.id, value))
    return values


def latest_update(customer: Customer) -> datetime | None:
    """The most recent provider timestamp over all holdings, None when there is none."""
    stamps = [
        holding.updated_at
        for wallet in customer.wallets
        for holding in wallet.holdings
        if holding.updated_at is not None
    ]
    return max(stamps) if stamps else None


def updated_at_text(customer: Customer) -> str | None:
    """``latest_update`` as RFC 3339 UTC, or None (the field is then omitted)."""
    moment = latest_update(customer)
    return rfc3339.format_utc(moment) if moment is not None else None
