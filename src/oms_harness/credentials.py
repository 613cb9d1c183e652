"""Bearer tokens for a target: a static token, or a client-credentials exchange kept fresh.

``POST {base_url}/auth/token`` with ``{"apiKey", "apiSecret"}`` answers an access token that
lives ``expiresIn`` seconds; it is exchanged again shortly before it expires. Secrets are
never part of an error message.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping

import httpx

from .errors import ProfileError, TargetUnavailableError
from .profile import TargetProfile, static_token

REFRESH_MARGIN_S = 60.0
"""Exchange again this long before the token's announced expiry."""
DEFAULT_LIFETIME_S = 3600.0


class TokenProvider:
    """The bearer token to send to a target, from the profile's configured source."""

    def __init__(
        self,
        profile: TargetProfile,
        *,
        environ: Mapping[str, str] | None = None,
        timeout: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._profile = profile
        self._environ = os.environ if environ is None else environ
        self._timeout = timeout
        self._clock = clock
        self._static = static_token(profile.credentials, self._environ)
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = threading.Lock()

    @property
    def exchanges(self) -> bool:
        """True when tokens come from the client-credentials exchange."""
        return self._static is None

    def token(self) -> str:
        """A token valid for at least :data:`REFRESH_MARGIN_S` more seconds (best effort)."""
        if self._static is not None:
            return self._static
        with self._lock:
            if self._token is None or self._clock() >= self._expires_at - REFRESH_MARGIN_S:
                self._token, lifetime = self._exchange()
                self._expires_at = self._clock() + lifetime
            return self._token

    def invalidate(self) -> None:
        """Forget the cached token (after a 401 the next call exchanges again)."""
        with self._lock:
            self._token = None

    def _exchange(self) -> tuple[str, float]:
        creds = self._profile.credentials
        key_env, secret_env = creds.api_key_env, creds.api_secret_env
        if not key_env or not secret_env:  # pragma: no cover - static_token ruled this out
            raise ProfileError("no token source configured")
        url = f"{self._profile.base_url}/auth/token"
        payload = {"apiKey": self._environ[key_env], "apiSecret": self._environ[secret_env]}
        try:
            response = httpx.post(url, json=payload, timeout=self._timeout)
        except httpx.HTTPError as exc:
            raise TargetUnavailableError(
                f"cannot reach {url} for a token: {type(exc).__name__}"
            ) from None
        if response.status_code in (400, 401, 403):
            raise TargetUnavailableError(
                f"the target rejected the API credentials from ${key_env}/${secret_env} "
                f"(POST /auth/token answered {response.status_code})"
            )
        if response.status_code != 200:
            raise TargetUnavailableError(
                f"POST /auth/token answered {response.status_code}, expected 200"
            )
        try:
            body = response.json()
            token = body["accessToken"]
            lifetime = float(body.get("expiresIn", DEFAULT_LIFETIME_S))
        except (ValueError, KeyError, TypeError):
            raise TargetUnavailableError("POST /auth/token answered no accessToken") from None
        if not isinstance(token, str) or not token:
            raise TargetUnavailableError("POST /auth/token answered an empty accessToken")
        return token, lifetime
