"""Deliberately broken variants of the reference: one contract violation each.

They exist so the gate can prove it catches every single-rule breach. Each mutant is one
boolean on :class:`Switches`, read at exactly one place in the reference; nothing else
differs from the clean server. Importing this module starts nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields

from ..errors import UsageError

MUTANTS: Mapping[str, str] = {
    "default-currency-eur": "omitting estimatedBalanceCurrencyCode answers in EUR, not USD",
    "value-as-number": "estimatedBalanceValue is a JSON number (2400.30), not a string",
    "lost-trailing-zeros": 'trailing zeros are dropped ("2400.3", "0")',
    "exponent-notation": 'estimatedBalanceValue uses exponent notation ("2.40030E+3")',
    "wrong-400-text": 'the 400 body says "invalid id" instead of "invalid customer id"',
    "null-updated-at": "updatedAt is null instead of omitted when there are no timestamps",
    "id-not-echoed": "data.customerId is another (valid) customer id, not the requested one",
    "lenient-id-validation": "customer ids are matched case-insensitively (upper case is served)",
    "auth-bypass": "a request without an Authorization header is served",
    "validation-before-auth": "the id is validated before the token (unauthenticated 400s)",
    "outage-as-500": "an unreachable provider answers 500 instead of 503",
    "currency-ignored": "estimatedBalanceCurrencyCode is ignored: every answer is in USD",
    "wrong-content-type": "every answer of the balance path is labelled text/plain",
    "alg-none-accepted": 'an unsigned token (alg "none") with valid claims is accepted',
    "signature-not-verified": "an HS256 token with a wrong signature is accepted",
    "expired-token-accepted": "a token past its exp is still accepted",
    "updated-at-not-rfc3339": 'updatedAt is "2026-05-28 09:10:42" (no T, no offset)',
    "future-updated-at": "updatedAt lies a year in the future",
    "provider-error-code": 'the 502 body has code "provider_failure", not "provider_error"',
    "unprovisioned-as-404": "an unprovisioned customer answers 404 instead of 422",
    "leading-zeros": 'estimatedBalanceValue has a leading zero ("02400.30")',
    "wrong-conversion": "USD is converted by dividing by the rate instead of multiplying",
    "not-found-oracle": "an unauthenticated request for an unknown valid id answers 404, not 401",
    "updated-at-for-empty": "a customer without provider balances gets an updatedAt",
    "unsupported-currency-500": "an unsupported currency code answers 500 (undocumented status)",
    "error-as-200": "a provider error (502) is answered 200 with a zero balance",
}
"""Mutant name -> what it breaks (one line; ``serve --list-mutants`` prints these)."""


@dataclass(frozen=True)
class Switches:
    """One flag per mutant, all off for the clean server."""

    default_currency_eur: bool = False
    value_as_number: bool = False
    lost_trailing_zeros: bool = False
    exponent_notation: bool = False
    wrong_400_text: bool = False
    null_updated_at: bool = False
    id_not_echoed: bool = False
    lenient_id_validation: bool = False
    auth_bypass: bool = False
    validation_before_auth: bool = False
    outage_as_500: bool = False
    currency_ignored: bool = False
    wrong_content_type: bool = False
    alg_none_accepted: bool = False
    signature_not_verified: bool = False
    expired_token_accepted: bool = False
    updated_at_not_rfc3339: bool = False
    future_updated_at: bool = False
    provider_error_code: bool = False
    unprovisioned_as_404: bool = False
    leading_zeros: bool = False
    wrong_conversion: bool = False
    not_found_oracle: bool = False
    updated_at_for_empty: bool = False
    unsupported_currency_500: bool = False
    error_as_200: bool = False

    @classmethod
    def for_mutant(cls, name: str | None) -> Switches:
        """The switches of mutant ``name`` (None: the clean server)."""
        if name is None:
            return cls()
        if name not in MUTANTS:
            raise UsageError(f"unknown mutant {name!r} (see `oms-harness serve --list-mutants`)")
        return cls(**{_field_name(name): True})

    @property
    def active(self) -> str | None:
        """The name of the mutant switched on, None for the clean server."""
        for item in fields(self):
            if getattr(self, item.name):
                return item.name.replace("_", "-")
        return None


def _field_name(mutant: str) -> str:
    return mutant.replace("-", "_")


def listing() -> str:
    """``NAME  description`` per line, names padded to one column."""
    width = max(len(name) for name in MUTANTS)
    return "\n".join(f"{name.ljust(width)}  {text}" for name, text in MUTANTS.items())
