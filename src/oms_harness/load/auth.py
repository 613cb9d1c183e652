"""The generator's bearer token over a whole run: refreshed when it holds client credentials.

A static token is sent as given; the run refuses to start when the token (a JWT) would
expire before the run ends. With ``api_key_env``/``api_secret_env`` the harness hands the key
and secret to the Locust processes through the environment (never a command line or a file),
and each process exchanges them itself with :class:`~oms_harness.credentials.TokenAuth` (the
same token source as the preflight and the suites): again shortly before the token expires,
and once more after a 401 (API-NOTES: on a 401 with client credentials, exchange again and
retry once).

Nothing here imports gevent. Inside Locust, gevent's monkey-patching turns the provider's
``threading.Lock`` and ``httpx`` sockets cooperative, so an exchange blocks only the greenlets
that wait for the token.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import jwt

from ..credentials import TokenAuth
from ..errors import UsageError
from ..target import Target
from .names import KEY_ENV, SECRET_ENV


def client_credentials_env(target: Target) -> dict[str, str]:
    """The key and secret for the generator's own exchanges; empty for a static token."""
    pair = target.auth.client_credentials_pair()
    if pair is None:
        return {}
    return {KEY_ENV: pair[0], SECRET_ENV: pair[1]}


def check_token_lifetime(token: str, run_seconds: float, *, now: float | None = None) -> None:
    """Refuse a run that would outlive its static token (when the token says when it expires).

    An opaque token, or a JWT without ``exp``, cannot be judged and passes.
    """
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return
    expires = claims.get("exp") if isinstance(claims, dict) else None
    if isinstance(expires, bool) or not isinstance(expires, int | float):
        return
    left = float(expires) - (time.time() if now is None else now)
    if left < run_seconds:
        raise UsageError(
            f"the token expires in {max(left, 0):.0f} s but the run may last {run_seconds:.0f} s: "
            "use a fresh token, or api_key_env/api_secret_env so the generator refreshes it"
        )


class RefreshingAuth:
    """The current token of a generator process that holds client credentials.

    ``generation`` counts tokens: a request remembers the generation it was sent with, so
    many requests failing with 401 at once cause one exchange, not one each.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        api_secret: str,
        *,
        timeout: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._provider = TokenAuth.client_credentials(
            base_url, api_key, api_secret, deadline_s=timeout, clock=clock
        )
        self._lock = threading.Lock()
        self.token = self._provider.token()
        self.generation = 0
        self.refreshes = 0
        """Tokens replaced before expiry."""
        self.reexchanges = 0
        """Exchanges forced by a 401."""

    def poll(self) -> bool:
        """Let the provider exchange again when the token nears expiry; True when it changed."""
        token = self._provider.token()
        with self._lock:
            if token == self.token:
                return False
            self.token = token
            self.generation += 1
            self.refreshes += 1
            return True

    def after_unauthorized(self, generation: int) -> None:
        """A request sent with token ``generation`` got a 401: exchange again (once for all)."""
        with self._lock:
            if generation != self.generation:
                return  # already replaced since that request was sent
            self._provider.invalidate()
            self.token = self._provider.token()
            self.generation += 1
            self.reexchanges += 1
