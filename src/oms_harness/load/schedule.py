"""The open-model arrival schedule: when each request is *intended* to start.

Stock Locust is closed-loop: a stalled server stops its users from sending, so the stall
never shows in the figures (coordinated omission). Here requests have fixed intended start
times derived from a rate profile (piecewise-linear stages, like k6's arrival-rate executors),
and latency is measured from that intended time (wrk2's correction). This module is pure: it
only computes offsets in seconds from the schedule's start.

With ``N`` generator processes, process ``k`` takes the global arrivals ``k, k+N, k+2N, ...``,
so the processes interleave into one schedule at the total rate.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Stage:
    """The rate moves linearly from ``start_rps`` to ``end_rps`` over ``seconds``."""

    seconds: float
    start_rps: float
    end_rps: float

    def __post_init__(self) -> None:
        if not (self.seconds > 0 and math.isfinite(self.seconds)):
            raise ValueError(f"stage duration must be positive, got {self.seconds}")
        if min(self.start_rps, self.end_rps) < 0 or not all(
            math.isfinite(r) for r in (self.start_rps, self.end_rps)
        ):
            raise ValueError("stage rates must be finite and non-negative")

    @property
    def arrivals(self) -> float:
        """Expected number of arrivals in the stage (area under the rate)."""
        return (self.start_rps + self.end_rps) / 2 * self.seconds

    def offset_of(self, count: float) -> float:
        """Seconds into the stage at which the cumulative arrivals reach ``count``."""
        slope = (self.end_rps - self.start_rps) / self.seconds
        if abs(slope) < 1e-12:
            return count / self.start_rps
        # start*t + slope/2 * t^2 = count  ->  t = (-start + sqrt(start^2 + 2*slope*count))/slope
        disc = max(self.start_rps**2 + 2 * slope * count, 0.0)
        return (math.sqrt(disc) - self.start_rps) / slope


@dataclass(frozen=True)
class ArrivalSchedule:
    """A sequence of stages; ``offset(n)`` is the intended start of global arrival ``n``."""

    stages: tuple[Stage, ...]

    def __post_init__(self) -> None:
        if not self.stages:
            raise ValueError("a schedule needs at least one stage")
        if self.total_arrivals < 1:
            raise ValueError("the schedule plans no request at all")

    @classmethod
    def constant(cls, rps: float, seconds: float) -> ArrivalSchedule:
        return cls((Stage(seconds, rps, rps),))

    @property
    def duration(self) -> float:
        return sum(stage.seconds for stage in self.stages)

    @functools.cached_property
    def total_arrivals(self) -> int:
        """Arrivals intended inside ``[0, duration)``."""
        return math.floor(sum(stage.arrivals for stage in self.stages) + 1e-9)

    @property
    def peak_rps(self) -> float:
        return max(max(s.start_rps, s.end_rps) for s in self.stages)

    @property
    def mean_rps(self) -> float:
        return self.total_arrivals / self.duration

    def rate_at(self, t: float) -> float:
        """The target rate ``t`` seconds into the schedule (0 outside it)."""
        start = 0.0
        for stage in self.stages:
            if t < start + stage.seconds:
                if t < start:
                    return 0.0
                fraction = (t - start) / stage.seconds
                return stage.start_rps + (stage.end_rps - stage.start_rps) * fraction
            start += stage.seconds
        return 0.0

    def offset(self, n: int) -> float | None:
        """Intended start (seconds) of arrival ``n`` (0-based), None past the schedule's end.

        Arrival ``n`` happens when the cumulative arrivals reach ``n + 1/2``: centring each
        arrival in its slot spreads a constant rate evenly and keeps ramps from zero finite.
        """
        if n < 0 or n >= self.total_arrivals:
            return None
        target = n + 0.5
        elapsed = 0.0
        for stage in self.stages:
            if target <= stage.arrivals + 1e-12:
                return min(elapsed + stage.offset_of(target), elapsed + stage.seconds)
            target -= stage.arrivals
            elapsed += stage.seconds
        return None  # pragma: no cover - excluded by total_arrivals

    def to_json(self) -> list[list[float]]:
        return [[s.seconds, s.start_rps, s.end_rps] for s in self.stages]

    @classmethod
    def from_json(cls, raw: Iterable[Sequence[float]]) -> ArrivalSchedule:
        return cls(tuple(Stage(float(a), float(b), float(c)) for a, b, c in raw))


class ProcessTickets:
    """The share of one generator process: global arrivals ``index, index+count, ...``.

    Not thread-safe and needs no lock: every Locust process is one gevent thread.
    """

    def __init__(self, schedule: ArrivalSchedule, index: int = 0, count: int = 1) -> None:
        if count < 1 or not 0 <= index < count:
            raise ValueError(f"process {index} of {count} is not a valid share")
        self.schedule = schedule
        self._first = index
        self._next = index
        self._step = count
        self.issued = 0

    @property
    def planned(self) -> int:
        """How many arrivals this process owns in total."""
        total = self.schedule.total_arrivals
        return 0 if self._first >= total else (total - 1 - self._first) // self._step + 1

    def take(self) -> float | None:
        """The next intended offset, or None once the process's share is used up."""
        offset = self.schedule.offset(self._next)
        if offset is None:
            return None
        self._next += self._step
        self.issued += 1
        return offset


@dataclass(frozen=True)
class Scenario:
    """A named load shape with its safe defaults."""

    name: str
    rate: float
    seconds: float
    description: str

    def schedule(
        self, rate: float | None = None, seconds: float | None = None, ramp_up: float = 0.0
    ) -> ArrivalSchedule:
        """The arrival schedule at ``rate`` (the peak) for ``seconds``.

        ``ramp_up`` prepends a linear climb from zero to the first stage's rate: the open
        model's counterpart of Locust's spawn rate (the planned window grows by that much).
        """
        shaped = self._stages(
            self.rate if rate is None else rate, self.seconds if seconds is None else seconds
        )
        if ramp_up > 0:
            first = shaped.stages[0].start_rps
            return ArrivalSchedule((Stage(ramp_up, 0.0, first), *shaped.stages))
        return shaped

    def _stages(self, r: float, d: float) -> ArrivalSchedule:
        if self.name == "ramp":
            # up from 10% to the peak over 40%, hold 40%, back down over 20%
            return ArrivalSchedule(
                (
                    Stage(d * 0.4, r * 0.1, r),
                    Stage(d * 0.4, r, r),
                    Stage(d * 0.2, r, r * 0.1),
                )
            )
        if self.name == "spike":
            # a base of 20%, a sudden spike to the peak for 20% of the run, back to base
            return ArrivalSchedule(
                (
                    Stage(d * 0.4, r * 0.2, r * 0.2),
                    Stage(d * 0.2, r, r),
                    Stage(d * 0.4, r * 0.2, r * 0.2),
                )
            )
        return ArrivalSchedule.constant(r, d)


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario("smoke", 50.0, 8.0, "short and gentle: the gate's default"),
        Scenario("steady", 100.0, 60.0, "constant arrival rate"),
        Scenario("ramp", 150.0, 60.0, "rate ramps up, holds, ramps down"),
        Scenario("spike", 200.0, 60.0, "a sudden burst on a low base rate"),
        Scenario("soak", 50.0, 1800.0, "long steady run: leaks, drift, expiring tokens"),
    )
}
