"""The secrets of one run, collected once and used by every writer and the final sweep.

A credential leaks in more than its plain form: percent-encoded in a URL or a curl line,
base64-encoded in a Basic header or a report attachment. Each value is kept with those
forms, so every redactor and the sweep look for all of them. Tokens minted later (a
client-credentials exchange) are added as they are minted.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterable, Mapping
from urllib.parse import quote, quote_plus

from .profile import TargetProfile
from .redaction import MIN_SECRET_LENGTH, Redactor


def encoded_forms(value: str) -> set[str]:
    """``value`` and the encodings it may travel in (URL and base64, padded or not)."""
    raw = value.encode("utf-8")
    forms = {value, quote(value, safe=""), quote_plus(value), quote(value)}
    for encoded in (base64.b64encode(raw), base64.urlsafe_b64encode(raw)):
        text = encoded.decode("ascii")
        forms |= {text, text.rstrip("=")}
    return {form for form in forms if len(form) >= MIN_SECRET_LENGTH}


class RunSecrets:
    """A growing, thread-safe set of secret strings; never printed (see ``__repr__``)."""

    def __init__(self, values: Iterable[str | None] = ()) -> None:
        self._lock = threading.Lock()
        self._values: set[str] = set()
        for value in values:
            self.add(value)

    def __repr__(self) -> str:
        return f"RunSecrets(<{len(self._values)} redacted>)"

    def add(self, value: str | None) -> None:
        if not value or len(value) < MIN_SECRET_LENGTH:
            return
        with self._lock:
            self._values |= encoded_forms(value)

    def add_pair(self, user: str, password: str) -> None:
        """A ``user:password`` pair as Basic auth would carry it (plus each part)."""
        self.add(user)
        self.add(password)
        self.add(f"{user}:{password}")

    def values(self) -> frozenset[str]:
        with self._lock:
            return frozenset(self._values)

    def redactor(self) -> Redactor:
        return Redactor(self.values())

    def scrub(self, text: str) -> str:
        return self.redactor()(text)

    def found_in(self, text: str) -> bool:
        return any(value in text for value in self.values())

    @classmethod
    def from_profile(cls, profile: TargetProfile, environ: Mapping[str, str]) -> RunSecrets:
        """Every credential the profile puts in play: inline tokens, token env, key, secret."""
        creds = profile.credentials
        secrets = cls([creds.token, creds.expired_token, environ.get(creds.token_env)])
        key = environ.get(creds.api_key_env) if creds.api_key_env else None
        secret = environ.get(creds.api_secret_env) if creds.api_secret_env else None
        secrets.add(key)
        secrets.add(secret)
        if key and secret:
            secrets.add_pair(key, secret)
        return secrets
