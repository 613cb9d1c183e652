"""Small misbehaving targets, in-process on 127.0.0.1: each thread serves one kind of fault."""

from __future__ import annotations

import contextlib
import select
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

Behaviour = Callable[[socket.socket, threading.Event], None]

OK_HEAD = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"


def _read_request(conn: socket.socket, stop: threading.Event) -> bool:
    """Read up to the end of the request headers; False if the client went away."""
    data = b""
    while b"\r\n\r\n" not in data and not stop.is_set():
        ready, _, _ = select.select([conn], [], [], 0.2)
        if not ready:
            continue
        chunk = conn.recv(65536)
        if not chunk:
            return False
        data += chunk
    return not stop.is_set()


def never_answers(conn: socket.socket, stop: threading.Event) -> None:
    _read_request(conn, stop)
    stop.wait()


def trickles_body(conn: socket.socket, stop: threading.Event) -> None:
    if not _read_request(conn, stop):
        return
    conn.sendall(OK_HEAD + b"content-length: 1048576\r\n\r\n")
    while not stop.wait(0.5):
        conn.sendall(b" " * 1024)


def trickles_headers(conn: socket.socket, stop: threading.Event) -> None:
    if not _read_request(conn, stop):
        return
    conn.sendall(b"HTTP/1.1 200 OK\r\n")
    while not stop.wait(0.3):
        conn.sendall(b"x-slow: 1\r\n")


def garbage(conn: socket.socket, stop: threading.Event) -> None:
    _read_request(conn, stop)
    conn.sendall(bytes(range(256)) * 8)


def resets(conn: socket.socket, stop: threading.Event) -> None:
    _read_request(conn, stop)
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def huge_body(conn: socket.socket, stop: threading.Event) -> None:
    if not _read_request(conn, stop):
        return
    size = 50 * 1024 * 1024
    conn.sendall(OK_HEAD + f"content-length: {size}\r\n\r\n".encode())
    block = b"0" * 65536
    with contextlib.suppress(OSError):
        for _ in range(size // len(block)):
            if stop.is_set():
                return
            conn.sendall(block)


def slow_answer(conn: socket.socket, stop: threading.Event) -> None:
    if not _read_request(conn, stop) or stop.wait(3.0):
        return
    body = b'{"error":"late"}'
    conn.sendall(OK_HEAD + f"content-length: {len(body)}\r\n\r\n".encode() + body)


def plain_http(conn: socket.socket, stop: threading.Event) -> None:
    """Answers plain HTTP: a TLS client's handshake gets an HTTP 400 back."""
    with contextlib.suppress(OSError):
        conn.recv(65536)
        conn.sendall(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n")


@contextmanager
def fake_target(behaviour: Behaviour) -> Iterator[int]:
    """Serve ``behaviour`` on a free loopback port until the block ends; yields the port."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()
    threads: list[threading.Thread] = []

    def handle(conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError):
            behaviour(conn, stop)

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=handle, args=(conn,), daemon=True)
            threads.append(thread)
            thread.start()

    acceptor = threading.Thread(target=serve, daemon=True)
    acceptor.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        acceptor.join(timeout=5)
        listener.close()
        for thread in threads:
            thread.join(timeout=5)


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def dying_proxy(upstream: tuple[str, int], *, answer_for_s: float) -> Iterator[int]:
    """A TCP proxy to ``upstream`` that stops answering ``answer_for_s`` after its first
    connection: it closes every connection and its listening socket (connection refused)."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    port = listener.getsockname()[1]
    stop = threading.Event()
    first: list[float] = []
    open_sockets: list[socket.socket] = []
    lock = threading.Lock()

    def pump(src: socket.socket, dst: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while not stop.is_set():
                ready, _, _ = select.select([src], [], [], 0.1)
                if not ready:
                    continue
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        for sock in (src, dst):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def serve() -> None:
        while not stop.is_set():
            if first and time.monotonic() - first[0] > answer_for_s:
                stop.set()
                break
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if not first:
                first.append(time.monotonic())
            server = socket.create_connection(upstream)
            with lock:
                open_sockets.extend([client, server])
            for src, dst in ((client, server), (server, client)):
                threading.Thread(target=pump, args=(src, dst), daemon=True).start()
        listener.close()  # from now on: connection refused
        with lock:
            for sock in open_sockets:
                with contextlib.suppress(OSError):
                    sock.close()

    acceptor = threading.Thread(target=serve, daemon=True)
    acceptor.start()
    try:
        yield port
    finally:
        stop.set()
        acceptor.join(timeout=5)


def not_found(conn: socket.socket, stop: threading.Event) -> None:
    """Answers every request 404: it does not know the profile's customers."""
    if not _read_request(conn, stop):
        return
    body = b'{"error":"customer not found"}'
    conn.sendall(
        b"HTTP/1.1 404 Not Found\r\ncontent-type: application/json\r\n"
        + f"content-length: {len(body)}\r\nconnection: close\r\n\r\n".encode()
        + body
    )
