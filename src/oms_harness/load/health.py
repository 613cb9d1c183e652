"""Is the load generator itself the bottleneck? If so, the figures prove nothing.

Two signals, each enough to mark a run "generator-bound" (exit 4, never a pass):

* CPU: a Locust process is one gevent thread, so a process near 100% of one core is
  saturated and sends late;
* rate: the planned requests took longer than the planned window to send, so the achieved
  send rate fell short of the target by more than a tolerance (a slow generator, or an
  in-flight cap too small for the target's latency).

A stall of the target with every connection busy delays sends too; its corrected latency is
still right (it includes the wait), and it costs at most the stall's share of the window.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import psutil

CPU_SATURATED_PERCENT = 90.0
"""Mean CPU of one generator process (percent of one core) at which it counts as saturated."""
RATE_TOLERANCE = 0.10
"""The achieved send rate may fall this fraction short of the target."""


class CpuSampler:
    """Samples this process's CPU use (percent of one core); the caller drives the clock."""

    def __init__(self) -> None:
        self._process = psutil.Process()
        self._process.cpu_percent(None)
        self.samples: list[float] = []

    def sample(self) -> float:
        value = float(self._process.cpu_percent(None))
        self.samples.append(round(value, 1))
        return value


@dataclass(frozen=True)
class ProcessHealth:
    """What one generator process reports about itself."""

    cpu_samples: Sequence[float]
    planned: int
    sent: int
    send_span_s: float
    """Seconds from the schedule's start to this process's last send."""
    users: int
    max_in_flight: int
    late_sends: int
    """Sends that waited for a free user (the schedule had to catch up)."""


@dataclass(frozen=True)
class GeneratorHealth:
    target_rps: float
    achieved_rps: float
    window_s: float
    send_span_s: float
    planned: int
    sent: int
    cpu_mean_percent: float | None
    cpu_max_percent: float | None
    in_flight_cap: int
    """Requests allowed in flight at once, over all processes (``--max-in-flight``)."""
    max_in_flight: int
    late_sends: int
    bound: bool
    reasons: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _mean(samples: Sequence[float]) -> float | None:
    # the first sample covers spawning; keep it only if it is all there is
    useful = list(samples[1:]) or list(samples)
    return statistics.fmean(useful) if useful else None


def assess(
    processes: Mapping[str, ProcessHealth],
    *,
    window_s: float,
    cpu_limit: float = CPU_SATURATED_PERCENT,
    tolerance: float = RATE_TOLERANCE,
) -> GeneratorHealth:
    """Combine every process's report into one verdict on the generator."""
    planned = sum(p.planned for p in processes.values())
    sent = sum(p.sent for p in processes.values())
    span = max([window_s, *(p.send_span_s for p in processes.values())])
    target = planned / window_s if window_s > 0 else 0.0
    achieved = sent / span if span > 0 else 0.0
    late = sum(p.late_sends for p in processes.values())
    users = sum(p.users for p in processes.values())
    means = {name: _mean(p.cpu_samples) for name, p in processes.items()}
    known = [m for m in means.values() if m is not None]
    peaks = [max(p.cpu_samples) for p in processes.values() if p.cpu_samples]
    reasons = [
        f"generator process {name} used {mean:.0f}% of a core on average "
        f"(saturated at {cpu_limit:.0f}%)"
        for name, mean in sorted(means.items())
        if mean is not None and mean >= cpu_limit
    ]
    if not processes:
        reasons.append("no generator process reported any result")
    elif target and achieved < target * (1 - tolerance):
        why = (
            f"; all {users} in-flight slots were busy {late} times: raise --max-in-flight"
            if late
            else ""
        )
        reasons.append(
            f"sent {achieved:.1f} req/s of the {target:.1f} planned "
            f"({1 - achieved / target:.0%} short, tolerance {tolerance:.0%}){why}"
        )
    return GeneratorHealth(
        target_rps=round(target, 3),
        achieved_rps=round(achieved, 3),
        window_s=round(window_s, 3),
        send_span_s=round(span, 3),
        planned=planned,
        sent=sent,
        cpu_mean_percent=round(statistics.fmean(known), 1) if known else None,
        cpu_max_percent=max(peaks) if peaks else None,
        in_flight_cap=users,
        max_in_flight=sum(p.max_in_flight for p in processes.values()),
        late_sends=late,
        bound=bool(reasons),
        reasons=reasons,
    )
