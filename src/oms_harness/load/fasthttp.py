"""Locust's public ``FastHttpSession`` path: what the load transport falls back to.

Slower than the fast path of :mod:`.transport` (about twice the CPU per request) but built
on Locust's public API only, so it keeps working when a release moves a private attribute
the fast path needs; ``--transport fasthttp`` chooses it on purpose.
"""

from __future__ import annotations

from typing import Any

from .._version import __version__
from .generator import Answer
from .traffic import RequestKind

PUBLIC = "fasthttp"


class PublicTransport:
    """Locust's public ``FastHttpSession``: it counts each request in Locust's stats itself."""

    name = PUBLIC

    def __init__(
        self,
        base_url: str,
        kinds: list[RequestKind],
        *,
        environment: Any,
        max_in_flight: int,
        timeout_s: float,
    ) -> None:
        from locust.contrib.fasthttp import FastHttpSession

        self.kinds = kinds
        self.session = FastHttpSession(
            base_url,
            request_event=environment.events.request,
            user=None,
            concurrency=max_in_flight,
            connection_timeout=timeout_s,
            network_timeout=timeout_s,
        )
        self.headers: dict[str, str] = {}

    def use_token(self, token: str) -> None:
        self.headers = {
            "User-Agent": f"oms-harness/{__version__}",
            "Accept": "application/json",
            "Authorization": f"Bearer {token}",
        }

    def send(self, kind_index: int) -> Answer:
        kind = self.kinds[kind_index]
        context: Any = self.session.get(
            kind.path, name=kind.name, headers=self.headers, catch_response=True
        )
        response = context.__enter__()
        error = getattr(response, "error", None)  # also set for a 4xx/5xx status

        def settle(reason: str | None) -> None:
            if reason:
                response.failure(reason)
            else:
                response.success()
            context.__exit__(None, None, None)

        status = int(response.status_code or 0)
        if not status:  # no answer: the session caught a transport failure
            return Answer(0, b"", None, settle=settle, error=type(error).__name__)
        headers = response.headers or {}
        return Answer(
            status,
            response.content or b"",
            headers.get("content-type"),
            headers.get("retry-after") if status == 429 else None,
            settle,
        )

    def close(self) -> None:
        self.session.client.clientpool.close()
