"""The traffic mix: which requests a load run sends, how often, and what each must answer.

Every request kind is named by the path *template* and its expected outcome
(``/customers/{id}/balance [funded EUR -> 200]``), so customer ids never become Locust stat
rows, CSV lines or HTML. Weights come from the profile's ``[load.weights]`` table, keyed by
the group names below; sensible defaults exercise the success path and the cheap errors.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import quote

from ..contract import spec
from ..contract.roles import ROLE_STATUS as PROFILE_ROLE_STATUS
from ..errors import ProfileError
from ..profile import TargetProfile

TEMPLATE = spec.BALANCE_PATH
MALFORMED_ID = "cst_not-a-typeid"
"""A fixed malformed id: the 400 path is the same for every bad id, and a constant one keeps
the request cheap and reproducible."""

ROLE_STATUS: Mapping[str, int] = {**PROFILE_ROLE_STATUS, "malformed": 400}
"""Expected status per traffic role: the profile's roles plus a malformed id."""
DEFAULT_WEIGHTS: Mapping[str, float] = {
    "funded": 70.0,
    "empty": 10.0,
    "missing": 10.0,
    "malformed": 10.0,
    "unprovisioned": 0.0,
    "provider_error": 0.0,
    "provider_unreachable": 0.0,
}
"""Per group; a group's weight is split evenly over its currencies. The provider-failure roles
answer errors by design and cost the target upstream calls, so they are opt-in."""


@dataclass(frozen=True)
class RequestKind:
    """One kind of request in the mix; ``customer_id`` is sent but never reported."""

    name: str
    role: str
    customer_id: str
    currency: str | None
    expected_status: int
    weight: float
    expected_value: str | None = None

    @property
    def path(self) -> str:
        """Path relative to the base URL (the base URL carries the API version)."""
        path = spec.balance_path(quote(self.customer_id, safe=""))
        if self.currency is not None:
            path += f"?{spec.currency_parameter()}={quote(self.currency, safe='')}"
        return path

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> RequestKind:
        return cls(**raw)


def kind_name(role: str, currency: str | None, status: int) -> str:
    label = role if currency is None else f"{role} {currency}"
    return f"{TEMPLATE} [{label} -> {status}]"


def _weights(profile: TargetProfile) -> dict[str, float]:
    raw = profile.load.get("weights", {})
    if not isinstance(raw, Mapping):
        raise ProfileError("profile: [load.weights] must be a table of group = weight")
    weights = dict(DEFAULT_WEIGHTS)
    for group, value in raw.items():
        if group not in DEFAULT_WEIGHTS:
            raise ProfileError(
                f"profile: unknown load weight {group!r} (known: {', '.join(DEFAULT_WEIGHTS)})"
            )
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise ProfileError(f"profile: load.weights.{group} must be a non-negative number")
        weights[group] = float(value)
    return weights


def build_mix(profile: TargetProfile) -> list[RequestKind]:
    """The request kinds for ``profile``; roles the profile lacks are left out."""
    weights = _weights(profile)
    explicit = profile.load.get("weights", {})
    kinds: list[RequestKind] = []
    for group, weight in weights.items():
        if weight <= 0:
            continue
        if group == "malformed":
            kinds.append(
                RequestKind(kind_name(group, None, 400), group, MALFORMED_ID, None, 400, weight)
            )
            continue
        customer = profile.customer(group)
        if customer is None:
            if group in explicit:
                raise ProfileError(
                    f"profile: load.weights.{group} is set but [customers] has no {group}"
                )
            continue
        status = ROLE_STATUS[group]
        currencies: Sequence[str | None] = (
            profile.supported_currencies if status == 200 else (None,)
        )
        share = weight / len(currencies)
        for currency in currencies:
            expected = profile.expected.get(group, {}).get(currency) if currency else None
            kinds.append(
                RequestKind(
                    kind_name(group, currency, status),
                    group,
                    customer,
                    currency,
                    status,
                    share,
                    expected,
                )
            )
    if not kinds:
        raise ProfileError("profile: the load mix is empty (every weight is 0)")
    return kinds


def weighted_cycle(kinds: Sequence[RequestKind], length: int = 1000) -> list[int]:
    """A deterministic, well-spread sequence of kind indexes with the mix's proportions.

    Smooth weighted round robin: cheaper than a random draw per request and exact over
    every ``length`` requests, so even a short smoke run sends each kind.
    """
    total = sum(k.weight for k in kinds)
    current = [0.0] * len(kinds)
    order: list[int] = []
    for _ in range(length):
        for i, kind in enumerate(kinds):
            current[i] += kind.weight
        best = max(range(len(kinds)), key=current.__getitem__)
        current[best] -= total
        order.append(best)
    return order
