"""Run one load scenario: Locust as a subprocess, then the verdict from its merged results.

Locust runs in its own process (its import monkey-patches with gevent, which must stay out of
the harness and its tests). The harness decides the run once (:class:`.plan.LoadPlan`: the
Locust command line, container settings and Kubernetes manifest all derive from it), writes
the agent's plan, passes the token by environment only, follows the progress records while
the run ends by itself (bounded by a backstop timeout), then judges ``results.json``
(:mod:`.judge`). The process itself (environment, session, bound, stop) is :mod:`.process`.

Exit codes: 0 SLOs met; 1 an SLO breached; 2 usage/profile (raised); 3 target unavailable
(raised by the preflight, or returned when the target stopped answering during the run and
still does not afterwards); 4 result invalid (the generator was the bottleneck, or a process
never reported).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from .._resources import load_dir
from ..errors import UsageError
from ..exit_codes import ExitCode
from ..profile import TargetProfile
from ..redaction import Redactor
from ..target import Target, as_target
from . import auth, safety, slo
from .judge import LoadResult, judge
from .names import (
    PLAN_ENV,
    PLAN_JSON_ENV,
    SHAPE_ENV,
    TOKEN_ENV,
    AgentPlan,
)
from .outage import outage_reason
from .plan import (
    DRAIN_S,
    TIMEOUT_S,
    Distribution,
    LoadPlan,
    build_plan,
    container_settings,
    default_users,
    worker_argv,
)
from .process import GeneratorFailedError, free_port, locust_env, log_tail, run_locust
from .progress import ProgressPrinter
from .results import RESULTS_FILE, extract_results, read_results, write_results
from .schedule import ArrivalSchedule
from .traffic import build_mix

__all__ = [
    "PLAN_ENV",
    "PLAN_JSON_ENV",
    "SHAPE_ENV",
    "TOKEN_ENV",
    "Distribution",
    "GeneratorFailedError",
    "LoadResult",
    "container_settings",
    "default_users",
    "judge_results",
    "locust_env",
    "run_load",
    "run_worker",
]

STARTUP_ALLOWANCE_S = 60.0


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


def run_load(
    target: Target | TargetProfile,
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
    quiet: bool = False,
    transport: str = "auto",
    schedule: ArrivalSchedule | None = None,
    start_at: float | None = None,
) -> LoadResult:
    """Run ``scenario`` against ``target`` and judge it (see the module docstring).

    ``quiet`` drops the progress lines; ``echo=False`` drops all output. ``schedule``
    replaces the scenario's shape and ``start_at`` (epoch seconds) delays its start to that
    instant: both for interleaved A/B runs (``regression/interleave.py``).
    """
    target = as_target(target)
    profile = target.profile
    plan = build_plan(
        target.url,
        scenario=scenario,
        rate=rate,
        duration=duration,
        users=users,
        processes=processes,
        allow_production=allow_production,
        limits=limits,
        distribution=distribution,
        ramp_up=ramp_up,
        kinds=tuple(build_mix(profile)),
        drain_s=drain_s,
        timeout_s=timeout_s,
        transport=transport,
        schedule=schedule,
        start_at=start_at,
        stable_balances=profile.stable_balances,
    )
    schedule, dist = plan.schedule, plan.distribution
    limits_in_force = slo.resolve(profile.slo, slo_overrides, schedule.mean_rps)
    static = token if token is not None else None if target.auth.exchanges else target.auth.token()
    if static is not None:  # a static token cannot be renewed: it must outlive the run
        auth.check_token_lifetime(static, schedule.duration + drain_s)
    secrets: dict[str, str] = {}
    if token is None:
        token = _token(target)
        secrets = auth.client_credentials_env(target)

    report_dir = _report_dir(output_root.resolve(), scenario)
    results_path = report_dir / RESULTS_FILE
    plan_path = report_dir / "plan.json"
    plan.agent_plan(str(results_path)).write(plan_path)
    command = plan.locust_argv(
        load_dir() / "locustfile.py",
        report_dir,
        local_port=free_port() if dist.mode == "local" and plan.workers > 1 else 0,
    )
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    if echo:
        where = (
            f"{plan.workers} process(es)"
            if dist.mode == "local"
            else f"master awaiting {plan.workers} worker(s) on {dist.bind_host}:{dist.port}"
        )
        print(
            f"load {scenario}: {schedule.mean_rps:g} req/s mean, peak {schedule.peak_rps:g}, "
            f"{schedule.duration:g} s, up to {plan.in_flight} in flight, {where} -> {report_dir}",
            flush=True,
        )
    log_path = report_dir / "locust.log"
    allowance = STARTUP_ALLOWANCE_S + (3600.0 if dist.mode == "master" else 0.0)
    run_locust(
        command,
        locust_env(
            plan_path,
            token,
            shaped=plan.shaped,
            secrets=secrets,
            run_secrets=target.secrets,
            credential_env=target.credential_env,
        ),
        report_dir,
        log_path,
        plan.backstop_s + allowance,
        progress=ProgressPrinter(f"load {scenario}") if echo and not quiet else None,
    )
    target.secrets.add(token)
    hidden = [*target.secrets.values(), token, *secrets.values()]
    if not results_path.exists():
        Redactor(hidden).tree(report_dir)
        raise GeneratorFailedError(
            f"Locust wrote no results (see {log_path}): {log_tail(log_path, hidden)}"
        )
    outage = outage_reason(target, read_results(results_path))
    result = judge(
        plan,
        results_path=results_path,
        report_dir=report_dir,
        started_at=started_at,
        limits=limits_in_force,
        echo=echo,
        unavailable=outage,
    )
    Redactor(hidden).tree(report_dir)
    return result


def _token(target: Target) -> str:
    """The bearer token, checked by the command's one preflight (exit 3 when unreachable)."""
    return target.token()


def run_worker(
    target: Target | TargetProfile,
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
    target = as_target(target)
    kinds = tuple(build_mix(target.profile))
    secrets: dict[str, str] = {}
    if token is None:
        token = _token(target)
        secrets = auth.client_credentials_env(target)
    report_dir = _report_dir(output_root.resolve(), "worker")
    plan_path = report_dir / "plan.json"
    AgentPlan(kinds=kinds).write(plan_path)  # the master sends schedule and options
    command = worker_argv(
        load_dir() / "locustfile.py",
        master_host=master_host,
        master_port=master_port,
        processes=processes,
    )
    if echo:
        print(
            f"load worker: {processes} process(es) -> master {master_host}:{master_port}",
            flush=True,
        )
    log_path = report_dir / "locust.log"
    code = run_locust(
        command,
        locust_env(
            plan_path,
            token,
            shaped=False,
            secrets=secrets,
            run_secrets=target.secrets,
            credential_env=target.credential_env,
        ),
        report_dir,
        log_path,
        max_wait_s,
        progress=None,
    )
    Redactor([*target.secrets.values(), token, *secrets.values()]).tree(report_dir)
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
    plan = LoadPlan(
        base_url=base_url,
        scenario="judged",
        schedule=schedule,
        in_flight=int(results.get("max_in_flight", 0)),
        workers=int(results.get("processes_expected", 1)),
    )
    return judge(
        plan,
        results_path=results_path,
        report_dir=report_dir,
        started_at=datetime.now(UTC).isoformat(timespec="seconds"),
        limits=limits,
        echo=echo,
    )
