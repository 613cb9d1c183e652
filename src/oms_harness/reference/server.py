"""Run an ASGI app on uvicorn + uvloop + httptools, one worker, access log off.

The listening socket is bound here, before uvicorn starts, so a busy port is one clear
error and ``--port 0`` has a known port; ``on_ready`` runs once uvicorn accepts requests.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any, Literal

import uvicorn

from ..errors import UsageError

BACKLOG = 2048


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
        http="httptools",
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
