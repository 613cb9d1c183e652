"""Customer roles and the status the contract implies for each (authenticated, valid id).

A profile names a customer per role; the judge turns "this id is the profile's
``unprovisioned`` customer" into "a correct target answers 422". Kept here, with the rules,
because it is part of what a correct answer is, not of how a profile file is read.
"""

from __future__ import annotations

from collections.abc import Mapping

ROLE_STATUS: Mapping[str, int] = {
    "funded": 200,
    "empty": 200,
    "unprovisioned": 422,
    "provider_error": 502,
    "provider_unreachable": 503,
    "missing": 404,
}
"""What a correct target answers an authenticated request for each role's customer."""

BALANCE_ROLES = tuple(role for role, status in ROLE_STATUS.items() if status == 200)
"""Roles whose customers have a balance to show (``funded``, ``empty``)."""
EXISTING_ROLES = tuple(role for role in ROLE_STATUS if role != "missing")
"""Roles whose customers exist on the target (every one but ``missing``)."""
