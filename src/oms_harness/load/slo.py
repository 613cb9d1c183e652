"""Service-level objectives and their verdicts: measured figures in, pass/fail rows out.

Latency SLOs are judged on the *corrected* percentiles (from the intended start): that is the
latency a client with a steady arrival rate experiences. Order of precedence: command-line
flags, then the profile's ``[slo]`` table, then the defaults below (sized for the local
reference on a busy 2-core machine, so a clean run passes with room and a real regression
does not).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from ..errors import ProfileError, UsageError

DEFAULT_SLOS: Mapping[str, float] = {
    "p95_ms": 250.0,
    "p99_ms": 500.0,
    "error_rate": 0.01,
    "contract_violations": 0.0,
}
"""``contract_violations`` is a count: by default any answer under load that breaks a
contract rule fails the load verdict (the verdict names the rule ids)."""
DEFAULT_MIN_RPS_FRACTION = 0.8
"""Without an explicit ``min_rps`` the target must serve 80% of the planned mean rate."""

UNITS = {
    "p95_ms": "ms",
    "p99_ms": "ms",
    "error_rate": "fraction",
    "min_rps": "req/s",
    "contract_violations": "violations",
}
UPPER_BOUNDS = frozenset({"p95_ms", "p99_ms", "error_rate", "contract_violations"})
ORDER = ("p95_ms", "p99_ms", "error_rate", "contract_violations", "min_rps")


@dataclass(frozen=True)
class SloVerdict:
    """One SLO row: ``measured`` against ``limit`` (an upper bound, or a lower one for rps)."""

    name: str
    limit: float
    measured: float | None
    passed: bool
    unit: str
    detail: str = ""
    """What the figure is made of, when a number alone does not say (rule ids and counts)."""

    @property
    def is_upper_bound(self) -> bool:
        return self.name in UPPER_BOUNDS

    def describe(self) -> str:
        """One line: what, measured vs limit, and by how much it missed."""
        comparator = "<=" if self.is_upper_bound else ">="
        if self.measured is None:
            return f"{self.name}: not measured (no responses), limit {comparator} {self.limit:g}"
        text = f"{self.name}: {self.measured:.4g} {comparator} {self.limit:g} {self.unit}"
        if self.passed:
            return text + ": met"
        miss = self.measured - self.limit if self.is_upper_bound else self.limit - self.measured
        detail = f" ({self.detail})" if self.detail else ""
        return text + f": BREACHED by {miss:.4g} {self.unit}{detail}"

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "description": self.describe()}


def resolve(
    profile_slo: Mapping[str, float],
    overrides: Mapping[str, float | None] | None,
    target_rps: float,
) -> dict[str, float]:
    """The SLO limits in force for a run."""
    limits = dict(DEFAULT_SLOS)
    limits["min_rps"] = round(target_rps * DEFAULT_MIN_RPS_FRACTION, 3)
    for key, value in profile_slo.items():
        problem = _problem(key, value)
        if problem:
            raise ProfileError(f"profile: slo.{key} {problem}")
        limits[key] = float(value)
    for name, override in (overrides or {}).items():
        if override is None:
            continue
        problem = _problem(name, override)
        if problem:
            raise UsageError(f"--slo-{name.replace('_', '-')} {problem}")
        limits[name] = float(override)
    return limits


def _problem(key: str, value: object) -> str | None:
    """Why ``value`` cannot be the limit ``key`` (None when it can)."""
    if key not in UNITS:
        return f"is not a known SLO (known: {', '.join(UNITS)})"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"must be a number, got {value!r}"
    if not math.isfinite(value) or value < 0:
        return f"must be a non-negative number, got {value:g}"
    if UNITS[key] == "fraction" and value > 1:
        return f"is a fraction from 0 to 1, got {value:g}"
    if UNITS[key] == "violations" and value != int(value):
        return f"is a count, got {value:g}"
    return None


def evaluate(
    limits: Mapping[str, float],
    measured: Mapping[str, float | None],
    details: Mapping[str, str] | None = None,
) -> list[SloVerdict]:
    """Judge each limit; an unmeasurable figure (no responses at all) is a breach."""
    verdicts = []
    for name in ORDER:
        if name not in limits:
            continue
        limit = limits[name]
        value = measured.get(name)
        if value is None:
            passed = False
        elif name in UPPER_BOUNDS:
            passed = value <= limit
        else:
            passed = value >= limit
        detail = (details or {}).get(name, "")
        verdicts.append(SloVerdict(name, limit, value, passed, UNITS[name], detail))
    return verdicts
