"""The reference's fixture model and its loader (read once at start-up, then immutable).

A fixture file holds FX rates (units of a currency per 1 USD), asset prices in USD and
customers with a provider-account state and wallets of asset balances. Mistakes in the
file end ``serve`` with one line (exit 2), never at request time.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import Enum
from importlib import resources
from pathlib import Path
from typing import Any

from ..contract import decimal_string, rfc3339, typeid
from ..errors import UsageError
from ..profile import ROLES

FIXTURE_ROLES = tuple(role for role in ROLES if role != "missing")
"""Roles a fixture customer may carry; ``missing`` is by definition not in the file."""


class FixtureError(UsageError):
    """The fixture file is unreadable or inconsistent."""


class ProviderState(Enum):
    """What the balance provider does for a customer."""

    OK = "ok"
    UNPROVISIONED = "unprovisioned"
    ERROR = "error"
    UNREACHABLE = "unreachable"


@dataclass(frozen=True)
class Holding:
    """One asset balance of a wallet, as the provider reports it."""

    asset: str
    quantity: Decimal
    updated_at: datetime | None


@dataclass(frozen=True)
class Wallet:
    id: str
    holdings: tuple[Holding, ...]


@dataclass(frozen=True)
class Customer:
    id: str
    provider: ProviderState
    wallets: tuple[Wallet, ...]
    role: str | None = None


@dataclass(frozen=True)
class Fixtures:
    """Everything the reference serves, validated."""

    rates: Mapping[str, Decimal]
    prices_usd: Mapping[str, Decimal]
    customers: Mapping[str, Customer]

    @property
    def currencies(self) -> tuple[str, ...]:
        """Supported currency codes, in file order (USD first)."""
        return tuple(self.rates)

    def by_role(self) -> dict[str, Customer]:
        """Role -> customer for the customers that carry a role."""
        return {c.role: c for c in self.customers.values() if c.role is not None}


def default_fixtures_path() -> Path:
    """The fixture file shipped inside the package."""
    return Path(str(resources.files("oms_harness.reference").joinpath("fixtures.json")))


def load_fixtures(path: Path | None = None) -> Fixtures:
    """Read and validate a fixture file (the shipped one by default)."""
    source = path or default_fixtures_path()
    try:
        raw = json.loads(source.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FixtureError(f"fixture file {source}: not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise FixtureError(f"fixture file {source}: cannot read: {exc}") from None
    except json.JSONDecodeError as exc:
        raise FixtureError(f"fixture file {source}: invalid JSON: {exc}") from None
    try:
        return parse_fixtures(raw)
    except FixtureError as exc:
        raise FixtureError(f"fixture file {source}: {exc}") from None


def parse_fixtures(raw: Any) -> Fixtures:
    """Validate parsed JSON into :class:`Fixtures` or raise :class:`FixtureError`."""
    if not isinstance(raw, dict):
        raise FixtureError("the top level must be an object")
    rates = _decimal_map(raw.get("rates"), "rates")
    if rates.get("USD") != Decimal(1):
        raise FixtureError('rates must contain "USD": "1" (rates are per 1 USD)')
    for code in rates:
        if len(code) != 3 or not code.isascii() or not code.isalpha() or not code.isupper():
            raise FixtureError(f"rates: {code!r} is not an ISO 4217 code")
    prices = _decimal_map(raw.get("pricesUsd"), "pricesUsd")
    customers_raw = raw.get("customers")
    if not isinstance(customers_raw, list) or not customers_raw:
        raise FixtureError("customers must be a non-empty list")
    customers: dict[str, Customer] = {}
    roles: set[str] = set()
    for index, item in enumerate(customers_raw):
        customer = _customer(item, prices, f"customers[{index}]")
        if customer.id in customers:
            raise FixtureError(f"customers[{index}]: duplicate id {customer.id}")
        if customer.role is not None:
            if customer.role in roles:
                raise FixtureError(f"customers[{index}]: role {customer.role!r} given twice")
            roles.add(customer.role)
        customers[customer.id] = customer
    return Fixtures(rates=rates, prices_usd=prices, customers=customers)


def _decimal(value: Any, where: str) -> Decimal:
    if not isinstance(value, str) or not decimal_string.is_decimal_string(value):
        raise FixtureError(f'{where} must be a decimal string like "12.50", not {value!r}')
    return Decimal(value)


def _decimal_map(value: Any, where: str) -> dict[str, Decimal]:
    if not isinstance(value, dict) or not value:
        raise FixtureError(f"{where} must be a non-empty object")
    return {str(key): _decimal(amount, f"{where}.{key}") for key, amount in value.items()}


def _customer(item: Any, prices: Mapping[str, Decimal], where: str) -> Customer:
    if not isinstance(item, dict):
        raise FixtureError(f"{where} must be an object")
    customer_id = item.get("id")
    if not isinstance(customer_id, str) or not typeid.is_customer_id(customer_id):
        raise FixtureError(f"{where}.id {customer_id!r} is not a cst TypeID")
    role = item.get("role")
    if role is not None and role not in FIXTURE_ROLES:
        raise FixtureError(f"{where}.role {role!r} is not one of {', '.join(FIXTURE_ROLES)}")
    try:
        provider = ProviderState(item.get("provider", "ok"))
    except ValueError:
        states = ", ".join(s.value for s in ProviderState)
        raise FixtureError(f"{where}.provider must be one of {states}") from None
    wallets_raw = item.get("wallets", [])
    if not isinstance(wallets_raw, list):
        raise FixtureError(f"{where}.wallets must be a list")
    wallets = tuple(
        _wallet(wallet, prices, f"{where}.wallets[{i}]") for i, wallet in enumerate(wallets_raw)
    )
    return Customer(id=customer_id, provider=provider, wallets=wallets, role=role)


def _wallet(item: Any, prices: Mapping[str, Decimal], where: str) -> Wallet:
    if not isinstance(item, dict) or not isinstance(item.get("id"), str):
        raise FixtureError(f"{where} must be an object with a string id")
    balances = item.get("balances", [])
    if not isinstance(balances, list):
        raise FixtureError(f"{where}.balances must be a list")
    holdings = []
    for index, entry in enumerate(balances):
        here = f"{where}.balances[{index}]"
        if not isinstance(entry, dict):
            raise FixtureError(f"{here} must be an object")
        asset = entry.get("asset")
        if asset not in prices:
            raise FixtureError(f"{here}.asset {asset!r} has no price in pricesUsd")
        stamp = entry.get("updatedAt")
        if stamp is not None and (not isinstance(stamp, str) or not rfc3339.is_rfc3339(stamp)):
            raise FixtureError(f"{here}.updatedAt {stamp!r} is not RFC 3339")
        holdings.append(
            Holding(
                asset=str(asset),
                quantity=_decimal(entry.get("quantity"), f"{here}.quantity"),
                updated_at=rfc3339.parse(stamp) if stamp is not None else None,
            )
        )
    return Wallet(id=item["id"], holdings=tuple(holdings))
