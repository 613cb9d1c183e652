"""Every answer of the reference, rendered once at start-up as ready ASGI messages.

The balance endpoint's answers depend only on (customer, currency), and the error bodies
are constants of the spec, so all of them are built here up front: the request path only
picks a pair of pre-built messages. Error texts come from the spec's own component schemas
(``contract.spec``), never retyped. Mutant and variant switches change rendering at one
place each.
"""

from __future__ import annotations

import gzip
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from ..contract import decimal_string, rfc3339, spec, typeid
from . import valuation
from .data import Customer, Fixtures, ProviderState
from .mutants import Switches

JSON = b"application/json"
JSON_UTF8 = b"application/json; charset=utf-8"
JSON_ODD_SPELLING = b"Application/JSON;charset=UTF-8"
PLAIN = b"text/plain; charset=utf-8"
PROVIDER_ERROR_TEXT = "balance provider returned an error"
MUTANT_PROVIDER_CODE = "provider_failure"
VARIANT_PROVIDER_ERROR_TEXT = "upstream custody provider failed to return balances"
VARIANT_CHALLENGE = b'Bearer realm="oms", error="invalid_token"'
VARIANT_DECIMAL_PLACES = 4
VARIANT_OFFSET = timezone(timedelta(hours=2))
VARIANT_HEADERS = (
    (b"cache-control", b"no-store"),
    (b"x-request-id", b"req_01kspy7d50epat6a2et76qtrsv"),
    (b"vary", b"Authorization"),
)
VARIANT_REQUEST_ID = "req_01kspy7d50epat6a2et76qtrsv"

Message = dict[str, Any]


@dataclass(frozen=True)
class Response:
    """A pre-built ``http.response.start`` + ``http.response.body`` pair (never mutated)."""

    status: int
    start: Message
    body: Message


def dump(document: Mapping[str, Any], *, pretty: bool = False) -> bytes:
    """Compact JSON bytes, the way the reference puts every body on the wire.

    ``pretty`` indents instead (the ``pretty-json`` variant).
    """
    if pretty:
        return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode()
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


def json_object(members: Sequence[tuple[str, str]], *, pretty: bool = False, depth: int = 0) -> str:
    """A JSON object from ``(key, already-encoded value)`` pairs, compact or indented."""
    if not pretty:
        return "{" + ",".join(f"{json.dumps(key)}:{value}" for key, value in members) + "}"
    inner, outer = "  " * (depth + 1), "  " * depth
    lines = ",\n".join(f"{inner}{json.dumps(key)}: {value}" for key, value in members)
    return "{\n" + lines + "\n" + outer + "}"


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


def decimal_places(switches: Switches) -> int | None:
    """Fixed decimals for every currency, or None for each currency's minor unit."""
    return VARIANT_DECIMAL_PLACES if switches.four_decimal_places else None


def _headers_without_length(response: Response) -> list[tuple[bytes, bytes]]:
    return [(k, v) for k, v in response.start["headers"] if k != b"content-length"]


def without_body(response: Response) -> Response:
    """The answer to HEAD: GET's status and headers (Content-Length included), no body."""
    return Response(
        response.status,
        response.start,
        {"type": "http.response.body", "body": b"", "more_body": False},
    )


def gzipped(response: Response) -> Response:
    """The answer gzip-compressed (the ``gzip`` variant; the client accepted gzip)."""
    raw: bytes = response.body["body"]
    if not raw:
        return response
    body = gzip.compress(raw, mtime=0)
    headers = _headers_without_length(response)
    headers += [
        (b"content-length", str(len(body)).encode()),
        (b"content-encoding", b"gzip"),
        (b"vary", b"Accept-Encoding"),
    ]
    return Response(
        response.status,
        {**response.start, "headers": headers},
        {"type": "http.response.body", "body": body, "more_body": False},
    )


def chunked(response: Response) -> list[Message]:
    """The answer as messages without Content-Length, the body in two parts (``chunked``)."""
    raw: bytes = response.body["body"]
    half = len(raw) // 2
    return [
        {**response.start, "headers": _headers_without_length(response)},
        {"type": "http.response.body", "body": raw[:half], "more_body": True},
        {"type": "http.response.body", "body": raw[half:], "more_body": False},
    ]


class Renderer:
    """Turns fixtures into answers, applying the (at most one) mutant or variant switch."""

    def __init__(self, fixtures: Fixtures, switches: Switches, started_at: datetime) -> None:
        self.fixtures = fixtures
        self.sw = switches
        self.started_at = started_at
        self.content_type = (
            PLAIN
            if switches.wrong_content_type
            else JSON_UTF8
            if switches.charset_utf_8
            else JSON_ODD_SPELLING
            if switches.media_type_spelling
            else JSON
        )
        self.extra_headers = (
            VARIANT_HEADERS
            if switches.extra_headers
            else ((b"connection", b"close"),)
            if switches.connection_close
            else ()
        )
        self.places = decimal_places(switches)

    def _build(
        self, status: int, body: bytes, headers: Sequence[tuple[bytes, bytes]] = ()
    ) -> Response:
        """An answer of the balance path: its content type and any extra headers."""
        return build(
            status,
            body,
            content_type=self.content_type,
            headers=[*headers, *self.extra_headers],
        )

    def error(
        self,
        status: int,
        document: Mapping[str, Any],
        headers: Sequence[tuple[bytes, bytes]] = (),
    ) -> Response:
        """A JSON error answer of the balance path."""
        if self.sw.extra_properties:
            document = {**document, "requestId": VARIANT_REQUEST_ID}
        return self._build(status, dump(document, pretty=self.sw.pretty_json), headers)

    def invalid_id(self) -> Response:
        text = "invalid id" if self.sw.wrong_400_text else spec.exact_error_text(400)
        return self.error(400, {"error": text})

    def unauthorized(self) -> Response:
        """RFC 9110 wants a challenge with every 401."""
        challenge = VARIANT_CHALLENGE if self.sw.bearer_challenge_details else b"Bearer"
        return self.error(
            401, {"error": spec.exact_error_text(401)}, headers=[(b"www-authenticate", challenge)]
        )

    def not_found(self) -> Response:
        return self.error(404, {"error": spec.exact_error_text(404)})

    def unprovisioned(self) -> Response:
        if self.sw.unprovisioned_as_404:
            return self.not_found()
        return self.error(422, {"error": spec.exact_error_text(422), "code": spec.error_code(422)})

    def provider_error(self) -> Response:
        code = MUTANT_PROVIDER_CODE if self.sw.provider_error_code else spec.error_code(502)
        text = VARIANT_PROVIDER_ERROR_TEXT if self.sw.provider_error_text else PROVIDER_ERROR_TEXT
        return self.error(502, {"error": text, "code": code})

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
        if self.sw.method_not_allowed_plain:
            return build(
                405, b"Method Not Allowed\n", content_type=PLAIN, headers=[(b"allow", allow)]
            )
        return self.error(405, {"error": "method not allowed"}, headers=[(b"allow", allow)])

    def router_not_found(self) -> Response:
        """A path outside the operation (``strict-routing`` variant: every such path)."""
        return self._build(404, dump({"error": "not found"}, pretty=self.sw.pretty_json))

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

    def balance(self, customer: Customer, currency: str, *, units_off: int = 0) -> Response:
        """The 200 answer for one customer in one currency, ``units_off`` minor units above the
        truth (``rare-wrong-value``: one; ``moving-prices``: a price tick; zero stays zero)."""
        value = valuation.balance_value(
            customer, currency, self.fixtures, inverted=self.sw.wrong_conversion, places=self.places
        )
        if units_off and Decimal(value) != 0:
            places = decimal_string.fraction_digits(value)
            value = format(Decimal(value) + Decimal(units_off).scaleb(-places), "f")
        data = [
            ("customerId", json.dumps(self._echoed_id(customer.id))),
            ("estimatedBalanceCurrencyCode", json.dumps(currency)),
            ("estimatedBalanceValue", self._value_json(value)),
        ]
        updated = self._updated_at_json(valuation.latest_update(customer))
        if updated is not None:
            data.append(("updatedAt", updated))
        if self.sw.duplicate_key:
            data.insert(0, ("customerId", json.dumps(customer.id)))
        if self.sw.reordered_keys:
            data.reverse()
        if self.sw.wallet_breakdown:
            data.insert(0, ("wallets", self._wallets_json(customer, currency)))
        pretty = self.sw.pretty_json
        top = [("data", data)]
        if self.sw.extra_properties:
            data.append(("walletCount", str(len(customer.wallets))))
            top.append(("meta", [("requestId", json.dumps(VARIANT_REQUEST_ID))]))
        members = [(key, json_object(inner, pretty=pretty, depth=1)) for key, inner in top]
        body = json_object(members, pretty=pretty) + ("\n" if pretty else "")
        return self._build(200, body.encode())

    def _wallets_json(self, customer: Customer, currency: str) -> str:
        """Per-wallet values as JSON numbers (``wallet-breakdown``: same key, other object)."""
        items = [
            f'{{"walletId":{json.dumps(wallet_id)},"estimatedBalanceValue":{value}}}'
            for wallet_id, value in valuation.wallet_values(customer, currency, self.fixtures)
        ]
        return "[" + ",".join(items) + "]"

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
        elif self.sw.escaped_digits:
            return '"' + f"\\u{ord(value[0]):04x}" + value[1:] + '"'
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
        return json.dumps(self._timestamp(moment))

    def _timestamp(self, moment: datetime) -> str:
        """RFC 3339 text: UTC with ``Z``, unless a variant picks another legal rendering."""
        if self.sw.updated_at_offset:
            local = moment.astimezone(VARIANT_OFFSET)
            return local.isoformat(timespec="milliseconds" if local.microsecond else "seconds")
        if self.sw.updated_at_nanoseconds:
            utc = rfc3339.format_utc(moment.replace(microsecond=0))
            return f"{utc[:-1]}.{moment.microsecond:06d}000Z"
        text = rfc3339.format_utc(moment)
        if self.sw.updated_at_lower_case:
            return text.replace("T", "t").replace("Z", "z")
        return text
