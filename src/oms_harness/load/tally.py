"""What one generator process measured: latencies per interval and outcomes per reason.

Latencies are buffered as integers per interval and moved into the HDR histograms in bulk
(once a second, and for a report), because five histogram records per request cost about
four times one list append each. Every interval also keeps the corrected latency of each
request kind and its number of errors (the regression comparison and the drift test read
them). Outcomes are counted apart: errors by reason (the target failed to answer) and
contract violations by rule id.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from . import histograms
from .traffic import RequestKind

UNFINISHED = "unfinished at the drain deadline"


class Tally:
    """Histograms, per-interval histograms and outcome counters of one process."""

    def __init__(self, kinds: list[RequestKind], interval_s: float) -> None:
        self.interval_s = interval_s
        self.corrected = histograms.new_histogram()
        self.raw = histograms.new_histogram()
        self.lag = histograms.new_histogram()
        self.kinds = kinds
        self.kind_slot = {k.name: i for i, k in enumerate(kinds)}
        self.intervals: dict[int, tuple[Any, Any, list[Any]]] = {}
        """Interval -> (corrected, raw, corrected of each request kind or None)."""
        # latencies wait here (µs, per interval; corrected also per kind) until flushed
        # into the histograms in bulk
        self.pending: dict[int, tuple[list[int], list[int], list[list[int]]]] = {}
        self.pending_lag: list[int] = []
        """Send lag (µs behind the intended start), appended to by the senders."""
        self.epoch_offset = time.time() - time.monotonic()
        self.failures: Counter[str] = Counter()
        """Errors by reason: transport failures, timeouts, unexpected 5xx, 429s."""
        self.violations: Counter[str] = Counter()
        """Contract violations by rule id (their reasons in ``violation_reasons``)."""
        self.violation_reasons: Counter[str] = Counter()
        self.interval_failures: Counter[int] = Counter()
        """Errors (not contract violations) per interval: the drift test's error rate."""
        self.statuses: Counter[int] = Counter()
        self.kind_counts: dict[str, Counter[str]] = {k.name: Counter() for k in kinds}
        self.completed = 0

    def record(
        self,
        kind: RequestKind,
        status: int,
        reason: str | None,
        corrected: float,
        raw: float,
        rule: str | None,
        done: float,
    ) -> None:
        """One answered request (``done``: its monotonic end time, for its interval)."""
        key = int((done + self.epoch_offset) // self.interval_s)
        slot = self.pending.get(key)
        if slot is None:
            slot = self.pending[key] = ([], [], [[] for _ in self.kinds])
        micros = histograms.to_micros(corrected)
        slot[0].append(micros)
        slot[1].append(histograms.to_micros(raw))
        slot[2][self.kind_slot[kind.name]].append(micros)
        self.completed += 1
        self.statuses[status] += 1
        counts = self.kind_counts[kind.name]
        counts["requests"] += 1
        if reason is not None:
            counts["failures"] += 1
            if rule is None:
                self.failures[reason] += 1
                self.interval_failures[key] += 1
            else:
                self.violations[rule] += 1
                self.violation_reasons[reason] += 1

    def record_unfinished(self, waited: float) -> None:
        """A request still open at the drain deadline: a failure, with a lower bound."""
        histograms.record(self.corrected, waited)
        self.failures[UNFINISHED] += 1

    def flush(self, *, closed_only: bool = False) -> None:
        """Move buffered latencies into the histograms (all, or those of closed intervals)."""
        current = int(time.time() // self.interval_s)
        for key in [k for k in self.pending if not closed_only or k < current]:
            corrected, raw, by_kind = self.pending.pop(key)
            slot = self.intervals.get(key)
            if slot is None:
                slot = self.intervals[key] = (
                    histograms.new_histogram(histograms.INTERVAL_FIGURES),
                    histograms.new_histogram(histograms.INTERVAL_FIGURES),
                    [None] * len(self.kinds),
                )
            histograms.record_many(slot[0], corrected)
            histograms.record_many(slot[1], raw)
            kind_histograms = slot[2]
            for index, values in enumerate(by_kind):
                if values:
                    if kind_histograms[index] is None:
                        kind_histograms[index] = histograms.new_histogram(
                            histograms.INTERVAL_FIGURES
                        )
                    histograms.record_many(kind_histograms[index], values)
            histograms.record_many(self.corrected, corrected)
            histograms.record_many(self.raw, raw)
        histograms.record_many(self.lag, self.pending_lag)
        self.pending_lag.clear()  # in place: the senders hold this list

    def _interval_entry(self, key: int, corrected: Any, raw: Any, kinds: list[Any]) -> list[Any]:
        """One interval on the wire: ``[corrected, raw, errors, {kind: corrected}]`` (see
        ``results.py``); a kind without answers in the interval is left out."""
        failed = self.interval_failures.pop(key, 0)
        by_kind = {
            self.kinds[i].name: histograms.encode(h) for i, h in enumerate(kinds) if h is not None
        }
        return [histograms.encode(corrected), histograms.encode(raw), failed, by_kind]

    def pop_closed_intervals(self) -> dict[str, list[Any]]:
        """Encoded interval histograms (and error counts) whose time is over (sent to the
        master early)."""
        self.flush(closed_only=True)
        current = int(time.time() // self.interval_s)
        closed = {}
        for key in [k for k in self.intervals if k < current]:
            closed[str(key)] = self._interval_entry(key, *self.intervals.pop(key))
        return closed

    def report(self) -> dict[str, Any]:
        """The histograms and counters, encoded for ``results.json`` (after a full flush)."""
        self.flush()
        return {
            "corrected": histograms.encode(self.corrected),
            "raw": histograms.encode(self.raw),
            "lag": histograms.encode(self.lag),
            "intervals": {
                str(key): self._interval_entry(key, *entry) for key, entry in self.intervals.items()
            },
            "completed": self.completed,
            "unfinished": self.failures.get(UNFINISHED, 0),
            "failures": dict(self.failures),
            "contract_violations": dict(self.violations),
            "contract_reasons": dict(self.violation_reasons),
            "statuses": {str(status): n for status, n in self.statuses.items()},
            "kinds": {name: dict(c) for name, c in self.kind_counts.items()},
        }
