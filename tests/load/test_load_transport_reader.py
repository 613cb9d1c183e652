"""The fast transport's own reader against geventhttpclient's parser, on the same bytes.

The transport runs on fake sockets (what a server wrote, cut into the pieces ``recv``
returns, then a close or silence): once as it is, once with its common-case reader made to
decline everything, so geventhttpclient's parser reads each answer from its first byte.
The two must give the same status, body and headers, or the same error, for every answer
and every split; only common answers may skip the parser. Nothing here imports Locust.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from oms_harness.load import wire
from oms_harness.load.traffic import RequestKind
from oms_harness.load.transport import RawTransport
from oms_harness.load.wire import Unusual

BODY = b'{"data":{"customerId":"cst_1"}}'
LENGTH = str(len(BODY)).encode()
OK = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: " + LENGTH
KIND = RequestKind("funded", "funded", "cst_1", None, 200, 1.0)

COMMON = {
    "plain": OK + b"\r\n\r\n" + BODY,
    "header case": b"HTTP/1.1 200 OK\r\nCONTENT-TYPE: application/json\r\nContent-Length: "
    + LENGTH + b"\r\n\r\n" + BODY,
    "no reason phrase": b"HTTP/1.1 404\r\ncontent-length: 2\r\n\r\n{}",
    "trailing whitespace": b"HTTP/1.1 200 OK\r\ncontent-type:  a/b \t\r\ncontent-length: 2"
    b"\r\n\r\n{}",
    "429 retry-after": b"HTTP/1.1 429 Too Many\r\nRetry-After: 7\r\ncontent-length: 0\r\n\r\n",
    "empty body": b"HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\n\r\n",
}  # fmt: skip
UNUSUAL = {
    "chunked": b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\ncontent-type: a/b\r\n\r\n"
    b"2\r\n{}\r\n0\r\n\r\n",
    "no length, close": b"HTTP/1.1 200 OK\r\ncontent-type: a/b\r\n\r\n{}",
    "100 continue first": b"HTTP/1.1 100 Continue\r\n\r\n" + OK + b"\r\n\r\n" + BODY,
    "204": b"HTTP/1.1 204 No Content\r\n\r\n",
    "connection close": OK + b"\r\nConnection: close\r\n\r\n" + BODY,
    "HTTP/1.0": b"HTTP/1.0 200 OK\r\ncontent-length: 2\r\n\r\n{}",
    "duplicate length": OK + b"\r\ncontent-length: " + LENGTH + b"\r\n\r\n" + BODY,
    "duplicate type": OK + b"\r\ncontent-type: text/plain\r\n\r\n" + BODY,
    "body over the cap": b"HTTP/1.1 200 OK\r\ncontent-length: "
    + str(wire.BODY_LIMIT + 1).encode() + b"\r\n\r\n" + b"x" * (wire.BODY_LIMIT + 1),
    "oversize head": b"HTTP/1.1 200 OK\r\nx-big: " + b"a" * (wire.HEAD_LIMIT + 1)
    + b"\r\ncontent-length: 2\r\n\r\n{}",
    "malformed status": b"HTTP/1.1 2OO OK\r\ncontent-length: 2\r\n\r\n{}",
    "bare LF": b"HTTP/1.1 200 OK\ncontent-length: 2\n\n{}",
    "bad header char": b"HTTP/1.1 200 OK\r\nx: a\x01b\r\ncontent-length: 2\r\n\r\n{}",
    "pipelined leftover": OK + b"\r\n\r\n" + BODY + OK + b"\r\n\r\n" + BODY,
    "garbage after body": OK + b"\r\n\r\n" + BODY + b"XYZ",
    "close mid-body": OK + b"\r\n\r\n" + BODY[:5],
    "close mid-head": OK[:20],
    "close before a byte": b"",
}  # fmt: skip


LEFTOVERS = {"pipelined leftover": len(COMMON["plain"]), "garbage after body": len(COMMON["plain"])}
"""Answers with bytes after them: when a read ends exactly at the answer, nobody sees the
rest until the connection's next use (the probe then drops it, see below)."""


class FakeSocket:
    """A server's connection: after each request, the next reply arrives in the pieces
    ``recv`` returns; then a close (``b""``) or, with ``eof=False``, silence until the
    network timeout."""

    def __init__(self, *replies: list[bytes], eof: bool = True) -> None:
        self.replies = list(replies)
        self.chunks: list[bytes] = []
        self.eof = eof
        self.sent: list[bytes] = []
        self.closed = False

    def send(self, data: bytes, flags: int = 0) -> int:
        self.sent.append(bytes(data))
        if self.replies:
            self.chunks.extend(c for c in self.replies.pop(0) if c)
        return len(data)

    def sendall(self, data: bytes) -> None:  # pragma: no cover - send() writes it whole
        self.sent.append(bytes(data))

    def recv(self, n: int) -> bytes:
        if self.closed:
            raise OSError(9, "Bad file descriptor")
        if not self.chunks:
            if self.eof:
                return b""
            raise TimeoutError("timed out")
        chunk = self.chunks.pop(0)
        if len(chunk) > n:
            self.chunks.insert(0, chunk[n:])
            chunk = chunk[:n]
        return chunk

    def close(self) -> None:
        self.closed = True

    def idle_and_open(self) -> bool:
        """What the transport's probe sees: nothing to read, no close."""
        return not self.closed and not self.chunks and not self.eof


def transport(sockets: Callable[[], Any], *, fast: bool = True) -> RawTransport:
    chosen = RawTransport("http://127.0.0.1:9/v0.9", [KIND], max_in_flight=4, timeout_s=1.0)
    chosen.connect = sockets
    chosen.wait_readable = False  # a fake socket has no gevent watcher
    chosen.alive = FakeSocket.idle_and_open
    chosen.use_token("t0k3n")
    if not fast:

        def decline(recv: Callable[[int], bytes], data: bytes) -> Any:
            raise Unusual(data)

        chosen.reader.read = decline  # type: ignore[method-assign]
    return chosen


def outcome(payload: bytes, split: int, *, fast: bool, eof: bool = True) -> tuple[Any, ...]:
    chunks = [payload[:split], payload[split:]]
    chosen = transport(lambda: FakeSocket(chunks, eof=eof), fast=fast)
    try:
        answer = chosen.send(0)
    except Exception as exc:  # noqa: BLE001 - the error type is the outcome
        return ("error", type(exc).__name__), chosen.fallbacks
    finally:
        chosen.close()
    return ("answer", answer.status, answer.body, answer.content_type, answer.retry_after), (
        chosen.fallbacks
    )


def splits(payload: bytes) -> list[int]:
    end = payload.find(b"\r\n\r\n")
    points = {1, 9, len(payload) // 2, len(payload) - 1, end, end + 2, end + 4, end + 5}
    return sorted(p for p in points if 0 < p < len(payload)) or [0]


@pytest.mark.parametrize("name", COMMON)
def test_a_common_answer_reads_like_the_parser_without_it_at_every_split(name: str) -> None:
    payload = COMMON[name]
    parsed, _ = outcome(payload, len(payload), fast=False)
    assert parsed[0] == "answer"
    head_end = payload.index(b"\r\n\r\n") + 4
    for split in range(1, len(payload) + 1):
        for eof in (True, False):
            # a head cut across reads goes to the parser; a cut body is read here
            expected = (parsed, 0 if split >= head_end else 1)
            assert outcome(payload, split, fast=True, eof=eof) == expected, split


@pytest.mark.parametrize("name", UNUSUAL)
def test_an_unusual_answer_is_the_parsers_verdict(name: str) -> None:
    payload = UNUSUAL[name]
    for split in splits(payload):
        for eof in (True, False):
            fast, fallbacks = outcome(payload, split, fast=True, eof=eof)
            parsed, _ = outcome(payload, split, fast=False, eof=eof)
            assert fast == parsed, (split, eof)
            at_boundary = name in LEFTOVERS and split == LEFTOVERS[name]
            silent_mid_body = name == "close mid-body" and not eof  # times out by itself
            if payload and not at_boundary and not silent_mid_body:
                assert fallbacks == 1  # the parser read it, not the common-case reader


def test_malformed_answers_stay_failures() -> None:
    for name in ("malformed status", "bare LF", "bad header char", "close mid-body"):
        result, _ = outcome(UNUSUAL[name], 3, fast=True)
        assert result[0] == "error", name


def test_a_keep_alive_connection_is_reused_and_a_closing_one_is_not() -> None:
    opened: list[FakeSocket] = []
    replies = [[COMMON["plain"]], [UNUSUAL["chunked"]], [UNUSUAL["connection close"]]]

    def connect() -> FakeSocket:
        opened.append(FakeSocket(*replies, eof=False))
        return opened[-1]

    chosen = transport(connect)
    assert chosen.send(0).status == 200
    assert chosen.send(0).body == b"{}"  # chunked, keep-alive: read by the parser
    assert chosen.send(0).body == BODY
    assert len(opened) == 1
    assert len(opened[0].sent) == 3
    assert opened[0].closed  # Connection: close
    assert chosen.send(0).status == 200
    assert len(opened) == 2
    request = opened[0].sent[0]
    assert request.startswith(b"GET /v0.9/customers/cst_1/balance HTTP/1.1\r\n")
    assert b"Authorization: Bearer t0k3n\r\n" in request


def test_bytes_left_after_an_answer_never_become_the_next_answer() -> None:
    opened: list[FakeSocket] = []

    def connect() -> FakeSocket:
        opened.append(FakeSocket([COMMON["plain"], b"HTTP/1.1 500 x\r\n"], [COMMON["plain"]]))
        opened[-1].eof = False
        return opened[-1]

    chosen = transport(connect)
    assert chosen.send(0).status == 200  # the first read ends where the answer ends
    assert chosen.send(0).status == 200
    assert len(opened) == 2
    assert opened[0].closed  # the readable idle one was dropped, unread


def test_a_connection_closed_while_idle_is_retried_once_on_a_fresh_one() -> None:
    opened: list[FakeSocket] = []

    def connect() -> FakeSocket:
        opened.append(FakeSocket([COMMON["plain"]], eof=True))
        return opened[-1]

    chosen = transport(connect)
    chosen.alive = lambda sock: True  # it closes between the probe and the request
    assert chosen.send(0).status == 200
    assert chosen.send(0).status == 200  # the first connection answers b"": closed meanwhile
    assert len(opened) == 2
    assert opened[0].closed


def test_a_timeout_discards_the_connection() -> None:
    opened: list[FakeSocket] = []

    def connect() -> FakeSocket:
        opened.append(FakeSocket([COMMON["plain"][:30]], eof=False))
        return opened[-1]

    chosen = transport(connect)
    with pytest.raises(TimeoutError):
        chosen.send(0)
    assert opened[0].closed
    assert chosen.idle == []


def _serve(handler: Callable[[Any, Any], None]) -> Any:
    from gevent.server import StreamServer

    server = StreamServer(("127.0.0.1", 0), handler)
    server.start()
    return server


def _answering(accepted: list[object], delay: float = 0.0) -> Callable[[Any, Any], None]:
    import gevent

    def answer(conn: Any, _address: Any) -> None:
        accepted.append(conn)
        buffered = b""
        while True:
            data = conn.recv(4096)
            if not data:
                return
            buffered += data
            while b"\r\n\r\n" in buffered:
                _, _, buffered = buffered.partition(b"\r\n\r\n")
                if delay:
                    gevent.sleep(delay)
                reply = COMMON["plain"]
                conn.sendall(reply[:40])  # the head arrives in two segments now and then
                conn.sendall(reply[40:])

    return answer


def test_a_connection_used_for_longer_than_the_timeout_does_not_time_out() -> None:
    # the network timeout is per wait: a timer reused across waits must start afresh
    accepted: list[object] = []
    server = _serve(_answering(accepted, delay=0.05))
    try:
        chosen = RawTransport(
            f"http://127.0.0.1:{server.server_port}/v0.9", [KIND], max_in_flight=2, timeout_s=0.3
        )
        chosen.use_token("t")
        statuses = []
        for _ in range(12):  # 0.6 s of waits on one connection, each well within 0.3 s
            statuses.append(chosen.send(0).status)
        chosen.close()
    finally:
        server.stop()
    assert statuses == [200] * 12
    assert len(accepted) == 1


def test_on_real_sockets_one_keep_alive_connection_serves_every_request() -> None:
    accepted: list[object] = []

    server = _serve(_answering(accepted))
    try:
        chosen = RawTransport(
            f"http://127.0.0.1:{server.server_port}/v0.9", [KIND], max_in_flight=2, timeout_s=5.0
        )
        chosen.use_token("t")
        answers = [chosen.send(0) for _ in range(20)]
        chosen.close()
    finally:
        server.stop()
    assert {(a.status, a.body, a.content_type) for a in answers} == {
        (200, BODY, "application/json")
    }
    assert len(accepted) == 1


def test_on_real_sockets_a_silent_server_times_out_and_its_connection_is_dropped() -> None:
    import gevent

    server = _serve(lambda conn, _address: gevent.sleep(5))
    try:
        chosen = RawTransport(
            f"http://127.0.0.1:{server.server_port}/v0.9", [KIND], max_in_flight=2, timeout_s=0.2
        )
        chosen.use_token("t")
        with pytest.raises(TimeoutError):
            chosen.send(0)
        assert chosen.open == set()
        assert chosen.timers == {}
        chosen.close()
    finally:
        server.stop(timeout=0)
