"""The reference over a real loopback socket: status paths, malformed requests, faults."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import httpx
import pytest
from refclient import check_balance_response, check_error_response

from oms_harness.contract import BalanceRequest
from oms_harness.local_target import LocalTarget, local_reference


@pytest.fixture(scope="module")
def target() -> Iterator[LocalTarget]:
    with local_reference() as running:
        yield running


def _auth(target: LocalTarget) -> dict[str, str]:
    assert target.profile.credentials.token is not None
    return {"authorization": f"Bearer {target.profile.credentials.token}"}


def _url(target: LocalTarget, customer: str, query: str = "") -> str:
    return f"{target.base_url}/customers/{customer}/balance" + (f"?{query}" if query else "")


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("funded", 200),
        ("empty", 200),
        ("unprovisioned", 422),
        ("provider_error", 502),
        ("provider_unreachable", 503),
        ("missing", 404),
    ],
)
def test_each_role_over_the_socket(target: LocalTarget, role: str, status: int) -> None:
    customer = target.profile.customers[role]
    response = httpx.get(_url(target, customer), headers=_auth(target), timeout=10)
    assert response.status_code == status
    content_type = response.headers["content-type"]
    if status == 200:
        request = BalanceRequest(customer)
        assert check_balance_response(response.content, request, content_type=content_type) == []
    else:
        assert check_error_response(status, response.content, content_type) == []


def test_profile_expected_values_match_the_answers(target: LocalTarget) -> None:
    for role, by_currency in target.profile.expected.items():
        for currency, value in by_currency.items():
            url = _url(
                target, target.profile.customers[role], f"estimatedBalanceCurrencyCode={currency}"
            )
            data = httpx.get(url, headers=_auth(target), timeout=10).json()["data"]
            assert data["estimatedBalanceValue"] == value


def test_400_401_405_and_unknown_paths_over_the_socket(target: LocalTarget) -> None:
    funded = target.profile.customers["funded"]
    assert httpx.get(_url(target, "nope"), headers=_auth(target), timeout=10).status_code == 400
    assert httpx.get(_url(target, funded), timeout=10).status_code == 401
    not_allowed = httpx.post(_url(target, funded), headers=_auth(target), timeout=10)
    assert not_allowed.status_code == 405
    assert not_allowed.headers["allow"] == "GET"
    unknown = httpx.get(f"{target.base_url}/nothing", timeout=10)
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/json"


def _raw_request(target: LocalTarget, request: bytes) -> bytes:
    parts = urlsplit(target.base_url)
    assert parts.hostname is not None
    assert parts.port is not None
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as conn:
        conn.sendall(request)
        chunks = []
        while True:
            chunk = conn.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


def _status(response: bytes) -> int:
    return int(response.split(b" ", 2)[1])


@pytest.mark.parametrize(
    "path",
    [
        b"/v0.9/customers/%zz%/balance",
        b"/v0.9/customers/%/balance",
        b"/v0.9/customers/cst_01kspy4bg0ejevzs1e5pzj5gd%C3/balance",
        b"/v0.9/customers/\xff\xfe/balance",
        b"/v0.9/customers/caf\xc3\xa9/balance",
        b"/v0.9/customers/" + b"a" * 100_000 + b"/balance",
        b"/v0.9/customers/" + b"%41" * 34_000 + b"/balance",
        b"/v0.9/customers/x/balance?estimatedBalanceCurrencyCode=%zz",
        b"/v0.9/customers/x/balance?\xff=\xfe",
    ],
)
def test_malformed_requests_answer_4xx_and_the_server_stays_up(
    target: LocalTarget, path: bytes
) -> None:
    token = (target.profile.credentials.token or "").encode()
    request = (
        b"GET " + path + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Authorization: Bearer " + token + b"\r\nConnection: close\r\n\r\n"
    )
    response = _raw_request(target, request)
    assert 400 <= _status(response) < 500
    head, _, body = response.partition(b"\r\n\r\n")
    assert b"content-type: application/json" in head.lower()  # even parser-level errors
    assert json.loads(body)["error"]
    funded = target.profile.customers["funded"]
    assert httpx.get(_url(target, funded), headers=_auth(target), timeout=10).status_code == 200


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GARBAGE\r\n\r\n",
        b"GET / HTTP/9.9\r\n\r\n",
        b"GET /v0.9/customers/x/balance HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n",
        b"GET /v0.9/customers/x/balance HTTP/1.1\r\nBad Header\r\n\r\n",
    ],
)
def test_broken_http_answers_4xx_and_the_server_stays_up(
    target: LocalTarget, request_bytes: bytes
) -> None:
    assert 400 <= _status(_raw_request(target, request_bytes)) < 500
    funded = target.profile.customers["funded"]
    assert httpx.get(_url(target, funded), headers=_auth(target), timeout=10).status_code == 200


def test_the_token_exchange_over_the_socket(target: LocalTarget) -> None:
    response = httpx.post(
        f"{target.base_url}/auth/token",
        json={"apiKey": "sk_sdbx_local_dev_key", "apiSecret": "sk_sdbx_local_dev_secret"},
        timeout=10,
    )
    assert response.status_code == 200
    token = response.json()["accessToken"]
    funded = target.profile.customers["funded"]
    answer = httpx.get(_url(target, funded), headers={"authorization": f"Bearer {token}"})
    assert answer.status_code == 200


def test_provider_fault_flags_over_the_socket() -> None:
    args = ["--provider-unreachable-rate", "1", "--fault-seed", "1"]
    with local_reference(serve_args=args) as running:
        funded = running.profile.customers["funded"]
        response = httpx.get(_url(running, funded), headers=_auth(running), timeout=10)
        assert response.status_code == 503
        assert check_error_response(503, response.content, response.headers["content-type"]) == []


@pytest.mark.slow
def test_the_stall_pauses_the_whole_server() -> None:
    """With a 0.6 s stall every 1.2 s, some request waits most of the stall.

    A lower bound only: a blocked event loop cannot answer early, however fast the machine.
    """
    with local_reference(serve_args=["--stall", "600ms", "--stall-every", "1200ms"]) as running:
        url = _url(running, running.profile.customers["funded"])
        headers = _auth(running)

        def timed(_: int) -> float:
            started = time.monotonic()
            httpx.get(url, headers=headers, timeout=10).raise_for_status()
            return time.monotonic() - started

        with ThreadPoolExecutor(max_workers=2) as pool:
            durations = list(pool.map(timed, range(60)))
            deadline = time.monotonic() + 3.0
            while max(durations) < 0.3 and time.monotonic() < deadline:
                durations += list(pool.map(timed, range(20)))
    assert max(durations) >= 0.3
