"""The reference at its edges, over a real socket: slow headers, huge headers, upgrades, Host."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from oms_harness.local_target import LocalTarget, local_reference
from oms_harness.reference.server import MAX_HEADER_BYTES

HEADER_TIMEOUT = "1"


@pytest.fixture(scope="module")
def target() -> Iterator[LocalTarget]:
    with local_reference(serve_args=["--header-timeout", HEADER_TIMEOUT]) as running:
        yield running


def _connect(target: LocalTarget) -> socket.socket:
    parts = urlsplit(target.base_url)
    assert parts.hostname is not None
    assert parts.port is not None
    return socket.create_connection((parts.hostname, parts.port), timeout=15)


def _answer(sock: socket.socket) -> bytes:
    """Everything until the server closes (or 15 s pass: the test then fails on content)."""
    received = b""
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except (TimeoutError, ConnectionResetError):
        pass
    return received


def _exchange(target: LocalTarget, request: bytes) -> bytes:
    with _connect(target) as sock:
        # the server may answer and close while we are still sending
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(request)
        return _answer(sock)


def _status(answer: bytes) -> int:
    assert answer.startswith(b"HTTP/1."), answer[:80]
    return int(answer.split(b" ", 2)[1])


def test_headers_that_never_finish_get_408_and_the_connection_closes(
    target: LocalTarget,
) -> None:
    with _connect(target) as sock:
        sock.sendall(b"GET /v0.9/customers HTTP/1.1\r\nHost: x\r\n")  # no blank line, ever
        answer = _answer(sock)  # bounded by the server's header timeout, not by ours
    assert _status(answer) == 408
    assert b"application/json" in answer


def test_many_half_open_connections_are_all_closed(target: LocalTarget) -> None:
    sockets = [_connect(target) for _ in range(50)]
    try:
        for sock in sockets:
            sock.sendall(b"GET /v0.9/customers HTTP/1.1\r\n")
        assert all(_status(_answer(sock)) == 408 for sock in sockets)
    finally:
        for sock in sockets:
            sock.close()


@pytest.mark.parametrize("size", [MAX_HEADER_BYTES + 1024, 1 << 20])
def test_a_large_header_is_refused_with_431(target: LocalTarget, size: int) -> None:
    request = b"GET /v0.9/x HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * size + b"\r\n\r\n"
    answer = _exchange(target, request)
    assert _status(answer) == 431
    assert b"application/json" in answer


def test_a_websocket_upgrade_is_answered_as_plain_http(target: LocalTarget) -> None:
    answer = _exchange(
        target,
        b"GET /v0.9/customers/cst_x/balance HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n"
        b"Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nConnection: close\r\n\r\n",
    )
    assert _status(answer) == 401  # the balance's first check: no token
    assert b"application/json" in answer


def test_http_1_1_without_host_is_400(target: LocalTarget) -> None:
    answer = _exchange(target, b"GET /v0.9/customers/cst_x/balance HTTP/1.1\r\n\r\n")
    assert _status(answer) == 400
    assert b'"missing Host header"' in answer


def test_http_1_0_without_host_is_still_answered(target: LocalTarget) -> None:
    answer = _exchange(target, b"GET /v0.9/customers/cst_x/balance HTTP/1.0\r\n\r\n")
    assert _status(answer) == 401


def test_a_normal_request_after_the_edge_cases_still_works(target: LocalTarget) -> None:
    answer = _exchange(
        target, b"GET /v0.9/nowhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    assert _status(answer) == 404
