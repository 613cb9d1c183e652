"""Exit codes: a promise to every CI script that calls the harness."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """The same meaning for every sub-command (``conformance``, ``load``, ``gate``)."""

    OK = 0
    """Every check held / every SLO met."""
    FAILED = 1
    """At least one contract violation or SLO breach."""
    USAGE = 2
    """Bad flags, a broken profile or spec: fix the invocation."""
    TARGET_UNAVAILABLE = 3
    """The target did not answer, or rejected the configured credentials."""
    RESULT_INVALID = 4
    """The load generator was the bottleneck: the figures cannot be trusted."""
    INTERRUPTED = 130
    """Ctrl-C."""
