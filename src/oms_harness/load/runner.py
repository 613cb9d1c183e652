"""Run one load scenario: Locust as a subprocess, then the verdict from its merged results.

Locust runs in its own process (its import monkey-patches with gevent, which must stay out of
the harness and its tests). The harness writes a plan, passes the token by environment only,
waits for the run to end by itself (bounded by a backstop timeout), then computes
percentiles, SLO verdicts and generator health from ``results.json``.

Exit codes: 0 SLOs met; 1 an SLO breached; 2 usage/profile (raised); 3 target unavailable
(raised by the preflight); 4 result invalid (the generator was the bottleneck, or a process
never reported).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from .._resources import load_dir
from ..errors import HarnessError, UsageError
from ..exit_codes import ExitCode
from ..preflight import preflight
from ..profile import TargetProfile, static_token
from ..redaction import Redactor
from . import auth, histograms, plot, safety, slo, summary
from .health import GeneratorHealth, ProcessHealth, assess
from .results import RESULTS_FILE, extract_results, read_results, write_results
from .schedule import SCENARIOS, ArrivalSchedule
from .slo import SloVerdict
from .traffic import RequestKind, build_mix

PLAN_ENV = "OMS_HARNESS_LOAD_PLAN"
PLAN_JSON_ENV = "OMS_HARNESS_LOAD_PLAN_JSON"
TOKEN_ENV = "OMS_HARNESS_LOAD_TOKEN"
SHAPE_ENV = "OMS_HARNESS_LOAD_SHAPE"
SHAPED_SCENARIOS = frozenset({"ramp", "spike"})
CONCURRENCY_SECONDS = 2.0
"""Default in-flight cap: two seconds' worth of arrivals at the peak rate (a stall of up to
~2 s is absorbed without the schedule slipping). Connections open only as needed."""
MIN_USERS = 32
DRAIN_S = 10.0
TIMEOUT_S = 10.0
BACKSTOP_MARGIN_S = 5.0
STARTUP_ALLOWANCE_S = 60.0


class GeneratorFailedError(HarnessError):
    """Locust ended without results: the run measured nothing trustworthy."""

    exit_code = ExitCode.RESULT_INVALID


@dataclass(frozen=True)
class LoadResult:
    exit_code: int
    report_dir: Path
    summary_path: Path
    plot_path: Path | None
    slos: list[SloVerdict]
    generator_bound: bool
    achieved_rps: float
    target_rps: float
    requests: int
    failures: dict[str, int] = field(default_factory=dict)
    contract_violations: dict[str, int] = field(default_factory=dict)
    """Rule id -> answers under load that broke it (the ``contract_violations`` SLO)."""


@dataclass(frozen=True)
class Distribution:
    """Where the generator processes run: here, or as a master awaiting remote workers."""

    mode: Literal["local", "master"] = "local"
    expect_workers: int = 1
    bind_host: str = "127.0.0.1"
    port: int = 5557


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _report_dir(root: Path, scenario: str) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    for attempt in range(100):
        candidate = root / (f"{scenario}-{stamp}" + (f"-{attempt}" if attempt else ""))
        try:
            candidate.mkdir(parents=True)
        except FileExistsError:
            continue
        return candidate
    raise UsageError(f"cannot create a report directory under {root}")  # pragma: no cover


def default_users(peak_rps: float, processes: int) -> int:
    return min(
        max(MIN_USERS, math.ceil(peak_rps * CONCURRENCY_SECONDS), processes), safety.MAX_USERS
    )


def write_plan(path: Path, kinds: list[RequestKind], results_path: Path | None) -> None:
    """The non-secret part of a run's configuration, read by every Locust process."""
    plan = {
        "kinds": [k.to_json() for k in kinds],
        "results_path": str(results_path) if results_path else "",
    }
    path.write_text(json.dumps(plan, indent=1), encoding="utf-8")


def locust_env(
    plan_path: Path, token: str, *, shaped: bool, secrets: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Locust's environment: the plan's path, the token and (client credentials) key/secret."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("LOCUST_") and k not in (auth.KEY_ENV, auth.SECRET_ENV)
    }
    env.update({PLAN_ENV: str(plan_path), TOKEN_ENV: token, "PYTHONUNBUFFERED": "1"})
    env.update(secrets or {})
    env.pop(SHAPE_ENV, None)
    if shaped:
        env[SHAPE_ENV] = "1"
    return env


def _oms_args(
    schedule: ArrivalSchedule, users: int, interval_s: float, drain_s: float, timeout_s: float
) -> list[str]:
    return [
        "--oms-schedule",
        json.dumps(schedule.to_json()),
        "--oms-max-in-flight",
        str(users),
        "--oms-interval",
        f"{interval_s:g}",
        "--oms-drain",
        f"{drain_s:g}",
        "--oms-timeout",
        f"{timeout_s:g}",
    ]


def _run_subprocess(
    command: list[str],
    env: Mapping[str, str],
    cwd: Path,
    log_path: Path,
    timeout: float,
    *,
    echo: bool,
    label: str,
) -> int:
    """Run Locust in its own session (so its forked workers die with it), bounded by ``timeout``."""
    started = time.monotonic()
    next_note = started + 5.0
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            env=dict(env),
            cwd=cwd,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            while True:
                try:
                    return process.wait(timeout=0.25)
                except subprocess.TimeoutExpired:
                    pass
                now = time.monotonic()
                if now - started > timeout:
                    _stop_group(process)
                    raise GeneratorFailedError(
                        f"Locust did not end within {timeout:.0f} s; stopped it"
                    )
                if echo and now >= next_note:
                    print(f"  {label}: {now - started:.0f} s elapsed", flush=True)
                    next_note = now + 5.0
        except BaseException:
            _stop_group(process)
            raise


def _stop_group(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    for sig, wait in ((signal.SIGINT, 5.0), (signal.SIGTERM, 3.0), (signal.SIGKILL, 3.0)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def _log_tail(path: Path, secrets: list[str], lines: int = 5) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    tail = [line for line in text.splitlines() if line.strip()][-lines:]
    return Redactor(secrets)(" | ".join(tail))[-400:]


def plan_run(
    base_url: str,
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
) -> tuple[ArrivalSchedule, int, int]:
    """Validate a run before anything starts: (schedule, in-flight cap, generator processes)."""
    safety.check_target(base_url, allow_production=allow_production)
    if scenario not in SCENARIOS:
        raise UsageError(f"unknown scenario {scenario!r} (known: {', '.join(SCENARIOS)})")
    safety.check_processes(processes, limits or safety.Limits())
    dist = distribution or Distribution()
    workers = dist.expect_workers if dist.mode == "master" else processes
    try:
        schedule = SCENARIOS[scenario].schedule(rate, duration, ramp_up)
    except ValueError as exc:
        raise UsageError(f"scenario {scenario}: {exc}") from None
    in_flight = users if users is not None else default_users(schedule.peak_rps, workers)
    safety.check_bounds(
        peak_rps=schedule.peak_rps,
        duration=schedule.duration,
        users=in_flight,
        limits=limits or safety.Limits(),
    )
    if in_flight < workers:
        raise UsageError(
            f"--users ({in_flight}) must be at least the number of processes ({workers})"
        )
    return schedule, in_flight, workers


def run_load(
    profile: TargetProfile,
    *,
    scenario: str = "smoke",
    rate: float | None = None,
    duration: float | None = None,
    users: int | None = None,
    processes: int = 1,
    allow_production: bool = False,
    output_root: Path = Path("reports/load"),
    slo_overrides: Mapping[str, float | None] | None = None,
    echo: bool = True,
    token: str | None = None,
    limits: safety.Limits | None = None,
    distribution: Distribution | None = None,
    drain_s: float = DRAIN_S,
    timeout_s: float = TIMEOUT_S,
    ramp_up: float = 0.0,
) -> LoadResult:
    """Run ``scenario`` against ``profile`` and judge it (see the module docstring)."""
    dist = distribution or Distribution()
    schedule, in_flight, workers = plan_run(
        profile.base_url,
        scenario=scenario,
        rate=rate,
        duration=duration,
        users=users,
        processes=processes,
        allow_production=allow_production,
        limits=limits,
        distribution=dist,
        ramp_up=ramp_up,
    )
    kinds = build_mix(profile)
    limits_in_force = slo.resolve(profile.slo, slo_overrides, schedule.mean_rps)
    static = token if token is not None else static_token(profile.credentials)
    if static is not None:  # a static token cannot be renewed: it must outlive the run
        auth.check_token_lifetime(static, schedule.duration + drain_s)
    secrets: dict[str, str] = {}
    if token is None:
        token = _token(profile)
        secrets = auth.client_credentials_env(profile, os.environ)

    report_dir = _report_dir(output_root.resolve(), scenario)
    results_path = report_dir / RESULTS_FILE
    plan_path = report_dir / "plan.json"
    write_plan(plan_path, kinds, results_path)
    interval_s = max(1.0, round(schedule.duration / 300))
    backstop = schedule.duration + drain_s + BACKSTOP_MARGIN_S
    shaped = scenario in SHAPED_SCENARIOS
    command = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(load_dir() / "locustfile.py"),
        "--headless",
        "--host",
        profile.base_url,
        "--stop-timeout",
        f"{drain_s:g}",
        "--csv",
        str(report_dir / "locust"),
        "--html",
        str(report_dir / "locust.html"),
        "--exit-code-on-error",
        "0",
        "--only-summary",
        "--web-host",
        "127.0.0.1",
        *_oms_args(schedule, in_flight, interval_s, drain_s, timeout_s),
    ]
    if not shaped:  # a shape sets users itself and ends the run by itself
        command += ["--users", str(workers), "--spawn-rate", str(workers)]
        command += ["--run-time", f"{math.ceil(backstop)}s"]
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
    elif processes > 1:
        port = _free_port()
        command += [
            "--processes",
            str(processes),
            "--master-bind-host",
            "127.0.0.1",
            "--master-bind-port",
            str(port),
            "--master-port",
            str(port),
        ]
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    if echo:
        where = (
            f"{workers} process(es)"
            if dist.mode == "local"
            else f"master awaiting {workers} worker(s) on {dist.bind_host}:{dist.port}"
        )
        print(
            f"load {scenario}: {schedule.mean_rps:g} req/s mean, peak {schedule.peak_rps:g}, "
            f"{schedule.duration:g} s, up to {in_flight} in flight, {where} -> {report_dir}",
            flush=True,
        )
    log_path = report_dir / "locust.log"
    allowance = STARTUP_ALLOWANCE_S + (3600.0 if dist.mode == "master" else 0.0)
    _run_subprocess(
        command,
        locust_env(plan_path, token, shaped=shaped, secrets=secrets),
        report_dir,
        log_path,
        backstop + allowance,
        echo=echo,
        label=f"load {scenario}",
    )
    hidden = [token, *secrets.values()]
    if not results_path.exists():
        Redactor(hidden).tree(report_dir)
        raise GeneratorFailedError(
            f"Locust wrote no results (see {log_path}): {_log_tail(log_path, hidden)}"
        )
    result = _judge(
        results_path=results_path,
        report_dir=report_dir,
        scenario=scenario,
        base_url=profile.base_url,
        started_at=started_at,
        schedule=schedule,
        in_flight=in_flight,
        workers=workers,
        limits=limits_in_force,
        echo=echo,
    )
    Redactor(hidden).tree(report_dir)
    return result


def _token(profile: TargetProfile) -> str:
    """The bearer token, checked by the shared preflight (exit 3 when unreachable/rejected)."""
    return preflight(profile)


def _judge(
    *,
    results_path: Path,
    report_dir: Path,
    scenario: str,
    base_url: str,
    started_at: str,
    schedule: ArrivalSchedule,
    in_flight: int,
    workers: int,
    limits: Mapping[str, float],
    echo: bool,
) -> LoadResult:
    results = read_results(results_path)
    window = schedule.duration
    latency = summary.latency_tables(results)
    measured = summary.measured_figures(results, latency, window)
    verdicts = slo.evaluate(
        limits, measured, {"contract_violations": summary.violation_detail(results)}
    )
    health = _health(results, window)
    invalid = list(health.reasons)
    reported = int(results.get("processes_reported", 0))
    expected = int(results.get("processes_expected", 1))
    if reported < expected:
        invalid.append(f"only {reported} of {expected} generator processes reported")
    if invalid:
        exit_code = int(ExitCode.RESULT_INVALID)
    elif all(v.passed for v in verdicts):
        exit_code = int(ExitCode.OK)
    else:
        exit_code = int(ExitCode.FAILED)

    hists = results["histograms"]
    histograms.write_hgrm(
        histograms.decode(hists["corrected"]), report_dir / summary.HGRM_CORRECTED
    )
    histograms.write_hgrm(histograms.decode(hists["raw"]), report_dir / summary.HGRM_RAW)
    plot_path: Path | None = report_dir / summary.PLOT_FILE
    try:
        plot.render(
            plot_path,  # type: ignore[arg-type]
            title=f"{scenario} at {schedule.mean_rps:g} req/s",
            intervals=results.get("intervals", []),
            interval_s=float(results.get("interval_s", 1.0)),
            curves={
                "corrected": histograms.percentile_curve(histograms.decode(hists["corrected"])),
                "raw": histograms.percentile_curve(histograms.decode(hists["raw"])),
            },
            target=summary.public_url(base_url),
            started_at=started_at,
            planned_rps=schedule.mean_rps,
            limits=limits,
            failures=plot.failures_per_second(report_dir / "locust_stats_history.csv"),
        )
    except (OSError, ValueError) as exc:  # a plot is a convenience, never the verdict
        print(f"  (no plot: {type(exc).__name__}: {exc})", file=sys.stderr)
        plot_path = None
    outputs = {
        "summary": summary.SUMMARY_FILE,
        "results": RESULTS_FILE,
        "hgrm_corrected": summary.HGRM_CORRECTED,
        "hgrm_raw": summary.HGRM_RAW,
        "plot": summary.PLOT_FILE if plot_path else "",
        "locust_html": "locust.html",
        "locust_csv": "locust_stats.csv",
        "locust_log": "locust.log",
    }
    plan = {
        "schedule": schedule.to_json(),
        "duration_s": schedule.duration,
        "target_rps": round(schedule.mean_rps, 3),
        "peak_rps": schedule.peak_rps,
        "planned_requests": schedule.total_arrivals,
        "max_in_flight": in_flight,
        "processes": workers,
    }
    document = summary.build_summary(
        scenario=scenario,
        base_url=base_url,
        started_at=started_at,
        plan=plan,
        results=results,
        latency=latency,
        measured=measured,
        limits=limits,
        verdicts=verdicts,
        health=health,
        invalid_reasons=invalid,
        exit_code=exit_code,
        outputs=outputs,
    )
    summary_path = report_dir / summary.SUMMARY_FILE
    summary.write_summary(summary_path, document)
    if echo:
        print(summary.format_report(document), flush=True)
        print(f"  report: {report_dir}", flush=True)
    counters = results.get("counters", {})
    return LoadResult(
        exit_code=exit_code,
        report_dir=report_dir,
        summary_path=summary_path,
        plot_path=plot_path,
        slos=verdicts,
        generator_bound=bool(invalid),
        achieved_rps=health.achieved_rps,
        target_rps=health.target_rps,
        requests=int(counters.get("completed", 0)) + int(counters.get("unfinished", 0)),
        failures={str(k): int(v) for k, v in results.get("failures", {}).items()},
        contract_violations={
            str(k): int(v) for k, v in results.get("contract_violations", {}).items()
        },
    )


def _health(results: Mapping[str, Any], window: float) -> GeneratorHealth:
    processes = {
        name: ProcessHealth(
            cpu_samples=tuple(float(x) for x in p.get("cpu_samples", [])),
            planned=int(p.get("planned", 0)),
            sent=int(p.get("sent", 0)),
            send_span_s=float(p.get("send_span_s", 0.0)),
            users=int(p.get("users", 0)),
            max_in_flight=int(p.get("max_in_flight", 0)),
            late_sends=int(p.get("late_sends", 0)),
        )
        for name, p in results.get("processes", {}).items()
    }
    return assess(processes, window_s=window)


def run_worker(
    profile: TargetProfile,
    *,
    master_host: str,
    master_port: int = 5557,
    processes: int = 1,
    token: str | None = None,
    output_root: Path = Path("reports/load"),
    echo: bool = True,
    max_wait_s: float = 4 * 3600.0,
    limits: safety.Limits | None = None,
) -> int:
    """Serve as Locust worker(s) for a master elsewhere; the master judges the run."""
    safety.check_processes(processes, limits or safety.Limits())
    kinds = build_mix(profile)
    secrets: dict[str, str] = {}
    if token is None:
        token = _token(profile)
        secrets = auth.client_credentials_env(profile, os.environ)
    report_dir = _report_dir(output_root.resolve(), "worker")
    plan_path = report_dir / "plan.json"
    write_plan(plan_path, kinds, None)
    command = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(load_dir() / "locustfile.py"),
        "--worker",
        "--master-host",
        master_host,
        "--master-port",
        str(master_port),
    ]
    if processes > 1:
        command += ["--processes", str(processes)]
    if echo:
        print(
            f"load worker: {processes} process(es) -> master {master_host}:{master_port}",
            flush=True,
        )
    log_path = report_dir / "locust.log"
    code = _run_subprocess(
        command,
        locust_env(plan_path, token, shaped=False, secrets=secrets),
        report_dir,
        log_path,
        max_wait_s,
        echo=False,
        label="worker",
    )
    Redactor([token, *secrets.values()]).tree(report_dir)
    return int(ExitCode.OK) if code == 0 else int(ExitCode.RESULT_INVALID)


def judge_results(
    source: Path,
    *,
    profile_slo: Mapping[str, float] | None = None,
    slo_overrides: Mapping[str, float | None] | None = None,
    output_root: Path = Path("reports/load"),
    base_url: str = "",
    echo: bool = True,
) -> LoadResult:
    """Judge results a master produced elsewhere (a ``results.json`` or its log line).

    For runs this harness did not start itself, e.g. on Kubernetes (see load/README.md).
    """
    try:
        results = extract_results(source.read_text(encoding="utf-8", errors="replace"))
        schedule = ArrivalSchedule.from_json(results["schedule"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UsageError(f"cannot read load results from {source}: {exc}") from None
    report_dir = _report_dir(output_root.resolve(), "judged")
    results_path = report_dir / RESULTS_FILE
    write_results(results_path, results)
    limits = slo.resolve(profile_slo or {}, slo_overrides, schedule.mean_rps)
    return _judge(
        results_path=results_path,
        report_dir=report_dir,
        scenario="judged",
        base_url=base_url,
        started_at=datetime.now(UTC).isoformat(timespec="seconds"),
        schedule=schedule,
        in_flight=int(results.get("max_in_flight", 0)),
        workers=int(results.get("processes_expected", 1)),
        limits=limits,
        echo=echo,
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
    """What a Locust master/worker container needs (Kubernetes): plan JSON and master args.

    No token in it: the token reaches the pods as ``OMS_HARNESS_LOAD_TOKEN`` (see README).
    """
    dist = Distribution("master", expect_workers=workers)
    schedule, in_flight, _ = plan_run(
        profile.base_url,
        scenario=scenario,
        rate=rate,
        duration=duration,
        users=users,
        allow_production=allow_production,
        limits=limits,
        distribution=dist,
        ramp_up=ramp_up,
    )
    plan = {"kinds": [k.to_json() for k in build_mix(profile)], "results_path": "-"}
    backstop = math.ceil(schedule.duration + DRAIN_S + BACKSTOP_MARGIN_S)
    args = [
        "--headless",
        "--host",
        profile.base_url,
        "--users",
        str(workers),
        "--spawn-rate",
        str(workers),
        "--expect-workers",
        str(workers),
        "--run-time",
        f"{backstop}s",
        "--stop-timeout",
        f"{DRAIN_S:g}",
        "--only-summary",
        "--exit-code-on-error",
        "0",
        *_oms_args(
            schedule, in_flight, max(1.0, round(schedule.duration / 300)), DRAIN_S, TIMEOUT_S
        ),
    ]
    return {
        PLAN_JSON_ENV: json.dumps(plan, separators=(",", ":")),
        "locust_args": shlex.join(args),
    }
