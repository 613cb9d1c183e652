"""Every rule of the balance contract, as pure functions over raw response bytes.

The conformance suites, the schemathesis checks and the Locust response checks all call
these; none of them restates a rule. A rule returns :class:`Violation` values instead of
raising, so callers decide whether a breach is an assertion, a failure row or a log line.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import jsonschema

from . import decimal_string, rfc3339, spec, typeid

DEFAULT_CURRENCY = "USD"
DEFAULT_CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class Violation:
    """One broken promise: a stable rule id and a human sentence (never a whole body)."""

    rule: str
    message: str

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
        return None, Violation("body.json", f"body has a {exc}")
    except (UnicodeDecodeError, ValueError) as exc:
        return None, Violation("body.json", f"body is not strict JSON: {exc}")


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


def schema_violations(status: int, body: Any) -> list[Violation]:
    """Validate a parsed body against the spec's own schema for ``status``."""
    name = spec.schema_name(status)
    return [
        Violation(
            f"schema.{status}",
            f"body does not match {name} at /{'/'.join(str(p) for p in error.absolute_path)}: "
            f"{_short(error.message)}",
        )
        for error in sorted(
            _validator(status).iter_errors(body), key=lambda e: list(e.absolute_path)
        )
    ]


def _short(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def check_content_type(content_type: str | None) -> list[Violation]:
    """Every answer of the operation is ``application/json`` (parameters allowed)."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media != "application/json":
        return [
            Violation("content-type", f"Content-Type is {content_type!r}, not application/json")
        ]
    return []


def check_status_documented(status: int) -> list[Violation]:
    """The operation only answers with statuses the spec documents."""
    if status not in spec.documented_statuses():
        documented = ", ".join(str(s) for s in sorted(spec.documented_statuses()))
        return [
            Violation("status.undocumented", f"status {status} is not documented ({documented})")
        ]
    return []


def check_error_response(
    status: int, raw: bytes | str, content_type: str | None = None
) -> list[Violation]:
    """A non-2xx answer: documented status, JSON, body valid for the spec's schema."""
    violations = check_status_documented(status)
    if content_type is not None:
        violations += check_content_type(content_type)
    if violations and violations[0].rule == "status.undocumented":
        return violations
    body, error = parse_json(raw)
    if error:
        return [*violations, error]
    return violations + schema_violations(status, body)


@dataclass(frozen=True)
class BalanceRequest:
    """What was asked: the id as sent and the currency query (None when omitted)."""

    customer_id: str
    currency: str | None = None

    @property
    def expected_currency(self) -> str:
        return DEFAULT_CURRENCY if self.currency is None else self.currency


def check_balance_response(
    raw: bytes | str,
    request: BalanceRequest,
    *,
    content_type: str | None = None,
    now: datetime | None = None,
    skew: timedelta = DEFAULT_CLOCK_SKEW,
) -> list[Violation]:
    """A 200 answer: schema, id echo, currency echo, decimal wire format, ``updatedAt``."""
    violations = check_content_type(content_type) if content_type is not None else []
    body, error = parse_json(raw)
    if error:
        return [*violations, error]
    violations += schema_violations(200, body)
    data = body.get("data") if isinstance(body, Mapping) else None
    if not isinstance(data, Mapping):
        return violations
    violations += check_customer_id_echo(data.get("customerId"), request.customer_id)
    violations += check_currency_echo(data.get("estimatedBalanceCurrencyCode"), request)
    violations += check_balance_value(data.get("estimatedBalanceValue"))
    violations += check_updated_at(data, now=now, skew=skew)
    return violations


def check_customer_id_echo(value: Any, requested: str) -> list[Violation]:
    """``data.customerId`` echoes the requested id exactly and is a ``cst`` TypeID."""
    if value != requested:
        return [Violation("customer-id.echo", f"customerId {value!r} does not echo {requested!r}")]
    if not typeid.is_customer_id(value):
        return [Violation("customer-id.typeid", f"customerId {value!r} is not a cst TypeID")]
    return []


def check_currency_echo(value: Any, request: BalanceRequest) -> list[Violation]:
    """The currency code is the requested one, USD when the query was omitted."""
    if value != request.expected_currency:
        why = "the default" if request.currency is None else "the requested code"
        return [
            Violation(
                "currency.echo",
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
            Violation("balance-value.type", f"estimatedBalanceValue is a JSON {kind}, not a string")
        ]
    if not decimal_string.is_decimal_string(value):
        return [
            Violation(
                "balance-value.grammar",
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
        return [Violation("updated-at.null", "updatedAt is null; the contract says omit it")]
    if not isinstance(value, str):
        return [Violation("updated-at.type", f"updatedAt is a JSON {type(value).__name__}")]
    try:
        moment = rfc3339.parse(value)
    except ValueError:
        return [Violation("updated-at.rfc3339", f"updatedAt {value[:40]!r} is not RFC 3339")]
    if rfc3339.in_future(moment, now or datetime.now(UTC), skew):
        return [Violation("updated-at.future", f"updatedAt {value} lies in the future")]
    return []


def check_updated_at_absent(data: Mapping[str, Any]) -> list[Violation]:
    """For a customer without provider balances ``updatedAt`` is omitted altogether."""
    if "updatedAt" in data:
        return [
            Violation(
                "updated-at.omitted", f"updatedAt is {data['updatedAt']!r}; expected it omitted"
            )
        ]
    return []


def check_exact_error(status: int, raw: bytes | str) -> list[Violation]:
    """The body of an error status carries the spec's exact ``error`` and ``code`` strings."""
    body, error = parse_json(raw)
    if error:
        return [error]
    if not isinstance(body, Mapping):
        return [Violation(f"error-body.{status}", "body is not a JSON object")]
    violations = []
    expected_error = spec.exact_error_text(status)
    if expected_error is not None and body.get("error") != expected_error:
        violations.append(
            Violation(
                f"error-body.{status}",
                f"error is {body.get('error')!r}, expected {expected_error!r}",
            )
        )
    expected_code = spec.error_code(status)
    if expected_code is not None and body.get("code") != expected_code:
        violations.append(
            Violation(
                f"error-body.{status}", f"code is {body.get('code')!r}, expected {expected_code!r}"
            )
        )
    return violations


@dataclass
class DecimalPlacesTracker:
    """Cross-response rule: one currency is always rendered with the same decimals.

    A server that drops a trailing zero (``"2400.3"``) is caught without knowing the
    expected value, because another answer in the same currency shows two places.
    """

    seen: dict[str, dict[int, str]] = field(default_factory=dict)

    def observe(self, currency: str, value: str, where: str) -> list[Violation]:
        if not decimal_string.is_decimal_string(value):
            return []
        places = decimal_string.fraction_digits(value)
        by_places = self.seen.setdefault(currency, {})
        by_places.setdefault(places, where)
        if len(by_places) > 1:
            detail = ", ".join(f"{p} places ({w})" for p, w in sorted(by_places.items()))
            return [
                Violation(
                    "balance-value.decimals",
                    f"{currency} values use inconsistent decimals: {detail}",
                )
            ]
        return []


def check_status_expected(status: int, expected: frozenset[int], why: str) -> list[Violation]:
    """The answer's status is the one the contract implies for this request (``why`` says why)."""
    if status not in expected:
        wanted = " or ".join(str(s) for s in sorted(expected))
        return [Violation("status.expected", f"status {status}, expected {wanted} ({why})")]
    return []


def check_expected_value(value: Any, expected: str, where: str) -> list[Violation]:
    """``estimatedBalanceValue`` equals the exact decimal string the target is known to hold."""
    if value != expected:
        return [
            Violation(
                "balance-value.expected",
                f"estimatedBalanceValue is {value!r}, expected {expected!r} ({where})",
            )
        ]
    return []


def id_reshapes_path(customer_id: str) -> bool:
    """True when the decoded id is not one non-empty path segment (``""``, ``a/b``, ``..``).

    Such a request may no longer match ``/customers/{id}/balance`` for a router (an empty
    segment, a decoded ``/``, a dot segment), so a correct server may answer from outside
    the operation (the router's 404) as well as with the operation's 400.
    """
    return customer_id in {"", ".", ".."} or "/" in customer_id


def check_reshaped_id_answer(
    status: int, raw: bytes | str, content_type: str | None, *, authenticated: bool = True
) -> list[Violation]:
    """An id that is not one path segment: the operation's answer, or a router's 404.

    The operation's answer is 400 with the exact body (401 without a valid token); a 404
    comes from outside the operation, so its body is not the contract's to judge.
    """
    operation = 400 if authenticated else 401
    violations = check_status_expected(
        status, frozenset({operation, 404}), "id that is not one path segment"
    )
    if status == operation:
        violations += check_error_response(status, raw, content_type)
        violations += check_exact_error(status, raw)
    return violations


def check_balance_any_currency(
    raw: bytes | str,
    customer_id: str,
    *,
    content_type: str | None = None,
    now: datetime | None = None,
) -> list[Violation]:
    """A 200 to a currency question the contract leaves open (unsupported, repeated code).

    Still a valid balance of the requested customer (schema, id echo, decimal wire format,
    ``updatedAt``); which currency it is in, and so its label, is the open question.
    """
    violations = check_content_type(content_type) if content_type is not None else []
    body, error = parse_json(raw)
    if error:
        return [*violations, error]
    violations += schema_violations(200, body)
    data = body.get("data") if isinstance(body, Mapping) else None
    if isinstance(data, Mapping):
        violations += check_customer_id_echo(data.get("customerId"), customer_id)
        violations += check_balance_value(data.get("estimatedBalanceValue"))
        violations += check_updated_at(data, now=now)
    return violations


def check_raw_balance_value(raw: bytes | str) -> list[Violation]:
    """``data.estimatedBalanceValue`` as written on the wire: a JSON string, no escapes.

    The member is found by parsing (so an extra property elsewhere that reuses the key, as
    a number or otherwise, is not mistaken for it); then its raw text must appear literally
    as ``"estimatedBalanceValue": "<value>"``, so digits spelled as escapes are caught too.
    """
    body, error = parse_json(raw)
    if error:
        return [error]
    data = body.get("data") if isinstance(body, Mapping) else None
    if not isinstance(data, Mapping) or "estimatedBalanceValue" not in data:
        return [Violation("balance-value.raw", "no data.estimatedBalanceValue in the body")]
    value = data["estimatedBalanceValue"]
    violations = check_balance_value(value)
    if violations:
        return violations
    text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    if not re.search(r'"estimatedBalanceValue"\s*:\s*"' + re.escape(value) + '"', text):
        return [
            Violation(
                "balance-value.raw", f"estimatedBalanceValue {value!r} is written with escapes"
            )
        ]
    return []
