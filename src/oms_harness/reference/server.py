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
import json
import socket
from collections.abc import Callable
from typing import Any, Literal, NoReturn

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from ..contract import spec
from ..errors import UsageError

BACKLOG = 2048
_BALANCE_PREFIX = spec.base_path().encode() + b"/customers/"
_INVALID_ID_BODY = json.dumps({"error": spec.exact_error_text(400)}, separators=(",", ":"))
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


_TOO_LARGE = _json_answer(
    b"431 Request Header Fields Too Large", b'{"error":"request header fields too large"}'
)
_NO_HOST = _json_answer(b"400 Bad Request", b'{"error":"missing Host header"}')
_TIMED_OUT = _json_answer(b"408 Request Timeout", b'{"error":"request timeout"}')


class _RejectedError(Exception):
    """Raised in a parser callback to stop parsing a request already answered."""


def _start_watchdog(protocol: JsonErrorHttpToolsProtocol) -> None:
    """Once per server: every so often, answer 408 to connections whose headers are late."""
    state = protocol.server_state
    if getattr(state, "oms_header_watchdog", False):
        return
    state.oms_header_watchdog = True  # type: ignore[attr-defined]
    timeout = float(getattr(protocol.config, "oms_header_timeout", HEADER_TIMEOUT_S))
    loop = protocol.loop
    period = min(1.0, timeout / 4)

    def sweep() -> None:
        deadline = loop.time() - timeout
        for connection in list(state.connections):
            if not isinstance(connection, JsonErrorHttpToolsProtocol):
                continue
            since = connection._headers_since
            if since is not None and since < deadline:
                connection._refuse(_TIMED_OUT)
        loop.call_later(period, sweep)

    loop.call_later(period, sweep)


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
            body = _INVALID_ID_BODY.encode()
        else:
            body = b'{"error":"bad request"}'
        self._refuse(_json_answer(b"400 Bad Request", body))

    # -- hardening ---------------------------------------------------------------------------
    # Cheap on the hot path: a timestamp per request, one loop over the headers once they are
    # complete; the header timeout is one watchdog per server, not a timer per request.

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._raw_bytes = 0
        """Bytes received while the current request's headers are incomplete."""
        self._headers_since: float | None = self.loop.time()
        """When the current request's headers began (None: not reading headers)."""
        _start_watchdog(self)

    def _refuse(self, answer: bytes) -> None:
        self._headers_since = None
        if not self.transport.is_closing():
            self.transport.write(answer)
            self.transport.close()

    def _reject(self, answer: bytes) -> NoReturn:
        """Answer and close now; the raise stops the parser (uvicorn's 400 then finds the
        transport closing and sends nothing)."""
        self._refuse(answer)
        raise _RejectedError

    def data_received(self, data: bytes) -> None:
        if self._headers_since is not None:
            self._raw_bytes += len(data)
        super().data_received(data)
        if self._headers_since is not None and self._raw_bytes > MAX_HEADER_BYTES:
            self._refuse(_TOO_LARGE)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._headers_since = self.loop.time()

    def on_headers_complete(self) -> None:
        self._headers_since = None
        self._raw_bytes = 0
        size = len(self.url)
        host = False
        for name, value in self.headers:
            size += len(name) + len(value)
            if name == b"host":
                host = True
        if size > MAX_HEADER_BYTES:
            self._reject(_TOO_LARGE)
        if not host and self.parser.get_http_version() == "1.1":
            self._reject(_NO_HOST)
        super().on_headers_complete()

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
