"""Keep secrets out of everything the harness writes: reports, logs, JUnit, tracebacks.

Two layers, because one is never enough: Authorization values are replaced wherever a
header is rendered (the scheme word stays, it is useful and not secret), and any text can be
swept for the known secret strings and for anything shaped like a JWT (a tampered or
``alg: none`` copy of a valid token still carries its claims).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path

REDACTED = "[redacted]"
"""No markup characters: the marker is written into XML, HTML, JSON and CSV files alike."""
SENSITIVE_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})

_JWT_RE = re.compile(r"eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*")
_AUTH_VALUE_RE = re.compile(
    r"(?i)(\b(?:proxy-)?authorization[\"']?\s*[:=]\s*[\"']?)([^\r\n\"',}]*)"
)
_MIN_SECRET_LENGTH = 6


def redact_authorization(value: str) -> str:
    """``"Bearer eyJ..."`` -> ``"Bearer [redacted]"``; keeps an empty credential visible."""
    scheme, _, credential = value.partition(" ")
    if not credential.strip():
        # "Bearer" / "Bearer " carry no secret; a lone token (no scheme) is all secret.
        return value if scheme.lower() in {"bearer", "basic", "token", ""} else REDACTED
    return f"{scheme} {REDACTED}"


def redact_headers(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Headers as pairs, with every sensitive value redacted."""
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    return [
        (name, redact_authorization(value) if name.lower() in SENSITIVE_HEADERS else value)
        for name, value in pairs
    ]


class Redactor:
    """Replaces known secrets, JWT-shaped strings and Authorization lines in free text."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        self._secrets = sorted(
            {s for s in secrets if s and len(s) >= _MIN_SECRET_LENGTH}, key=len, reverse=True
        )

    def add(self, secret: str | None) -> None:
        if secret and len(secret) >= _MIN_SECRET_LENGTH and secret not in self._secrets:
            self._secrets = sorted([*self._secrets, secret], key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        text = _JWT_RE.sub(REDACTED, text)
        return _AUTH_VALUE_RE.sub(lambda m: m.group(1) + redact_authorization(m.group(2)), text)

    def file(self, path: Path) -> bool:
        """Redact a text file in place; True when something was replaced."""
        try:
            original = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return False
        cleaned = self(original)
        if cleaned == original:
            return False
        path.write_text(cleaned, encoding="utf-8")
        return True

    def tree(self, root: Path) -> int:
        """Redact every text file under ``root``; the number of files changed."""
        if root.is_file():
            return int(self.file(root))
        return sum(self.file(path) for path in sorted(root.rglob("*")) if path.is_file())
