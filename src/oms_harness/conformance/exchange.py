"""HTTP for the semantic suites: one call, one recorded exchange, secrets redacted.

Every exchange is kept as raw bytes (the decimal rules judge the JSON text, not a parsed
float), rendered for a report with the Authorization value redacted, and turned into a
``curl`` line that reproduces it with the token read from the shell environment.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final
from urllib.parse import quote, urlencode

import httpx

from ..contract import spec
from ..contract.rules import BalanceRequest
from ..contract.verdict import Answer, Sent
from ..redaction import Redactor, redact_headers
from .judging import sent_from
from .pretty_json import indent_json, wrap_lines
from .target import SuiteTarget

VALID: Final = "valid"
"""Sentinel for ``authorization=``: send the target's valid bearer token."""

TIMEOUT_S = 15.0


@dataclass(frozen=True)
class Exchange:
    """A request as sent (headers already redacted) and the response as received."""

    method: str
    url: str
    request_headers: list[tuple[str, str]]
    status: int
    response_headers: list[tuple[str, str]]
    body: bytes
    request: BalanceRequest | None = None
    sent: Sent | None = None
    """What the server received, as the judge reads it (recovered from the sent URL)."""
    curl: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def content_type(self) -> str | None:
        for name, value in self.response_headers:
            if name.lower() == "content-type":
                return value
        return None

    @property
    def answer(self) -> Answer:
        """The answer as the judge reads it."""
        return Answer(self.status, self.body, self.content_type)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def describe(self) -> str:
        """``GET /v0.9/customers/…/balance -> 400`` (for assertion messages)."""
        path = self.url.split("://", 1)[-1].partition("/")[2]
        shown = path if len(path) <= 120 else path[:117] + "..."
        return f"{self.method} /{shown} -> {self.status}"

    def render_request(self) -> str:
        lines = [f"{self.method} {self.url}"]
        lines += [f"{name}: {value}" for name, value in self.request_headers]
        return "\n".join(lines) + "\n"

    def render_response(self) -> str:
        """Status, headers and the body indented and wrapped (literals exactly as sent)."""
        lines = [f"HTTP {self.status}"]
        lines += [f"{name}: {value}" for name, value in self.response_headers]
        return wrap_lines("\n".join(lines) + "\n\n" + indent_json(self.text))

    def render_raw_body(self) -> str:
        """The body byte for byte (non-UTF-8 bytes as ``\\xNN``), for wire-format evidence."""
        return self.body.decode("utf-8", errors="backslashreplace")


def encode_id(customer_id: str) -> str:
    """Percent-encode an id for the path (everything but unreserved characters)."""
    return quote(customer_id, safe="")


def new_http_client() -> httpx.Client:
    """A keep-alive HTTP client for the suites (no redirects: a 3xx is an answer to judge)."""
    return httpx.Client(timeout=TIMEOUT_S, follow_redirects=False)


class BalanceClient:
    """Calls ``GET /customers/{id}/balance`` on the target and records every exchange."""

    def __init__(
        self,
        target: SuiteTarget,
        *,
        redactor: Redactor | None = None,
        on_exchange: Callable[[Exchange], None] | None = None,
        token_env: str | None = None,
        http: httpx.Client | None = None,
    ) -> None:
        self._target = target
        self._redact = redactor or Redactor([target.token])
        self._on_exchange = on_exchange
        self._token_env = token_env or target.profile.credentials.token_env
        # Building a client costs an SSL context (tens of ms): share one when given.
        self._owns_client = http is None
        self._client = http if http is not None else new_http_client()
        self.exchanges: list[Exchange] = []

    def close(self) -> None:
        if self._owns_client:
            self._client.close()

    def __enter__(self) -> BalanceClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def balance(
        self,
        customer_id: str | None = None,
        *,
        segment: str | None = None,
        currency: str | None = None,
        raw_query: str | None = None,
        authorization: str | None = VALID,
    ) -> Exchange:
        """One call. ``segment`` sends an already encoded id; ``raw_query`` a literal query."""
        if segment is None:
            if customer_id is None:
                raise ValueError("give customer_id or segment")
            segment = encode_id(customer_id)
        url = self._target.base_url + spec.balance_path(segment)
        query = raw_query
        if query is None and currency is not None:
            query = urlencode({spec.currency_parameter(): currency})
        if query is not None:
            url = f"{url}?{query}"
        headers = {"Accept": "application/json"}
        header_value = self._target.authorization if authorization == VALID else authorization
        if header_value is not None:
            headers["Authorization"] = header_value
        response = self._client.get(url, headers=headers)
        sent_url = str(response.request.url)
        exchange = Exchange(
            method="GET",
            url=str(response.request.url),
            request_headers=redact_headers(list(response.request.headers.items())),
            status=response.status_code,
            response_headers=list(response.headers.items()),
            body=response.content,
            request=(
                BalanceRequest(customer_id, currency)
                if customer_id is not None and raw_query is None
                else None
            ),
            sent=sent_from(sent_url, header_value, self._target),
            curl=self._curl(sent_url, authorization),
        )
        self.exchanges.append(exchange)
        if self._on_exchange is not None:
            self._on_exchange(exchange)
        return exchange

    def _curl(self, url: str, authorization: str | None) -> str:
        parts = ["curl", "-sS", "-i", "-H", shlex.quote("Accept: application/json")]
        if authorization == VALID:
            parts += ["-H", f'"Authorization: Bearer ${self._token_env}"']
        elif authorization is not None:
            # A deliberately broken credential: show its shape, never its value.
            parts += ["-H", shlex.quote(self._redact(f"Authorization: {authorization}"))]
        parts.append(shlex.quote(url))
        return " ".join(parts)
