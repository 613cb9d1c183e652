"""Guard rails: no accidental load on production, and every run bounded in time and requests.

A load run is the one harness action that can hurt a shared system, so the defaults are
strict and each limit is lifted only by an explicit flag.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from .. import durations
from ..errors import UsageError

MAX_RATE_RPS = 1000.0
MAX_DURATION_S = 3600.0
MAX_USERS = 5000
PROCESSES_PER_CORE = 2
"""Generator processes per CPU core before ``--max-processes`` must raise the cap: one gevent
process saturates one core, so more than this only adds contention (and forks)."""


def default_max_processes() -> int:
    return PROCESSES_PER_CORE * (os.cpu_count() or 1)


@dataclass(frozen=True)
class Limits:
    """Caps in force for one run (raised with ``--max-rate`` / ``--max-duration``)."""

    max_rate: float = MAX_RATE_RPS
    max_duration: float = MAX_DURATION_S
    max_users: int = MAX_USERS
    max_processes: int = field(default_factory=default_max_processes)


def check_bounds(*, peak_rps: float, duration: float, users: int, limits: Limits) -> None:
    """Every run is bounded; exceeding a cap is a usage error naming the flag that lifts it."""
    if peak_rps <= 0:
        raise UsageError(f"rate must be positive, got {peak_rps:g}")
    if duration <= 0:
        raise UsageError(f"duration must be positive, got {duration:g}s")
    if peak_rps > limits.max_rate:
        raise UsageError(
            f"rate {peak_rps:g} req/s exceeds the cap of {limits.max_rate:g}; "
            "raise it with --max-rate"
        )
    if duration > limits.max_duration:
        raise UsageError(
            f"duration {duration:g}s exceeds the cap of {limits.max_duration:g}s; "
            "raise it with --max-duration"
        )
    if users < 1 or users > limits.max_users:
        raise UsageError(f"users must be between 1 and {limits.max_users}, got {users}")


def check_processes(processes: int, limits: Limits) -> None:
    """Generator processes on this machine: at least 1, at most the cap."""
    if processes < 1:
        raise UsageError(f"--processes must be at least 1, got {processes}")
    if processes > limits.max_processes:
        raise UsageError(
            f"--processes {processes} exceeds the cap of {limits.max_processes} "
            f"({PROCESSES_PER_CORE} per CPU core, {os.cpu_count() or 1} here); "
            "raise it with --max-processes"
        )


def parse_duration(text: str, what: str = "duration") -> float:
    """A positive load duration: the harness's one grammar, see :mod:`..durations`."""
    return durations.parse_duration(text, what)
