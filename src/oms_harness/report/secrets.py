"""Keep credentials out of everything the gate writes.

Each writer redacts what it writes, and the gate ends with a sweep over every file it
produced: a credential found there is replaced in place and reported as a harness bug,
so a leak in any component cannot reach a CI artifact silently. "Produced" is exact: the
report directory is snapshotted before the run, and only files that are new or changed
since are touched (a user's own file kept there, such as a profile, never is). Content
embedded base64-encoded in the single-file HTML is decoded and searched too; it cannot be
edited in place, so a leak there is reported for the caller to act on.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from ..profile import TargetProfile
from ..redaction import MIN_SECRET_LENGTH, REDACTED, Redactor, files_under
from ..run_secrets import RunSecrets
from .embedded import embedded_files

SWEEP_REPLACEMENT = REDACTED
"""No markup characters: the sweep edits HTML, XML, JSON and CSV files in place."""


@dataclass(frozen=True)
class Secrets:
    """The credential values of one run (never printed: ``__repr__`` hides them)."""

    values: frozenset[str] = frozenset()

    def __repr__(self) -> str:
        return f"Secrets(<{len(self.values)} redacted>)"

    def with_value(self, value: str | None) -> Secrets:
        if not value or len(value) < MIN_SECRET_LENGTH:
            return self
        return Secrets(self.values | {value})

    def scrub(self, text: str) -> str:
        """``text`` without the credentials, JWT-shaped strings or Authorization values."""
        return Redactor(self.values)(text)

    def found_in(self, text: str) -> bool:
        return any(value in text for value in self.values)


def profile_secrets(profile: TargetProfile, environ: Mapping[str, str] | None = None) -> Secrets:
    """Every credential a profile can put in play (see :class:`~oms_harness.run_secrets.RunSecrets`,
    the one collection; a command uses its target's, which also holds minted tokens)."""
    env = os.environ if environ is None else environ
    return Secrets(RunSecrets.from_profile(profile, env).values())


def sweep(paths: Iterable[Path], secrets: Secrets) -> list[Path]:
    """Redact credentials in place in every file under ``paths``; return the files fixed.

    Binary files are compared as bytes (UTF-8 encoded secrets), so a PNG or a zip that
    somehow embeds a token is caught too.
    """
    if not secrets.values:
        return []
    needles = [(v.encode(), SWEEP_REPLACEMENT.encode()) for v in secrets.values]
    fixed: list[Path] = []
    for root in paths:
        for path in files_under(root):
            data = path.read_bytes()
            if not any(needle in data for needle, _ in needles):
                continue
            for needle, replacement in sorted(needles, key=lambda n: len(n[0]), reverse=True):
                data = data.replace(needle, replacement)
            path.write_bytes(data)
            fixed.append(path)
    return fixed


def embedded_leaks(paths: Iterable[Path], secrets: Secrets) -> list[tuple[Path, str]]:
    """``(file, embedded name)`` for every credential inside a single-file report's
    base64-embedded files: these cannot be redacted in place."""
    if not secrets.values:
        return []
    needles = [v.encode() for v in secrets.values]
    found = []
    for path in paths:
        if path.suffix != ".html":
            continue
        try:
            data = path.read_bytes()
        except OSError:
            continue
        for name, content in embedded_files(data):
            if any(needle in content for needle in needles):
                found.append((path, name))
    return found
