"""A stored load run as the statistics need it: per-interval histograms and its identity.

A run directory (``reports/load/<scenario>-<stamp>/``) or a baseline directory holds
``results.json`` (per-interval corrected HDR histograms, overall and per request kind,
failures, process start times),
``summary.json`` (plan, scenario, target, versions) and ``plan.json`` (the request mix).
Only intervals that lie wholly inside the planned window, and inside a stage with a
non-zero rate (interleaved runs are idle half the time), are measured.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import numpy.typing as npt

from ..errors import UsageError
from ..load import histograms
from ..load.results import RESULTS_FILE
from ..load.schedule import ArrivalSchedule
from ..load.summary import SUMMARY_FILE

PLAN_FILE = "plan.json"
META_FILE = "baseline.json"
"""Written by ``--save-baseline``: versions, target kind and machine facts."""
EARLIER_DIR = "earlier"
"""A baseline's earlier runs (``--baseline-runs K``), one directory each, newest last by name."""
EDGE_S = 0.01
"""An interval that starts this little before the schedule (timer granularity) is inside."""
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})


class RunUnreadableError(UsageError):
    """Not a load run directory, or one written by a harness without interval histograms."""


@dataclass(frozen=True)
class Interval:
    number: int
    """Absolute interval number (epoch seconds // interval length)."""
    counts: npt.NDArray[np.int64]
    """The corrected latency histogram's counts array (HDR bucket layout)."""
    completed: int
    failures: int
    p95_ms: float | None


@dataclass(frozen=True)
class StoredRun:
    path: Path
    label: str
    summary: Mapping[str, Any]
    results: Mapping[str, Any]
    kinds: Sequence[Mapping[str, Any]]
    meta: Mapping[str, Any]
    earlier: tuple[StoredRun, ...] = ()
    """A baseline's earlier runs, newest first (``--baseline-runs``; see ``spread.py``)."""

    @property
    def runs(self) -> tuple[StoredRun, ...]:
        """This run and its earlier ones: every run of a baseline, newest first."""
        return (self, *self.earlier)

    @property
    def scenario(self) -> str:
        return str(self.summary.get("scenario", "?"))

    @property
    def schedule(self) -> ArrivalSchedule:
        return ArrivalSchedule.from_json(self.results["schedule"])

    @property
    def interval_s(self) -> float:
        return float(self.results.get("interval_s", 1.0))

    @property
    def start_epoch(self) -> float:
        starts = [
            float(p["t0_epoch"])
            for p in self.results.get("processes", {}).values()
            if p.get("t0_epoch")
        ]
        if not starts:
            raise RunUnreadableError(f"{self.path}: no generator process reported a start time")
        return min(starts)

    @property
    def target_kind(self) -> str:
        """``loopback`` or ``remote``: a local server and a deployed one never compare."""
        return target_kind(str(self.summary.get("target", {}).get("base_url", "")))

    @property
    def mix(self) -> dict[str, float]:
        """Request kind -> weight, as planned."""
        return {str(k["name"]): float(k.get("weight", 0.0)) for k in self.kinds}

    @functools.cached_property
    def _measured_rows(self) -> tuple[Mapping[str, Any], ...]:
        """The ``results.json`` interval rows that count, in time order."""
        rows = self.results.get("intervals", [])
        if rows and not all("corrected_hdr" in row for row in rows):
            raise RunUnreadableError(
                f"{self.path}: results.json has no per-interval histograms "
                "(written by an older harness); re-run it"
            )
        step = self.interval_s
        start = self.start_epoch
        schedule = self.schedule
        measured = []
        for row in sorted(rows, key=lambda r: int(r["interval"])):
            begin = int(row["interval"]) * step - start  # seconds into the schedule
            if begin < -EDGE_S or begin + step > schedule.duration + EDGE_S:
                continue
            if not _active(schedule, max(begin, 0.0), begin + step):
                continue
            measured.append(row)
        return tuple(measured)

    @functools.cached_property
    def intervals(self) -> tuple[Interval, ...]:
        """The measured intervals, in time order (every request kind together)."""
        return tuple(
            _interval(row, row["corrected_hdr"], failures=int(row.get("failures", 0)))
            for row in self._measured_rows
        )

    @property
    def measured_kinds(self) -> tuple[str, ...]:
        """Request kinds with per-interval histograms (runs before them have none)."""
        rows = self._measured_rows
        if not rows or not all("kinds_hdr" in row for row in rows):
            return ()
        return tuple(sorted({name for row in rows for name in row["kinds_hdr"]}))

    def kind_intervals(self, kind: str) -> tuple[Interval, ...]:
        """The measured intervals of one request kind (an interval without its answers
        counts as empty: the same intervals, hence the same blocks, as :attr:`intervals`)."""
        cached = self._kind_cache.get(kind)
        if cached is None:
            cached = self._kind_cache[kind] = tuple(
                _interval(row, row["kinds_hdr"].get(kind)) for row in self._measured_rows
            )
        return cached

    @functools.cached_property
    def _kind_cache(self) -> dict[str, tuple[Interval, ...]]:
        return {}


def _interval(row: Mapping[str, Any], encoded: str | None, failures: int = 0) -> Interval:
    """One measured interval from its encoded corrected histogram (None: no answers)."""
    hist = (
        histograms.decode(encoded)
        if encoded
        else histograms.new_histogram(histograms.INTERVAL_FIGURES)
    )
    counts = np.ctypeslib.as_array(hist.counts)[: hist.counts_len].astype(np.int64)
    total = int(hist.get_total_count())
    p95 = hist.get_value_at_percentile(95.0) / 1000 if total else None
    return Interval(
        number=int(row["interval"]),
        counts=counts,
        completed=total,
        failures=failures,
        p95_ms=p95,
    )


def _active(schedule: ArrivalSchedule, begin: float, end: float) -> bool:
    """Whether the rate is above zero throughout ``[begin, end)`` (sampled finely)."""
    points = 8
    return all(
        schedule.rate_at(begin + (end - begin) * (i + 0.5) / points) > 0 for i in range(points)
    )


@functools.cache
def bucket_values_ms(counts_len: int) -> npt.NDArray[np.float64]:
    """The value (ms) each HDR bucket stands for, as ``get_value_at_percentile`` reports it."""
    hist = histograms.new_histogram(histograms.INTERVAL_FIGURES)
    if hist.counts_len != counts_len:
        raise RunUnreadableError(
            f"per-interval histograms have {counts_len} buckets, expected {hist.counts_len}"
        )
    values = [
        hist.get_highest_equivalent_value(hist.get_value_from_index(i)) / 1000
        for i in range(counts_len)
    ]
    return np.asarray(values, dtype=np.float64)


def counts_percentile(counts: npt.NDArray[Any], level: float) -> float | None:
    """The ``level`` percentile (ms) of one unit's HDR counts, counted as the pooled figures
    count it (None: no answers)."""
    total = float(counts.sum())
    if total <= 0:
        return None
    wanted = max(math.floor(level / 100 * total + 0.5), 1)
    index = int(np.argmax(np.cumsum(counts) >= wanted))
    return float(bucket_values_ms(int(counts.size))[index])


def target_kind(base_url: str) -> str:
    host = (urlsplit(base_url).hostname or "").lower()
    if host in LOOPBACK_NAMES or host == "::1" or host.startswith("127."):
        return "loopback"
    return "remote" if host else "unknown"


def read_run(path: Path, label: str | None = None) -> StoredRun:
    """A run or baseline directory (exit 2 with the reason when it is not one)."""
    if not path.is_dir():
        raise RunUnreadableError(f"{path}: not a directory")
    try:
        results = json.loads((path / RESULTS_FILE).read_text(encoding="utf-8"))
        summary = json.loads((path / SUMMARY_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise RunUnreadableError(
            f"{path}: not a load run ({Path(str(exc.filename)).name} is missing)"
        ) from None
    except (OSError, ValueError) as exc:
        raise RunUnreadableError(f"{path}: unreadable run: {exc}") from None
    try:
        plan = json.loads((path / PLAN_FILE).read_text(encoding="utf-8"))
        kinds = list(plan.get("kinds", []))
    except (OSError, ValueError):
        kinds = [{"name": name, "weight": math.nan} for name in summary.get("request_kinds", {})]
    try:
        meta = json.loads((path / META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        meta = {}
    if not isinstance(results, dict) or "schedule" not in results:
        raise RunUnreadableError(f"{path}: results.json holds no schedule")
    name = label or path.name
    earlier_dir = path / EARLIER_DIR
    earlier = (
        tuple(
            read_run(p, label=f"{name} (earlier run {p.name})")
            for p in sorted(earlier_dir.iterdir(), reverse=True)
            if p.is_dir() and not p.name.startswith(".")
        )
        if earlier_dir.is_dir()
        else ()
    )
    return StoredRun(
        path=path,
        label=name,
        summary=summary,
        results=results,
        kinds=kinds,
        meta=meta,
        earlier=earlier,
    )
