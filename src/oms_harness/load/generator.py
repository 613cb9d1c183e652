"""The open-model generator of one Locust process: send on schedule, record what came back.

No sockets and no Locust here: the generator is handed a ``send`` callable (the transport,
see :mod:`.transport`), a ``check`` callable (the response judge), a ``log_request`` callable
(Locust's stats) and a ``should_stop`` callable, so it runs, and is unit-tested, with fakes.
It needs gevent only for its greenlets.

Long-lived sender greenlets (at most ``max_in_flight``; with the fast transport each keeps
one keep-alive connection) take the process's share of the arrival schedule ticket by
ticket: a free sender takes the next intended start, sleeps until it (or sends at once
when it is due) and sends. One sender is always free to watch the next ticket, until the
cap: when the last free one starts a request, another is spawned, so concurrency grows
with the target's latency, like k6's arrival-rate executors, and an on-time send costs no
spawn and no extra switch. Latency is recorded twice: from the intended start (corrected
for coordinated omission: a send that waited for a free sender is still timed from its
ticket) and from the actual send (raw service time).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import gevent
from gevent import getcurrent, spawn_raw
from gevent.event import Event

from ..errors import HarnessError
from .auth import RefreshingAuth
from .checks import CheckFailure, retry_after_seconds
from .health import CpuSampler
from .histograms import to_micros
from .schedule import ArrivalSchedule, ProcessTickets
from .tally import UNFINISHED, Tally
from .traffic import RequestKind, weighted_cycle

START_DELAY_S = 0.1
YIELD_EVERY = 32
RATE_LIMITED = "rate limited (429 with Retry-After)"
TRANSPORT_ERROR = "transport error: "
__all__ = ["RATE_LIMITED", "TRANSPORT_ERROR", "UNFINISHED", "Answer", "Generator"]

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
        fallbacks: Callable[[], int] | None = None,
        start_at: float | None = None,
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
        self.fallbacks = fallbacks
        """How many answers the transport's common-case reader handed to the full parser."""
        self.auth = auth
        self.token_generation = -1
        self._set_token(auth.token if auth else token, auth.generation if auth else 0)
        self.token_errors = 0
        self.tickets = ProcessTickets(schedule, index, count)
        self.planned = self.tickets.planned
        self.window = schedule.duration
        self.drain_s = drain_s
        self.max_in_flight = max_in_flight
        self.tally = Tally(kinds, interval_s)
        self.start_at = start_at
        """Epoch seconds at which the schedule starts (interleaved A/B); None: right away."""
        self.sent = 0
        self.last_send = 0.0
        self.last_done = 0.0
        self.late_sends = 0
        self.transport_errors = 0
        self.in_flight: dict[Any, tuple[float, int]] = {}
        """Senders with a request out -> (its intended start, kind index)."""
        self.senders: set[Any] = set()
        self.free_senders = 0
        """Senders not in a request (waiting for their ticket's time, or about to take one)."""
        self.all_done = Event()
        self.should_stop: Callable[[], bool] = lambda: False
        self.deadline = 0.0
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

    @property
    def corrected(self) -> Any:
        """Latency from the intended start, all intervals flushed so far (HDR histogram)."""
        return self.tally.corrected

    def flush(self, *, closed_only: bool = False) -> None:
        self.tally.flush(closed_only=closed_only)

    def pop_closed_intervals(self) -> dict[str, list[Any]]:
        return self.tally.pop_closed_intervals()

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

    # -- one request --------------------------------------------------------------------------

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

    def send(self, kind_index: int, intended: float, sent_at: float) -> None:
        """Send one request, then record it (latencies, verdict, Locust's stats)."""
        kind = self.kinds[kind_index]
        answer, reason, rule = self._exchange(kind, kind_index)
        done = self.last_done = time.monotonic()
        corrected = done - intended
        status = answer.status if answer else 0
        self.tally.record(kind, status, reason, corrected, done - sent_at, rule, done)
        if answer is not None and answer.settle is not None:
            answer.settle(reason)
        else:
            self.log_request(kind.name, corrected * 1000, len(answer.body) if answer else 0, reason)

    # -- the senders --------------------------------------------------------------------------

    def dispatch(self, should_stop: Callable[[], bool]) -> None:
        """Walk the schedule with the senders, then wait for the drain (see the docstring)."""
        if not self.started:
            delay = START_DELAY_S
            if self.start_at is not None:  # never in the past: a late start shows in t0_epoch
                delay = max(self.start_at - time.time(), START_DELAY_S)
            self.t0 = time.monotonic() + delay
            self.t0_epoch = time.time() + delay
            self.cpu_start = time.process_time()
            self.started = True
            gevent.spawn(self._background)
        self.should_stop = should_stop
        # stop sending halfway through the drain allowance, so what was sent can still finish
        self.deadline = self.t0 + self.window + self.drain_s / 2
        self.all_done.clear()
        self._spawn_sender()
        drained = self.t0 + self.window + self.drain_s
        self.all_done.wait(timeout=max(drained - time.monotonic(), 0.0))
        self._abandon_in_flight()

    def _spawn_sender(self) -> None:
        self.free_senders += 1
        self.senders.add(spawn_raw(self._sender))

    def _sender(self) -> None:
        """Take tickets until the schedule, the time or Locust says stop."""
        me = getcurrent()
        monotonic, take, order = time.monotonic, self.tickets.take, self.order
        in_flight, lag = self.in_flight, self.tally.pending_lag
        burst = 0
        try:
            while True:
                if self.should_stop() or monotonic() >= self.deadline:
                    return
                offset = take()
                if offset is None:
                    return
                intended = self.t0 + offset
                kind_index = order[self.position]
                self.position = (self.position + 1) % len(order)
                delay = intended - monotonic()
                if delay > 0:
                    gevent.sleep(delay)
                    burst = 0
                    if self.should_stop():  # stopped while waiting: this ticket is not sent
                        return
                else:
                    if len(self.senders) >= self.max_in_flight and self.free_senders == 1:
                        self.late_sends += 1  # due while every sender had a request out
                    burst += 1
                    if burst >= YIELD_EVERY:
                        gevent.sleep(0)
                        burst = 0
                pause = self.pause_until - monotonic()
                if pause > 0:
                    gevent.sleep(pause)
                self.free_senders -= 1
                if (
                    not self.free_senders
                    and len(self.senders) < self.max_in_flight
                    and self.tickets.issued < self.planned
                ):
                    self._spawn_sender()  # someone watches the next ticket meanwhile
                sent_at = monotonic()
                in_flight[me] = (intended, kind_index)
                if len(in_flight) > self.peak_in_flight:
                    self.peak_in_flight = len(in_flight)
                self.sent += 1
                self.last_send = sent_at
                lag.append(to_micros(sent_at - intended))
                try:
                    self.send(kind_index, intended, sent_at)
                finally:
                    in_flight.pop(me, None)
                    self.free_senders += 1
        finally:
            self.free_senders -= 1
            self.senders.discard(me)
            if not self.senders:
                self.all_done.set()

    def _abandon_in_flight(self) -> None:
        """Requests still open at the drain deadline count as failed, with a lower bound."""
        now = time.monotonic()
        for _sender, (intended, kind_index) in list(self.in_flight.items()):
            self.tally.record_unfinished(now - intended)
            self.log_request(self.kinds[kind_index].name, (now - intended) * 1000, 0, UNFINISHED)
        self.in_flight.clear()
        for sender in list(self.senders):  # in a request, or waiting out a pause
            gevent.kill(sender)

    def _background(self) -> None:
        """Once a second: CPU sample, closed intervals into the histograms, token freshness."""
        while not self.finished:
            gevent.sleep(1.0)
            self.cpu.sample()
            self.tally.flush(closed_only=True)
            self._refresh_token()

    # -- reporting ----------------------------------------------------------------------------

    def progress(self) -> dict[str, Any]:
        """Counters so far, for the live progress line (cheap: no histogram encoding)."""
        tally = self.tally
        return {
            "sent": self.sent,
            "completed": tally.completed,
            "transport_errors": self.transport_errors,
            "violations": sum(tally.violations.values()),
            "failures": sum(tally.failures.values()),
        }

    def report(self) -> dict[str, Any]:
        auth = self.auth
        return {
            **self.tally.report(),
            "planned": self.planned,
            "sent": self.sent,
            "send_span_s": max(self.last_send - self.t0, 0.0),
            "done_span_s": max(self.last_done - self.t0, 0.0),
            "check_cache": {
                "hits": getattr(self.check, "hits", 0),
                "misses": getattr(self.check, "misses", 0),
            },
            "late_sends": self.late_sends,
            "max_in_flight": self.peak_in_flight,
            "users": self.max_in_flight,
            "rate_limited": self.rate_limited,
            "retry_after_s": self.retry_after_s,
            "token_refreshes": auth.refreshes if auth else 0,
            "token_reexchanges": auth.reexchanges if auth else 0,
            "token_errors": self.token_errors,
            "transport_errors": self.transport_errors,
            "transport_fallbacks": self.fallbacks() if self.fallbacks else 0,
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
