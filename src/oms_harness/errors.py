"""Errors that end a command with one clear line and a distinct exit code (no traceback)."""

from __future__ import annotations

from .exit_codes import ExitCode


class HarnessError(Exception):
    """Base: carries the exit code the CLI turns it into."""

    exit_code: ExitCode = ExitCode.USAGE


class UsageError(HarnessError):
    """Bad flags or arguments."""


class ProfileError(HarnessError):
    """The target profile is missing, unparsable or inconsistent."""


class TargetUnavailableError(HarnessError):
    """The target cannot be reached, or rejects the configured credentials."""

    exit_code = ExitCode.TARGET_UNAVAILABLE
