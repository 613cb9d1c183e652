"""The traffic mix: roles and currencies from the profile, names by template, exact weights."""

from __future__ import annotations

from collections import Counter

import pytest

from oms_harness.contract.typeid import new_customer_id
from oms_harness.errors import ProfileError
from oms_harness.load.traffic import MALFORMED_ID, build_mix, weighted_cycle
from oms_harness.profile import parse_profile

FUNDED, EMPTY, MISSING = new_customer_id(), new_customer_id(), new_customer_id()


def _profile(**extra: object) -> object:
    raw = {
        "base_url": "http://127.0.0.1:9/v0.9",
        "token": "secret-token-value",
        "customers": {"funded": FUNDED, "empty": EMPTY, "missing": MISSING},
        "currencies": {"supported": ["USD", "EUR"]},
        "expected": {"funded": {"USD": "10.00"}},
        **extra,
    }
    return parse_profile(raw)


def test_default_mix_covers_roles_currencies_and_malformed_ids() -> None:
    kinds = build_mix(_profile())  # type: ignore[arg-type]
    names = {k.name: k for k in kinds}
    assert set(names) == {
        "/customers/{id}/balance [funded USD -> 200]",
        "/customers/{id}/balance [funded EUR -> 200]",
        "/customers/{id}/balance [empty USD -> 200]",
        "/customers/{id}/balance [empty EUR -> 200]",
        "/customers/{id}/balance [missing -> 404]",
        "/customers/{id}/balance [malformed -> 400]",
    }
    assert names["/customers/{id}/balance [funded USD -> 200]"].expected_value == "10.00"
    assert names["/customers/{id}/balance [funded EUR -> 200]"].expected_value is None
    assert names["/customers/{id}/balance [malformed -> 400]"].customer_id == MALFORMED_ID
    assert (
        "estimatedBalanceCurrencyCode=EUR"
        in names["/customers/{id}/balance [empty EUR -> 200]"].path
    )
    for kind in kinds:  # ids are sent, never named
        assert kind.customer_id not in kind.name


def test_weights_come_from_the_profile() -> None:
    kinds = build_mix(
        _profile(load={"weights": {"funded": 1, "empty": 0, "missing": 0, "malformed": 1}})
    )  # type: ignore[arg-type]
    assert sorted(k.name for k in kinds) == [
        "/customers/{id}/balance [funded EUR -> 200]",
        "/customers/{id}/balance [funded USD -> 200]",
        "/customers/{id}/balance [malformed -> 400]",
    ]


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ({"bogus": 1}, "unknown load weight"),
        ({"funded": -1}, "non-negative"),
        ({"provider_error": 5}, "has no provider_error"),
        ({"funded": 0, "empty": 0, "missing": 0, "malformed": 0}, "empty"),
    ],
)
def test_bad_weights_are_profile_errors(weights: dict[str, float], message: str) -> None:
    with pytest.raises(ProfileError, match=message):
        build_mix(_profile(load={"weights": weights}))  # type: ignore[arg-type]


def test_weighted_cycle_is_exact_and_spread() -> None:
    kinds = build_mix(_profile())  # type: ignore[arg-type]
    order = weighted_cycle(kinds, 1000)
    counts = Counter(order)
    total = sum(k.weight for k in kinds)
    for index, kind in enumerate(kinds):
        assert counts[index] == pytest.approx(1000 * kind.weight / total, abs=1)
    # every kind shows up within the first 20 requests of even a tiny run
    assert set(order[:20]) == set(range(len(kinds)))
