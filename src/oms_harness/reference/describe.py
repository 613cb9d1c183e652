"""The target profile that describes a running reference (``serve --write-profile``).

Expected values are always the clean server's truth, whatever mutant is served: the
profile says what a correct target answers, the mutant is what the gate must catch. A benign
variant that renders values differently (``four-decimal-places``) is a different correct
server, so its profile states its own rendering (``places``).
"""

from __future__ import annotations

import os
from pathlib import Path

from ..contract import typeid
from ..profile import Credentials, TargetProfile, render_profile
from . import valuation
from .data import Fixtures

PROFILE_NAME = "local-reference"


def fresh_missing_id(fixtures: Fixtures) -> str:
    """A valid ``cst`` TypeID that no fixture customer has (the ``missing`` role)."""
    while True:
        candidate = typeid.new_customer_id()
        if candidate not in fixtures.customers:
            return candidate


def describe(
    fixtures: Fixtures,
    base_url: str,
    token: str,
    expired_token: str | None = None,
    *,
    places: int | None = None,
    moving: bool = False,
) -> TargetProfile:
    """Profile for the reference at ``base_url`` with an inline bearer ``token``.

    ``expired_token`` is one the server signed whose ``exp`` has passed: without it no
    client could prove that the target refuses expired tokens. A server whose values move
    (``moving``) gets a profile like a live sandbox's: no pinned values, not stable.
    """
    by_role = fixtures.by_role()
    customers = {role: customer.id for role, customer in by_role.items()}
    customers["missing"] = fresh_missing_id(fixtures)
    expected: dict[str, dict[str, str]] = {
        role: {
            code: valuation.balance_value(by_role[role], code, fixtures, places=places)
            for code in fixtures.currencies
        }
        for role in ("funded", "empty")
        if role in by_role and not moving
    }
    return TargetProfile(
        base_url=base_url,
        credentials=Credentials(token=token, expired_token=expired_token),
        customers=customers,
        supported_currencies=fixtures.currencies,
        expected=expected,
        stable_balances=not moving,  # fixture data, valued at fixed rates
        name=PROFILE_NAME,
    )


def write_profile(path: Path, profile: TargetProfile) -> None:
    """Write the TOML profile, readable by the owner only (it holds a token)."""
    text = render_profile(profile)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
