"""Tokens: client-credentials exchange against the reference, refresh, and preflight."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from oms_harness.credentials import REFRESH_MARGIN_S, TokenProvider
from oms_harness.errors import TargetUnavailableError
from oms_harness.local_target import LocalTarget, local_reference
from oms_harness.preflight import preflight
from oms_harness.profile import TargetProfile, parse_profile
from oms_harness.reference.auth import DEV_API_KEY, DEV_API_SECRET


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
    token = TokenProvider(profile).token()
    assert token.count(".") == 2
    assert preflight(profile).count(".") == 2


@pytest.mark.e2e
def test_wrong_api_secret_is_target_unavailable(
    reference: LocalTarget, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OMS_TEST_KEY", DEV_API_KEY)
    monkeypatch.setenv("OMS_TEST_SECRET", "sk_sdbx_wrong_secret_value")
    funded = reference.profile.customer("funded")
    assert funded is not None
    with pytest.raises(TargetUnavailableError, match="rejected the API credentials") as info:
        TokenProvider(_client_credentials_profile(reference.base_url, funded)).token()
    assert "sk_sdbx_wrong_secret_value" not in str(info.value)


class _FakeResponse:
    status_code = 200

    def __init__(self, token: str) -> None:
        self._token = token

    def json(self) -> dict[str, Any]:
        return {"accessToken": self._token, "tokenType": "bearer", "expiresIn": 3600}


def test_token_is_exchanged_again_before_expiry(monkeypatch: pytest.MonkeyPatch) -> None:
    issued: list[str] = []

    def fake_post(url: str, **kwargs: Any) -> _FakeResponse:
        issued.append(f"token-{len(issued)}")
        return _FakeResponse(issued[-1])

    monkeypatch.setattr(httpx, "post", fake_post)
    now = [1000.0]
    profile = _client_credentials_profile("http://127.0.0.1:9/v0.9", "cst_" + "0" * 26)
    provider = TokenProvider(
        profile, environ={"OMS_TEST_KEY": "k", "OMS_TEST_SECRET": "s"}, clock=lambda: now[0]
    )
    assert provider.token() == "token-0"
    now[0] += 3600 - REFRESH_MARGIN_S - 1
    assert provider.token() == "token-0"
    now[0] += 2
    assert provider.token() == "token-1"
    provider.invalidate()
    assert provider.token() == "token-2"
