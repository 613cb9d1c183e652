"""Run an ASGI app on uvicorn + uvloop + httptools, one worker, access log off.

The listening socket is bound here, before uvicorn starts, so a busy port is one clear
error and ``--port 0`` has a known port; ``on_ready`` runs once uvicorn accepts requests.

Hardened at the edges, as a server facing clients it does not control must be: WebSocket
upgrades are answered as plain HTTP (``ws="none"``), a request's headers must arrive within
:data:`HEADER_TIMEOUT_S` (408, then close: half-open connections cannot pile up) and fit in
:data:`MAX_HEADER_BYTES` (431), and an HTTP/1.1 request without ``Host`` is a 400 (RFC 9112
section 3.2). Every such answer is JSON, like every other answer of the reference.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from typing import Any, Literal

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from ..errors import UsageError

BACKLOG = 2048
_BALANCE_PREFIX = b"/v0.9/customers/"
HEADER_TIMEOUT_S = 10.0
"""From a connection's first byte (or a keep-alive request's first byte) to its last header."""
MAX_HEADER_BYTES = 16 * 1024
"""The request line and headers together; a token is ~300 bytes."""


def _json_answer(status: bytes, body: bytes) -> bytes:
    return (
        b"HTTP/1.1 " + status + b"\r\n"
        b"content-type: application/json\r\n"
        b"content-length: " + str(len(body)).encode("ascii") + b"\r\n"
        b"connection: close\r\n\r\n" + body
    )


class JsonErrorHttpToolsProtocol(HttpToolsProtocol):
    """httptools, but a request it cannot parse still gets a JSON body.

    uvicorn answers unparsable requests (non-UTF-8 bytes in the target, a request line beyond
    the parser's limits, broken headers) with ``text/plain`` before the app ever sees them. The
    contract promises ``application/json`` on every answer, so the same 400 is rendered as the
    spec's ``invalid customer id`` body for the balance path and a plain JSON error elsewhere.
    """

    def send_400_response(self, msg: str) -> None:
        url = getattr(self, "url", b"") or b""
        if url.startswith(_BALANCE_PREFIX):
            body = b'{"error":"invalid customer id"}'
        else:
            body = b'{"error":"bad request"}'
        self._refuse(_json_answer(b"400 Bad Request", body))

    # -- hardening ---------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._header_bytes = 0
        """Request line and headers of the current request, as parsed."""
        self._raw_bytes = 0
        """Bytes received while the current request's headers are incomplete."""
        self._in_headers = True
        self._rejection: bytes | None = None
        self._header_timer: asyncio.TimerHandle | None = None
        self._arm_header_timer()

    def _arm_header_timer(self) -> None:
        if self._header_timer is None:
            timeout = getattr(self.config, "oms_header_timeout", HEADER_TIMEOUT_S)
            self._header_timer = self.loop.call_later(timeout, self._headers_too_slow)

    def _disarm_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if self._in_headers and not self.transport.is_closing():
            self._refuse(_json_answer(b"408 Request Timeout", b'{"error":"request timeout"}'))

    def _refuse(self, answer: bytes) -> None:
        self._disarm_header_timer()
        if not self.transport.is_closing():
            self.transport.write(answer)
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._in_headers:
            self._raw_bytes += len(data)
        super().data_received(data)
        if self._rejection is not None:
            self._refuse(self._rejection)
        elif self._in_headers and self._raw_bytes > MAX_HEADER_BYTES:
            too_large = b'{"error":"request header fields too large"}'
            self._refuse(_json_answer(b"431 Request Header Fields Too Large", too_large))

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_headers = True
        self._header_bytes = len(b"GET  HTTP/1.1\r\n")
        self._arm_header_timer()

    def on_url(self, url: bytes) -> None:
        super().on_url(url)
        self._header_bytes += len(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        super().on_header(name, value)
        self._header_bytes += len(name) + len(value) + 4

    def on_headers_complete(self) -> None:
        self._in_headers = False
        self._raw_bytes = 0
        self._disarm_header_timer()
        too_large = self._header_bytes > MAX_HEADER_BYTES
        if too_large:
            body = b'{"error":"request header fields too large"}'
            self._rejection = _json_answer(b"431 Request Header Fields Too Large", body)
            return
        if self.parser.get_http_version() == "1.1" and not any(
            name == b"host" for name, _ in self.headers
        ):
            self._rejection = _json_answer(b"400 Bad Request", b'{"error":"missing Host header"}')
            return
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        if self._rejection is None:
            super().on_body(body)

    def on_message_complete(self) -> None:
        if self._rejection is None:
            super().on_message_complete()

    def _unsupported_upgrade_warning(self) -> None:
        """An upgrade is answered as the plain HTTP request it also is: nothing to warn about."""


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (port 0: an ephemeral one)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family, backlog=BACKLOG)
    except OSError as exc:
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def config(
    app: Any, *, lifespan: Literal["on", "off"] = "on", header_timeout: float = HEADER_TIMEOUT_S
) -> uvicorn.Config:
    """The uvicorn settings of the reference (and of the benchmark's hello-world)."""
    cfg = uvicorn.Config(
        app,
        loop="uvloop",
        http=JsonErrorHttpToolsProtocol,
        ws="none",  # an Upgrade: websocket request is answered as the plain HTTP it also is
        lifespan=lifespan,
        access_log=False,
        log_level="warning",
        server_header=False,
        proxy_headers=False,  # no proxy in front: skip the per-request middleware
        backlog=BACKLOG,
        workers=1,
    )
    cfg.oms_header_timeout = header_timeout  # type: ignore[attr-defined]  # read by the protocol
    return cfg


class _Server(uvicorn.Server):
    def __init__(self, cfg: uvicorn.Config, on_ready: Callable[[], None]) -> None:
        super().__init__(cfg)
        self._on_ready = on_ready

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if not self.should_exit:
            self._on_ready()


def run(
    app: Any,
    sock: socket.socket,
    on_ready: Callable[[], None],
    *,
    lifespan: Literal["on", "off"] = "on",
    header_timeout: float = HEADER_TIMEOUT_S,
) -> None:
    """Serve until SIGINT/SIGTERM; ``on_ready`` is called once requests are accepted."""
    with sock:
        cfg = config(app, lifespan=lifespan, header_timeout=header_timeout)
        _Server(cfg, on_ready).run(sockets=[sock])
