"""One load run, decided once: the plan from which every Locust invocation is derived.

``oms-harness load`` (the Locust command line it runs), ``--print-container-settings`` and
``--print-kubernetes`` (the Locust operator's ``LocustTest``) all read the same
:class:`LoadPlan`, so a local run and a cluster run of the same scenario get the same
schedule, in-flight cap, drain, timeouts and backstop.
"""

from __future__ import annotations

import math
import shlex
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ..durations import parse_duration
from ..errors import UsageError
from ..profile import TargetProfile
from ..target import check_production
from ..target_url import TargetURL, parse_target_url
from . import safety
from .names import PLAN_JSON_ENV, SHAPE_ENV, AgentOptions, AgentPlan
from .schedule import SCENARIOS, ArrivalSchedule
from .traffic import RequestKind, build_mix

SHAPED_SCENARIOS = frozenset({"ramp", "spike"})
CONCURRENCY_SECONDS = 2.0
"""Default in-flight cap: two seconds' worth of arrivals at the peak rate (a stall of up to
~2 s is absorbed without the schedule slipping). Connections open only as needed."""
MIN_USERS = 32
DRAIN_S = 10.0
TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Distribution:
    """Where the generator processes run: here, or as a master awaiting remote workers."""

    mode: Literal["local", "master"] = "local"
    expect_workers: int = 1
    bind_host: str = "127.0.0.1"
    port: int = 5557


def default_users(peak_rps: float, processes: int) -> int:
    return min(
        max(MIN_USERS, math.ceil(peak_rps * CONCURRENCY_SECONDS), processes), safety.MAX_USERS
    )


@dataclass(frozen=True)
class LoadPlan:
    """A validated run: what to send, how fast, from how many processes, bounded how."""

    base_url: str
    scenario: str
    schedule: ArrivalSchedule
    in_flight: int
    """The cap on requests in flight over all processes (``--max-in-flight`` / ``--users``)."""
    workers: int
    """Generator processes: local ``--processes``, or the workers a master expects."""
    distribution: Distribution = field(default_factory=Distribution)
    drain_s: float = DRAIN_S
    timeout_s: float = TIMEOUT_S
    kinds: tuple[RequestKind, ...] = ()
    transport: str = "auto"
    start_at: float | None = None
    """Epoch seconds at which the schedule starts (interleaved A/B runs); None: right away."""
    stable_balances: bool = False

    @property
    def shaped(self) -> bool:
        """Ramp and spike: a load shape keeps the dispatchers alive and ends the run."""
        return self.scenario in SHAPED_SCENARIOS

    @property
    def interval_s(self) -> float:
        """Per-interval histogram width: at most ~300 intervals per run."""
        return max(1.0, round(self.schedule.duration / 300))

    @property
    def agent_options(self) -> AgentOptions:
        return AgentOptions(
            schedule=self.schedule,
            max_in_flight=self.in_flight,
            interval_s=self.interval_s,
            drain_s=self.drain_s,
            timeout_s=self.timeout_s,
            transport=self.transport,
            start_at=self.start_at,
        )

    @property
    def backstop_s(self) -> float:
        """Locust's own run-time limit (a delayed start included); the run normally ends
        earlier by itself."""
        options = self.agent_options
        return options.backstop_s + options.lead_s(time.time())

    def agent_plan(self, results_path: str) -> AgentPlan:
        return AgentPlan(
            kinds=self.kinds, results_path=results_path, stable_balances=self.stable_balances
        )

    def _run_args(self) -> list[str]:
        """What every master (local or in a container) is given, the ``--oms-*`` included."""
        args = [
            "--headless",
            "--host",
            self.base_url,
            "--stop-timeout",
            f"{self.drain_s:g}",
            "--only-summary",
            "--exit-code-on-error",
            "0",
            *self.agent_options.to_argv(),
        ]
        if not self.shaped:  # a shape sets users itself and ends the run by itself
            args += ["--users", str(self.workers), "--spawn-rate", str(self.workers)]
            args += ["--run-time", f"{math.ceil(self.backstop_s)}s"]
        return args

    def locust_argv(self, locustfile: Path, report_dir: Path, *, local_port: int = 0) -> list[str]:
        """The Locust command line of ``oms-harness load`` (local processes or a master).

        ``local_port``: the loopback port the local master and its forked workers share when
        ``workers > 1`` (the caller picks a free one).
        """
        command = [sys.executable, "-m", "locust", "-f", str(locustfile), *self._run_args()]
        command += ["--csv", str(report_dir / "locust"), "--html", str(report_dir / "locust.html")]
        command += ["--web-host", "127.0.0.1"]
        dist = self.distribution
        if dist.mode == "master":
            command += [
                "--master",
                "--master-bind-host",
                dist.bind_host,
                "--master-bind-port",
                str(dist.port),
                "--expect-workers",
                str(dist.expect_workers),
            ]
        elif self.workers > 1:
            command += [
                "--processes",
                str(self.workers),
                "--master-bind-host",
                "127.0.0.1",
                "--master-bind-port",
                str(local_port),
                "--master-port",
                str(local_port),
            ]
        return command

    def container_args(self) -> list[str]:
        """A master container's arguments (workers ignore the master-only ones)."""
        return [*self._run_args(), "--expect-workers", str(self.workers)]

    def container_settings(self) -> dict[str, str]:
        """What Locust master/worker containers need: the plan JSON and the master args.

        No token in it: the token reaches the pods as ``OMS_HARNESS_LOAD_TOKEN``.
        """
        settings = {
            PLAN_JSON_ENV: self.agent_plan("-").dumps(compact=True),
            "locust_args": shlex.join(self.container_args()),
        }
        if self.shaped:  # ramp and spike: the locustfile defines the load shape
            settings[SHAPE_ENV] = "1"
        return settings


def worker_argv(
    locustfile: Path, *, master_host: str, master_port: int, processes: int
) -> list[str]:
    """The Locust command line of ``oms-harness load --worker``: the master sends the rest."""
    command = [sys.executable, "-m", "locust", "-f", str(locustfile), "--worker"]
    command += ["--master-host", master_host, "--master-port", str(master_port)]
    if processes > 1:
        command += ["--processes", str(processes)]
    return command


PROFILE_DURATIONS = ("duration", "ramp_up")
"""Keys of a profile's ``[load]`` table that are durations (``duration = "1m30s"``): the
defaults of ``--duration`` and ``--ramp-up`` for that target."""


def profile_durations(load: Mapping[str, Any]) -> dict[str, float]:
    """The durations a profile's ``[load]`` table sets, parsed by the one grammar."""
    found = {}
    for key in PROFILE_DURATIONS:
        if key in load:
            value = load[key]
            text = str(value) if isinstance(value, int | float | str) else ""
            if isinstance(value, bool) or not text:
                raise UsageError(f'profile: [load] {key} must be a duration like "1m30s"')
            found[key] = parse_duration(text, f"profile [load] {key}")
    return found


def build_plan(
    url: TargetURL,
    *,
    scenario: str = "smoke",
    rate: float | None = None,
    duration: float | None = None,
    users: int | None = None,
    processes: int = 1,
    allow_production: bool = False,
    limits: safety.Limits | None = None,
    distribution: Distribution | None = None,
    ramp_up: float = 0.0,
    kinds: tuple[RequestKind, ...] = (),
    drain_s: float = DRAIN_S,
    timeout_s: float = TIMEOUT_S,
    transport: str = "auto",
    schedule: ArrivalSchedule | None = None,
    start_at: float | None = None,
    stable_balances: bool = False,
) -> LoadPlan:
    """Validate a run before anything starts (every problem is a :class:`UsageError`).

    ``schedule`` replaces the scenario's own shape and ``start_at`` (epoch seconds) delays
    its start to that instant: both for interleaved A/B runs (``regression/interleave.py``).
    """
    check_production(url, allow_production=allow_production)
    if scenario not in SCENARIOS:
        raise UsageError(f"unknown scenario {scenario!r} (known: {', '.join(SCENARIOS)})")
    bounds = limits or safety.Limits()
    safety.check_processes(processes, bounds)
    dist = distribution or Distribution()
    workers = dist.expect_workers if dist.mode == "master" else processes
    try:
        if schedule is None:
            schedule = SCENARIOS[scenario].schedule(rate, duration, ramp_up)
    except ValueError as exc:
        raise UsageError(f"scenario {scenario}: {exc}") from None
    in_flight = users if users is not None else default_users(schedule.peak_rps, workers)
    safety.check_bounds(
        peak_rps=schedule.peak_rps, duration=schedule.duration, users=in_flight, limits=bounds
    )
    if in_flight < workers:
        raise UsageError(
            f"--max-in-flight ({in_flight}) must be at least the number of processes ({workers})"
        )
    return LoadPlan(
        base_url=url.base_url,
        scenario=scenario,
        schedule=schedule,
        in_flight=in_flight,
        workers=workers,
        distribution=dist,
        drain_s=drain_s,
        timeout_s=timeout_s,
        kinds=kinds,
        transport=transport,
        start_at=start_at,
        stable_balances=stable_balances,
    )


def container_plan(
    profile: TargetProfile,
    *,
    scenario: str = "steady",
    rate: float | None = None,
    duration: float | None = None,
    users: int | None = None,
    workers: int = 1,
    allow_production: bool = False,
    limits: safety.Limits | None = None,
    ramp_up: float = 0.0,
) -> LoadPlan:
    """The plan of a run whose Locust master and workers run in containers (Kubernetes).

    :meth:`LoadPlan.container_settings` (``--print-container-settings``) and
    :func:`.kubernetes.render` (``--print-kubernetes``) both derive from it.
    """
    return build_plan(
        parse_target_url(profile.base_url),  # no Target here: the containers resolve their own
        scenario=scenario,
        rate=rate,
        duration=duration,
        users=users,
        allow_production=allow_production,
        limits=limits,
        distribution=Distribution("master", expect_workers=workers),
        ramp_up=ramp_up,
        kinds=tuple(build_mix(profile)),
        stable_balances=profile.stable_balances,
    )


def container_settings(
    profile: TargetProfile,
    *,
    scenario: str = "steady",
    rate: float | None = None,
    duration: float | None = None,
    users: int | None = None,
    workers: int = 1,
    allow_production: bool = False,
    limits: safety.Limits | None = None,
    ramp_up: float = 0.0,
) -> dict[str, str]:
    """What a Locust master/worker container needs: plan JSON and master args (no token)."""
    return container_plan(
        profile,
        scenario=scenario,
        rate=rate,
        duration=duration,
        users=users,
        workers=workers,
        allow_production=allow_production,
        limits=limits,
        ramp_up=ramp_up,
    ).container_settings()
