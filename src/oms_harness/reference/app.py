"""The reference as a raw ASGI app: routing, auth, validation, then a pre-built answer.

Order of checks on ``GET /v0.9/customers/{id}/balance`` (the contract's order):
method (405) -> token (401, before anything else) -> id grammar (400) -> currency query
(400, a spec gap) -> customer lookup (404) -> provider state (422/502/503) -> 200.
The request path allocates almost nothing: routes, queries and verified tokens are
cached in bounded dicts, and every answer is a pre-built pair of ASGI messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any
from urllib.parse import unquote_to_bytes

from ..contract import spec, typeid
from .auth import TOKEN_TTL_SECONDS, AuthPolicy, TokenAuthority
from .data import Fixtures
from .faults import Faults
from .mutants import MOVE_EVERY, RARE_EVERY, Switches
from .responses import Renderer, Response, build, chunked, dump, gzipped, without_body

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

BASE_PATH = spec.base_path()
CURRENCY_PARAM = spec.currency_parameter().encode()
DEFAULT_CURRENCY = spec.default_currency()
MAX_TOKEN_REQUEST_BYTES = 16 * 1024
_CACHE_LIMIT = 4096

_BEFORE_ID, _AFTER_ID = spec.balance_path("\0").split("\0")
_CUSTOMERS = (BASE_PATH + _BEFORE_ID).encode()
_BALANCE = _AFTER_ID.encode()
_TOKEN = BASE_PATH.encode() + b"/auth/token"
_MALFORMED_ESCAPE = re.compile(rb"%(?![0-9A-Fa-f]{2})")


class Kind(Enum):
    BALANCE = "balance"
    TOKEN = "token"
    CUSTOMERS_OTHER = "customers-other"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Route:
    """Where a raw path leads; for the balance path, the decoded id and its validity."""

    kind: Kind
    customer_id: str = ""
    valid_id: bool = False
    malformed_escape: bool = False
    """The raw id segment holds a ``%`` that starts no two-digit hex escape."""


def route(raw_path: bytes, *, lenient_ids: bool = False, strict: bool = False) -> Route:
    """Classify a raw (still percent-encoded) path. Pure; the app caches results.

    ``strict`` (the ``strict-routing`` variant) routes like a typical framework: the id must
    be one non-empty segment after decoding, anything else is an unknown path.
    """
    raw_path = raw_path.partition(b"?")[0]
    if raw_path == _TOKEN:
        return Route(Kind.TOKEN)
    if (
        raw_path.startswith(_CUSTOMERS)
        and raw_path.endswith(_BALANCE)
        and len(raw_path) >= len(_CUSTOMERS) + len(_BALANCE)
    ):
        raw_segment = raw_path[len(_CUSTOMERS) : -len(_BALANCE)]
        malformed = _MALFORMED_ESCAPE.search(raw_segment) is not None
        segment = unquote_to_bytes(raw_segment)
        if strict and (not segment or b"/" in segment):
            return Route(Kind.UNKNOWN)
        try:
            customer_id = segment.decode()
        except UnicodeDecodeError:
            return Route(Kind.BALANCE, malformed_escape=malformed)
        if lenient_ids:  # mutant lenient-id-validation
            customer_id = customer_id.lower()
        return Route(Kind.BALANCE, customer_id, typeid.is_customer_id(customer_id), malformed)
    if raw_path.startswith(_CUSTOMERS) and not strict:
        return Route(Kind.CUSTOMERS_OTHER)
    return Route(Kind.UNKNOWN)


def parse_currency(
    query: bytes, supported: frozenset[str], default: str, *, fold_case: bool = False
) -> str | None:
    """The requested currency code, or None when the query asks for none we serve.

    Exactly one ``estimatedBalanceCurrencyCode`` with a supported upper-case code, or none
    at all (the default). Empty, repeated, lower-case or unknown codes are None (400).
    Other parameters are ignored. ``fold_case``: the ``currency-case-folded`` variant.
    """
    values = []
    for part in query.split(b"&"):
        name, _, value = part.partition(b"=")
        if unquote_to_bytes(name.replace(b"+", b" ")) == CURRENCY_PARAM:
            values.append(unquote_to_bytes(value.replace(b"+", b" ")))
    if not values:
        return default
    if len(values) > 1:
        return None
    code = values[0].decode("latin-1")
    if fold_case:
        code = code.upper()
    return code if code in supported else None


class ReferenceApp:
    """The balance endpoint and the token exchange, served from fixtures."""

    def __init__(
        self,
        fixtures: Fixtures,
        authority: TokenAuthority,
        *,
        switches: Switches | None = None,
        faults: Faults | None = None,
        started_at: datetime | None = None,
    ) -> None:
        self.fixtures = fixtures
        self.authority = authority
        self.sw = switches or Switches()
        self.faults = faults if faults is not None and faults.config.enabled else None
        renderer = self._renderer = Renderer(fixtures, self.sw, started_at or datetime.now(UTC))
        self._answers = {cid: renderer.answers(c) for cid, c in fixtures.customers.items()}
        self._served = 0
        self._server_error = build(500, dump({"error": "internal server error"}))
        self._supported = frozenset(fixtures.currencies)
        self._default = "EUR" if self.sw.default_currency_eur else DEFAULT_CURRENCY
        self._unauthorized = renderer.unauthorized()
        self._invalid_id = renderer.invalid_id()
        self._not_found = renderer.not_found()
        self._bad_currency = renderer.unsupported_currency()
        self._fault_answers = {502: renderer.provider_error(), 503: renderer.provider_unreachable()}
        self._get_only = renderer.method_not_allowed(b"GET")
        self._post_only = build(
            405, dump({"error": "method not allowed"}), headers=[(b"allow", b"POST")]
        )
        self._unknown_path = (
            renderer.router_not_found()
            if self.sw.strict_routing
            else build(404, dump({"error": "not found"}))
        )
        self._bad_token_request = build(400, dump({"error": "invalid token request"}))
        self._bad_credentials = build(401, dump({"error": "unauthorized"}))
        self._routes: dict[bytes, Route] = {}
        self._queries: dict[bytes, str | None] = {}
        self._stall_task: asyncio.Task[None] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            response = await self._http(scope, receive)
            if response is None:
                return
            if self.sw.gzip and _accepts_gzip(scope):
                response = gzipped(response)
            if self.sw.chunked:
                for message in chunked(response):
                    await send(message)
                return
            await send(response.start)
            await send(response.body)
        elif scope["type"] == "lifespan":
            await self._lifespan(receive, send)

    async def _http(self, scope: Scope, receive: Receive) -> Response | None:
        raw_path: bytes = scope.get("raw_path") or scope["path"].encode()
        found = self._routes.get(raw_path)
        if found is None:
            found = route(
                raw_path,
                lenient_ids=self.sw.lenient_id_validation,
                strict=self.sw.strict_routing,
            )
            if len(self._routes) < _CACHE_LIMIT:
                self._routes[raw_path] = found
        if found.kind is Kind.BALANCE:
            if scope["method"] == "HEAD" and self.sw.head_like_get:
                return without_body(await self._balance(found, scope))
            if scope["method"] != "GET":
                return self._get_only
            return await self._balance(found, scope)
        if found.kind is Kind.TOKEN:
            if scope["method"] != "POST":
                return self._post_only
            return await self._token(receive)
        if found.kind is Kind.CUSTOMERS_OTHER:
            return self._not_found
        return self._unknown_path

    async def _balance(self, found: Route, scope: Scope) -> Response:
        sw = self.sw
        header = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                header = value
                break
        if sw.malformed_escape_500 and found.malformed_escape:
            return self._server_error
        if sw.validation_before_auth and not found.valid_id:
            return self._invalid_id
        if not (self.authority.authorized(header) or (sw.auth_bypass and header is None)):
            if sw.not_found_oracle and found.valid_id and found.customer_id not in self._answers:
                return self._not_found
            return self._unauthorized
        served_as = found.customer_id
        if not found.valid_id:
            served_as = self._folded_known(found.customer_id) if sw.case_folded_known_ids else ""
            if not served_as:
                return self._invalid_id
        query: bytes = scope["query_string"]
        if query:
            currency = self._queries.get(query, "")
            if currency == "":
                currency = parse_currency(
                    query, self._supported, self._default, fold_case=sw.currency_case_folded
                )
                if len(self._queries) < _CACHE_LIMIT:
                    self._queries[query] = currency
            if currency is None and sw.unsupported_currency_as_usd:
                currency = DEFAULT_CURRENCY
            if currency is None:
                if sw.lookup_before_currency and found.customer_id not in self._answers:
                    return self._not_found
                return self._bad_currency
        else:
            currency = self._default
        if sw.currency_ignored:
            currency = DEFAULT_CURRENCY
        answers = self._answers.get(served_as)
        if answers is None:
            return self._invalid_id if sw.unknown_id_as_400 else self._not_found
        if self.faults is not None:
            return await self._with_faults(answers, currency)
        if isinstance(answers, Response):
            return answers
        if served_as != found.customer_id:  # case-folded-known-ids: echo the id as sent
            customer = dataclasses.replace(self.fixtures.customers[served_as], id=found.customer_id)
            return self._renderer.balance(customer, currency)
        if sw.rare_wrong_value:
            self._served += 1
            if self._served % RARE_EVERY == 0:
                return self._renderer.balance(
                    self.fixtures.customers[served_as], currency, units_off=1
                )
        if sw.moving_prices:
            self._served += 1
            tick = 1 + self._served // MOVE_EVERY % 4  # never the fixture's own value
            customer = self.fixtures.customers[served_as]
            return self._renderer.balance(customer, currency, units_off=tick)
        return answers[currency]

    def _folded_known(self, customer_id: str) -> str:
        """``case-folded-known-ids``: the known customer an invalid id folds to, else ""."""
        folded = customer_id.strip().lower()
        return folded if folded in self._answers else ""

    async def _with_faults(
        self, answers: Response | dict[str, Response], currency: str
    ) -> Response:
        faults = self.faults
        assert faults is not None
        delay = faults.delay()
        if delay > 0:
            await asyncio.sleep(delay)
        if isinstance(answers, Response):
            return answers
        outcome = faults.provider_outcome()
        return self._fault_answers[outcome] if outcome is not None else answers[currency]

    async def _token(self, receive: Receive) -> Response | None:
        body = b""
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            body += message.get("body", b"")
            if len(body) > MAX_TOKEN_REQUEST_BYTES:
                return self._bad_token_request
            if not message.get("more_body", False):
                break
        try:
            request = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return self._bad_token_request
        if not isinstance(request, dict):
            return self._bad_token_request
        api_key, api_secret = request.get("apiKey"), request.get("apiSecret")
        if not isinstance(api_key, str) or not isinstance(api_secret, str):
            return self._bad_token_request
        if not self.authority.credentials_match(api_key, api_secret):
            return self._bad_credentials
        issued = self.authority.issue()
        document = {
            "accessToken": issued.token,
            "tokenType": "bearer",
            "expiresIn": TOKEN_TTL_SECONDS,
            "expiresAt": issued.expires_at_text,
        }
        return build(200, dump(document), headers=[(b"cache-control", b"no-store")])

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                if self.faults is not None and self.faults.config.stall is not None:
                    self._stall_task = asyncio.create_task(self.faults.stall_forever())
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self._stall_task is not None:
                    self._stall_task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await self._stall_task
                await send({"type": "lifespan.shutdown.complete"})
                return


def _accepts_gzip(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"accept-encoding":
            return b"gzip" in value.lower()
    return False


def create_app(
    fixtures: Fixtures,
    *,
    switches: Switches | None = None,
    faults: Faults | None = None,
    secret: bytes | None = None,
) -> ReferenceApp:
    """The reference with its token authority; a mutant's auth switch becomes its policy."""
    sw = switches or Switches()
    policy = AuthPolicy(
        verify_signature=not sw.signature_not_verified,
        verify_exp=not sw.expired_token_accepted,
        accept_alg_none=sw.alg_none_accepted,
    )
    return ReferenceApp(fixtures, TokenAuthority(secret, policy=policy), switches=sw, faults=faults)
