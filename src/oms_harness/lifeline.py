"""Children that die with the harness, however it dies (SIGKILL included).

Two mechanisms, because either alone has a gap: Linux's parent-death signal
(``prctl(PR_SET_PDEATHSIG)``, set in the child between fork and exec, so there is no window
in which the child runs unprotected) and, everywhere, a watch in the child that notices its
parent pid change (the harness died, the child was re-parented) and kills the child's own
process group. The harness starts every child in a new session, so that group is exactly
the child and whatever it forked (Locust's workers).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import threading
import time
from collections.abc import Callable

PARENT_PID_ENV = "OMS_HARNESS_PARENT_PID"
"""Set by the harness for its children: the pid whose death ends them."""
PR_SET_PDEATHSIG = 1
WATCH_INTERVAL_S = 0.5


def _load_prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl: Callable[..., int] = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    return prctl


_PRCTL = _load_prctl()
"""Looked up at import, in the parent: between fork and exec nothing may load a library."""


def set_parent_death_signal(sig: int = signal.SIGKILL) -> bool:
    """Ask Linux to send ``sig`` to this process when its parent dies; False elsewhere."""
    if _PRCTL is None:
        return False
    return int(_PRCTL(PR_SET_PDEATHSIG, int(sig), 0, 0, 0)) == 0


def preexec_for(parent: int) -> Callable[[], None]:
    """A ``Popen(preexec_fn=...)`` that arms the parent-death signal in the child.

    If ``parent`` died before the signal was armed (the fork raced its death), the child
    exits at once instead of running as an orphan.
    """

    def arm() -> None:
        set_parent_death_signal(signal.SIGKILL)
        if os.getppid() != parent:
            os._exit(1)

    return arm


def child_environment(parent: int | None = None) -> dict[str, str]:
    """The variables that tell a child whom to watch (merge into its environment)."""
    return {PARENT_PID_ENV: str(os.getpid() if parent is None else parent)}


def _orphaned() -> None:
    """Our parent is gone: end this process and everything it started."""
    with contextlib.suppress(OSError):
        if os.getpgrp() == os.getpid():  # a group of our own (the harness's children are)
            os.killpg(os.getpgrp(), signal.SIGKILL)
    os._exit(1)


def watch_parent(
    environ: dict[str, str] | None = None,
    *,
    on_orphaned: Callable[[], None] = _orphaned,
    interval_s: float = WATCH_INTERVAL_S,
) -> bool:
    """In a child of the harness: arm the parent-death signal and start the parent watch.

    Does nothing (False) when the process was not started by the harness (no
    :data:`PARENT_PID_ENV`), e.g. ``locust -f load/locustfile.py`` run by hand.
    """
    source = os.environ if environ is None else environ
    try:
        parent = int(source.get(PARENT_PID_ENV, ""))
    except ValueError:
        return False
    if os.getppid() != parent:
        on_orphaned()
        return True
    set_parent_death_signal(signal.SIGKILL)

    owner = os.getpid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval_s)
        if os.getpid() == owner:  # a forked copy of this watch (gevent) leaves it to its hook
            on_orphaned()

    threading.Thread(target=watch, name="oms-parent-watch", daemon=True).start()
    return True


def arm_forked_children() -> None:
    """Processes this one forks (Locust's ``--processes`` workers) die with it too."""
    if hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=lambda: set_parent_death_signal(signal.SIGKILL))
