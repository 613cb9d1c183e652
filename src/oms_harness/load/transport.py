"""Every private touchpoint of the load engine, and the public path it falls back to.

The harness's hot path writes pre-built request bytes on its own keep-alive connections
(opened by geventhttpclient's pool), reads the common answer with :mod:`.wire` (anything
else with geventhttpclient's parser) and logs straight into Locust's stats: about a third
of the CPU of Locust's ``FastHttpUser`` per checked request (see bench/README.md). That
speed rests on internals of geventhttpclient, gevent and Locust, and a minor release of any
of them may move one. So each touchpoint is named here once, with the versions it was
verified with, and :func:`self_check` looks for all of them when a process starts. When one
is missing the process runs on Locust's public ``FastHttpSession`` (what ``FastHttpUser``
uses: slower, correct; see :mod:`.fasthttp`) and says so in its output and in
``summary.json`` (``generator.transport``), instead of failing or, worse, silently measuring
something else.

``pyproject.toml`` allows ranges; ``requirements.lock`` pins the versions CI runs, which are
the ones below.
"""

from __future__ import annotations

import contextlib
import errno
import importlib
import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import gevent
import gevent.monkey
import gevent.socket
from gevent import getcurrent
from geventhttpclient import HTTPClient
from geventhttpclient import connectionpool as _pool_module
from geventhttpclient import response as _response_module

from .._version import __version__
from .fasthttp import PublicTransport
from .generator import Answer, LogRequest
from .traffic import RequestKind
from .wire import BLOCK, Reader, Unusual

log = logging.getLogger("oms_harness.load")

VERIFIED = "locust 2.47.0, geventhttpclient 2.6.1, gevent 26.9.0"
"""The versions every touchpoint below was verified with (and ``requirements.lock`` pins)."""
RAW = "raw"


class CheckFailedError(Exception):
    """A response that broke the contract or the expected outcome (the reason is the message)."""

    def __repr__(self) -> str:
        return str(self)


# -- the touchpoints ---------------------------------------------------------------------------
# Each entry: (where, owner, attribute), with the versions it was verified with.

_POOL = "geventhttpclient.connectionpool.ConnectionPool"

TOUCHPOINTS: tuple[tuple[str, Any, str], ...] = (
    # geventhttpclient 2.3-2.6.1: HTTPClient keeps its pool in ``_connection_pool``
    # (read on the instance; checked by RawTransport after it builds its client)
    # geventhttpclient 2.3-2.6.1: the pool's connect (resolve, timeouts, TLS wrap); the
    # transport keeps its own idle list instead of the pool's semaphore, queue and select()
    (_POOL, _pool_module.ConnectionPool, "_create_socket"),
    # geventhttpclient 2.3-2.6.1: the C-parser response over a socket (``pre_buffered``:
    # it parses on from the bytes the common-case reader declined), and its errors
    ("geventhttpclient.response", _response_module, "HTTPSocketResponse"),
    ("geventhttpclient.response", _response_module, "HTTPConnectionClosed"),
    # gevent 24.2-26.9: a socket's read watcher, waited on (with the hub's public ``wait``)
    # before the first read of an answer (plain HTTP)
    ("gevent.socket.socket", gevent.socket.socket, "_read_event"),
)  # fmt: skip


def _locust_touchpoints() -> tuple[tuple[str, Any, str], ...]:
    from locust.runners import WorkerRunner
    from locust.stats import StatsCSVFileWriter

    user_task = importlib.import_module("locust.user.task")  # ``locust.user.task`` is a name too

    return (
        # locust 2.47.0: a user's state, read to stop dispatching when Locust stops the user
        ("locust.user.task", user_task, "LOCUST_STATE_STOPPING"),
        # locust 2.47.0: a worker flushes its request stats to the master before the final
        # message, so the master's CSV/HTML hold every request when it writes results
        ("locust.runners.WorkerRunner", WorkerRunner, "_send_stats"),
        # locust 2.47.0: the CSV writer's row producers, used to rewrite the tables at close
        ("locust.stats.StatsCSVFileWriter", StatsCSVFileWriter, "_requests_data_rows"),
        ("locust.stats.StatsCSVFileWriter", StatsCSVFileWriter, "_failures_data_rows"),
        ("locust.stats.StatsCSVFileWriter", StatsCSVFileWriter, "_exceptions_data_rows"),
        ("locust.stats.StatsCSVFileWriter", StatsCSVFileWriter, "_stats_history_data_rows"),
    )


def self_check() -> list[str]:
    """The touchpoints missing in the installed versions (empty: the fast path is safe)."""
    missing = []
    for where, owner, attribute in (*TOUCHPOINTS, *_locust_touchpoints()):
        if not hasattr(owner, attribute):
            missing.append(f"{where}.{attribute}")
    return missing


def fallback_warning(missing: list[str]) -> str:
    return (
        f"load transport: {', '.join(missing)} not found (verified with {VERIFIED}): "
        "falling back to Locust's public FastHttpSession (correct, but more CPU per request)"
    )


# -- the fast path -----------------------------------------------------------------------------


_plain_select = gevent.monkey.get_original("select", "select")


def _idle_socket_alive(sock: Any) -> bool:
    """An idle keep-alive socket is reusable when it is open and has nothing to read: bytes
    the server sent unasked (or its close) must not become the next request's answer."""
    try:
        fd = sock.fileno()
        if fd < 0:
            return False
        # gevent's patched select() yields to the hub even with a zero timeout (a full
        # switch per request); the original one is a plain non-blocking syscall
        readable, _, _ = _plain_select([fd], [], [], 0.0)
    except (OSError, ValueError):
        return False
    return not readable


def _header(response: Any, name: str) -> str | None:
    value = response.get(name)
    if isinstance(value, list):
        return ", ".join(value)
    return value if isinstance(value, str) else None


def request_head(base_url: str) -> tuple[str, str]:
    """(base path, Host header) of ``base_url``, as an HTTP/1.1 client sends them."""
    parts = urlsplit(base_url)
    default_port = 443 if parts.scheme == "https" else 80
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    authority = host if parts.port in (None, default_port) else f"{host}:{parts.port}"
    return parts.path.rstrip("/"), authority


class TouchpointMissingError(Exception):
    """A private attribute the fast path needs is not there (message: which)."""


class RawTransport:
    """Pre-built request bytes on keep-alive connections, read by :mod:`.wire` (TLS too).

    One connection serves one request at a time; idle ones wait in a LIFO list (the
    generator bounds the requests in flight, so no semaphore). An idle connection is
    probed before reuse (one non-blocking ``select``) and dropped when readable; one the
    server closes just then answers with nothing, and the request is retried once on a
    fresh connection (GET is idempotent), as ``HTTPClient.request`` does.
    """

    name = RAW

    def __init__(
        self, base_url: str, kinds: list[RequestKind], *, max_in_flight: int, timeout_s: float
    ) -> None:
        self.kinds = kinds
        self.base_path, self.host_header = request_head(base_url)
        self.requests: list[bytes] = []
        self.client = HTTPClient.from_url(
            base_url,
            concurrency=max_in_flight,
            connection_timeout=timeout_s,
            network_timeout=timeout_s,
        )
        pool = getattr(self.client, "_connection_pool", None)  # geventhttpclient 2.3-2.6.1
        if pool is None:
            self.client.close()
            raise TouchpointMissingError("geventhttpclient.HTTPClient._connection_pool")
        self.connect: Callable[[], Any] = pool._create_socket  # geventhttpclient 2.3-2.6.1
        self.idle: list[Any] = []
        self.alive: Callable[[Any], bool] = _idle_socket_alive
        self.timeout_s = timeout_s
        self.timers: dict[Any, Any] = {}
        """One reusable network-timeout timer per connection (a fresh ``gevent.Timeout`` per
        wait, as gevent's own socket wait makes, costs ten times as much)."""
        self.timeout_error = TimeoutError("timed out")
        self.hub = gevent.get_hub()
        self.open: set[Any] = set()
        self.reader = Reader()
        # plain TCP only: TLS can hold decrypted bytes that a readability wait would not see
        self.wait_readable = urlsplit(base_url).scheme == "http"
        self.response_class = _response_module.HTTPSocketResponse
        self.closed_error = _response_module.HTTPConnectionClosed
        self.fallbacks = 0
        """Answers the common-case reader declined (parsed by geventhttpclient instead)."""

    def use_token(self, token: str) -> None:
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

    def send(self, kind_index: int) -> Answer:
        """Write a pre-built request on a keep-alive connection and read its answer."""
        request = self.requests[kind_index]
        idle = self.idle
        retries = 1
        while True:
            while idle:
                sock = idle.pop()
                if self.alive(sock):
                    break
                self._discard(sock)
            else:
                sock = self._open()
            try:
                # one send() writes a small request whole; sendall() would also query
                # SO_SNDBUF (a syscall) and set up its chunking on every call
                sent = sock.send(request)
                if sent < len(request):
                    sock.sendall(request[sent:])
                if self.wait_readable:
                    self._wait_readable(sock)
                data = sock.recv(BLOCK)
            except OSError as exc:
                self._discard(sock)
                if retries and exc.errno in (errno.ECONNRESET, errno.EPIPE):
                    retries -= 1
                    continue
                raise
            except BaseException:  # a timeout, or the generator abandoning the request
                self._discard(sock)
                raise
            if not data:  # closed while idle (or without answering): once more, fresh
                self._discard(sock)
                if retries:
                    retries -= 1
                    continue
                raise self.closed_error("connection closed.")
            try:
                head, body = self.reader.read(sock.recv, data)
            except Unusual as unusual:
                return self._parse_on(sock, unusual.data)
            except BaseException:
                self._discard(sock)
                raise
            idle.append(sock)
            return Answer(
                head.status,
                body,
                head.content_type,
                head.retry_after if head.status == 429 else None,
            )

    def _wait_readable(self, sock: Any) -> None:
        """Wait until the answer is readable, within the network timeout: the first recv
        then reads it instead of failing with EAGAIN (an exception per request) first."""
        timer = self.timers.get(sock)
        if timer is None:  # repeat = the timeout: ``again`` starts it afresh each time
            timer = self.timers[sock] = self.hub.loop.timer(
                self.timeout_s, self.timeout_s, ref=False
            )
        timer.again(getcurrent().throw, self.timeout_error)
        try:
            self.hub.wait(sock._read_event)  # gevent 24.2-26.9: the socket's read watcher
        finally:
            timer.stop()

    def _parse_on(self, sock: Any, data: bytes) -> Answer:
        """geventhttpclient's parser from the bytes read so far, on the same socket."""
        self.fallbacks += 1
        try:
            response = self.response_class(sock, method="GET", pre_buffered=data)
            body = response.read()
            status = response.status_code
            content_type = _header(response, "content-type")
            retry_after = _header(response, "retry-after") if status == 429 else None
            reusable = response.message_complete and not response.should_close()
            response.release()
        except BaseException:
            self._discard(sock)
            raise
        if reusable:
            self.idle.append(sock)
        else:
            self._discard(sock)
        return Answer(status, body, content_type, retry_after)

    def _open(self) -> Any:
        sock = self.connect()
        self.open.add(sock)
        return sock

    def _discard(self, sock: Any) -> None:
        self.open.discard(sock)
        timer = self.timers.pop(sock, None)
        if timer is not None:
            timer.close()
        with contextlib.suppress(OSError):
            sock.close()

    def close(self) -> None:
        for sock in list(self.open):
            self._discard(sock)
        self.idle.clear()
        self.client.close()


Transport = RawTransport | PublicTransport


def open_transport(
    base_url: str,
    kinds: list[RequestKind],
    *,
    environment: Any,
    max_in_flight: int,
    timeout_s: float,
    missing: list[str] | None = None,
    force_public: bool = False,
) -> tuple[Transport, str]:
    """The fast transport when every touchpoint is there, else the public one and a warning.

    ``force_public`` (``--transport fasthttp``) takes the public path on purpose (to compare
    the two, or to rule the fast path out); it says so, without a warning.
    """
    gaps = self_check() if missing is None else missing
    if force_public:
        log.info("load transport: Locust's public FastHttpSession, as --transport asked")
    elif not gaps:
        try:
            return RawTransport(
                base_url, kinds, max_in_flight=max_in_flight, timeout_s=timeout_s
            ), ""
        except TouchpointMissingError as exc:
            gaps = [str(exc)]
    warning = "" if force_public else fallback_warning(gaps)
    if warning:
        log.warning("%s", warning)
    public = PublicTransport(
        base_url,
        kinds,
        environment=environment,
        max_in_flight=max_in_flight,
        timeout_s=timeout_s,
    )
    return public, warning


# -- Locust's stats and run state --------------------------------------------------------------


def stats_logger(environment: Any, events: Any, *, fast: bool) -> LogRequest:
    """Count one request in Locust's stats (its CSV and HTML tables).

    When Locust's own runner is the only listener of ``events.request`` (the usual case:
    checked once, when the run starts), its listener is called in place: the same
    ``log_request`` / ``log_error`` calls, without building an event per request. Otherwise
    (or on the public path) the event is fired, as any Locust user does.
    """
    if fast and _only_runner_listens(environment, events):
        stats = environment.stats  # what the runner's listener reads (a property of it)

        def direct(name: str, response_time: float, length: int, reason: str | None) -> None:
            stats.log_request("GET", name, response_time, length)
            if reason:
                stats.log_error("GET", name, CheckFailedError(reason))

        return direct

    def fire(name: str, response_time: float, length: int, reason: str | None) -> None:
        events.request.fire(
            request_type="GET",
            name=name,
            response_time=response_time,
            response_length=length,
            exception=CheckFailedError(reason) if reason else None,
            context={},
            response=None,
        )

    return fire


def _only_runner_listens(environment: Any, events: Any) -> bool:
    # locust 2.47.0: EventHook keeps listeners in ``_handlers``; the runner's request listener
    # is the closure ``Runner.__init__.<locals>.on_request`` in ``locust.runners``
    handlers = getattr(events.request, "_handlers", None)
    if getattr(environment, "stats", None) is None or events is not environment.events:
        return False
    if not isinstance(handlers, list) or len(handlers) != 1:
        return False
    handler = handlers[0]
    return (
        getattr(handler, "__qualname__", "") == "Runner.__init__.<locals>.on_request"
        and getattr(handler, "__module__", "") == "locust.runners"
    )


def stop_requested(user: Any, *, fast: bool) -> Callable[[], bool]:
    """Whether Locust is stopping ``user`` (then the dispatcher stops sending)."""
    if fast:
        from locust.user.task import LOCUST_STATE_STOPPING

        return lambda: bool(user._state == LOCUST_STATE_STOPPING)  # locust 2.47.0
    from locust.runners import STATE_CLEANUP, STATE_STOPPED, STATE_STOPPING

    runner = user.environment.runner
    return lambda: runner.state in (STATE_STOPPING, STATE_STOPPED, STATE_CLEANUP)


def flush_worker_stats(runner: Any, *, fast: bool) -> None:
    """A worker's request stats to the master now, ahead of its final message (same channel).

    On the public path the master may miss a worker's last second of Locust stats (its own
    results are complete either way: they travel in the final message).
    """
    if fast:
        runner._send_stats()  # locust 2.47.0


def patch_csv_close(fast: bool) -> None:
    """Rewrite Locust's CSV tables from the final stats when it closes them (fast path only).

    Locust refreshes its CSV files once a second and only closes them at exit, so the last
    second of a run (the final requests, the drain) was missing from them while the HTML
    report and summary.json had it. At close every request has been counted.
    """
    if not fast:
        return
    from locust.stats import StatsCSVFileWriter

    close_files = StatsCSVFileWriter.close_files
    if getattr(close_files, "oms_final_stats", False):
        return

    def close_with_final_stats(writer: Any) -> None:
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
        except (AttributeError, OSError, ValueError) as exc:  # an attribute moved after all
            log.warning("could not write the final CSV stats: %s", exc)
        close_files(writer)

    close_with_final_stats.oms_final_stats = True  # type: ignore[attr-defined]
    StatsCSVFileWriter.close_files = close_with_final_stats  # type: ignore[method-assign,assignment]
