"""Tokens: client-credentials exchange against the reference, refresh, and preflight."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from oms_harness import bounded_http
from oms_harness.credentials import REFRESH_MARGIN_S, TokenAuth, token_auth
from oms_harness.errors import TargetUnavailableError
from oms_harness.local_target import LocalTarget, local_reference
from oms_harness.profile import TargetProfile, parse_profile
from oms_harness.reference.auth import DEV_API_KEY, DEV_API_SECRET
from oms_harness.target import resolve_target


@pytest.fixture(scope="module")
def reference() -> Iterator[LocalTarget]:
    with local_reference() as target:
        yield target


def _client_credentials_profile(base_url: str, funded: str) -> TargetProfile:
    return parse_profile(
        {
            "base_url": base_url,
            "api_key_env": "OMS_TEST_KEY",
            "api_secret_env": "OMS_TEST_SECRET",
            "customers": {"funded": funded},
        }
    )


@pytest.mark.e2e
def test_exchange_then_preflight_passes(
    reference: LocalTarget, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OMS_TEST_KEY", DEV_API_KEY)
    monkeypatch.setenv("OMS_TEST_SECRET", DEV_API_SECRET)
    funded = reference.profile.customer("funded")
    assert funded is not None
    profile = _client_credentials_profile(reference.base_url, funded)
    token = token_auth(profile).token()
    assert token.count(".") == 2
    target = resolve_target(profile)
    assert target.token().count(".") == 2
    assert target.token() in target.secrets.values()  # a minted token joins the run secrets


@pytest.mark.e2e
def test_wrong_api_secret_is_target_unavailable(
    reference: LocalTarget, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OMS_TEST_KEY", DEV_API_KEY)
    monkeypatch.setenv("OMS_TEST_SECRET", "sk_sdbx_wrong_secret_value")
    funded = reference.profile.customer("funded")
    assert funded is not None
    with pytest.raises(TargetUnavailableError, match="rejected the API credentials") as info:
        token_auth(_client_credentials_profile(reference.base_url, funded)).token()
    assert "sk_sdbx_wrong_secret_value" not in str(info.value)


def _token_answer(token: str) -> bounded_http.BoundedResponse:
    body = json.dumps({"accessToken": token, "tokenType": "bearer", "expiresIn": 3600})
    return bounded_http.BoundedResponse(200, httpx.Headers(), body.encode())


def test_token_is_exchanged_again_before_expiry(monkeypatch: pytest.MonkeyPatch) -> None:
    issued: list[str] = []

    def fake_fetch(method: str, url: str, **kwargs: Any) -> bounded_http.BoundedResponse:
        assert (method, url) == ("POST", "http://127.0.0.1:9/v0.9/auth/token")
        issued.append(f"token-{len(issued)}")
        return _token_answer(issued[-1])

    monkeypatch.setattr("oms_harness.credentials.fetch", fake_fetch)
    now = [1000.0]
    profile = _client_credentials_profile("http://127.0.0.1:9/v0.9", "cst_" + "0" * 26)
    provider = token_auth(
        profile, environ={"OMS_TEST_KEY": "k", "OMS_TEST_SECRET": "s"}, clock=lambda: now[0]
    )
    assert provider.token() == "token-0"
    now[0] += 3600 - REFRESH_MARGIN_S - 1
    assert provider.token() == "token-0"
    now[0] += 2
    assert provider.token() == "token-1"
    provider.invalidate()
    assert provider.token() == "token-2"


def test_the_auth_flow_exchanges_again_once_after_a_401(monkeypatch: pytest.MonkeyPatch) -> None:
    issued: list[str] = []

    def fake_fetch(method: str, url: str, **kwargs: Any) -> bounded_http.BoundedResponse:
        issued.append(f"token-{len(issued)}")
        return _token_answer(issued[-1])

    monkeypatch.setattr("oms_harness.credentials.fetch", fake_fetch)
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["Authorization"])
        return httpx.Response(401 if len(seen) == 1 else 200)

    auth = TokenAuth.client_credentials("http://127.0.0.1:9/v0.9", "key-1234", "secret-1234")
    with httpx.Client(transport=httpx.MockTransport(handler), auth=auth) as client:
        assert client.get("http://127.0.0.1:9/v0.9/x").status_code == 200
    assert seen == ["Bearer token-0", "Bearer token-1"]
    assert "secret-1234" not in repr(auth)


def test_a_static_token_is_sent_as_given_and_a_401_is_final() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["Authorization"])
        return httpx.Response(401)

    auth = TokenAuth.static("static-token-1")
    with httpx.Client(transport=httpx.MockTransport(handler), auth=auth) as client:
        assert client.get("http://127.0.0.1:9/v0.9/x").status_code == 401
    assert seen == ["Bearer static-token-1"]
