"""What the harness and its Locust processes share: environment names, options, the plan.

The runner (harness side) writes these and the agent (Locust side) reads them; both import
this module, so a name or an option exists once. Nothing here imports Locust or gevent.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .schedule import ArrivalSchedule
from .traffic import RequestKind

PLAN_ENV = "OMS_HARNESS_LOAD_PLAN"
"""Path of the JSON plan (traffic mix, results path): no secret in it."""
PLAN_JSON_ENV = "OMS_HARNESS_LOAD_PLAN_JSON"
"""The same plan inline, for containers where mounting a file is awkward."""
TOKEN_ENV = "OMS_HARNESS_LOAD_TOKEN"
"""The bearer token travels by environment only: never on a command line, never in a file."""
KEY_ENV = "OMS_HARNESS_LOAD_API_KEY"
SECRET_ENV = "OMS_HARNESS_LOAD_API_SECRET"
"""Client credentials reach the Locust processes by environment only (each exchanges them)."""
SHAPE_ENV = "OMS_HARNESS_LOAD_SHAPE"
"""``1``: the locustfile defines the load shape (ramp and spike end by themselves)."""
FINAL_MESSAGE = "oms_final"
"""Locust message type of a worker's final report."""
PROGRESS_PREFIX = "oms-harness-progress: "
"""The master (or only process) prints one JSON progress record per line with this prefix."""
PROGRESS_INTERVAL_S = 5.0
TRANSPORTS = ("auto", "fasthttp")
BACKSTOP_MARGIN_S = 5.0
"""The run-time backstop: schedule + drain + this; normally the run ends earlier by itself."""


@dataclass(frozen=True)
class AgentPlan:
    """The non-secret part of a run's configuration, read by every Locust process."""

    kinds: tuple[RequestKind, ...]
    results_path: str = ""
    """Where the master writes the merged results; ``-``: log them; empty: nowhere (workers)."""
    stable_balances: bool = False
    """The profile's ``stable_balances``: repeated answers must agree (judged under load too)."""

    def to_json(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "kinds": [k.to_json() for k in self.kinds],
            "results_path": self.results_path,
        }
        if self.stable_balances:  # absent = false: plans written before it still read
            found["stable_balances"] = True
        return found

    def dumps(self, *, compact: bool = False) -> str:
        if compact:
            return json.dumps(self.to_json(), separators=(",", ":"))
        return json.dumps(self.to_json(), indent=1)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> AgentPlan:
        return cls(
            kinds=tuple(RequestKind.from_json(k) for k in data["kinds"]),
            results_path=str(data.get("results_path") or ""),
            stable_balances=data.get("stable_balances") is True,
        )

    def write(self, path: Path) -> None:
        path.write_text(self.dumps(), encoding="utf-8")

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> AgentPlan:
        """The plan from a file (``oms-harness load``) or inline JSON (containers)."""
        env = os.environ if environ is None else environ
        inline, path = env.get(PLAN_JSON_ENV), env.get(PLAN_ENV)
        if inline:
            return cls.from_json(json.loads(inline))
        if path:
            return cls.from_json(json.loads(Path(path).read_text(encoding="utf-8")))
        raise RuntimeError(
            f"neither {PLAN_ENV} nor {PLAN_JSON_ENV} is set: see load/README.md "
            "(or run this locustfile through `oms-harness load`)"
        )


@dataclass(frozen=True)
class AgentOptions:
    """The ``--oms-*`` options of the locustfile: written by the runner, parsed by Locust."""

    schedule: ArrivalSchedule
    max_in_flight: int = 100
    interval_s: float = 1.0
    drain_s: float = 10.0
    timeout_s: float = 10.0
    transport: str = "auto"
    """``auto``: the fast path when its self-check passes; ``fasthttp``: Locust's public one."""
    start_at: float | None = None
    """Epoch seconds at which the schedule starts (interleaved A/B runs: two generators start
    on one instant, so their alternating slices line up); None: right away."""

    def to_argv(self) -> list[str]:
        return [
            "--oms-schedule",  # compact: no whitespace (container args split on it)
            json.dumps(self.schedule.to_json(), separators=(",", ":")),
            "--oms-max-in-flight",
            str(self.max_in_flight),
            "--oms-interval",
            f"{self.interval_s:g}",
            "--oms-drain",
            f"{self.drain_s:g}",
            "--oms-timeout",
            f"{self.timeout_s:g}",
            *(["--oms-transport", self.transport] if self.transport != "auto" else []),
            *(["--oms-start-at", repr(self.start_at)] if self.start_at is not None else []),
        ]

    @staticmethod
    def add_to(parser: Any) -> None:
        """Register the options on Locust's parser (``init_command_line_parser``)."""
        group = parser.add_argument_group("oms-harness open model (set by `oms-harness load`)")
        group.add_argument("--oms-schedule", default="", help="arrival stages as JSON")
        group.add_argument("--oms-max-in-flight", type=int, default=100)
        group.add_argument("--oms-interval", type=float, default=1.0)
        group.add_argument("--oms-drain", type=float, default=10.0)
        group.add_argument("--oms-timeout", type=float, default=10.0)
        group.add_argument("--oms-transport", choices=TRANSPORTS, default="auto")
        group.add_argument("--oms-start-at", type=float, default=None, help="epoch seconds")

    @classmethod
    def from_parsed(cls, options: Any) -> AgentOptions:
        return cls(
            schedule=ArrivalSchedule.from_json(json.loads(options.oms_schedule)),
            max_in_flight=int(options.oms_max_in_flight),
            interval_s=float(options.oms_interval),
            drain_s=float(options.oms_drain),
            timeout_s=float(options.oms_timeout),
            transport=str(getattr(options, "oms_transport", "auto")),
            start_at=getattr(options, "oms_start_at", None),
        )

    @property
    def backstop_s(self) -> float:
        """Locust's run-time limit from the schedule's start; Locust counts from its own start,
        so the runner adds the wait before the schedule (:meth:`lead_s`)."""
        return self.schedule.duration + self.drain_s + BACKSTOP_MARGIN_S

    def lead_s(self, now: float) -> float:
        """How long, seen from ``now`` (epoch seconds), until the schedule starts."""
        return max(self.start_at - now, 0.0) if self.start_at is not None else 0.0


def progress_record(fields: Mapping[str, Any]) -> str:
    """One progress line as the agent prints it."""
    return PROGRESS_PREFIX + json.dumps(dict(fields), separators=(",", ":"))


def parse_progress(line: str) -> dict[str, Any] | None:
    """The record of a progress line, or None for any other line."""
    start = line.find(PROGRESS_PREFIX)
    if start < 0:
        return None
    try:
        data = json.loads(line[start + len(PROGRESS_PREFIX) :])
    except ValueError:
        return None
    return data if isinstance(data, dict) else None
