"""The common-case HTTP/1.1 response reader of the fast transport (pure bytes, no sockets).

Nearly every answer under load is the same shape: ``HTTP/1.1 <2xx-5xx>``, a few ASCII
headers with one ``Content-Length``, keep-alive, a small body in the same segment. For
that shape geventhttpclient's C parser still calls back into Python once per header and
builds a header object (about 10 µs per request); here the head is checked with a few
compiled regular expressions and, since a server repeats the same head until its ``Date``
changes, memoised on its exact bytes.

Anything else is not handled here but *declined* (:class:`Unusual`, carrying every byte
read so far), and the transport hands those bytes to geventhttpclient's parser, which
goes on reading the socket: chunked or unframed bodies, 1xx/204/304, ``Connection``
other than keep-alive, HTTP/1.0, a duplicated ``Content-Length``/``Content-Type``/
``Retry-After``, non-ASCII or invalid characters, oversize heads or bodies, bytes after
the declared body, a close before the end. So correctness never depends on this reader:
it accepts a subset of what the parser accepts and gives the same status, body and
headers for it (tests/load/test_load_wire.py compares the two on the same bytes), and it
never repairs a malformed answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

HEAD_LIMIT = 16 * 1024
"""A head longer than this (without its blank line) goes to the parser."""
BODY_LIMIT = 1024 * 1024
"""A declared body longer than this goes to the parser."""
BLOCK = 16 * 1024
"""Bytes asked of one ``recv``: a whole typical answer."""
CACHE_SIZE = 64
"""Distinct heads remembered (a head changes with its ``Date``, once a second)."""

_STATUS = re.compile(rb"HTTP/1\.1 ([2-5][0-9][0-9])(?: [\t\x20-\x7e]*)?\r\n")
# a token name, a colon, optional leading whitespace (the parser drops it, keeps trailing)
_FIELD = re.compile(rb"([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*([\t\x20-\x7e]*)\r\n")
_DIGITS = re.compile(rb"[0-9]{1,7}")
_NO_BODY = frozenset((204, 304))
_ONCE = {b"content-length": 0, b"content-type": 1, b"retry-after": 2, b"connection": 3}


@dataclass(frozen=True, slots=True)
class Head:
    """What the checks need from a response head."""

    status: int
    length: int
    content_type: str | None
    retry_after: str | None


class Unusual(Exception):  # noqa: N818 - a decision, not an error: the parser takes over
    """Not the common case: the parser reads on from these bytes."""

    def __init__(self, data: bytes) -> None:
        super().__init__("not the common response shape")
        self.data = data


def parse_head(head: bytes) -> Head | None:
    """The head (status line and header lines, each with its CRLF, no blank line), or None
    when it is not the common shape."""
    status_line = _STATUS.match(head)
    if status_line is None:
        return None
    status = int(status_line.group(1))
    if status in _NO_BODY:
        return None
    seen: list[bytes | None] = [None, None, None, None]
    position, end = status_line.end(), len(head)
    match = _FIELD.match
    while position < end:
        field = match(head, position)
        if field is None:
            return None
        position = field.end()
        name = field.group(1).lower()
        slot = _ONCE.get(name)
        if slot is not None:
            if seen[slot] is not None:  # repeated: the parser decides (or rejects)
                return None
            seen[slot] = field.group(2)
        elif name == b"transfer-encoding":
            return None
    length, content_type, retry_after, connection = seen
    if length is None or _DIGITS.fullmatch(length) is None:
        return None
    if connection is not None and connection.lower() != b"keep-alive":
        return None
    size = int(length)
    if size > BODY_LIMIT:
        return None
    return Head(
        status,
        size,
        None if content_type is None else content_type.decode("ascii"),
        None if retry_after is None else retry_after.decode("ascii"),
    )


class Reader:
    """Reads one common-case answer from a connection's ``recv``, or declines it."""

    def __init__(self) -> None:
        self.heads: dict[bytes, Head | None] = {}

    def head(self, raw: bytes) -> Head | None:
        heads = self.heads
        try:
            return heads[raw]
        except KeyError:
            pass
        if len(heads) >= CACHE_SIZE:
            heads.clear()
        parsed = heads[raw] = parse_head(raw)
        return parsed

    def read(self, recv: Callable[[int], bytes], data: bytes) -> tuple[Head, bytes]:
        """(head, body) of the answer that starts with ``data`` (a first read holding at
        least the whole head), reading the rest of the body with ``recv``;
        :class:`Unusual` with every byte read otherwise."""
        end = data.find(b"\r\n\r\n")
        if end < 0 or end + 2 > HEAD_LIMIT:
            # a head split across reads is rare (servers write it whole): the parser reads
            # on, and rejects a malformed one at once instead of waiting for its end
            raise Unusual(data)
        head = self.head(data[: end + 2])
        if head is None:
            raise Unusual(data)
        start = end + 4
        stop = start + head.length
        while len(data) < stop:
            more = recv(max(stop - len(data), BLOCK))
            if not more:
                raise Unusual(data)
            data += more
        if len(data) != stop:  # bytes beyond the declared body
            raise Unusual(data)
        return head, data[start:]
