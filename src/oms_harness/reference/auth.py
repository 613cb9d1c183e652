"""Bearer tokens of the reference: HS256 JWTs, an algorithm allow-list, and a verify cache.

Verifying an HMAC signature on every request would cost more than the rest of the endpoint,
so a token whose signature and claims were verified once is remembered (token -> ``exp``)
in a bounded dict. ``exp`` is still compared with the clock on every request.
"""

from __future__ import annotations

import hmac
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import jwt

from ..contract import rfc3339

DEV_API_KEY = "sk_sdbx_local_dev_key"
DEV_API_SECRET = "sk_sdbx_local_dev_secret"
"""Documented local development credentials (they unlock only this local server)."""

ALLOWED_ALGORITHMS = ("HS256",)
TOKEN_TTL_SECONDS = 3600
ISSUER = "oms-harness-reference"
DEFAULT_CACHE_SIZE = 4096


@dataclass(frozen=True)
class IssuedToken:
    """A freshly minted access token and when it expires (Unix seconds)."""

    token: str
    expires_at: int

    def __repr__(self) -> str:  # never print a token
        return f"IssuedToken(token=[redacted], expires_at={self.expires_at})"

    @property
    def expires_at_text(self) -> str:
        return rfc3339.format_utc(datetime.fromtimestamp(self.expires_at, UTC))


@dataclass(frozen=True)
class AuthPolicy:
    """Which checks run. The clean server runs all; one mutant switches one off."""

    verify_signature: bool = True
    verify_exp: bool = True
    accept_alg_none: bool = False


class TokenAuthority:
    """Issues tokens for the dev credentials and decides whether a bearer token is good."""

    def __init__(
        self,
        secret: bytes | None = None,
        *,
        api_key: str = DEV_API_KEY,
        api_secret: str = DEV_API_SECRET,
        policy: AuthPolicy | None = None,
        clock: Callable[[], float] = time.time,
        cache_size: int = DEFAULT_CACHE_SIZE,
    ) -> None:
        self._secret = secret if secret is not None else os.urandom(32)
        self._api_key = api_key.encode()
        self._api_secret = api_secret.encode()
        self._policy = policy or AuthPolicy()
        self._clock = clock
        self._cache: dict[bytes, float] = {}  # header value -> exp
        self._cache_size = cache_size

    def __repr__(self) -> str:
        return f"TokenAuthority(policy={self._policy})"

    def credentials_match(self, api_key: str, api_secret: str) -> bool:
        """Constant-time comparison of an ``/auth/token`` request's credentials."""
        key_ok = hmac.compare_digest(api_key.encode(), self._api_key)
        secret_ok = hmac.compare_digest(api_secret.encode(), self._api_secret)
        return key_ok and secret_ok

    def issue(self, *, ttl: int = TOKEN_TTL_SECONDS, now: float | None = None) -> IssuedToken:
        """Mint an HS256 token valid for ``ttl`` seconds."""
        issued = int(self._clock() if now is None else now)
        claims = {"iss": ISSUER, "sub": self._api_key.decode(), "iat": issued, "exp": issued + ttl}
        return IssuedToken(jwt.encode(claims, self._secret, algorithm="HS256"), issued + ttl)

    def sign(self, claims: dict[str, Any], algorithm: str = "HS256") -> str:
        """Sign arbitrary claims with the server secret (tests build bad tokens with it)."""
        return jwt.encode(claims, self._secret, algorithm=algorithm)

    def authorized(self, header: bytes | None) -> bool:
        """True when an ``Authorization`` header value carries a good bearer token."""
        if header is None:
            return False
        exp = self._cache.get(header)  # keyed by the whole header value: no parsing
        if exp is None:
            scheme, _, token = header.partition(b" ")
            if scheme.lower() != b"bearer" or not token:
                return False
            verified = self._verify(token)
            if verified is None:
                return False
            exp = verified
            if len(self._cache) >= self._cache_size:
                del self._cache[next(iter(self._cache))]
            self._cache[header] = exp
        return not self._policy.verify_exp or self._clock() < exp

    def _verify(self, token: bytes) -> float | None:
        """Signature, algorithm and claims; the ``exp`` it carries, or None when bad."""
        try:
            text = token.decode("ascii")
            header = jwt.get_unverified_header(text)
            algorithm = header.get("alg")
            unsigned = algorithm == "none" and self._policy.accept_alg_none
            if unsigned or (algorithm in ALLOWED_ALGORITHMS and not self._policy.verify_signature):
                claims = jwt.decode(
                    text,
                    options={"verify_signature": False, "verify_exp": False, "require": ["exp"]},
                )
            else:
                claims = jwt.decode(
                    text,
                    self._secret,
                    algorithms=list(ALLOWED_ALGORITHMS),
                    # exp is compared with our clock in authorized(), on every request
                    options={"require": ["exp", "iat"], "verify_exp": False, "verify_iat": False},
                )
        except (UnicodeDecodeError, jwt.PyJWTError):
            return None
        exp = claims.get("exp")
        if isinstance(exp, bool) or not isinstance(exp, int | float):
            return None
        return float(exp)
