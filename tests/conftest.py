"""Shared fixtures for the harness's own tests."""

from __future__ import annotations

import ipaddress
import socket
import sys
from pathlib import Path
from typing import Any, NamedTuple

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA_DIR


def _loopback(address: object) -> bool:
    if isinstance(address, str | bytes):  # AF_UNIX
        return True
    if not isinstance(address, tuple) or not address:
        return False
    host = str(address[0])
    if host == "localhost":
        return True
    try:
        ip = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return ip.is_loopback or ip.is_unspecified  # 0.0.0.0 / :: connect to this host


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test process connects anywhere but loopback (a guard test that failed open would
    otherwise reach production): any other address fails the connect with a clear error.
    Child processes are not covered; they get loopback or fake targets only."""
    connect, connect_ex = socket.socket.connect, socket.socket.connect_ex

    def check(address: object) -> None:
        if not _loopback(address):
            raise OSError(f"test network guard: refusing to connect to {address!r}")

    def guarded_connect(self: socket.socket, address: Any) -> None:
        check(address)
        connect(self, address)

    def guarded_connect_ex(self: socket.socket, address: Any) -> int:
        check(address)
        return connect_ex(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", guarded_connect_ex)


class Spawn(NamedTuple):
    """One ``subprocess.Popen`` seen by the audit hook: ``env`` None means it inherited ours."""

    executable: str
    args: tuple[str, ...]
    env: dict[str, str] | None


_SPAWNS: list[list[Spawn]] = []
_HOOKED = False


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if event == "subprocess.Popen" and _SPAWNS:
        executable, argv, _cwd, env = args
        argv = (argv,) if isinstance(argv, str | bytes) else tuple(argv)
        spawn = Spawn(str(executable), tuple(map(str, argv)), None if env is None else dict(env))
        _SPAWNS[-1].append(spawn)


@pytest.fixture
def spawns() -> Any:
    """Every process this test process starts while the test runs (an audit hook: exact,
    where sampling ``/proc`` can miss a child that lives a millisecond)."""
    global _HOOKED
    if not _HOOKED:
        sys.addaudithook(_audit)  # hooks cannot be removed: one per process, idle between tests
        _HOOKED = True
    seen: list[Spawn] = []
    _SPAWNS.append(seen)
    try:
        yield seen
    finally:
        _SPAWNS.remove(seen)
