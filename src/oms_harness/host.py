"""Facts about this machine for reports and baselines, read without starting a process.

``platform.platform()`` and ``platform.processor()`` run ``uname -p`` on Linux, and that
child inherits the harness's whole environment, a ``token_env`` token included. Every
process the harness starts gets an environment without credentials (``child_env``); these
facts come from ``os.uname()`` alone, so none is started behind its back.
"""

from __future__ import annotations

import os
import platform


def platform_name() -> str:
    """``Linux-6.8.0-x86_64``: the system, its release and the machine architecture."""
    info = os.uname()
    parts = (info.sysname, info.release, info.machine)
    return "-".join(part.strip().replace(" ", "_") for part in parts if part.strip())


def node_name() -> str:
    """The host name, as ``platform.node()`` gives it (no process started)."""
    return os.uname().nodename


def python_name() -> str:
    """``CPython 3.11.7``."""
    return f"{platform.python_implementation()} {platform.python_version()}"
