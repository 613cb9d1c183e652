"""JWT handling: HS256 only, signature, exp on every request, the token exchange."""

from __future__ import annotations

import base64
import json
from typing import Any

import jwt
import pytest
from refclient import SECRET, RefClient

from oms_harness.reference.auth import DEV_API_KEY, DEV_API_SECRET, AuthPolicy, TokenAuthority


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unsigned(claims: dict[str, Any], alg: str = "none") -> str:
    header = _b64(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    return f"{header}.{_b64(json.dumps(claims).encode())}."


def _bearer(token: str) -> bytes:
    return f"Bearer {token}".encode()


@pytest.fixture
def clock() -> Clock:
    return Clock(1_800_000_000.0)


@pytest.fixture
def authority(clock: Clock) -> TokenAuthority:
    return TokenAuthority(SECRET, clock=clock)


def _claims(clock: Clock, **changes: Any) -> dict[str, Any]:
    now = int(clock.now)
    return {"sub": DEV_API_KEY, "iat": now, "exp": now + 3600, **changes}


def test_an_issued_token_is_accepted_until_it_expires(
    authority: TokenAuthority, clock: Clock
) -> None:
    issued = authority.issue()
    assert issued.expires_at == int(clock.now) + 3600
    assert authority.authorized(_bearer(issued.token))
    clock.now = issued.expires_at - 1
    assert authority.authorized(_bearer(issued.token))


def test_exp_is_checked_on_every_request_even_when_cached(
    authority: TokenAuthority, clock: Clock
) -> None:
    issued = authority.issue()
    assert authority.authorized(_bearer(issued.token))  # verified and cached
    clock.now = issued.expires_at
    assert not authority.authorized(_bearer(issued.token))


def test_an_expired_token_is_rejected(authority: TokenAuthority, clock: Clock) -> None:
    token = authority.sign(_claims(clock, iat=int(clock.now) - 7200, exp=int(clock.now) - 1))
    assert not authority.authorized(_bearer(token))


def test_a_token_without_exp_is_rejected(authority: TokenAuthority, clock: Clock) -> None:
    claims = _claims(clock)
    del claims["exp"]
    assert not authority.authorized(_bearer(authority.sign(claims)))


def test_alg_none_with_valid_claims_is_rejected(authority: TokenAuthority, clock: Clock) -> None:
    for alg in ("none", "None", "NONE"):
        assert not authority.authorized(_bearer(_unsigned(_claims(clock), alg)))


@pytest.mark.parametrize("alg", ["HS384", "HS512"])
def test_other_hmac_algorithms_are_rejected_even_with_the_right_secret(
    authority: TokenAuthority, clock: Clock, alg: str
) -> None:
    assert not authority.authorized(_bearer(authority.sign(_claims(clock), algorithm=alg)))


def test_an_rs256_header_is_rejected(authority: TokenAuthority, clock: Clock) -> None:
    good = authority.sign(_claims(clock))
    _, payload, signature = good.split(".")
    header = _b64(json.dumps({"alg": "RS256", "typ": "JWT"}).encode())
    assert not authority.authorized(_bearer(f"{header}.{payload}.{signature}"))


def test_a_tampered_payload_is_rejected(authority: TokenAuthority, clock: Clock) -> None:
    header, _, signature = authority.sign(_claims(clock)).split(".")
    forged = _b64(json.dumps(_claims(clock, sub="someone-else")).encode())
    assert not authority.authorized(_bearer(f"{header}.{forged}.{signature}"))


def test_a_tampered_signature_is_rejected(authority: TokenAuthority) -> None:
    token = authority.issue().token
    flipped = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    assert not authority.authorized(_bearer(flipped))


def test_a_token_signed_with_another_secret_is_rejected(
    authority: TokenAuthority, clock: Clock
) -> None:
    other = jwt.encode(_claims(clock), b"another-secret-of-thirty-two-bytes!!", algorithm="HS256")
    assert not authority.authorized(_bearer(other))


@pytest.mark.parametrize(
    "header",
    [None, b"", b"Bearer", b"Bearer ", b"Token abc", b"Basic dXNlcjpwYXNz", b"Bearer \xff\xfe"],
)
def test_malformed_headers_are_rejected(authority: TokenAuthority, header: bytes | None) -> None:
    assert not authority.authorized(header)


def test_the_cache_stays_bounded(clock: Clock) -> None:
    authority = TokenAuthority(SECRET, clock=clock, cache_size=3)
    tokens = [authority.sign(_claims(clock, jti=str(i))) for i in range(10)]
    for token in tokens:
        assert authority.authorized(_bearer(token))
    assert len(authority._cache) == 3
    assert authority.authorized(_bearer(tokens[0]))  # evicted, verified again


@pytest.mark.parametrize(
    ("policy", "accepted"),
    [
        (AuthPolicy(accept_alg_none=True), "alg-none"),
        (AuthPolicy(verify_signature=False), "bad-signature"),
        (AuthPolicy(verify_exp=False), "expired"),
    ],
)
def test_each_weakened_policy_accepts_exactly_its_bad_token(
    clock: Clock, policy: AuthPolicy, accepted: str
) -> None:
    authority = TokenAuthority(SECRET, clock=clock, policy=policy)
    good = authority.issue().token
    bad = {
        "alg-none": _unsigned(_claims(clock)),
        "bad-signature": good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB"),
        "expired": authority.sign(_claims(clock, iat=int(clock.now) - 7200, exp=int(clock.now))),
    }
    for name, token in bad.items():
        assert authority.authorized(_bearer(token)) is (name == accepted), name


def test_repr_never_shows_the_token(authority: TokenAuthority) -> None:
    issued = authority.issue()
    assert issued.token not in repr(issued)
    assert SECRET.decode() not in repr(authority)


def test_token_exchange_with_the_dev_credentials(client: RefClient) -> None:
    response = client.httpx(
        "POST", "/v0.9/auth/token", json={"apiKey": DEV_API_KEY, "apiSecret": DEV_API_SECRET}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["tokenType"] == "bearer"
    assert body["expiresIn"] == 3600
    assert body["expiresAt"].endswith("Z")
    assert client.authority.authorized(_bearer(body["accessToken"]))
    assert response.headers["content-type"] == "application/json"


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        ({"apiKey": DEV_API_KEY, "apiSecret": "wrong"}, 401),
        ({"apiKey": "sk_sdbx_other", "apiSecret": DEV_API_SECRET}, 401),
        ({"apiKey": DEV_API_KEY}, 400),
        ({"apiKey": 1, "apiSecret": 2}, 400),
        ([], 400),
    ],
)
def test_token_exchange_rejects_bad_requests(client: RefClient, payload: Any, status: int) -> None:
    response = client.httpx("POST", "/v0.9/auth/token", json=payload)
    assert response.status_code == status
    assert "accessToken" not in response.text


@pytest.mark.parametrize("body", [b"not json", b"\xff\xfe", b"{" * 20_000])
def test_token_exchange_rejects_unparsable_bodies(client: RefClient, body: bytes) -> None:
    assert client.raw("POST", b"/v0.9/auth/token", body=body).status == 400


def test_token_endpoint_allows_only_post(client: RefClient) -> None:
    answer = client.raw("GET", b"/v0.9/auth/token")
    assert answer.status == 405
    assert answer.headers["allow"] == "POST"
