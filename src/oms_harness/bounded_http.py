"""One HTTP request with a wall-clock deadline and a response size cap.

httpx's timeouts apply per read: a target that trickles a byte a second never trips them.
Here the whole request (connect, headers, body) runs in a worker thread that the caller
waits for at most ``deadline_s``; the body is read in chunks and refused beyond ``max_bytes``.
A request that overruns is abandoned (its thread is a daemon and its socket is closed by
the deadline check at the next chunk); the caller gets one line and exit 3.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx

from .errors import HarnessError, TargetUnavailableError

MAX_RESPONSE_BYTES = 1 << 20
"""1 MiB: a balance or a token is a few hundred bytes."""


@dataclass(frozen=True)
class BoundedResponse:
    status: int
    headers: httpx.Headers
    body: bytes


class _OverrunError(Exception):
    pass


def _perform(
    method: str, url: str, deadline: float, max_bytes: int, kwargs: dict[str, Any]
) -> BoundedResponse:
    remaining = max(deadline - time.monotonic(), 0.001)
    # trust_env=False: no proxy and no ~/.netrc credentials from the environment
    with (
        httpx.Client(timeout=httpx.Timeout(remaining), trust_env=False) as client,
        client.stream(method, url, **kwargs) as response,
    ):
        body = bytearray()
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) > max_bytes:
                raise _OverrunError(f"more than {max_bytes} bytes")
            if time.monotonic() > deadline:
                raise httpx.ReadTimeout("deadline")
        return BoundedResponse(response.status_code, response.headers, bytes(body))


def fetch(
    method: str,
    url: str,
    *,
    what: str,
    deadline_s: float,
    max_bytes: int = MAX_RESPONSE_BYTES,
    stated_s: float | None = None,
    **kwargs: Any,
) -> BoundedResponse:
    """``method url`` within ``deadline_s`` seconds, or :class:`TargetUnavailableError`.

    ``what`` names the request in the one-line error (never the URL's secrets: a target URL
    here never carries userinfo); ``stated_s`` is the limit the message names (the caller's
    whole deadline, when this request has only what is left of it).
    """
    stated = deadline_s if stated_s is None else stated_s
    deadline = time.monotonic() + deadline_s
    outcome: list[BoundedResponse | BaseException] = []

    def work() -> None:
        try:
            outcome.append(_perform(method, url, deadline, max_bytes, kwargs))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            outcome.append(exc)

    worker = threading.Thread(target=work, name="bounded-http", daemon=True)
    worker.start()
    worker.join(deadline_s + 0.5)
    if not outcome:
        raise TargetUnavailableError(f"{what}: no complete answer within {stated:g} s")
    result = outcome[0]
    if isinstance(result, BoundedResponse):
        return result
    if isinstance(result, HarnessError):
        raise result
    if isinstance(result, _OverrunError):
        raise TargetUnavailableError(f"{what}: the answer is too large ({result})")
    if isinstance(result, httpx.TimeoutException):
        raise TargetUnavailableError(f"{what}: no complete answer within {stated:g} s")
    if isinstance(result, httpx.HTTPError | OSError):
        raise TargetUnavailableError(f"{what}: cannot reach the target ({_describe(result)})")
    raise result


def _describe(exc: BaseException) -> str:
    """The error's kind, and its first line unless it could carry request details."""
    kind = type(exc).__name__
    text = str(exc).splitlines()[0] if str(exc) else ""
    if isinstance(exc, httpx.ConnectError | httpx.RemoteProtocolError | OSError) and text:
        return f"{kind}: {text[:120]}"
    return kind
