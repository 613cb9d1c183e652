"""In-process reference apps for the tests: a fixed signing secret, a sync ASGI caller."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from oms_harness.contract import verdict
from oms_harness.contract.rules import BalanceRequest, Violation
from oms_harness.reference.app import ReferenceApp, create_app
from oms_harness.reference.auth import TokenAuthority
from oms_harness.reference.data import Fixtures
from oms_harness.reference.faults import FaultConfig, Faults
from oms_harness.reference.mutants import Switches

SECRET = b"reference-tests-signing-secret-" + b"0123456789abcdef" * 3  # 79 bytes: fine for HS512


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type")


class RefClient:
    """A reference app plus a valid token; requests go straight to the ASGI callable."""

    def __init__(self, app: ReferenceApp, authority: TokenAuthority) -> None:
        self.app = app
        self.authority = authority
        self.token = authority.issue().token
        self.loop = asyncio.new_event_loop()

    @property
    def auth(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.token}"}

    def raw(
        self,
        method: str,
        raw_path: bytes,
        query: bytes = b"",
        headers: Mapping[str, str] | None = None,
        body: bytes = b"",
    ) -> Answer:
        """Call the app with a hand-made scope (raw, still percent-encoded path)."""
        scope: dict[str, Any] = {
            "type": "http",
            "method": method,
            "path": raw_path.decode("latin-1"),
            "raw_path": raw_path,
            "query_string": query,
            "headers": [
                (k.lower().encode("latin-1"), v.encode("latin-1"))
                for k, v in (headers or {}).items()
            ],
        }
        sent: list[dict[str, Any]] = []
        incoming = [{"type": "http.request", "body": body, "more_body": False}]

        async def receive() -> dict[str, Any]:
            return incoming.pop(0) if incoming else {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        self.loop.run_until_complete(self.app(scope, receive, send))
        start, *payloads = sent  # the `chunked` variant sends the body in parts
        return Answer(
            start["status"],
            {k.decode(): v.decode() for k, v in start["headers"]},
            b"".join(payload["body"] for payload in payloads),
        )

    def get(
        self,
        customer_id: str,
        *,
        query: bytes = b"",
        headers: Mapping[str, str] | None = None,
        authorized: bool = True,
    ) -> Answer:
        all_headers = {**(self.auth if authorized else {}), **(headers or {})}
        path = f"/v0.9/customers/{customer_id}/balance".encode()
        return self.raw("GET", path, query, all_headers)

    def httpx(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """The same app through httpx.ASGITransport (real request encoding)."""

        async def go() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://ref") as client:
                return await client.request(method, url, **kwargs)

        return self.loop.run_until_complete(go())

    def close(self) -> None:
        self.loop.close()


MakeClient = Callable[..., RefClient]


def build_client(
    fixtures: Fixtures,
    mutant: str | None = None,
    faults: FaultConfig | None = None,
    variant: str | None = None,
) -> RefClient:
    app = create_app(
        fixtures,
        switches=Switches.select(mutant=mutant, variant=variant),
        faults=Faults(faults) if faults else None,
        secret=SECRET,
    )
    return RefClient(app, app.authority)


def check_balance_response(
    raw: bytes, request: BalanceRequest, *, content_type: str | None
) -> list[Violation]:
    """The judge on a 200 for ``request`` (its id taken as a funded customer of the target)."""
    currencies = (request.expected_currency,)
    expect = verdict.Expectations(
        roles={"funded": request.customer_id}, supported_currencies=currencies
    )
    sent = verdict.Sent.balance(request.customer_id, request.currency)
    return verdict.judge(sent, verdict.Answer(200, raw, content_type), expect)


def check_error_response(status: int, raw: bytes, content_type: str | None) -> list[Violation]:
    """The judge on an error answer whose status is not in question (documented, body)."""
    expect = verdict.Expectations(roles={}, supported_currencies=())
    sent = verdict.Sent(None, ("?", "?"))  # an open question: any documented status will do
    return verdict.judge(sent, verdict.Answer(status, raw, content_type), expect)
