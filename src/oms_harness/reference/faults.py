"""Fault injection for load work: added latency, provider failures, a periodic stall.

All off by default. Random draws come from one seeded :class:`random.Random`, so a run
with ``--fault-seed`` is reproducible request by request. The stall blocks the event loop
itself (``time.sleep``), so the whole server pauses, accepted connections included,
exactly as a GC pause or a stuck worker would.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from dataclasses import dataclass

from .. import durations
from ..errors import UsageError

MAX_LATENCY_SECONDS = 60.0
MAX_STALL_SECONDS = 30.0


def parse_duration(text: str, what: str = "duration") -> float:
    """A fault's duration (zero allowed): the harness's one grammar, see :mod:`..durations`."""
    return durations.parse_duration(text, what, allow_zero=True)


@dataclass(frozen=True)
class Latency:
    """A latency distribution; :meth:`sample` draws one delay in seconds."""

    kind: str  # fixed | uniform | exp | lognormal
    first: float
    second: float = 0.0

    def sample(self, rng: random.Random) -> float:
        if self.kind == "fixed":
            delay = self.first
        elif self.kind == "uniform":
            delay = rng.uniform(self.first, self.second)
        elif self.kind == "exp":
            delay = rng.expovariate(1 / self.first) if self.first > 0 else 0.0
        else:  # lognormal: median ``first``, sigma ``second``
            delay = rng.lognormvariate(math.log(self.first), self.second)
        return min(delay, MAX_LATENCY_SECONDS)


def parse_latency(text: str) -> Latency:
    """``20ms``, ``0.5s``, ``uniform:10ms:30ms``, ``exp:20ms``, ``lognormal:20ms:0.5``."""
    parts = text.split(":")
    what = f"--latency {text!r}"
    try:
        if len(parts) == 1:
            latency = Latency("fixed", parse_duration(parts[0], "--latency"))
        elif parts[0] == "uniform" and len(parts) == 3:
            low, high = parse_duration(parts[1], what), parse_duration(parts[2], what)
            if low > high:
                raise UsageError(f"{what}: the lower bound exceeds the upper bound")
            latency = Latency("uniform", low, high)
        elif parts[0] == "exp" and len(parts) == 2:
            latency = Latency("exp", parse_duration(parts[1], what))
        elif parts[0] == "lognormal" and len(parts) == 3:
            sigma = float(parts[2])
            if not math.isfinite(sigma) or sigma < 0:
                raise UsageError(f"{what}: sigma must be a non-negative number")
            median = parse_duration(parts[1], what)
            if median <= 0:
                raise UsageError(f"{what}: the median must be positive")
            latency = Latency("lognormal", median, sigma)
        else:
            raise UsageError(
                f"{what}: expected 20ms, 0.5s, uniform:10ms:30ms, exp:20ms or lognormal:20ms:0.5"
            )
    except ValueError:
        raise UsageError(f"{what}: sigma must be a number") from None
    if max(latency.first, latency.second if latency.kind == "uniform" else 0) > MAX_LATENCY_SECONDS:
        raise UsageError(f"{what}: at most {MAX_LATENCY_SECONDS:g}s")
    return latency


def parse_rate(text: str, flag: str) -> float:
    """A probability in [0, 1]."""
    try:
        value = float(text)
    except ValueError:
        raise UsageError(f"{flag} {text!r}: expected a probability between 0 and 1") from None
    if not 0.0 <= value <= 1.0:
        raise UsageError(f"{flag} {text!r}: expected a probability between 0 and 1")
    return value


@dataclass(frozen=True)
class FaultConfig:
    """The fault flags of ``serve``, validated."""

    latency: Latency | None = None
    provider_error_rate: float = 0.0
    provider_unreachable_rate: float = 0.0
    stall: float | None = None
    stall_every: float | None = None
    seed: int | None = None

    def __post_init__(self) -> None:
        if self.provider_error_rate + self.provider_unreachable_rate > 1.0:
            raise UsageError("--provider-error-rate plus --provider-unreachable-rate exceed 1")
        if (self.stall is None) != (self.stall_every is None):
            raise UsageError("--stall and --stall-every go together")
        if self.stall is not None and self.stall_every is not None:
            if not 0 < self.stall <= MAX_STALL_SECONDS:
                raise UsageError(f"--stall must be above 0 and at most {MAX_STALL_SECONDS:g}s")
            if self.stall_every <= self.stall:
                raise UsageError("--stall-every must be longer than --stall")

    @property
    def enabled(self) -> bool:
        return (
            self.latency is not None
            or self.provider_error_rate > 0
            or self.provider_unreachable_rate > 0
            or self.stall is not None
        )


class Faults:
    """The per-process fault state: one seeded generator, draws in request order."""

    def __init__(self, config: FaultConfig) -> None:
        self.config = config
        self._rng = random.Random(config.seed)
        self._outage_rate = config.provider_error_rate + config.provider_unreachable_rate
        self.stalls = 0

    def delay(self) -> float:
        """Seconds to add to this request (0 when no latency was asked for)."""
        latency = self.config.latency
        return latency.sample(self._rng) if latency is not None else 0.0

    def provider_outcome(self) -> int | None:
        """502 or 503 when this good request should fail at the provider, else None."""
        if self._outage_rate == 0:
            return None
        draw = self._rng.random()
        if draw < self.config.provider_error_rate:
            return 502
        if draw < self._outage_rate:
            return 503
        return None

    async def stall_forever(self) -> None:
        """Every ``stall_every`` seconds, block the whole event loop for ``stall`` seconds."""
        stall, every = self.config.stall, self.config.stall_every
        if stall is None or every is None:
            return
        while True:
            await asyncio.sleep(every - stall)
            time.sleep(stall)  # blocks the loop on purpose: the whole server pauses
            self.stalls += 1
