"""Output paths checked before any request: a run must not fail at the end for a bad path."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .errors import UsageError


@dataclass(frozen=True)
class OutputPath:
    path: Path
    flag: str
    directory: bool
    """A directory (created if absent), else a file (its directory created if absent)."""


def _nearest_existing(path: Path) -> Path:
    current = path
    while not current.exists() and current != current.parent:
        current = current.parent
    return current


def check_output(output: OutputPath) -> None:
    """Refuse a path this run could not write (one line, exit 2); leaves nothing behind."""
    path, flag = output.path, output.flag
    if output.directory:
        if path.exists() and not path.is_dir():
            raise UsageError(f"{flag} {path}: exists and is not a directory")
        parent = path if path.exists() else _nearest_existing(path)
    else:
        if path.is_dir():
            raise UsageError(f"{flag} {path}: is a directory, a file is expected")
        if path.exists() and not os.access(path, os.W_OK):
            raise UsageError(f"{flag} {path}: not writable")
        parent = _nearest_existing(path.parent)
    if not parent.is_dir():
        raise UsageError(f"{flag} {path}: {parent} is not a directory")
    if not _can_create_in(parent):
        raise UsageError(f"{flag} {path}: not writable")


def _can_create_in(directory: Path) -> bool:
    """Try it: permission bits say nothing for root or on a read-only file system."""
    try:
        handle, name = tempfile.mkstemp(prefix=".oms-harness-probe-", dir=directory)
    except OSError:
        return False
    os.close(handle)
    with contextlib.suppress(OSError):
        os.unlink(name)
    return True


def check_outputs(outputs: Iterable[OutputPath]) -> None:
    for output in outputs:
        check_output(output)
