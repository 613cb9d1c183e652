"""Run an ASGI app on uvicorn + uvloop + httptools, one worker, access log off.

The listening socket is bound here, before uvicorn starts, so a busy port is one clear
error and ``--port 0`` has a known port; ``on_ready`` runs once uvicorn accepts requests.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from typing import Any, Literal

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from ..contract import spec
from ..errors import UsageError

BACKLOG = 2048
_BALANCE_PREFIX = spec.base_path().encode() + b"/customers/"
_INVALID_ID_BODY = json.dumps({"error": spec.exact_error_text(400)}, separators=(",", ":"))


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
        self.transport.write(
            b"HTTP/1.1 400 Bad Request\r\n"
            b"content-type: application/json\r\n"
            b"content-length: " + str(len(body)).encode("ascii") + b"\r\n"
            b"connection: close\r\n\r\n" + body
        )
        self.transport.close()


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (port 0: an ephemeral one)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family, backlog=BACKLOG)
    except OSError as exc:
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def config(app: Any, *, lifespan: Literal["on", "off"] = "on") -> uvicorn.Config:
    """The uvicorn settings of the reference (and of the benchmark's hello-world)."""
    return uvicorn.Config(
        app,
        loop="uvloop",
        http=JsonErrorHttpToolsProtocol,
        lifespan=lifespan,
        access_log=False,
        log_level="warning",
        server_header=False,
        proxy_headers=False,  # no proxy in front: skip the per-request middleware
        backlog=BACKLOG,
        workers=1,
    )


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
) -> None:
    """Serve until SIGINT/SIGTERM; ``on_ready`` is called once requests are accepted."""
    with sock:
        _Server(config(app, lifespan=lifespan), on_ready).run(sockets=[sock])
