"""The bearer token of a run, as an ``httpx.Auth``: one token source for every sender.

Either a static token (``token`` / ``token_env``), or client credentials: ``POST
{base_url}/auth/token`` with ``{"apiKey", "apiSecret"}`` answers an access token that lives
``expiresIn`` seconds; it is exchanged again :data:`REFRESH_MARGIN_S` before it expires, and
once more after a 401 (API-NOTES: on a 401 with client credentials, exchange again and retry
once). The preflight, the suites, the fuzz session and every Locust process use this class;
the key and secret are read once, when the target is resolved. Secrets are never part of an
error message nor of ``repr``.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Generator, Mapping

import httpx

from .bounded_http import fetch
from .errors import ProfileError, TargetUnavailableError
from .profile import TargetProfile, static_token

REFRESH_MARGIN_S = 60.0
"""Exchange again this long before the token's announced expiry."""
DEFAULT_LIFETIME_S = 3600.0
EXCHANGE_DEADLINE_S = 10.0
TOKEN_PATH = "/auth/token"


class TokenAuth(httpx.Auth):
    """The token to send: static, or exchanged from an API key and secret and kept fresh."""

    def __init__(
        self,
        *,
        token: str | None = None,
        token_url: str | None = None,
        api_key: str | None = None,
        api_secret: str | None = None,
        source: str = "the API credentials",
        deadline_s: float = EXCHANGE_DEADLINE_S,
        clock: Callable[[], float] = time.monotonic,
        on_token: Callable[[str], None] | None = None,
    ) -> None:
        if token is None and not (token_url and api_key and api_secret):
            raise ProfileError("no token source configured")
        self._static = token
        self._token_url = token_url
        self._key = api_key
        self._secret = api_secret
        self._source = source
        self.deadline_s = deadline_s
        self._clock = clock
        self._on_token = on_token
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        kind = "static" if self._static is not None else "client-credentials"
        return f"TokenAuth({kind}, [redacted])"

    @classmethod
    def static(cls, token: str) -> TokenAuth:
        return cls(token=token)

    @classmethod
    def client_credentials(
        cls,
        base_url: str,
        api_key: str,
        api_secret: str,
        *,
        source: str = "the API credentials",
        deadline_s: float = EXCHANGE_DEADLINE_S,
        clock: Callable[[], float] = time.monotonic,
        on_token: Callable[[str], None] | None = None,
    ) -> TokenAuth:
        """Exchange ``api_key``/``api_secret`` at ``{base_url}/auth/token`` (lazily)."""
        return cls(
            token_url=f"{base_url}{TOKEN_PATH}",
            api_key=api_key,
            api_secret=api_secret,
            source=source,
            deadline_s=deadline_s,
            clock=clock,
            on_token=on_token,
        )

    @property
    def exchanges(self) -> bool:
        """True when tokens come from the client-credentials exchange."""
        return self._static is None

    def client_credentials_pair(self) -> tuple[str, str] | None:
        """The API key and secret, to hand to a child process that exchanges itself."""
        if self._key is None or self._secret is None:
            return None
        return self._key, self._secret

    def token(self, *, deadline_s: float | None = None) -> str:
        """A token valid for at least :data:`REFRESH_MARGIN_S` more seconds (best effort)."""
        if self._static is not None:
            return self._static
        with self._lock:
            if self._token is None or self._clock() >= self._expires_at - REFRESH_MARGIN_S:
                token, lifetime = self._exchange(deadline_s or self.deadline_s)
                self._token, self._expires_at = token, self._clock() + lifetime
                if self._on_token is not None:
                    self._on_token(token)
            return self._token

    def invalidate(self) -> None:
        """Forget the cached token (after a 401 the next call exchanges again)."""
        with self._lock:
            self._token = None

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self.token()}"
        response = yield request
        if response.status_code == 401 and self.exchanges:
            self.invalidate()
            request.headers["Authorization"] = f"Bearer {self.token()}"
            yield request

    def _exchange(self, deadline_s: float) -> tuple[str, float]:
        assert self._token_url is not None
        assert self._key is not None
        assert self._secret is not None
        response = fetch(
            "POST",
            self._token_url,
            what=f"POST {TOKEN_PATH}",
            deadline_s=deadline_s,
            json={"apiKey": self._key, "apiSecret": self._secret},
        )
        if response.status in (400, 401, 403):
            raise TargetUnavailableError(
                f"the target rejected {self._source} (POST {TOKEN_PATH} answered {response.status})"
            )
        if response.status != 200:
            raise TargetUnavailableError(
                f"POST {TOKEN_PATH} answered {response.status}, expected 200"
            )
        try:
            body = json.loads(response.body)
            token = body["accessToken"]
            lifetime = float(body.get("expiresIn", DEFAULT_LIFETIME_S))
        except (ValueError, KeyError, TypeError, AttributeError):
            raise TargetUnavailableError(f"POST {TOKEN_PATH} answered no accessToken") from None
        if not isinstance(token, str) or not token:
            raise TargetUnavailableError(f"POST {TOKEN_PATH} answered an empty accessToken")
        return token, lifetime


def token_auth(
    profile: TargetProfile,
    environ: Mapping[str, str] | None = None,
    *,
    on_token: Callable[[str], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> TokenAuth:
    """The profile's token source, with its environment variables read now (once)."""
    env = os.environ if environ is None else environ
    token = static_token(profile.credentials, env)
    if token is not None:
        return TokenAuth(token=token)
    creds = profile.credentials
    assert creds.api_key_env is not None  # static_token checked both are set
    assert creds.api_secret_env is not None
    return TokenAuth.client_credentials(
        profile.base_url,
        env[creds.api_key_env],
        env[creds.api_secret_env],
        source=f"the API credentials from ${creds.api_key_env}/${creds.api_secret_env}",
        on_token=on_token,
        clock=clock,
    )
