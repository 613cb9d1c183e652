"""The open-model generator of one Locust process: dispatch on schedule, record what came back.

No sockets and no Locust here: the generator is handed a ``send`` callable (the transport,
see :mod:`.transport`), a ``check`` callable (the response judge), a ``log_request`` callable
(Locust's stats) and a ``should_stop`` callable, so it runs, and is unit-tested, with fakes.
It needs gevent only for its greenlets.

The dispatcher walks the process's share of the arrival schedule and, at each intended
start time, hands the request to a raw greenlet: concurrency grows with the target's latency
up to ``max_in_flight``, like k6's arrival-rate executors. Latency is recorded twice: from
the intended start (corrected for coordinated omission) and from the actual send (raw
service time).
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import gevent
from gevent import getcurrent, spawn_raw
from gevent.event import Event

from ..errors import HarnessError
from . import histograms
from .auth import RefreshingAuth
from .checks import CheckFailure, retry_after_seconds
from .health import CpuSampler
from .schedule import ArrivalSchedule, ProcessTickets
from .traffic import RequestKind, weighted_cycle

START_DELAY_S = 0.1
YIELD_EVERY = 32
UNFINISHED = "unfinished at the drain deadline"
RATE_LIMITED = "rate limited (429 with Retry-After)"
TRANSPORT_ERROR = "transport error: "

log = logging.getLogger("oms_harness.load")


@dataclass(slots=True)
class Answer:
    """What one request got back, as the checks need it."""

    status: int
    body: bytes
    content_type: str | None
    retry_after: str | None = None
    settle: Callable[[str | None], None] | None = None
    """Set by a transport that counts the request in Locust's stats itself (the public
    ``FastHttpUser`` path): called once with the verdict instead of ``log_request``."""
    error: str | None = None
    """A transport failure the transport caught itself (the exception's type name)."""


Send = Callable[[int], Answer]
"""Send the request of kind ``index`` (with the current token) and return its answer."""
Check = Callable[[RequestKind, int, bytes, str | None], CheckFailure | None]
"""The response judge: ``None`` for a correct answer, else why (and the rule it broke)."""
LogRequest = Callable[[str, float, int, str | None], None]
"""Count one request in Locust's stats: (name, response time in ms, length, failure)."""


def _short_reason(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class Generator:
    """One process's share of the schedule, and what it measured."""

    def __init__(
        self,
        *,
        send: Send,
        use_token: Callable[[str], None],
        check: Check,
        log_request: LogRequest,
        close: Callable[[], None],
        kinds: list[RequestKind],
        schedule: ArrivalSchedule,
        index: int,
        count: int,
        max_in_flight: int,
        interval_s: float,
        drain_s: float,
        name: str,
        token: str = "",
        auth: RefreshingAuth | None = None,
        transport: str = "raw",
        transport_warning: str = "",
    ) -> None:
        self.name = name
        self.kinds = kinds
        self.order = weighted_cycle(kinds)
        self.position = (index * 7919) % len(self.order)
        self.send_request = send
        self.use_token = use_token
        self.check = check
        self.log_request = log_request
        self.close_transport = close
        self.transport = transport
        self.transport_warning = transport_warning
        self.auth = auth
        self.token_generation = -1
        self._set_token(auth.token if auth else token, auth.generation if auth else 0)
        self.token_errors = 0
        self.tickets = ProcessTickets(schedule, index, count)
        self.window = schedule.duration
        self.interval_s = interval_s
        self.drain_s = drain_s
        self.max_in_flight = max_in_flight
        self.corrected = histograms.new_histogram()
        self.raw = histograms.new_histogram()
        self.lag = histograms.new_histogram()
        self.intervals: dict[int, tuple[Any, Any]] = {}
        # latencies wait here (µs, per interval) until flushed into the histograms in bulk
        self.pending: dict[int, tuple[list[int], list[int]]] = {}
        self.pending_lag: list[int] = []
        self.epoch_offset = time.time() - time.monotonic()
        self.failures: Counter[str] = Counter()
        """Errors by reason: transport failures, timeouts, unexpected 5xx, 429s."""
        self.violations: Counter[str] = Counter()
        """Contract violations by rule id (their reasons in ``violation_reasons``)."""
        self.violation_reasons: Counter[str] = Counter()
        self.statuses: Counter[int] = Counter()
        self.kind_counts: dict[str, Counter[str]] = {k.name: Counter() for k in kinds}
        self.sent = 0
        self.last_send = 0.0
        self.last_done = 0.0
        self.completed = 0
        self.late_sends = 0
        self.transport_errors = 0
        self.in_flight: dict[Any, tuple[float, int]] = {}
        """Running request greenlets -> (intended start, kind index)."""
        self.slot_free = Event()
        self.waiting_for_slot = False
        self.idle = Event()
        self.peak_in_flight = 0
        self.rate_limited = 0
        self.retry_after_s = 0.0
        self.pause_until = 0.0
        self.t0 = 0.0
        self.t0_epoch = 0.0
        self.cpu_start = 0.0
        self.started = False
        self.finished = False
        self.cpu = CpuSampler()

    # -- the token ----------------------------------------------------------------------------

    def _set_token(self, token: str, generation: int) -> None:
        self.use_token(token)
        self.token_generation = generation

    def _sync_token(self) -> None:
        auth = self.auth
        if auth is not None and auth.generation != self.token_generation:
            self._set_token(auth.token, auth.generation)

    def _refresh_token(self) -> None:
        """Renew the token shortly before it expires (client credentials only)."""
        if self.auth is None:
            return
        try:
            self.auth.poll()
        except HarnessError as exc:  # the exchange failed; the next poll tries again
            self.token_errors += 1
            log.warning("token refresh failed: %s", exc)
        self._sync_token()

    # -- recording ----------------------------------------------------------------------------

    def _record(
        self,
        kind: RequestKind,
        status: int,
        reason: str | None,
        corrected: float,
        raw: float,
        rule: str | None = None,
    ) -> None:
        key = int((self.last_done + self.epoch_offset) // self.interval_s)
        slot = self.pending.get(key)
        if slot is None:
            slot = self.pending[key] = ([], [])
        slot[0].append(histograms.to_micros(corrected))
        slot[1].append(histograms.to_micros(raw))
        self.completed += 1
        self.statuses[status] += 1
        counts = self.kind_counts[kind.name]
        counts["requests"] += 1
        if reason is not None:
            counts["failures"] += 1
            if rule is None:
                self.failures[reason] += 1
            else:
                self.violations[rule] += 1
                self.violation_reasons[reason] += 1

    def flush(self, *, closed_only: bool = False) -> None:
        """Move buffered latencies into the histograms (all, or those of closed intervals)."""
        current = int(time.time() // self.interval_s)
        for key in [k for k in self.pending if not closed_only or k < current]:
            corrected, raw = self.pending.pop(key)
            slot = self.intervals.get(key)
            if slot is None:
                slot = self.intervals[key] = (
                    histograms.new_histogram(histograms.INTERVAL_FIGURES),
                    histograms.new_histogram(histograms.INTERVAL_FIGURES),
                )
            histograms.record_many(slot[0], corrected)
            histograms.record_many(slot[1], raw)
            histograms.record_many(self.corrected, corrected)
            histograms.record_many(self.raw, raw)
        histograms.record_many(self.lag, self.pending_lag)
        self.pending_lag.clear()  # in place: the dispatcher holds this list

    def pop_closed_intervals(self) -> dict[str, list[str]]:
        """Encoded interval histograms whose time is over (sent to the master early)."""
        self.flush(closed_only=True)
        current = int(time.time() // self.interval_s)
        closed = {}
        for key in [k for k in self.intervals if k < current]:
            corrected, raw = self.intervals.pop(key)
            closed[str(key)] = [histograms.encode(corrected), histograms.encode(raw)]
        return closed

    # -- sending ------------------------------------------------------------------------------

    def _exchange(
        self, kind: RequestKind, kind_index: int
    ) -> tuple[Answer | None, str | None, str | None]:
        """One request (retried once after a 401 with client credentials) and its verdict:
        (answer, failure reason, the contract rule it broke)."""
        answer: Answer | None = None
        try:
            for attempt in (0, 1):
                generation = self.token_generation
                answer = self.send_request(kind_index)
                if answer.status != 401 or self.auth is None or attempt:
                    break
                if answer.settle is not None:  # the rejected try is a request of its own
                    answer.settle("401 before the token was exchanged again")
                answer = None
                # client credentials: exchange again (once for every request that saw this
                # token rejected) and retry this request once
                self.auth.after_unauthorized(generation)
                self._sync_token()
            assert answer is not None
            if answer.error is not None:
                self.transport_errors += 1
                return answer, f"{TRANSPORT_ERROR}{answer.error}", None
            if answer.status == 429:
                pause = retry_after_seconds(answer.retry_after)
                self.rate_limited += 1
                self.retry_after_s += pause
                self.pause_until = max(self.pause_until, time.monotonic() + pause)
                return answer, RATE_LIMITED, None
            failure = self.check(kind, answer.status, answer.body, answer.content_type)
            if failure is None:
                return answer, None, None
            return answer, failure.reason, failure.rule
        except gevent.GreenletExit:
            raise
        except HarnessError as exc:
            self.token_errors += 1
            return answer, _short_reason(f"token exchange after a 401 failed: {exc}"), None
        except Exception as exc:  # noqa: BLE001 - every transport failure is a failed request
            self.transport_errors += 1
            return None, f"{TRANSPORT_ERROR}{type(exc).__name__}", None

    def send(self, kind_index: int, intended: float) -> None:
        kind = self.kinds[kind_index]
        sent_at = time.monotonic()
        try:
            answer, reason, rule = self._exchange(kind, kind_index)
        finally:
            in_flight = self.in_flight
            in_flight.pop(getcurrent(), None)
            if self.waiting_for_slot:
                self.slot_free.set()
            if not in_flight:
                self.idle.set()
        done = self.last_done = time.monotonic()
        corrected = done - intended
        status = answer.status if answer else 0
        self._record(kind, status, reason, corrected, done - sent_at, rule)
        if answer is not None and answer.settle is not None:
            answer.settle(reason)
        else:
            self.log_request(kind.name, corrected * 1000, len(answer.body) if answer else 0, reason)

    def dispatch(self, should_stop: Callable[[], bool]) -> None:
        """Walk the schedule: start each request at its intended time (or as soon as possible).

        Each request runs in a raw greenlet (``spawn_raw``: no Greenlet object, no pool
        bookkeeping); ``in_flight`` is the pool.
        """
        if not self.started:
            self.t0 = time.monotonic() + START_DELAY_S
            self.t0_epoch = time.time() + START_DELAY_S
            self.cpu_start = time.process_time()
            self.started = True
            gevent.spawn(self._background)
        burst = 0
        # stop sending halfway through the drain allowance, so what was sent can still finish
        deadline = self.t0 + self.window + self.drain_s / 2
        in_flight, take, order = self.in_flight, self.tickets.take, self.order
        monotonic, lag = time.monotonic, self.pending_lag
        while not should_stop() and monotonic() < deadline:
            offset = take()
            if offset is None:
                break
            intended = self.t0 + offset
            delay = intended - monotonic()
            if delay > 0:
                gevent.sleep(delay)
                burst = 0
            else:
                burst += 1
                if burst >= YIELD_EVERY:
                    gevent.sleep(0)
                    burst = 0
            pause = self.pause_until - monotonic()
            if pause > 0:
                gevent.sleep(pause)
            if len(in_flight) >= self.max_in_flight:
                self.late_sends += 1
                self._wait_for_slot()
            kind_index = order[self.position]
            sent_at = monotonic()
            in_flight[spawn_raw(self.send, kind_index, intended)] = (intended, kind_index)
            if len(in_flight) > self.peak_in_flight:
                self.peak_in_flight = len(in_flight)
            self.sent += 1
            self.last_send = sent_at
            lag.append(histograms.to_micros(sent_at - intended))
            self.position = (self.position + 1) % len(order)
        drained = self.t0 + self.window + self.drain_s
        if in_flight:
            self.idle.clear()
            self.idle.wait(timeout=max(drained - time.monotonic(), 0.0))
        self._abandon_in_flight()

    def _wait_for_slot(self) -> None:
        self.waiting_for_slot = True
        try:
            while len(self.in_flight) >= self.max_in_flight:
                self.slot_free.clear()
                self.slot_free.wait()
        finally:
            self.waiting_for_slot = False

    def _abandon_in_flight(self) -> None:
        """Requests still open at the drain deadline count as failed, with a lower bound."""
        now = time.monotonic()
        for running, (intended, kind_index) in list(self.in_flight.items()):
            histograms.record(self.corrected, now - intended)
            self.failures[UNFINISHED] += 1
            self.log_request(self.kinds[kind_index].name, (now - intended) * 1000, 0, UNFINISHED)
            gevent.kill(running)
        self.in_flight.clear()

    def _background(self) -> None:
        """Once a second: CPU sample, closed intervals into the histograms, token freshness."""
        while not self.finished:
            gevent.sleep(1.0)
            self.cpu.sample()
            self.flush(closed_only=True)
            self._refresh_token()

    # -- reporting ----------------------------------------------------------------------------

    def progress(self) -> dict[str, Any]:
        """Counters so far, for the live progress line (cheap: no histogram encoding)."""
        return {
            "sent": self.sent,
            "completed": self.completed,
            "transport_errors": self.transport_errors,
            "violations": sum(self.violations.values()),
            "failures": sum(self.failures.values()),
        }

    def report(self) -> dict[str, Any]:
        self.flush()
        intervals = {
            str(key): [histograms.encode(c), histograms.encode(r)]
            for key, (c, r) in self.intervals.items()
        }
        auth = self.auth
        return {
            "corrected": histograms.encode(self.corrected),
            "raw": histograms.encode(self.raw),
            "lag": histograms.encode(self.lag),
            "intervals": intervals,
            "planned": self.tickets.planned,
            "sent": self.sent,
            "send_span_s": max(self.last_send - self.t0, 0.0),
            "done_span_s": max(self.last_done - self.t0, 0.0),
            "check_cache": {
                "hits": getattr(self.check, "hits", 0),
                "misses": getattr(self.check, "misses", 0),
            },
            "completed": self.completed,
            "unfinished": self.failures.get(UNFINISHED, 0),
            "late_sends": self.late_sends,
            "max_in_flight": self.peak_in_flight,
            "users": self.max_in_flight,
            "rate_limited": self.rate_limited,
            "retry_after_s": self.retry_after_s,
            "token_refreshes": auth.refreshes if auth else 0,
            "token_reexchanges": auth.reexchanges if auth else 0,
            "token_errors": self.token_errors,
            "transport_errors": self.transport_errors,
            "failures": dict(self.failures),
            "contract_violations": dict(self.violations),
            "contract_reasons": dict(self.violation_reasons),
            "statuses": {str(status): n for status, n in self.statuses.items()},
            "kinds": {name: dict(c) for name, c in self.kind_counts.items()},
            "cpu_samples": self.cpu.samples,
            "cpu_seconds": round(time.process_time() - self.cpu_start, 4) if self.started else 0.0,
            "t0_epoch": self.t0_epoch,
            "transport": self.transport,
            "transport_warning": self.transport_warning,
        }

    def close(self) -> None:
        """The run is over for this process: stop the background loop, close connections."""
        self.finished = True
        self.close_transport()
