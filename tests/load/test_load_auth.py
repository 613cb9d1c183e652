"""The generator's token over a run: client credentials refreshed, static tokens must outlive it.

The refresh is exercised against the local reference's real ``POST /v0.9/auth/token`` (its dev
credentials); only the clock the provider uses to decide "nearly expired" is a test clock.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from urllib.parse import quote

import httpx
import jwt
import pytest

from oms_harness.errors import ProfileError, TargetUnavailableError, UsageError
from oms_harness.load import auth
from oms_harness.local_target import LocalTarget, local_reference
from oms_harness.profile import Credentials, TargetProfile
from oms_harness.target import resolve_target

DEV_KEY = "sk_sdbx_local_dev_key"
DEV_SECRET = "sk_sdbx_local_dev_secret"  # the local reference's documented dev secret


@pytest.fixture(scope="module")
def reference() -> Iterator[LocalTarget]:
    with local_reference() as target:
        yield target


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def balance_status(target: LocalTarget, token: str) -> int:
    funded = quote(target.profile.customers["funded"], safe="")
    url = f"{target.base_url}/customers/{funded}/balance"
    return httpx.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=10).status_code


def next_wall_second() -> None:
    """Tokens minted in the same second with the same claims are identical: move past it."""
    time.sleep(1.05 - (time.time() % 1.0))


def test_client_credentials_travel_by_value_and_a_static_token_needs_none() -> None:
    creds = Credentials(api_key_env="MY_KEY", api_secret_env="MY_SECRET")
    profile = TargetProfile(base_url="http://127.0.0.1:9/v0.9", credentials=creds)
    environ = {"MY_KEY": "k-123456789", "MY_SECRET": "s-123456789"}
    assert auth.client_credentials_env(resolve_target(profile, environ=environ)) == {
        auth.KEY_ENV: "k-123456789",
        auth.SECRET_ENV: "s-123456789",
    }
    static = TargetProfile(base_url=profile.base_url, credentials=Credentials(token="t-1234567"))
    assert auth.client_credentials_env(resolve_target(static, environ=environ)) == {}
    with pytest.raises(ProfileError, match="MY_SECRET"):
        resolve_target(profile, environ={"MY_KEY": "k-123456789"})


def test_a_static_jwt_must_outlive_the_run() -> None:
    now = 1_800_000_000.0
    token = jwt.encode({"exp": int(now) + 120}, "k" * 32, algorithm="HS256")
    auth.check_token_lifetime(token, 100.0, now=now)
    with pytest.raises(UsageError, match="expires in 120 s but the run may last 200 s"):
        auth.check_token_lifetime(token, 200.0, now=now)
    with pytest.raises(UsageError, match="api_key_env/api_secret_env"):
        auth.check_token_lifetime(token, 1.0, now=now + 3600)


def test_tokens_that_do_not_say_when_they_expire_are_not_judged() -> None:
    auth.check_token_lifetime("opaque-token-without-structure", 1e9)
    no_exp = jwt.encode({"sub": "x"}, "k" * 32, algorithm="HS256")
    auth.check_token_lifetime(no_exp, 1e9)
    odd_exp = jwt.encode({"exp": "soon"}, "k" * 32, algorithm="HS256")
    auth.check_token_lifetime(odd_exp, 1e9)


def test_the_token_is_exchanged_again_before_it_expires(reference: LocalTarget) -> None:
    clock = Clock()
    refresher = auth.RefreshingAuth(reference.base_url, DEV_KEY, DEV_SECRET, clock=clock)
    first = refresher.token
    assert balance_status(reference, first) == 200
    assert refresher.poll() is False  # fresh: no exchange, same generation
    assert refresher.generation == 0
    next_wall_second()
    clock.now += 3600 - 30  # within the provider's refresh margin of a one-hour token
    assert refresher.poll() is True
    assert refresher.token != first
    assert (refresher.generation, refresher.refreshes, refresher.reexchanges) == (1, 1, 0)
    assert balance_status(reference, refresher.token) == 200
    assert refresher.poll() is False


def test_a_401_causes_one_exchange_for_every_request_that_saw_it(reference: LocalTarget) -> None:
    refresher = auth.RefreshingAuth(reference.base_url, DEV_KEY, DEV_SECRET)
    first = refresher.token
    next_wall_second()
    refresher.after_unauthorized(0)
    assert (refresher.generation, refresher.reexchanges) == (1, 1)
    assert refresher.token != first
    refresher.after_unauthorized(0)  # a request sent with the old token: already replaced
    assert (refresher.generation, refresher.reexchanges) == (1, 1)
    assert balance_status(reference, refresher.token) == 200


def test_wrong_credentials_fail_with_one_line_and_no_secret(reference: LocalTarget) -> None:
    with pytest.raises(TargetUnavailableError) as caught:
        auth.RefreshingAuth(reference.base_url, DEV_KEY, "not-the-secret-123")
    assert "rejected" in str(caught.value)
    assert "not-the-secret-123" not in str(caught.value)
