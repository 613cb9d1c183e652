"""`oms-harness load`: a Locust scenario with honest latency and an SLO verdict.

Exit codes: 0 SLOs met; 1 an SLO breached; 2 usage or profile error; 3 target unreachable or
credentials rejected (before the run); 4 result invalid (the generator was the bottleneck).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from .._resources import load_dir
from ..errors import UsageError
from ..load import kubernetes, runner, safety, slo
from ..load.names import TRANSPORTS
from ..load.plan import build_plan, container_plan, profile_durations
from ..load.runner import (
    Distribution,
    judge_results,
    run_worker,
)
from ..load.schedule import SCENARIOS, ArrivalSchedule
from ..load.traffic import build_mix
from ..outputs import check_outputs
from ..profile import resolve_profile
from ..target import Target, output, resolve_target
from ..target_url import parse_target_url
from . import _regression
from ._arguments import (
    add_target_arguments,
    fraction,
    non_negative_float,
    non_negative_int,
    positive_float,
    positive_int,
)

LOCAL_PLACEHOLDER = parse_target_url("http://127.0.0.1/")
"""Where the embedded reference will listen (its port is chosen when it starts): the plan is
validated against it before the reference starts."""


def configure(parser: argparse.ArgumentParser) -> None:
    add_target_arguments(parser)
    target = parser.add_argument_group("safety")
    target.add_argument(
        "--allow-production", action="store_true", help="allow api.polygon.technology"
    )
    run = parser.add_argument_group("scenario")
    run.add_argument(
        "--scenario",
        choices=sorted(SCENARIOS),
        default="smoke",
        help="; ".join(
            f"{s.name}: {s.description} ({s.rate:g} req/s, {s.seconds:g}s)"
            for s in SCENARIOS.values()
        ),
    )
    run.add_argument("--rate", type=positive_float, metavar="RPS", help="(peak) arrival rate")
    run.add_argument("--duration", metavar="30s", help="run length: 30s, 1m30s, 2m, 250ms")
    run.add_argument(
        "--ramp-up",
        metavar="5s",
        help="climb from 0 to the rate first (the open model's spawn rate; default: none)",
    )
    run.add_argument(
        "--max-in-flight",
        "--users",
        dest="users",
        type=positive_int,
        metavar="N",
        help="cap on requests in flight over all processes (default: 2 s of arrivals at the "
        "peak rate, at least 32). --users is the older name of the same cap: it is NOT "
        "Locust's number of users (the open model sends at the scheduled rate however many "
        "answers are pending, and this only bounds how many may be pending)",
    )
    run.add_argument(
        "--processes", type=positive_int, default=1, metavar="N", help="generator processes"
    )
    run.add_argument(
        "--max-processes",
        type=positive_int,
        metavar="N",
        help=f"cap on --processes (default {safety.PROCESSES_PER_CORE} per CPU core)",
    )
    run.add_argument("--report-dir", type=Path, default=Path("reports/load"), metavar="DIR")
    run.add_argument(
        "--quiet", action="store_true", help="no progress line every 5 s (the verdict still prints)"
    )
    run.add_argument(
        "--transport",
        choices=TRANSPORTS,
        default="auto",
        help="auto: the fast request path when its start-up self-check passes, else Locust's "
        "public FastHttpSession with a warning; fasthttp: the public path on purpose",
    )
    run.add_argument("--max-rate", type=positive_float, default=safety.MAX_RATE_RPS)
    run.add_argument("--max-duration", metavar="1h", help=f"cap ({safety.MAX_DURATION_S:g}s)")
    slos = parser.add_argument_group("SLOs (override the profile's [slo] table)")
    slos.add_argument("--slo-p95-ms", type=non_negative_float, metavar="MS")
    slos.add_argument("--slo-p99-ms", type=non_negative_float, metavar="MS")
    slos.add_argument(
        "--slo-error-rate", type=fraction, metavar="FRACTION", help="0..1 (0.01 = 1%%)"
    )
    slos.add_argument("--slo-min-rps", type=non_negative_float, metavar="RPS")
    slos.add_argument(
        "--slo-contract-violations",
        type=non_negative_int,
        metavar="N",
        help="answers that may break a contract rule (default 0)",
    )
    dist = parser.add_argument_group("distributed runs (see load/README.md)")
    dist.add_argument("--master", action="store_true", help="run the master; workers connect")
    dist.add_argument("--expect-workers", type=positive_int, default=1, metavar="N")
    dist.add_argument(
        "--master-bind-host",
        default="127.0.0.1",
        metavar="ADDR",
        help="address the master listens on (127.0.0.1)",
    )
    dist.add_argument("--master-port", type=positive_int, default=5557, metavar="PORT")
    dist.add_argument("--worker", action="store_true", help="run worker process(es) only")
    dist.add_argument("--master-host", metavar="HOST", help="the master to join (with --worker)")
    dist.add_argument(
        "--print-container-settings",
        action="store_true",
        help="print the plan JSON and master args for Locust containers (Kubernetes) and exit",
    )
    dist.add_argument(
        "--print-kubernetes",
        action="store_true",
        help="print the Locust operator's LocustTest manifest for this plan and exit "
        "(load/k8s/locusttest.yaml is one; the token is substituted at apply time)",
    )
    dist.add_argument(
        "--judge",
        type=Path,
        metavar="FILE",
        help="judge results produced elsewhere (results.json, or a master log with the "
        "oms-harness-results line, e.g. from Kubernetes) instead of running",
    )
    _regression.add_load_arguments(parser)


def run(args: argparse.Namespace) -> int:
    if args.master and args.worker:
        raise UsageError("--master and --worker exclude each other")
    if args.worker and not args.master_host:
        raise UsageError("--worker needs --master-host")
    overrides = {
        "p95_ms": args.slo_p95_ms,
        "p99_ms": args.slo_p99_ms,
        "error_rate": args.slo_error_rate,
        "min_rps": args.slo_min_rps,
        "contract_violations": args.slo_contract_violations,
    }
    if (args.baseline or args.save_baseline) and (
        args.worker or args.print_container_settings or args.print_kubernetes
    ):
        raise UsageError(
            "--baseline/--save-baseline judge a run: not with --worker, "
            "--print-container-settings or --print-kubernetes"
        )
    if args.judge is not None:
        check_outputs(output(args.report_dir, "--report-dir", directory=True))
        judged_profile = resolve_profile(args.profile, args.base_url, args.token)
        hook = _regression.RegressionHook(args, judged_profile)
        judged = judge_results(
            args.judge,
            profile_slo=judged_profile.slo if judged_profile else None,
            slo_overrides=overrides,
            output_root=args.report_dir,
            base_url=judged_profile.base_url if judged_profile else "",
        )
        return hook.finish(judged.report_dir, judged.exit_code)
    duration = safety.parse_duration(args.duration, "--duration") if args.duration else None
    ramp_up = safety.parse_duration(args.ramp_up, "--ramp-up") if args.ramp_up else 0.0
    limits = safety.Limits(
        max_rate=args.max_rate,
        max_duration=safety.parse_duration(args.max_duration, "--max-duration")
        if args.max_duration
        else safety.MAX_DURATION_S,
        max_processes=args.max_processes or safety.default_max_processes(),
    )
    profile = resolve_profile(args.profile, args.base_url, args.token)
    outputs = output(args.report_dir, "--report-dir", directory=True)
    if profile is not None:  # the profile's [load] durations, unless the flags say otherwise
        defaults = profile_durations(profile.load)
        duration = duration if duration is not None else defaults.get("duration")
        ramp_up = ramp_up if args.ramp_up else defaults.get("ramp_up", 0.0)
    if args.print_container_settings or args.print_kubernetes:
        flag = "--print-kubernetes" if args.print_kubernetes else "--print-container-settings"
        if profile is None:
            raise UsageError(f"{flag} needs --profile")
        plan = container_plan(
            profile,
            scenario=args.scenario,
            rate=args.rate,
            duration=duration,
            users=args.users,
            workers=args.expect_workers,
            allow_production=args.allow_production,
            limits=limits,
            ramp_up=ramp_up,
        )
        if args.print_kubernetes:
            print(kubernetes.render(plan, load_dir() / "locustfile.py"), end="")
        else:
            print(json.dumps(plan.container_settings(), indent=2))
        return 0
    if args.worker:
        if profile is None:
            raise UsageError("--worker needs --profile (the customers and the token)")
        return run_worker(
            resolve_target(
                profile,
                allow_production=args.allow_production,
                outputs=outputs,
                preflight_timeout=args.preflight_timeout,
            ),
            master_host=args.master_host,
            master_port=args.master_port,
            processes=args.processes,
            output_root=args.report_dir,
            limits=limits,
        )
    distribution = (
        Distribution(
            "master",
            expect_workers=args.expect_workers,
            bind_host=args.master_bind_host,
            port=args.master_port,
        )
        if args.master
        else None
    )
    options = {
        "scenario": args.scenario,
        "rate": args.rate,
        "duration": duration,
        "users": args.users,
        "processes": args.processes,
        "allow_production": args.allow_production,
        "output_root": args.report_dir,
        "slo_overrides": overrides,
        "limits": limits,
        "distribution": distribution,
        "ramp_up": ramp_up,
        "quiet": args.quiet,
        "transport": args.transport,
    }
    hook = _regression.RegressionHook(args, profile)  # baseline found, tolerances valid
    target = (
        resolve_target(
            profile,
            allow_production=args.allow_production,
            outputs=outputs,
            preflight_timeout=args.preflight_timeout,
        )
        if profile is not None
        else None
    )
    schedule = build_plan(  # validates the whole run before any start
        target.url if target is not None else LOCAL_PLACEHOLDER,
        scenario=args.scenario,
        rate=args.rate,
        duration=duration,
        users=args.users,
        processes=args.processes,
        allow_production=args.allow_production,
        limits=limits,
        distribution=distribution,
        ramp_up=ramp_up,
    ).schedule
    slo.resolve(profile.slo if profile is not None else {}, overrides, 1.0)  # before any start
    if target is not None:
        return _run_judged(target, options, hook, schedule)
    from ..local_target import local_reference

    check_outputs(outputs)
    print("load: no target given, starting the local reference", flush=True)
    with local_reference() as reference:
        local = resolve_target(reference.profile, preflight_timeout=args.preflight_timeout)
        return _run_judged(local, options, hook, schedule)


def _run_judged(
    target: Target,
    options: dict[str, Any],
    hook: _regression.RegressionHook,
    schedule: ArrivalSchedule,
) -> int:
    """The run, checked against the baseline before it starts and compared after it."""
    planned = _regression.planned_run(
        options["scenario"], schedule, build_mix(target.profile), target.base_url
    )
    hook.check_planned(planned)
    result = runner.run_load(target, **options)
    return hook.finish(result.report_dir, result.exit_code)
