"""Machine facts come from ``os.uname()``: no child process, so no inherited secret."""

from __future__ import annotations

import os
import platform
from typing import Any

from oms_harness import host
from oms_harness.regression import baseline
from oms_harness.report import allure


def test_the_facts_start_no_process(spawns: Any) -> None:
    platform._platform_cache.clear()  # type: ignore[attr-defined]  # platform caches its answer
    platform._uname_cache = None  # type: ignore[attr-defined]
    host.platform_name(), host.node_name(), host.python_name()
    baseline.machine_facts()
    allure.environment_values("http://127.0.0.1:9/v0.9", "v1", 7)
    assert spawns == []


def test_the_audit_sees_what_platform_would_start(spawns: Any) -> None:
    """The check above can fail: ``platform.platform()`` runs ``uname -p`` on Linux."""
    platform._platform_cache.clear()  # type: ignore[attr-defined]
    platform._uname_cache = None  # type: ignore[attr-defined]
    platform.platform(terse=True)
    if os.uname().sysname == "Linux":
        assert [s.args[:2] for s in spawns] == [("uname", "-p")]
        assert spawns[0].env is None  # it would inherit the harness's environment whole


def test_the_platform_name_says_system_release_and_machine() -> None:
    info = os.uname()
    name = host.platform_name()
    assert name.startswith(f"{info.sysname}-")
    assert name.endswith(info.machine)
    assert host.node_name() == platform.node()
    assert host.python_name() == f"{platform.python_implementation()} {platform.python_version()}"
