"""Keep secrets out of everything the harness writes: reports, logs, JUnit, tracebacks.

Two layers, because one is never enough: Authorization values are replaced wherever a
header is rendered (the scheme word stays, it is useful and not secret), and any text can be
swept for the known secret strings and for anything shaped like a JWT (a tampered or
``alg: none`` copy of a valid token still carries its claims).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path

REDACTED = "[redacted]"
"""No markup characters: the marker is written into XML, HTML, JSON and CSV files alike."""
SENSITIVE_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})

_JWT_RE = re.compile(r"eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*")
_AUTH_VALUE_RE = re.compile(
    # no backslash in the value: in JSON text it starts the escaped closing quote
    r"(?i)(\b(?:proxy-)?authorization[\"']?\s*[:=]\s*[\"']?)([^\r\n\"',}\\]*)"
)
_VARIABLE_RE = re.compile(r"\$\{?[A-Za-z_][A-Za-z0-9_]*\}?")
"""``$OMS_TOKEN``: a pasteable curl names the variable, which is no secret."""
MIN_SECRET_LENGTH = 6
"""Shorter values would redact ordinary words; no real token or secret is this short."""


def redact_authorization(value: str) -> str:
    """``"Bearer eyJ..."`` -> ``"Bearer [redacted]"``; keeps an empty credential visible."""
    scheme, _, credential = value.partition(" ")
    if _VARIABLE_RE.fullmatch(credential.strip()):
        return value
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
            {s for s in secrets if s and len(s) >= MIN_SECRET_LENGTH}, key=len, reverse=True
        )

    def add(self, secret: str | None) -> None:
        if secret and len(secret) >= MIN_SECRET_LENGTH and secret not in self._secrets:
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


FileState = tuple[int, int, int, int]
"""Inode, size, mtime and ctime (ns): any write through any path changes one of them."""


def _state(path: Path) -> FileState | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def files_under(*roots: Path | None) -> list[Path]:
    """Regular files under ``roots`` (files or directories), symlinks and missing roots skipped."""
    found: list[Path] = []
    for root in roots:
        if root is None or not root.exists():
            continue
        if root.is_file():
            found.append(root)
        else:
            found += sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink())
    return found


def snapshot(*roots: Path | None) -> dict[Path, FileState]:
    """The state of every file under ``roots`` (files or directories; missing ones are empty).

    Sweeps compare against it so they touch only what a run wrote: a user's own file kept
    beside the outputs (a profile holding a token, notes) is never rewritten.
    """
    states = {path: _state(path) for path in files_under(*roots)}
    return {path: state for path, state in states.items() if state is not None}


def written_since(
    before: Mapping[Path, FileState], *roots: Path | None, exclude: Collection[Path] = ()
) -> list[Path]:
    """Files under ``roots`` that are new or changed since ``before``, minus ``exclude``."""
    excluded = {p.resolve() for p in exclude}
    written = []
    for path in files_under(*roots):
        state = _state(path)
        if state is None or before.get(path) == state or path.resolve() in excluded:
            continue
        written.append(path)
    return written
