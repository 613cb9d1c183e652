"""Locust's event hooks: where a Locust process builds its generator and ships its results.

Imported (through ``agent.py``) only inside the Locust subprocess: importing Locust
monkey-patches the process with gevent. Each Locust process runs one dispatcher user (see
:class:`OpenModelUser`); workers report encoded histograms and counters to the master,
which (or the only process) merges them into ``results.json``, prints a progress record
every few seconds, and ends the run as soon as the schedule is done.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import gevent
from locust import LoadTestShape, User, task
from locust import events as _locust_events
from locust.env import Environment
from locust.exception import StopUser
from locust.runners import LocalRunner, MasterRunner, WorkerRunner

from .. import lifeline
from . import fasthttp, histograms, transport
from .auth import RefreshingAuth
from .checks import LoadChecker
from .generator import Generator
from .names import (
    FINAL_MESSAGE,
    KEY_ENV,
    PROGRESS_INTERVAL_S,
    SECRET_ENV,
    TOKEN_ENV,
    AgentOptions,
    AgentPlan,
    progress_record,
)
from .results import RESULTS_LOG_PREFIX, merge_reports, write_results

events: Any = _locust_events
"""Locust's event hooks are untyped; one ``Any`` keeps mypy strict everywhere else."""

MISSING = transport.self_check()
"""Private touchpoints missing in the installed Locust/gevent/geventhttpclient (checked once)."""


class _State:
    """Per-process state (each forked Locust process has its own copy)."""

    def __init__(self) -> None:
        self.generator: Generator | None = None
        self.finals: dict[str, dict[str, Any]] = {}
        self.early_intervals: dict[str, dict[str, list[Any]]] = {}
        self.progress: dict[str, dict[str, Any]] = {}
        self.progress_corrected: Any = None
        self.written = False
        self.plan: AgentPlan | None = None
        self.started_at = 0.0
        self.started_epoch = 0.0
        """When this process's test started (the load shape's backstop counts from it)."""
        self.fast = False
        """This process uses the private fast path (self-check passed, not --transport fasthttp)."""


STATE = _State()


def _options(environment: Environment) -> AgentOptions:
    return AgentOptions.from_parsed(environment.parsed_options)


def _expected_workers(environment: Environment) -> int:
    return max(int(getattr(environment.parsed_options, "expect_workers", 1) or 1), 1)


def _add_arguments(parser: Any, **_kw: Any) -> None:
    AgentOptions.add_to(parser)


def _on_init(environment: Environment, **_kw: Any) -> None:
    STATE.plan = AgentPlan.from_environment()
    runner = environment.runner
    if isinstance(runner, MasterRunner):
        runner.register_message(FINAL_MESSAGE, _on_final)
        events.worker_report.add_listener(_on_worker_report)
    elif isinstance(runner, WorkerRunner):
        events.report_to_master.add_listener(_on_report_to_master)


def _on_test_start(environment: Environment, **_kw: Any) -> None:
    runner = environment.runner
    if not isinstance(runner, WorkerRunner) and not STATE.started_at:
        STATE.started_at = time.monotonic()
        STATE.started_epoch = time.time()
        gevent.spawn(_progress_loop, environment)
    if isinstance(runner, MasterRunner) or STATE.generator is not None:
        return
    options = _options(environment)
    if isinstance(runner, WorkerRunner):
        count = _expected_workers(environment)
        index = max(runner.worker_index, 0) % count
        name = f"worker-{index}"
    else:
        count, index, name = 1, 0, "local"
    token = os.environ.pop(TOKEN_ENV, "")
    api_key, api_secret = os.environ.pop(KEY_ENV, ""), os.environ.pop(SECRET_ENV, "")
    auth = None
    if api_key and api_secret:  # client credentials: this process exchanges and refreshes
        auth = RefreshingAuth(str(environment.host), api_key, api_secret, timeout=options.timeout_s)
    assert STATE.plan is not None
    kinds = list(STATE.plan.kinds)
    max_in_flight = max(math.ceil(options.max_in_flight / count), 1)
    chosen, warning = transport.open_transport(
        str(environment.host),
        kinds,
        environment=environment,
        max_in_flight=max_in_flight,
        timeout_s=options.timeout_s,
        missing=MISSING,
        force_public=options.transport == fasthttp.PUBLIC,
    )
    STATE.fast = chosen.name == transport.RAW
    if warning:
        print(f"WARNING {warning}", flush=True)
    check = LoadChecker(kinds, stable_balances=STATE.plan.stable_balances)
    check.warm_up(kinds)
    STATE.generator = Generator(
        send=chosen.send,
        use_token=chosen.use_token,
        check=check,
        log_request=transport.stats_logger(environment, events, fast=STATE.fast),
        close=chosen.close,
        kinds=kinds,
        schedule=options.schedule,
        index=index,
        count=count,
        max_in_flight=max_in_flight,
        interval_s=options.interval_s,
        drain_s=options.drain_s,
        name=name,
        token=token,
        auth=auth,
        transport=chosen.name,
        transport_warning=warning,
        fallbacks=(lambda: chosen.fallbacks)
        if isinstance(chosen, transport.RawTransport)
        else None,
        start_at=options.start_at,
    )


def _finish(environment: Environment) -> None:
    generator = STATE.generator
    if generator is None or generator.finished:
        return
    report = generator.report()
    generator.close()
    runner = environment.runner
    if isinstance(runner, WorkerRunner):
        # Locust's request stats first, on the same ordered channel: when the master sees the
        # final report, its stats (CSV, HTML) already hold every request of this worker
        transport.flush_worker_stats(runner, fast=STATE.fast)
        runner.send_message(FINAL_MESSAGE, {"name": generator.name, "report": report})
    elif isinstance(runner, LocalRunner):
        STATE.finals[generator.name] = report
        _write(environment)
        gevent.spawn(runner.quit)


def _on_report_to_master(client_id: str, data: dict[str, Any], **_kw: Any) -> None:
    generator = STATE.generator
    if generator is not None and not generator.finished:
        data["oms_intervals"] = {
            "name": generator.name,
            "intervals": generator.pop_closed_intervals(),
            "progress": generator.progress(),
        }


def _on_worker_report(client_id: str, data: Mapping[str, Any], **_kw: Any) -> None:
    part = data.get("oms_intervals")
    if not part:
        return
    STATE.early_intervals.setdefault(part["name"], {}).update(part["intervals"])
    STATE.progress[part["name"]] = part.get("progress", {})
    for entry in part["intervals"].values():  # [corrected, raw, ...]: see results.py
        _add_progress_latency(histograms.decode(entry[0]))


def _add_progress_latency(histogram: Any) -> None:
    if STATE.progress_corrected is None:
        STATE.progress_corrected = histograms.new_histogram(histograms.INTERVAL_FIGURES)
    STATE.progress_corrected.add(histogram)


def _run_written() -> bool:
    return STATE.written


def _progress_loop(environment: Environment) -> None:
    """Every few seconds: one progress record on stdout (the harness formats and echoes it)."""
    options = _options(environment)
    while True:
        gevent.sleep(PROGRESS_INTERVAL_S)
        if _run_written():
            return
        generator = STATE.generator
        if generator is not None:  # the only process: its own figures
            counters = generator.progress()
            generator.flush(closed_only=True)
            latency = generator.corrected
        else:  # the master: what the workers reported so far
            counters = {}
            for part in STATE.progress.values():
                for key, value in part.items():
                    counters[key] = counters.get(key, 0) + int(value)
            latency = STATE.progress_corrected
        p95 = None
        if latency is not None and latency.get_total_count():
            p95 = round(latency.get_value_at_percentile(95.0) / 1000.0, 2)
        print(
            progress_record(
                {
                    "elapsed_s": round(time.monotonic() - STATE.started_at, 1),
                    "duration_s": options.schedule.duration,
                    "planned": options.schedule.total_arrivals,
                    **counters,
                    "p95_ms": p95,
                }
            ),
            flush=True,
        )


def _on_final(environment: Environment, msg: Any, **_kw: Any) -> None:
    STATE.finals[msg.data["name"]] = msg.data["report"]
    if len(STATE.finals) >= _expected_workers(environment):
        _write(environment)
        gevent.spawn(environment.runner.quit)  # type: ignore[union-attr]


def _write(environment: Environment) -> None:
    plan = STATE.plan
    if STATE.written or plan is None or not plan.results_path:
        return
    reports = {}
    for name, report in STATE.finals.items():
        intervals = {**STATE.early_intervals.get(name, {}), **report.get("intervals", {})}
        reports[name] = {**report, "intervals": intervals}
    options = _options(environment)
    is_master = isinstance(environment.runner, MasterRunner)
    meta = {
        "schedule": options.schedule.to_json(),
        "processes_expected": _expected_workers(environment) if is_master else 1,
        "processes_reported": len(reports),
        "interval_s": options.interval_s,
        "max_in_flight": options.max_in_flight,
    }
    merged = merge_reports(reports, meta)
    if plan.results_path == "-":
        print(RESULTS_LOG_PREFIX + json.dumps(merged, separators=(",", ":")), flush=True)
    else:
        write_results(Path(plan.results_path), merged)
    STATE.written = True


def _on_quitting(environment: Environment, **_kw: Any) -> None:
    """The backstop (run-time limit, Ctrl-C): write whatever arrived, marked as partial."""
    if isinstance(environment.runner, LocalRunner) and STATE.generator is not None:
        _finish(environment)
    if not isinstance(environment.runner, WorkerRunner):
        _write(environment)


def install() -> None:
    """Register the hooks (once per process) and the lifeline to the harness."""
    transport.patch_csv_close(not MISSING)
    events.init_command_line_parser.add_listener(_add_arguments)
    events.init.add_listener(_on_init)
    events.test_start.add_listener(_on_test_start)
    events.quitting.add_listener(_on_quitting)
    lifeline.watch_parent()
    lifeline.arm_forked_children()


class OpenModelUser(User):
    """The dispatcher: one per Locust process; it only walks the schedule."""

    abstract = True

    @task
    def walk_schedule(self) -> None:
        generator = STATE.generator
        if generator is None or generator.started:
            # one dispatcher per process: Locust may hand this process a second user (a
            # worker of the master went missing and its user was rebalanced here); the
            # schedule share is already being walked, so the extra user just ends
            raise StopUser()
        generator.dispatch(transport.stop_requested(self, fast=STATE.fast))
        _finish(self.environment)
        raise StopUser()


class ArrivalShape(LoadTestShape):
    """Ramp and spike runs: one dispatcher per process, stopped after the schedule and drain.

    In the open model the load shape is the *arrival rate*, which the schedule already
    follows stage by stage (see :mod:`oms_harness.load.schedule`); the shape keeps the
    dispatchers alive for exactly that long and then ends the run by itself.
    """

    def tick(self) -> tuple[int, float] | None:
        runner = self.runner
        if runner is None:  # pragma: no cover - Locust sets it before ticking
            return None
        options = _options(runner.environment)
        shape: Any = self
        if shape.get_run_time() > options.backstop_s + options.lead_s(STATE.started_epoch):
            return None
        processes = _expected_workers(runner.environment) if isinstance(runner, MasterRunner) else 1
        return processes, float(processes)
