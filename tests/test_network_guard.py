"""The tests' own network guard (tests/conftest.py): loopback only, in every test process."""

from __future__ import annotations

import socket

import httpx
import pytest


def test_a_public_address_is_refused() -> None:
    with socket.socket() as sock, pytest.raises(OSError, match="test network guard"):
        sock.connect(("192.0.2.1", 443))  # TEST-NET-1


def test_an_http_client_cannot_leave_the_machine() -> None:
    with pytest.raises(httpx.ConnectError, match="test network guard"):
        httpx.get("http://192.0.2.1/", timeout=5)


def test_loopback_is_allowed() -> None:
    with socket.create_server(("127.0.0.1", 0)) as server, socket.socket() as sock:
        sock.connect(server.getsockname())
