"""The tolerances of a regression verdict: the profile's ``[regression]`` table, then flags.

One place for the defaults, their validation and their meaning, so ``load --baseline``,
``compare`` and ``compare --ab`` judge with the same rules.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from ..errors import ProfileError, UsageError

MAX_BASELINE_RUNS = 20
_FLAGS = {"drift_min_duration_s": "--drift-min-duration"}
"""Settings whose flag is not ``--`` and the key with dashes."""


def _flag(key: str) -> str:
    return "--" + key.replace("_", "-")


@dataclass(frozen=True)
class RegressionSettings:
    min_effect_pct: float = 10.0
    """A change smaller than this (percent of the baseline) never fails, however significant."""
    min_effect_ms: float = 1.0
    """... nor a latency change smaller than this many milliseconds."""
    confidence: float = 0.95
    """Confidence level of the intervals."""
    resamples: int = 2000
    """Bootstrap resamples per figure."""
    stall_factor: float = 2.0
    """A unit whose p99 exceeds this many times its run's median per-unit p99 is stalled:
    counted by the stall figure, left out of the others (0: off; see ``stalls.py``)."""
    baseline_runs: int = 1
    """How many runs ``--save-baseline`` keeps under one name, the newest (1: a save replaces
    the baseline); from 3 on, their run-to-run spread widens the intervals (``spread.py``)."""
    drift_pct_per_10min: float = 10.0
    """Drift: the corrected p95 growing by more than this percent of its level per 10 min."""
    drift_error_rate_per_10min: float = 0.01
    """Drift: the error rate growing by more than this (absolute, 0.01 = 1 point) per 10 min."""
    drift_min_duration_s: float = 300.0
    """Runs at least this long (and every soak) get a drift verdict."""
    drift_slo: bool = False
    """Make a detected drift fail the run (exit 1) like a breached SLO."""

    def __post_init__(self) -> None:
        for name in ("min_effect_pct", "min_effect_ms", "drift_pct_per_10min"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise ProfileError(f"regression.{name} must be a non-negative number")
        if not (
            math.isfinite(self.stall_factor) and (self.stall_factor == 0 or self.stall_factor > 1)
        ):
            raise ProfileError("regression.stall_factor must be 0 (off) or above 1")
        if not (math.isfinite(self.drift_error_rate_per_10min)) or not (
            0 <= self.drift_error_rate_per_10min <= 1
        ):
            raise ProfileError("regression.drift_error_rate_per_10min must be from 0 to 1")
        if not 1 <= self.baseline_runs <= MAX_BASELINE_RUNS:
            raise ProfileError(f"regression.baseline_runs must be from 1 to {MAX_BASELINE_RUNS}")
        if not 0.5 <= self.confidence < 1:
            raise ProfileError("regression.confidence must be at least 0.5 and below 1")
        if not 100 <= self.resamples <= 100_000:
            raise ProfileError("regression.resamples must be from 100 to 100000")
        if not (math.isfinite(self.drift_min_duration_s) and self.drift_min_duration_s >= 0):
            raise ProfileError("regression.drift_min_duration_s must be a non-negative number")

    @classmethod
    def from_table(cls, table: Mapping[str, Any] | None) -> RegressionSettings:
        """The profile's ``[regression]`` table (unknown keys and wrong types: exit 2)."""
        known = {f.name: f for f in fields(cls)}
        values: dict[str, Any] = {}
        for key, value in (table or {}).items():
            if key not in known:
                raise ProfileError(
                    f"unknown key regression.{key} (known: {', '.join(sorted(known))})"
                )
            default: Any = known[key].default
            if isinstance(default, bool):
                if not isinstance(value, bool):
                    raise ProfileError(f"regression.{key} must be true or false")
            elif isinstance(value, bool) or not isinstance(value, int | float):
                raise ProfileError(f"regression.{key} must be a number")
            elif isinstance(default, int) and not float(value).is_integer():
                raise ProfileError(f"regression.{key} must be a whole number")
            values[key] = type(default)(value)
        return cls(**values)

    def with_overrides(self, **overrides: Any) -> RegressionSettings:
        """Flags win over the profile (``None`` = not given); a bad flag value is a usage
        error naming the flag, not the profile key."""
        given = {k: v for k, v in overrides.items() if v is not None}
        if not given:
            return self
        try:
            return replace(self, **given)
        except ProfileError as exc:
            text = str(exc)
            for key in given:
                text = text.replace(f"regression.{key}", _FLAGS.get(key, _flag(key)))
            raise UsageError(text) from None

    def to_json(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}
