"""Every answer of the reference, rendered once at start-up as ready ASGI messages.

The balance endpoint's answers depend only on (customer, currency), and the error bodies
are constants of the spec, so all of them are built here up front: the request path only
picks a pair of pre-built messages. Error texts come from the spec's own component schemas
(``contract.spec``), never retyped. Mutant switches change rendering at one place each.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from ..contract import rfc3339, spec, typeid
from . import valuation
from .data import Customer, Fixtures, ProviderState
from .mutants import Switches

JSON = b"application/json"
PLAIN = b"text/plain; charset=utf-8"
PROVIDER_ERROR_TEXT = "balance provider returned an error"
MUTANT_PROVIDER_CODE = "provider_failure"

Message = dict[str, Any]


@dataclass(frozen=True)
class Response:
    """A pre-built ``http.response.start`` + ``http.response.body`` pair (never mutated)."""

    status: int
    start: Message
    body: Message


def dump(document: Mapping[str, Any]) -> bytes:
    """Compact JSON bytes, the way the reference puts every body on the wire."""
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


def build(
    status: int,
    body: bytes,
    *,
    content_type: bytes = JSON,
    headers: Sequence[tuple[bytes, bytes]] = (),
) -> Response:
    """A response whose messages can be sent again and again."""
    all_headers = [
        (b"content-type", content_type),
        (b"content-length", str(len(body)).encode()),
        *headers,
    ]
    return Response(
        status,
        {"type": "http.response.start", "status": status, "headers": all_headers},
        {"type": "http.response.body", "body": body, "more_body": False},
    )


class Renderer:
    """Turns fixtures into answers, applying the (at most one) mutant switch."""

    def __init__(self, fixtures: Fixtures, switches: Switches, started_at: datetime) -> None:
        self.fixtures = fixtures
        self.sw = switches
        self.started_at = started_at
        self.content_type = PLAIN if switches.wrong_content_type else JSON

    def error(self, status: int, document: Mapping[str, Any], **kwargs: Any) -> Response:
        """A JSON error answer of the balance path."""
        return build(status, dump(document), content_type=self.content_type, **kwargs)

    def invalid_id(self) -> Response:
        text = "invalid id" if self.sw.wrong_400_text else spec.exact_error_text(400)
        return self.error(400, {"error": text})

    def unauthorized(self) -> Response:
        """RFC 9110 wants a challenge with every 401."""
        return self.error(
            401, {"error": spec.exact_error_text(401)}, headers=[(b"www-authenticate", b"Bearer")]
        )

    def not_found(self) -> Response:
        return self.error(404, {"error": spec.exact_error_text(404)})

    def unprovisioned(self) -> Response:
        if self.sw.unprovisioned_as_404:
            return self.not_found()
        return self.error(422, {"error": spec.exact_error_text(422), "code": spec.error_code(422)})

    def provider_error(self) -> Response:
        code = MUTANT_PROVIDER_CODE if self.sw.provider_error_code else spec.error_code(502)
        return self.error(502, {"error": PROVIDER_ERROR_TEXT, "code": code})

    def provider_unreachable(self) -> Response:
        status = 500 if self.sw.outage_as_500 else 503
        return self.error(
            status, {"error": spec.exact_error_text(503), "code": spec.error_code(503)}
        )

    def unsupported_currency(self) -> Response:
        """Spec gap (see spec/README.md): a code the server cannot price is a 400."""
        if self.sw.unsupported_currency_500:
            return self.error(500, {"error": "unsupported currency"})
        return self.invalid_id()

    def method_not_allowed(self, allow: bytes) -> Response:
        return self.error(405, {"error": "method not allowed"}, headers=[(b"allow", allow)])

    def answers(self, customer: Customer) -> Response | dict[str, Response]:
        """One error answer, or the 200 answer per supported currency."""
        state = customer.provider
        if state is ProviderState.UNPROVISIONED:
            return self.unprovisioned()
        if state is ProviderState.ERROR and not self.sw.error_as_200:
            return self.provider_error()
        if state is ProviderState.UNREACHABLE:
            return self.provider_unreachable()
        return {code: self.balance(customer, code) for code in self.fixtures.currencies}

    def balance(self, customer: Customer, currency: str) -> Response:
        """The 200 answer for one customer in one currency."""
        value = valuation.balance_value(
            customer, currency, self.fixtures, inverted=self.sw.wrong_conversion
        )
        data = [
            ("customerId", json.dumps(self._echoed_id(customer.id))),
            ("estimatedBalanceCurrencyCode", json.dumps(currency)),
            ("estimatedBalanceValue", self._value_json(value)),
        ]
        updated = self._updated_at_json(valuation.latest_update(customer))
        if updated is not None:
            data.append(("updatedAt", updated))
        inner = ",".join(f"{json.dumps(key)}:{value}" for key, value in data)
        return build(200, ('{"data":{' + inner + "}}").encode(), content_type=self.content_type)

    def _echoed_id(self, customer_id: str) -> str:
        if not self.sw.id_not_echoed:
            return customer_id
        _, value = typeid.parse(customer_id)
        return typeid.encode(typeid.CUSTOMER_PREFIX, uuid.UUID(int=value.int ^ 1))

    def _value_json(self, value: str) -> str:
        """The JSON text of ``estimatedBalanceValue`` (a string, unless a mutant says not)."""
        if self.sw.value_as_number:
            return value
        if self.sw.lost_trailing_zeros:
            value = format(Decimal(value).normalize(), "f")
        elif self.sw.exponent_notation:
            value = format(Decimal(value), "E")
        elif self.sw.leading_zeros:
            value = "0" + value
        return json.dumps(value)

    def _updated_at_json(self, moment: datetime | None) -> str | None:
        """The JSON text of ``updatedAt``, or None to omit the field."""
        if moment is None:
            if self.sw.null_updated_at:
                return "null"
            if self.sw.updated_at_for_empty:
                return json.dumps(rfc3339.format_utc(self.started_at))
            return None
        if self.sw.updated_at_not_rfc3339:
            return json.dumps(moment.strftime("%Y-%m-%d %H:%M:%S"))
        if self.sw.future_updated_at:
            moment = self.started_at + timedelta(days=365)
        return json.dumps(rfc3339.format_utc(moment))
