"""The common-case response reader: what it accepts, what it declines, and split reads.

Pure bytes: a fake ``recv`` hands out the answer in pieces, split at every byte boundary.
(The comparison with geventhttpclient's parser on the same bytes, through the transport,
is in test_load_transport_reader.py.)
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from oms_harness.load import wire
from oms_harness.load.wire import Head, Reader, Unusual, parse_head

BODY = b'{"data":{"customerId":"cst_1"}}'
OK = (
    b"HTTP/1.1 200 OK\r\ndate: Wed, 02 Dec 2026 00:00:00 GMT\r\nserver: uvicorn\r\n"
    b"content-length: " + str(len(BODY)).encode() + b"\r\ncontent-type: application/json\r\n\r\n"
)


def pieces(*chunks: bytes) -> Callable[[int], bytes]:
    """A recv that hands out ``chunks`` one by one (at most ``n`` bytes), then EOF."""
    queue = [c for c in chunks if c]

    def recv(n: int) -> bytes:
        if not queue:
            return b""
        chunk = queue.pop(0)
        if len(chunk) > n:
            queue.insert(0, chunk[n:])
            chunk = chunk[:n]
        return chunk

    return recv


def read(data: bytes, split: int | None = None) -> tuple[Head, bytes]:
    first, rest = (data, b"") if split is None else (data[:split], data[split:])
    return Reader().read(pieces(rest), first)


def test_the_common_answer_is_read_whole() -> None:
    head, body = read(OK + BODY)
    assert head == Head(200, len(BODY), "application/json", None)
    assert body == BODY


@pytest.mark.parametrize("split", range(1, len(OK + BODY)))
def test_a_split_read_at_every_byte_boundary_gives_the_same_answer_or_is_declined(
    split: int,
) -> None:
    if split < len(OK):  # the head itself is cut: the parser reads on from these bytes
        with pytest.raises(Unusual) as declined:
            read(OK + BODY, split)
        assert declined.value.data == (OK + BODY)[:split]
    else:
        assert read(OK + BODY, split) == read(OK + BODY)


def test_a_body_read_in_single_bytes_gives_the_same_answer() -> None:
    recv = pieces(*(BODY[i : i + 1] for i in range(len(BODY))))
    assert Reader().read(recv, OK) == read(OK + BODY)


def test_header_names_are_case_insensitive_and_leading_whitespace_is_dropped() -> None:
    head = parse_head(
        b"HTTP/1.1 429 Too Many Requests\r\nCONTENT-LENGTH: 2\r\nContent-Type:\t a/b  \r\n"
        b"Retry-After: 3\r\n"
    )
    # the parser keeps trailing whitespace too (the judge sees the value as sent)
    assert head == Head(429, 2, "a/b  ", "3")


def test_an_empty_reason_phrase_and_keep_alive_are_the_common_case() -> None:
    assert parse_head(b"HTTP/1.1 404\r\nContent-Length: 0\r\nConnection: keep-alive\r\n") == Head(
        404, 0, None, None
    )


@pytest.mark.parametrize(
    "head",
    [
        b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n",  # HTTP/1.0: closes by default
        b"HTTP/1.1 100 Continue\r\n",  # interim answer
        b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n",  # no body whatever the length
        b"HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n",
        b"HTTP/1.1 600 Odd\r\nContent-Length: 2\r\n",
        b"HTTP/1.1 2OO OK\r\nContent-Length: 2\r\n",  # malformed status
        b"HTTP/1.1 200 OK\r\n",  # no length: a body up to the close
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n",  # duplicated
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\ncontent-type: a\r\nContent-Type: b\r\n",
        b"HTTP/1.1 429 x\r\nContent-Length: 0\r\nRetry-After: 1\r\nRetry-After: 2\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: +2\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 2 2\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: " + str(wire.BODY_LIMIT + 1).encode() + b"\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length : 2\r\n",  # whitespace before the colon
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n folded\r\n",  # obs-fold
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX: a\x01b\r\n",  # control character
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX: caf\xc3\xa9\r\n",  # not ASCII
        b"HTTP/1.1 200 OK\nContent-Length: 2\n",  # bare LF
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX\r\n",  # no colon
    ],
)
def test_anything_else_is_declined(head: bytes) -> None:
    assert parse_head(head) is None
    with pytest.raises(Unusual) as declined:
        read(head + b"\r\n{}")
    assert declined.value.data == head + b"\r\n{}"  # every byte read goes to the parser


def test_bytes_beyond_the_declared_body_are_declined_not_dropped() -> None:
    pipelined = OK + BODY + OK + BODY
    with pytest.raises(Unusual) as declined:
        read(pipelined)
    assert declined.value.data == pipelined


@pytest.mark.parametrize("cut", [5, len(OK) - 1, len(OK) + 3])
def test_a_close_before_the_end_is_declined_with_what_arrived(cut: int) -> None:
    with pytest.raises(Unusual) as declined:
        Reader().read(pieces(), (OK + BODY)[:cut])
    assert declined.value.data == (OK + BODY)[:cut]


def test_an_oversize_or_unfinished_head_is_declined_without_reading_on() -> None:
    calls: list[int] = []

    def endless(n: int) -> bytes:
        calls.append(n)
        return b"a" * 1024

    big = b"HTTP/1.1 200 OK\r\nX: " + b"a" * wire.HEAD_LIMIT + b"\r\nContent-Length: 0\r\n\r\n"
    for data in (big, b"HTTP/1.1 200 OK\nContent-Length: 2\n\n{}", OK[:-1]):
        with pytest.raises(Unusual):
            Reader().read(endless, data)
    assert calls == []  # the parser decides (a bare LF fails it at once)


def test_a_body_longer_than_one_read_is_read_to_its_length() -> None:
    body = b"x" * (3 * wire.BLOCK + 7)
    data = b"HTTP/1.1 200 OK\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    head, read_body = read(data, data.index(b"\r\n\r\n") + 9)
    assert head.length == len(body)
    assert read_body == body


def test_heads_are_memoised_on_their_bytes_and_the_memo_is_bounded() -> None:
    reader = Reader()
    for second in range(wire.CACHE_SIZE * 3):
        head = OK.replace(b"00:00:00", f"00:{second // 60:02d}:{second % 60:02d}".encode())
        assert reader.read(pieces(), head + BODY)[1] == BODY
        assert len(reader.heads) <= wire.CACHE_SIZE
    again = reader.read(pieces(), head + BODY)
    assert again[0] is reader.heads[head[:-2]]
