"""The shipped fixture file has what the contract tests need; broken files are one line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from oms_harness.contract import decimal_string, typeid
from oms_harness.reference import valuation
from oms_harness.reference.data import (
    FIXTURE_ROLES,
    FixtureError,
    Fixtures,
    ProviderState,
    default_fixtures_path,
    load_fixtures,
    parse_fixtures,
)


def test_every_customer_id_is_a_cst_typeid_over_a_uuidv7(fixtures: Fixtures) -> None:
    for customer_id in fixtures.customers:
        assert typeid.is_customer_id(customer_id)
        assert typeid.parse(customer_id)[1].version == 7


def test_every_role_is_present_once_with_its_provider_state(fixtures: Fixtures) -> None:
    by_role = fixtures.by_role()
    assert set(by_role) == set(FIXTURE_ROLES)
    assert by_role["funded"].provider is ProviderState.OK
    assert by_role["empty"].provider is ProviderState.OK
    assert by_role["unprovisioned"].provider is ProviderState.UNPROVISIONED
    assert by_role["provider_error"].provider is ProviderState.ERROR
    assert by_role["provider_unreachable"].provider is ProviderState.UNREACHABLE


def test_funded_customer_has_several_wallets_and_assets(fixtures: Fixtures) -> None:
    funded = fixtures.by_role()["funded"]
    assets = {h.asset for w in funded.wallets for h in w.holdings}
    assert len(funded.wallets) >= 2
    assert len(assets) >= 3


def test_empty_customer_has_no_balances(fixtures: Fixtures) -> None:
    empty = fixtures.by_role()["empty"]
    assert not [h for w in empty.wallets for h in w.holdings]


def test_usd_eur_gbp_are_supported_usd_first(fixtures: Fixtures) -> None:
    assert fixtures.currencies[0] == "USD"
    assert {"USD", "EUR", "GBP"} <= set(fixtures.currencies)


def test_some_funded_value_ends_in_a_trailing_zero(fixtures: Fixtures) -> None:
    """Needed so a server that drops trailing zeros is caught by exact values."""
    values = [
        valuation.balance_value(c, code, fixtures)
        for c in fixtures.customers.values()
        if c.provider is ProviderState.OK and valuation.total_usd(c, fixtures)
        for code in fixtures.currencies
    ]
    assert any(v.endswith("0") and decimal_string.fraction_digits(v) == 2 for v in values)


def _shipped() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(default_fixtures_path().read_text(encoding="utf-8"))
    return loaded


def _break(change: str) -> dict[str, Any]:
    raw = _shipped()
    first = raw["customers"][0]
    if change == "bad-id":
        first["id"] = "cst_01H9Xa8F5dN6mP3q"
    elif change == "duplicate-id":
        raw["customers"][1]["id"] = first["id"]
    elif change == "duplicate-role":
        raw["customers"][1]["role"] = first["role"]
    elif change == "unknown-role":
        first["role"] = "missing"
    elif change == "float-quantity":
        first["wallets"][0]["balances"][0]["quantity"] = 0.02
    elif change == "exponent-quantity":
        first["wallets"][0]["balances"][0]["quantity"] = "2E-2"
    elif change == "unpriced-asset":
        first["wallets"][0]["balances"][0]["asset"] = "DOGE"
    elif change == "bad-timestamp":
        first["wallets"][0]["balances"][0]["updatedAt"] = "2026-05-28 10:00"
    elif change == "no-usd":
        del raw["rates"]["USD"]
    elif change == "bad-currency":
        raw["rates"]["eur"] = "0.9"
    elif change == "bad-provider":
        first["provider"] = "flaky"
    elif change == "no-customers":
        raw["customers"] = []
    return raw


@pytest.mark.parametrize(
    "change",
    [
        "bad-id",
        "duplicate-id",
        "duplicate-role",
        "unknown-role",
        "float-quantity",
        "exponent-quantity",
        "unpriced-asset",
        "bad-timestamp",
        "no-usd",
        "bad-currency",
        "bad-provider",
        "no-customers",
    ],
)
def test_inconsistent_fixtures_are_rejected(change: str) -> None:
    with pytest.raises(FixtureError):
        parse_fixtures(_break(change))


def test_the_shipped_file_parses() -> None:
    assert parse_fixtures(_shipped()).customers


@pytest.mark.parametrize("content", [None, "{", "[]", '{"rates": {}}'])
def test_bad_fixture_files_are_one_line_errors(tmp_path: Path, content: str | None) -> None:
    path = tmp_path / "fixtures.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(FixtureError) as caught:
        load_fixtures(path)
    assert "\n" not in str(caught.value)
    assert str(path) in str(caught.value)
