"""Every rule of the balance contract, as pure functions over raw response bytes.

Each function checks one part of one answer and returns :class:`Violation` values named by a
registered rule id (:mod:`.registry`) instead of raising. Which of them apply to an answer is
decided once, by :func:`oms_harness.contract.verdict.judge`; the suites, the schemathesis
check and the Locust response check all go through it.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import jsonschema

from . import decimal_string, rfc3339, spec, typeid
from .registry import rule

DEFAULT_CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class Violation:
    """One broken promise: a stable rule id and a human sentence (never a whole body)."""

    rule: str
    message: str

    def __post_init__(self) -> None:
        rule(self.rule)  # an unregistered id is a bug in the harness, never a verdict

    @property
    def area(self) -> str:
        return rule(self.rule).area

    def __str__(self) -> str:
        return f"[{self.rule}] {self.message}"


class _DuplicateKeyError(ValueError):
    pass


def _reject_constant(name: str) -> Any:
    raise ValueError(f"JSON does not allow {name}")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKeyError(f"duplicate key {key!r}")
        result[key] = value
    return result


def parse_json(raw: bytes | str) -> tuple[Any, Violation | None]:
    """Parse strict JSON (no NaN/Infinity, no duplicate keys) or say why not."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        return (
            json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_no_duplicates),
            None,
        )
    except _DuplicateKeyError as exc:
        return None, Violation("response.json", f"body has a {exc}")
    except (UnicodeDecodeError, ValueError) as exc:
        return None, Violation("response.json", f"body is not strict JSON: {exc}")


def _format_checker() -> jsonschema.FormatChecker:
    checker = jsonschema.FormatChecker(formats=())
    checker.checks("date-time", raises=ValueError)(
        lambda value: not isinstance(value, str) or bool(rfc3339.parse(value))
    )
    return checker


@functools.cache
def _validator(status: int) -> jsonschema.Draft4Validator:
    return jsonschema.Draft4Validator(
        spec.response_schema(status), format_checker=_format_checker()
    )


def schema_violations(
    status: int, body: Any, judged_elsewhere: Collection[str] = ()
) -> list[Violation]:
    """Validate a parsed body against the spec's own schema for ``status``.

    ``judged_elsewhere`` names ``data`` members a stricter rule of their own judges (their
    breach is named by that rule, not once more as a schema mismatch).
    """
    name = spec.schema_name(status)
    return [
        Violation(
            "response.schema",
            f"{status} body does not match {name} at "
            f"/{'/'.join(str(p) for p in error.absolute_path)}: {_short(error.message)}",
        )
        for error in sorted(
            _validator(status).iter_errors(body), key=lambda e: list(e.absolute_path)
        )
        if not (
            len(error.absolute_path) >= 2
            and error.absolute_path[0] == "data"
            and error.absolute_path[1] in judged_elsewhere
        )
    ]


def _short(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def check_content_type(content_type: str | None) -> list[Violation]:
    """Every answer of the operation is ``application/json`` (parameters allowed)."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media != "application/json":
        return [
            Violation(
                "response.content-type", f"Content-Type is {content_type!r}, not application/json"
            )
        ]
    return []


def check_status_documented(status: int) -> list[Violation]:
    """The operation only answers with statuses the spec documents."""
    if status not in spec.documented_statuses():
        documented = ", ".join(str(s) for s in sorted(spec.documented_statuses()))
        return [Violation("status.documented", f"status {status} is not documented ({documented})")]
    return []


@dataclass(frozen=True)
class BalanceRequest:
    """What was asked: the id as sent and the currency query (None when omitted)."""

    customer_id: str
    currency: str | None = None

    @property
    def expected_currency(self) -> str:
        return spec.default_currency() if self.currency is None else self.currency


def check_customer_id_echo(value: Any, requested: str) -> list[Violation]:
    """``data.customerId`` echoes the requested id exactly and is a ``cst`` TypeID."""
    if value != requested:
        return [Violation("id.echo", f"customerId {value!r} does not echo {requested!r}")]
    if not typeid.is_customer_id(value):
        return [Violation("id.typeid", f"customerId {value!r} is not a cst TypeID")]
    return []


def check_currency_echo(value: Any, request: BalanceRequest) -> list[Violation]:
    """The currency code is the requested one, USD when the query was omitted."""
    if value != request.expected_currency:
        why = "the default" if request.currency is None else "the requested code"
        return [
            Violation(
                "currency.default" if request.currency is None else "currency.echo",
                f"estimatedBalanceCurrencyCode is {value!r}, "
                f"expected {request.expected_currency!r} ({why})",
            )
        ]
    return []


def check_balance_value(value: Any) -> list[Violation]:
    """``estimatedBalanceValue`` is a JSON string in the strict decimal grammar."""
    if not isinstance(value, str):
        kind = "null" if value is None else type(value).__name__
        return [
            Violation(
                "decimal.wire-string", f"estimatedBalanceValue is a JSON {kind}, not a string"
            )
        ]
    if not decimal_string.is_decimal_string(value):
        return [
            Violation(
                "decimal.grammar",
                f"estimatedBalanceValue {value[:40]!r} is not a plain decimal string",
            )
        ]
    return []


def check_updated_at(
    data: Mapping[str, Any], *, now: datetime | None = None, skew: timedelta = DEFAULT_CLOCK_SKEW
) -> list[Violation]:
    """``updatedAt`` is omitted (never null) or an RFC 3339 time not in the future."""
    if "updatedAt" not in data:
        return []
    value = data["updatedAt"]
    if value is None:
        return [Violation("updated-at.not-null", "updatedAt is null; the contract says omit it")]
    if not isinstance(value, str):
        return [Violation("updated-at.rfc3339", f"updatedAt is a JSON {type(value).__name__}")]
    try:
        moment = rfc3339.parse(value)
    except ValueError:
        return [Violation("updated-at.rfc3339", f"updatedAt {value[:40]!r} is not RFC 3339")]
    if rfc3339.in_future(moment, now or datetime.now(UTC), skew):
        return [Violation("updated-at.not-future", f"updatedAt {value} lies in the future")]
    return []


def check_updated_at_absent(data: Mapping[str, Any]) -> list[Violation]:
    """For a customer without provider balances ``updatedAt`` is omitted altogether."""
    if "updatedAt" in data:
        return [
            Violation(
                "updated-at.omitted-when-empty",
                f"updatedAt is {data['updatedAt']!r}; expected it omitted",
            )
        ]
    return []


def check_exact_error(status: int, raw: bytes | str) -> list[Violation]:
    """The body of an error status carries the spec's exact ``error`` and ``code`` strings."""
    body, error = parse_json(raw)
    if error:
        return [error]
    if not isinstance(body, Mapping):
        return [Violation("error.exact-body", f"{status} body is not a JSON object")]
    violations = []
    expected_error = spec.exact_error_text(status)
    if expected_error is not None and body.get("error") != expected_error:
        violations.append(
            Violation(
                "error.exact-body",
                f"{status} error is {body.get('error')!r}, expected {expected_error!r}",
            )
        )
    expected_code = spec.error_code(status)
    if expected_code is not None and body.get("code") != expected_code:
        violations.append(
            Violation(
                "error.exact-body",
                f"{status} code is {body.get('code')!r}, expected {expected_code!r}",
            )
        )
    return violations


def check_expected_value(value: str, expected: str, where: str) -> list[Violation]:
    """``estimatedBalanceValue`` equals the exact decimal string the target is known to hold.

    The same amount with other decimals is a wire-format breach (trailing zeros lost or
    added), not a wrong balance, and is named so.
    """
    if value == expected:
        return []
    if same_amount(value, expected):
        return [
            Violation(
                "decimal.consistent-places",
                f"estimatedBalanceValue {value!r} has {decimal_string.fraction_digits(value)} "
                f"decimals, the profile's {expected!r} has "
                f"{decimal_string.fraction_digits(expected)} ({where})",
            )
        ]
    return [
        Violation(
            "balance.expected",
            f"estimatedBalanceValue is {value!r}, expected {expected!r} ({where})",
        )
    ]


def same_amount(a: str, b: str) -> bool:
    """Two decimal strings for one amount (``"2400.3"`` and ``"2400.30"``)."""
    try:
        return Decimal(a) == Decimal(b)
    except InvalidOperation:
        return False


def id_reshapes_path(customer_id: str) -> bool:
    """True when the decoded id is not one non-empty path segment (``""``, ``a/b``, ``..``).

    Such a request may no longer match ``/customers/{id}/balance`` for a router (an empty
    segment, a decoded ``/``, a dot segment), so a correct server may answer from outside
    the operation (the router's 404) as well as with the operation's 400.
    """
    return customer_id in {"", ".", ".."} or "/" in customer_id


def check_raw_value_text(raw: bytes | str, value: str) -> list[Violation]:
    """``estimatedBalanceValue`` (already found by parsing) appears literally on the wire.

    The member is located by parsing first, so an extra property elsewhere that reuses the
    key is not mistaken for it; its text must then appear as ``"estimatedBalanceValue":
    "<value>"``, so digits spelled as escapes (``"\\u0032400.30"``) are caught.
    """
    text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
    if not re.search(r'"estimatedBalanceValue"\s*:\s*"' + re.escape(value) + '"', text):
        return [
            Violation(
                "decimal.raw-text", f"estimatedBalanceValue {value!r} is written with escapes"
            )
        ]
    return []
