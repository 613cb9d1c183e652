"""Switched variants of the reference: broken mutants and benign variants, one switch each.

A *mutant* breaks exactly one contract rule: the gate must fail it, which proves it catches
every single-rule breach. A *benign variant* makes one different but legitimate choice where
the contract is silent or flexible (formatting, headers, spec gaps): the gate must pass it,
which proves it never fails a correct server for the reference's own taste. Each is one
boolean on :class:`Switches`, read at one place in the reference; nothing else differs from
the clean server. Importing this module starts nothing.
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
    "case-folded-known-ids": (
        "an invalid id that names a known customer once lower-cased and trimmed is served "
        "(echoed as sent); other invalid ids still answer 400"
    ),
    "malformed-escape-500": 'a malformed percent-escape in the id ("%zz", "%4", "%") answers 500',
    "rare-wrong-value": (
        "one balance answer in 300 is one cent off (too rare for conformance; load sees it)"
    ),
    "unknown-id-as-400": "a valid id that names no customer answers 400 instead of 404",
    "escaped-digits": "estimatedBalanceValue spells its first digit as a JSON \\u escape",
    "duplicate-key": "the balance body repeats data.customerId (not strict JSON)",
}
"""Mutant name -> what it breaks (one line; ``serve --list-mutants`` prints these)."""

LOAD_ONLY_MUTANTS = frozenset({"rare-wrong-value"})
"""Mutants only a load run sends enough requests to see: ``oms-harness mutants`` runs a
bounded load smoke against these (and the kill must come from its contract violations)."""
RARE_EVERY = 300
"""``rare-wrong-value`` breaks one balance answer in this many (a conformance run sends far
fewer; a load smoke far more)."""
MOVE_EVERY = 25
"""``moving-prices`` moves each non-zero balance by one minor unit every this many answers,
over four steps above the fixture's value (a short run sees several values of one question)."""

VARIANTS: Mapping[str, str] = {
    "unsupported-currency-as-usd": (
        "a currency code it cannot serve (unknown, lower-case, empty, repeated) answers 200 "
        "in USD, labelled USD"
    ),
    "currency-case-folded": 'a lower-case supported code is served ("eur" -> EUR)',
    "lookup-before-currency": "an unknown customer with an unsupported code answers 404, not 400",
    "four-decimal-places": 'every value has 4 decimals ("2400.3000"); its profile expects them',
    "moving-prices": (
        "balances move by a minor unit every few answers, like a sandbox valuing at live "
        "prices; its profile pins no values and does not declare stable_balances"
    ),
    "updated-at-offset": 'updatedAt carries a +02:00 offset ("2026-05-28T11:10:42.500+02:00")',
    "updated-at-nanoseconds": 'updatedAt always has 9 fraction digits ("...:42.500000000Z")',
    "updated-at-lower-case": 'updatedAt uses lower-case "t" and "z" (RFC 3339 section 5.6)',
    "reordered-keys": "the properties of data are in reverse order",
    "extra-properties": "unknown extra properties in data, at the top level and in error bodies",
    "wallet-breakdown": (
        "data starts with an extra per-wallet list whose items carry their own "
        "estimatedBalanceValue as JSON numbers"
    ),
    "pretty-json": "every body is indented JSON with newlines",
    "charset-utf-8": "Content-Type is application/json; charset=utf-8",
    "media-type-spelling": "Content-Type is Application/JSON;charset=UTF-8 (case-insensitive)",
    "connection-close": "every answer carries Connection: close (no keep-alive)",
    "extra-headers": "extra response headers (Cache-Control, X-Request-Id, Vary)",
    "provider-error-text": "the 502 error text differs (ProviderErrorBody leaves it free)",
    "bearer-challenge-details": 'the 401 challenge is Bearer realm="oms", error="invalid_token"',
    "strict-routing": (
        "a path that is not /customers/{one segment}/balance (trailing slash, raw or encoded "
        '"/" in the id) answers a router 404 {"error":"not found"}'
    ),
    "head-like-get": "HEAD on the balance path is answered like GET, without a body",
    "method-not-allowed-plain": "405 for other methods carries a text/plain body",
    "gzip": "bodies are gzip-compressed when the client accepts gzip",
    "chunked": "bodies are sent chunked, without Content-Length",
}
"""Benign variant name -> the legitimate difference (``serve --list-variants`` prints these)."""


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
    case_folded_known_ids: bool = False
    malformed_escape_500: bool = False
    rare_wrong_value: bool = False
    unknown_id_as_400: bool = False
    escaped_digits: bool = False
    duplicate_key: bool = False
    # benign variants
    unsupported_currency_as_usd: bool = False
    currency_case_folded: bool = False
    lookup_before_currency: bool = False
    four_decimal_places: bool = False
    moving_prices: bool = False
    updated_at_offset: bool = False
    updated_at_nanoseconds: bool = False
    updated_at_lower_case: bool = False
    reordered_keys: bool = False
    extra_properties: bool = False
    wallet_breakdown: bool = False
    pretty_json: bool = False
    charset_utf_8: bool = False
    media_type_spelling: bool = False
    connection_close: bool = False
    extra_headers: bool = False
    provider_error_text: bool = False
    bearer_challenge_details: bool = False
    strict_routing: bool = False
    head_like_get: bool = False
    method_not_allowed_plain: bool = False
    gzip: bool = False
    chunked: bool = False

    @classmethod
    def for_mutant(cls, name: str | None) -> Switches:
        """The switches of mutant ``name`` (None: the clean server)."""
        return cls._one(name, MUTANTS, "mutant")

    @classmethod
    def for_variant(cls, name: str | None) -> Switches:
        """The switches of benign variant ``name`` (None: the clean server)."""
        return cls._one(name, VARIANTS, "variant")

    @classmethod
    def select(cls, *, mutant: str | None = None, variant: str | None = None) -> Switches:
        """At most one of a mutant or a variant (``serve --mutant`` / ``--variant``)."""
        if mutant is not None and variant is not None:
            raise UsageError("give either --mutant or --variant, not both")
        return cls.for_variant(variant) if variant is not None else cls.for_mutant(mutant)

    @classmethod
    def _one(cls, name: str | None, catalogue: Mapping[str, str], kind: str) -> Switches:
        if name is None:
            return cls()
        if name not in catalogue:
            raise UsageError(f"unknown {kind} {name!r} (see `oms-harness serve --list-{kind}s`)")
        return cls(**{_field_name(name): True})

    @property
    def active(self) -> str | None:
        """The name of the mutant or variant switched on, None for the clean server."""
        for item in fields(self):
            if getattr(self, item.name):
                return item.name.replace("_", "-")
        return None


def _field_name(mutant: str) -> str:
    return mutant.replace("-", "_")


def listing(catalogue: Mapping[str, str] = MUTANTS) -> str:
    """``NAME  description`` per line, names padded to one column (mutants by default)."""
    width = max(len(name) for name in catalogue)
    return "\n".join(f"{name.ljust(width)}  {text}" for name, text in catalogue.items())
