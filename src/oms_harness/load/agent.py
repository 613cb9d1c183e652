"""The part of a load run that lives inside Locust (gevent): the open-model generator.

Importing this module imports Locust, which monkey-patches the process with gevent. Only
``load/locustfile.py`` imports it, inside the Locust subprocess that ``oms-harness load``
starts; the harness and its tests never do.

Each Locust process runs one *dispatcher* user. The dispatcher walks the process's share of
the arrival schedule and, at each intended start time, hands the request to a pool of
greenlets sharing a keep-alive connection pool: concurrency grows with the target's latency
up to ``--oms-max-in-flight``, like k6's arrival-rate executors. Latency is recorded twice:
from the intended start (corrected for coordinated omission) and from the actual send (raw
service time). Processes report HDR histograms and counters; the master (or the only
process) merges them into ``results.json`` and ends the run as soon as the schedule is done.
"""

from __future__ import annotations

import errno
import json
import logging
import math
import os
import time
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import gevent
import gevent.monkey
import gevent.socket
from gevent import getcurrent, spawn_raw
from gevent.event import Event
from geventhttpclient import HTTPClient
from geventhttpclient.response import HTTPConnectionClosed, HTTPSocketPoolResponse
from locust import LoadTestShape, User, task
from locust import events as _locust_events
from locust.env import Environment
from locust.exception import StopUser
from locust.runners import LocalRunner, MasterRunner, WorkerRunner
from locust.stats import StatsCSVFileWriter
from locust.user.task import LOCUST_STATE_STOPPING

from .._version import __version__
from ..errors import HarnessError
from . import histograms
from .auth import KEY_ENV, SECRET_ENV, RefreshingAuth
from .checks import LoadChecker, retry_after_seconds
from .health import CpuSampler
from .results import RESULTS_LOG_PREFIX, merge_reports, write_results
from .schedule import ArrivalSchedule, ProcessTickets
from .traffic import RequestKind, weighted_cycle

PLAN_ENV = "OMS_HARNESS_LOAD_PLAN"
"""Path of the JSON plan (traffic mix, timeouts, results path): no secret in it."""
PLAN_JSON_ENV = "OMS_HARNESS_LOAD_PLAN_JSON"
"""The same plan inline, for containers where mounting a file is awkward."""
TOKEN_ENV = "OMS_HARNESS_LOAD_TOKEN"
"""The bearer token travels by environment only: never on a command line, never in a file."""
FINAL_MESSAGE = "oms_final"
START_DELAY_S = 0.1
YIELD_EVERY = 32
BACKSTOP_MARGIN_S = 5.0
"""The run-time backstop: schedule + drain + this; normally the run ends earlier by itself."""

log = logging.getLogger("oms_harness.load")
events: Any = _locust_events
"""Locust's event hooks are untyped; one ``Any`` keeps mypy strict everywhere else."""


class CheckFailedError(Exception):
    """A response that broke the contract or the expected outcome (the reason is the message)."""

    def __repr__(self) -> str:
        return str(self)


def _header(response: Any, name: str) -> str | None:
    value = response.get(name)
    if isinstance(value, list):
        return ", ".join(value)
    return value if isinstance(value, str) else None


_plain_select = gevent.monkey.get_original("select", "select")
_monotonic = time.monotonic
_to_micros = histograms.to_micros


def _idle_socket_alive(sock: Any) -> bool:
    """An idle keep-alive socket is alive when it is open and has nothing to read."""
    if sock is None:
        return False
    try:
        fd = sock.fileno()
        if fd < 0:
            return False
        readable, _, _ = _plain_select([fd], [], [], 0.0)  # the fd: no fileno() call again
    except (OSError, ValueError):
        return False
    return not readable


class Generator:
    """One process's share of the schedule, its HTTP client, and what it measured."""

    def __init__(
        self,
        *,
        base_url: str,
        token: str,
        kinds: list[RequestKind],
        schedule: ArrivalSchedule,
        index: int,
        count: int,
        max_in_flight: int,
        interval_s: float,
        drain_s: float,
        timeout_s: float,
        name: str,
        auth: RefreshingAuth | None = None,
    ) -> None:
        self.name = name
        self.kinds = kinds
        self.order = weighted_cycle(kinds)
        self.position = (index * 7919) % len(self.order)
        parts = urlsplit(base_url)
        self.base_path = parts.path.rstrip("/")
        default_port = 443 if parts.scheme == "https" else 80
        host = parts.hostname or ""
        self.host_header = host if parts.port in (None, default_port) else f"{host}:{parts.port}"
        self.auth = auth
        self.token_generation = -1
        self.requests: list[bytes] = []
        self._use_token(auth.token if auth else token, auth.generation if auth else 0)
        self.token_errors = 0
        self.tickets = ProcessTickets(schedule, index, count)
        self.window = schedule.duration
        self.interval_s = interval_s
        self.drain_s = drain_s
        self.max_in_flight = max_in_flight
        self.client = HTTPClient.from_url(
            base_url,
            concurrency=max_in_flight,
            connection_timeout=timeout_s,
            network_timeout=timeout_s,
        )
        self.connections = self.client._connection_pool
        # plain TCP only: TLS can hold decrypted bytes that a readability wait would not see
        self.wait_readable = parts.scheme == "http" and hasattr(gevent.socket.socket, "_wait")
        # the pool checks an idle connection with select() before reuse; gevent's patched
        # select yields to the hub even with a zero timeout (a full switch per request), the
        # original one is a plain non-blocking syscall
        self.connections._is_socket_alive = _idle_socket_alive  # type: ignore[method-assign]
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
        self.locust_environment: Any = None
        """Locust's environment when its runner is the only ``request`` listener."""
        self.cpu = CpuSampler()
        self.check = LoadChecker(kinds)
        self.check.warm_up(kinds)

    def _use_token(self, token: str, generation: int) -> None:
        """Build every request once per token: the hot path only writes bytes (the token is
        in them, and nowhere else in this process)."""
        self.requests = [
            (
                f"GET {self.base_path}{kind.path} HTTP/1.1\r\nHost: {self.host_header}\r\n"
                f"User-Agent: oms-harness/{__version__}\r\nAccept: application/json\r\n"
                f"Authorization: Bearer {token}\r\n\r\n"
            ).encode("latin-1")
            for kind in self.kinds
        ]
        self.token_generation = generation

    def _sync_token(self) -> None:
        auth = self.auth
        if auth is not None and auth.generation != self.token_generation:
            self._use_token(auth.token, auth.generation)

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

    # -- recording --------------------------------------------------------------------------

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
        slot[0].append(_to_micros(corrected))
        slot[1].append(_to_micros(raw))
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

    def send(self, kind_index: int, intended: float) -> None:
        kind = self.kinds[kind_index]
        sent_at = _monotonic()
        body = b""
        status = 0
        rule: str | None = None
        try:
            for attempt in (0, 1):
                generation = self.token_generation
                response = self._get(self.requests[kind_index])
                try:
                    body = response.read()
                    status = response.status_code
                    value = response.get("content-type")
                    content_type = (  # absent, or repeated (a list): the slow path
                        value if isinstance(value, str) else _header(response, "content-type")
                    )
                    retry_after = _header(response, "retry-after") if status == 429 else None
                finally:
                    response.release()
                if status != 401 or self.auth is None or attempt:
                    break
                # client credentials: exchange again (once for every request that saw this
                # token rejected) and retry this request once
                self.auth.after_unauthorized(generation)
                self._sync_token()
            if status == 429:
                pause = retry_after_seconds(retry_after)
                self.rate_limited += 1
                self.retry_after_s += pause
                self.pause_until = max(self.pause_until, _monotonic() + pause)
                reason: str | None = "rate limited (429 with Retry-After)"
            else:
                failure = self.check(kind, status, body, content_type)
                reason, rule = (failure.reason, failure.rule) if failure else (None, None)
        except gevent.GreenletExit:
            raise
        except HarnessError as exc:
            self.token_errors += 1
            reason = _short_reason(f"token exchange after a 401 failed: {exc}")
        except Exception as exc:  # noqa: BLE001 - every transport failure is a failed request
            reason = f"transport error: {type(exc).__name__}"
        finally:
            in_flight = self.in_flight
            in_flight.pop(getcurrent(), None)
            if self.waiting_for_slot:
                self.slot_free.set()
            if not in_flight:
                self.idle.set()
        done = self.last_done = _monotonic()
        corrected = done - intended
        self._record(kind, status, reason, corrected, done - sent_at, rule)
        self._log_request(kind.name, corrected * 1000, len(body), reason)

    def _log_request(
        self, name: str, response_time: float, length: int, reason: str | None
    ) -> None:
        """Count one request in Locust's stats (its CSV and HTML tables).

        When Locust's own runner is the only listener of ``events.request`` (the usual
        case: checked once, when the run starts), its listener is called in place: the same
        ``log_request`` / ``log_error`` calls, without building an event per request.
        """
        environment = self.locust_environment
        if environment is None:
            events.request.fire(
                request_type="GET",
                name=name,
                response_time=response_time,
                response_length=length,
                exception=CheckFailedError(reason) if reason else None,
                context={},
                response=None,
            )
            return
        stats = environment.stats  # what the runner's listener reads (a property of it)
        stats.log_request("GET", name, response_time, length)
        if reason:
            stats.log_error("GET", name, CheckFailedError(reason))

    def _get(self, request: bytes) -> HTTPSocketPoolResponse:
        """Write a pre-built request on a pooled keep-alive connection; parse the answer.

        geventhttpclient's C parser and connection pool (TLS included), without rebuilding
        and merging headers per request. A connection the server closed while idle is
        retried once on a fresh one (GET is idempotent), as ``HTTPClient.request`` does.
        """
        retries = 1
        while True:
            sock = self.connections.get_socket()
            try:
                # one send() writes a small request whole; sendall() would also query
                # SO_SNDBUF (a syscall) and set up its chunking on every call
                sent = sock.send(request)
                if sent < len(request):
                    sock.sendall(request[sent:])
            except OSError as exc:
                self.connections.release_socket(sock)
                if retries and exc.errno in (errno.ECONNRESET, errno.EPIPE):
                    retries -= 1
                    continue
                raise
            try:
                if self.wait_readable and sock._read_event is not None:
                    # wait until the answer is readable (gevent's own wait, same timeout):
                    # the parser's first recv then reads it instead of failing with EAGAIN
                    # (an exception per request) before waiting
                    sock._wait(sock._read_event)
                return HTTPSocketPoolResponse(sock, self.connections, method="GET")
            except HTTPConnectionClosed:
                if retries:
                    retries -= 1
                    continue
                raise

    def dispatch(self, user: User) -> None:
        """Walk the schedule: start each request at its intended time (or as soon as possible).

        Each request runs in a raw greenlet (``spawn_raw``: no Greenlet object, no pool
        bookkeeping); ``in_flight`` is the pool.
        """
        if not self.started:
            self.t0 = time.monotonic() + START_DELAY_S
            self.t0_epoch = time.time() + START_DELAY_S
            self.cpu_start = time.process_time()
            self.started = True
            self.locust_environment = _direct_stats(user.environment)
            gevent.spawn(self._background)
        burst = 0
        # stop sending halfway through the drain allowance, so what was sent can still finish
        deadline = self.t0 + self.window + self.drain_s / 2
        in_flight, take, order = self.in_flight, self.tickets.take, self.order
        monotonic, lag = time.monotonic, self.pending_lag
        while user._state != LOCUST_STATE_STOPPING and monotonic() < deadline:
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
        reason = "unfinished at the drain deadline"
        for running, (intended, kind_index) in list(self.in_flight.items()):
            histograms.record(self.corrected, now - intended)
            self.failures[reason] += 1
            self._log_request(self.kinds[kind_index].name, (now - intended) * 1000, 0, reason)
            gevent.kill(running)
        self.in_flight.clear()

    def _background(self) -> None:
        """Once a second: CPU sample, closed intervals into the histograms, token freshness."""
        while not self.finished:
            gevent.sleep(1.0)
            self.cpu.sample()
            self.flush(closed_only=True)
            self._refresh_token()

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
            "check_cache": {"hits": self.check.hits, "misses": self.check.misses},
            "completed": self.completed,
            "unfinished": self.failures.get("unfinished at the drain deadline", 0),
            "late_sends": self.late_sends,
            "max_in_flight": self.peak_in_flight,
            "users": self.max_in_flight,
            "rate_limited": self.rate_limited,
            "retry_after_s": self.retry_after_s,
            "token_refreshes": auth.refreshes if auth else 0,
            "token_reexchanges": auth.reexchanges if auth else 0,
            "token_errors": self.token_errors,
            "failures": dict(self.failures),
            "contract_violations": dict(self.violations),
            "contract_reasons": dict(self.violation_reasons),
            "statuses": {str(status): n for status, n in self.statuses.items()},
            "kinds": {name: dict(c) for name, c in self.kind_counts.items()},
            "cpu_samples": self.cpu.samples,
            "cpu_seconds": round(time.process_time() - self.cpu_start, 4) if self.started else 0.0,
            "t0_epoch": self.t0_epoch,
        }

    def close(self) -> None:
        self.finished = True
        self.client.close()


def _direct_stats(environment: Environment) -> Environment | None:
    """The environment when nothing but its runner's own listener hears ``events.request``."""
    handlers = getattr(events.request, "_handlers", None)
    if getattr(environment, "stats", None) is None or events is not environment.events:
        return None
    if not isinstance(handlers, list) or len(handlers) != 1:
        return None
    handler = handlers[0]
    if getattr(handler, "__qualname__", "") != "Runner.__init__.<locals>.on_request":
        return None
    if getattr(handler, "__module__", "") != "locust.runners":
        return None
    return environment


def _short_reason(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _State:
    """Per-process state (each forked Locust process has its own copy)."""

    def __init__(self) -> None:
        self.generator: Generator | None = None
        self.finals: dict[str, dict[str, Any]] = {}
        self.early_intervals: dict[str, dict[str, list[str]]] = {}
        self.written = False
        self.plan: dict[str, Any] = {}


STATE = _State()


def _plan() -> dict[str, Any]:
    """The plan from a file (``oms-harness load``) or inline JSON (containers, Kubernetes)."""
    inline = os.environ.get(PLAN_JSON_ENV)
    path = os.environ.get(PLAN_ENV)
    if inline:
        plan: dict[str, Any] = json.loads(inline)
    elif path:
        plan = json.loads(Path(path).read_text(encoding="utf-8"))
    else:
        raise RuntimeError(
            f"neither {PLAN_ENV} nor {PLAN_JSON_ENV} is set: see load/README.md "
            "(or run this locustfile through `oms-harness load`)"
        )
    return plan


def _options(environment: Environment) -> Any:
    return environment.parsed_options


def _add_arguments(parser: Any, **_kw: Any) -> None:
    group = parser.add_argument_group("oms-harness open model (set by `oms-harness load`)")
    group.add_argument("--oms-schedule", default="", help="arrival stages as JSON")
    group.add_argument("--oms-max-in-flight", type=int, default=100)
    group.add_argument("--oms-interval", type=float, default=1.0)
    group.add_argument("--oms-drain", type=float, default=10.0)
    group.add_argument("--oms-timeout", type=float, default=10.0)


def _on_init(environment: Environment, **_kw: Any) -> None:
    STATE.plan = _plan()
    runner = environment.runner
    if isinstance(runner, MasterRunner):
        runner.register_message(FINAL_MESSAGE, _on_final)
        events.worker_report.add_listener(_on_worker_report)
    elif isinstance(runner, WorkerRunner):
        events.report_to_master.add_listener(_on_report_to_master)


def _on_test_start(environment: Environment, **_kw: Any) -> None:
    runner = environment.runner
    if isinstance(runner, MasterRunner) or STATE.generator is not None:
        return
    options = _options(environment)
    if isinstance(runner, WorkerRunner):
        count = max(int(options.expect_workers or 1), 1)
        index = max(runner.worker_index, 0) % count
        name = f"worker-{index}"
    else:
        count, index, name = 1, 0, "local"
    token = os.environ.pop(TOKEN_ENV, "")
    api_key, api_secret = os.environ.pop(KEY_ENV, ""), os.environ.pop(SECRET_ENV, "")
    auth = None
    if api_key and api_secret:  # client credentials: this process exchanges and refreshes
        auth = RefreshingAuth(
            str(environment.host), api_key, api_secret, timeout=float(options.oms_timeout)
        )
    STATE.generator = Generator(
        base_url=str(environment.host),
        token=token,
        auth=auth,
        kinds=[RequestKind.from_json(k) for k in STATE.plan["kinds"]],
        schedule=ArrivalSchedule.from_json(json.loads(options.oms_schedule)),
        index=index,
        count=count,
        max_in_flight=max(math.ceil(options.oms_max_in_flight / count), 1),
        interval_s=float(options.oms_interval),
        drain_s=float(options.oms_drain),
        timeout_s=float(options.oms_timeout),
        name=name,
    )


def _finish(environment: Environment) -> None:
    generator = STATE.generator
    if generator is None or generator.finished:
        return
    report = generator.report()
    generator.close()
    runner = environment.runner
    if isinstance(runner, WorkerRunner):
        # Locust's request stats first, on the same ordered channel: when the master sees the
        # final report, its stats (CSV, HTML) already hold every request of this worker
        runner._send_stats()
        runner.send_message(FINAL_MESSAGE, {"name": generator.name, "report": report})
    elif isinstance(runner, LocalRunner):
        STATE.finals[generator.name] = report
        _write(environment)
        gevent.spawn(runner.quit)


def _on_report_to_master(client_id: str, data: dict[str, Any], **_kw: Any) -> None:
    generator = STATE.generator
    if generator is not None and not generator.finished:
        data["oms_intervals"] = {
            "name": generator.name,
            "intervals": generator.pop_closed_intervals(),
        }


def _on_worker_report(client_id: str, data: Mapping[str, Any], **_kw: Any) -> None:
    part = data.get("oms_intervals")
    if part:
        STATE.early_intervals.setdefault(part["name"], {}).update(part["intervals"])


def _on_final(environment: Environment, msg: Any, **_kw: Any) -> None:
    STATE.finals[msg.data["name"]] = msg.data["report"]
    expected = max(int(_options(environment).expect_workers or 1), 1)
    if len(STATE.finals) >= expected:
        _write(environment)
        gevent.spawn(environment.runner.quit)  # type: ignore[union-attr]


def _write(environment: Environment) -> None:
    if STATE.written or not STATE.plan.get("results_path"):
        return
    reports = {}
    for name, report in STATE.finals.items():
        intervals = {**STATE.early_intervals.get(name, {}), **report.get("intervals", {})}
        reports[name] = {**report, "intervals": intervals}
    options = _options(environment)
    meta = {
        "schedule": json.loads(options.oms_schedule),
        "processes_expected": max(int(getattr(options, "expect_workers", 1) or 1), 1)
        if isinstance(environment.runner, MasterRunner)
        else 1,
        "processes_reported": len(reports),
        "interval_s": float(options.oms_interval),
        "max_in_flight": int(options.oms_max_in_flight),
    }
    merged = merge_reports(reports, meta)
    if STATE.plan["results_path"] == "-":
        print(RESULTS_LOG_PREFIX + json.dumps(merged, separators=(",", ":")), flush=True)
    else:
        write_results(Path(STATE.plan["results_path"]), merged)
    STATE.written = True


def _on_quitting(environment: Environment, **_kw: Any) -> None:
    """The backstop (run-time limit, Ctrl-C): write whatever arrived, marked as partial."""
    if isinstance(environment.runner, LocalRunner) and STATE.generator is not None:
        _finish(environment)
    if not isinstance(environment.runner, WorkerRunner):
        _write(environment)


_close_csv_files = StatsCSVFileWriter.close_files


def _close_csv_files_with_final_stats(writer: StatsCSVFileWriter) -> None:
    """Rewrite Locust's CSV tables from the final stats, then close them.

    Locust refreshes its CSV files once a second and only closes them at exit, so the last
    second of a run (the final requests, the drain) was missing from them while the HTML
    report and summary.json had it. At close every request has been counted.
    """
    try:
        tables = (
            (writer.requests_csv_filehandle, writer.requests_csv_writer,
             writer.requests_csv_columns, writer._requests_data_rows),
            (writer.failures_csv_filehandle, writer.failures_csv_writer,
             writer.failures_columns, writer._failures_data_rows),
            (writer.exceptions_csv_filehandle, writer.exceptions_csv_writer,
             writer.exceptions_columns, writer._exceptions_data_rows),
        )  # fmt: skip
        for handle, csv_writer, columns, rows in tables:
            handle.seek(0)
            handle.truncate()
            csv_writer.writerow(columns)
            rows(csv_writer)
        writer._stats_history_data_rows(writer.stats_history_csv_writer, time.time())
    except (AttributeError, OSError, ValueError) as exc:  # a Locust without these internals
        log.warning("could not write the final CSV stats: %s", exc)
    _close_csv_files(writer)


StatsCSVFileWriter.close_files = _close_csv_files_with_final_stats  # type: ignore[method-assign,assignment]

events.init_command_line_parser.add_listener(_add_arguments)
events.init.add_listener(_on_init)
events.test_start.add_listener(_on_test_start)
events.quitting.add_listener(_on_quitting)


class OpenModelUser(User):
    """The dispatcher: one per Locust process; it only walks the schedule."""

    abstract = True

    @task
    def walk_schedule(self) -> None:
        generator = STATE.generator
        if generator is None:  # pragma: no cover - test_start always runs first
            raise StopUser()
        generator.dispatch(self)
        _finish(self.environment)
        raise StopUser()


class ArrivalShape(LoadTestShape):
    """Ramp and spike runs: one dispatcher per process, stopped after the schedule and drain.

    In the open model the load shape is the *arrival rate*, which the schedule already
    follows stage by stage (see :mod:`oms_harness.load.schedule`); the shape keeps the
    dispatchers alive for exactly that long and then ends the run by itself.
    """

    def tick(self) -> tuple[int, float] | None:
        runner = self.runner
        if runner is None:  # pragma: no cover - Locust sets it before ticking
            return None
        options = _options(runner.environment)
        schedule = ArrivalSchedule.from_json(json.loads(options.oms_schedule))
        limit = schedule.duration + float(options.oms_drain) + BACKSTOP_MARGIN_S
        shape: Any = self
        if shape.get_run_time() > limit:
            return None
        processes = (
            max(int(options.expect_workers or 1), 1) if isinstance(runner, MasterRunner) else 1
        )
        return processes, float(processes)
