"""Auth: 401 with the exact body for every bad credential, and before anything else."""

from __future__ import annotations

import base64
import json

import allure
import pytest

from oms_harness.conformance.corpus import BASE_ID
from oms_harness.conformance.exchange import BalanceClient
from oms_harness.conformance.suite import assert_judged, role_id
from oms_harness.conformance.target import SuiteTarget
from oms_harness.redaction import REDACTED

FEATURE = "Authentication"
SPEC_POINTER = "/components/securitySchemes/BearerAuth"
SEVERITY = allure.severity_level.BLOCKER


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def tampered_signature(token: str) -> str:
    """The valid token with its signature's first character changed (same header, claims)."""
    header, payload, signature = token.split(".")
    first = "A" if signature[:1] != "A" else "B"
    return f"{header}.{payload}.{first}{signature[1:]}"


def alg_none(token: str) -> str:
    """An unsigned token (``alg: none``) carrying the valid token's claims."""
    _, payload, _ = token.split(".")
    header = _b64(json.dumps({"alg": "none", "typ": "JWT"}, separators=(",", ":")).encode())
    return f"{header}.{payload}."


def _is_jwt(token: str) -> bool:
    return token.count(".") == 2


CREDENTIALS = {
    "no-header": lambda t: None,
    "basic-scheme": lambda t: "Basic " + _b64(b"user:password"),
    "token-scheme-with-valid-token": lambda t: f"Token {t}",
    "bare-token": lambda t: t,
    "empty-bearer": lambda t: "Bearer",
    "garbage-bearer": lambda t: "Bearer not-a-jwt",
    "truncated-token": lambda t: f"Bearer {t[: len(t) // 2]}",
    "tampered-signature": lambda t: f"Bearer {tampered_signature(t)}",
    "alg-none": lambda t: f"Bearer {alg_none(t)}",
}
_NEEDS_JWT = {"tampered-signature", "alg-none"}


def _judge_unauthenticated(
    api: BalanceClient,
    target: SuiteTarget,
    customer: str | None,
    authorization: str | None,
    segment: str | None = None,
) -> None:
    reply = api.balance(customer, segment=segment, authorization=authorization)
    assert reply.sent is not None
    assert not reply.sent.authenticated, "the scenario sends no valid token"
    assert_judged(target, reply)


@pytest.mark.parametrize("credential", list(CREDENTIALS))
def test_bad_credential_is_unauthorized(
    api: BalanceClient, target: SuiteTarget, credential: str
) -> None:
    """A missing, malformed or forged credential answers 401 with the exact body"""
    if credential in _NEEDS_JWT and not _is_jwt(target.token):
        pytest.skip("the target's token is not a JWT: nothing to tamper with")
    allure.dynamic.parameter("Authorization", REDACTED if credential != "no-header" else "absent")
    header = CREDENTIALS[credential](target.token)
    _judge_unauthenticated(api, target, role_id(target, "funded"), header)


def test_expired_token_is_unauthorized(api: BalanceClient, target: SuiteTarget) -> None:
    """A token the target signed that has expired answers 401"""
    expired = target.profile.credentials.expired_token
    if not expired:
        pytest.skip("profile has no `expired_token`")
    _judge_unauthenticated(api, target, role_id(target, "funded"), f"Bearer {expired}")


@pytest.mark.parametrize("kind", ["funded", "missing", "unprovisioned", "invalid-id", "upper-id"])
@pytest.mark.parametrize("credential", ["no-header", "garbage-bearer"])
def test_no_existence_oracle(
    api: BalanceClient, target: SuiteTarget, kind: str, credential: str
) -> None:
    """Unauthenticated requests answer 401 whatever the id (never 400 or 404)"""
    header = CREDENTIALS[credential](target.token)
    if kind == "invalid-id":
        _judge_unauthenticated(api, target, None, header, segment="not-a-customer-id")
    elif kind == "upper-id":
        _judge_unauthenticated(api, target, BASE_ID.upper(), header)
    else:
        _judge_unauthenticated(api, target, role_id(target, kind), header)
