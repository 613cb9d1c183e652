"""Load generator cost: CPU per checked request of wrk, stock Locust FastHttpUser and the harness.

The default measurement (the one bench/README.md records) is *marginal* CPU per request:
each tool runs twice against the same local reference, for ``--short`` and ``--long``
seconds, and the figure is (CPU of the long run - CPU of the short run) / (its extra
requests), so start-up and shut-down cancel. CPU is the tool's whole process tree
(``getrusage(RUSAGE_CHILDREN)``: user + system), which does not depend on how long it waited
for a busy machine the way rates do. Rounds alternate the order of the tools, and the script
prints medians over rounds:

* ``wrk -t1`` over ``--connections`` keep-alive connections (the floor);
* stock Locust ``FastHttpUser``, one user per connection, each answer checked for its status
  and its ``customerId`` field (what a typical locustfile does);
* ``oms-harness load``, every answer checked against the whole contract, at a target rate
  above what it can send (generator-bound by design), the in-flight cap = connections.

All three send the funded customer's USD balance. ``--throughput`` instead runs the older
rate comparison (wrk vs the harness with 1 and 2 processes, and the scale-up).

    .venv/bin/python bench/load_generator.py [--rounds 5] [--short 5] [--long 13] [--rate 1000]
    .venv/bin/python bench/load_generator.py --throughput [--seconds 6] [--repeat 3]
    .venv/bin/python bench/load_generator.py --cpu-only [--seconds 5] [--repeat 3]

``--cpu-only`` measures only the harness's own figure: its Locust process's CPU over the run
per answer (``generator.cpu_us_per_request`` in ``summary.json``), at 1000 req/s and at
saturation.
"""

from __future__ import annotations

import argparse
import csv
import functools
import json
import math
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from oms_harness.local_target import local_reference

WRK_RPS = re.compile(r"Requests/sec:\s+([\d.]+)")


def wrk_rps(url: str, token: str, seconds: int, connections: int) -> tuple[float, float]:
    """wrk's rate and the cores it used (CPU seconds / wall seconds)."""
    wrk = shutil.which("wrk")
    if wrk is None:
        sys.exit("wrk is missing: apt-get update && apt-get install -y wrk")
    script = Path(tempfile.mkdtemp()) / "auth.lua"
    # the token goes through a Lua file, not the command line (ps would show it)
    script.write_text(f'wrk.headers["Authorization"] = "Bearer {token}"\n')
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        out = subprocess.run(
            [wrk, "-t1", f"-c{connections}", f"-d{seconds}s", "-s", str(script), url],
            capture_output=True, text=True, check=True, timeout=seconds + 30,
        ).stdout  # fmt: skip
    finally:
        shutil.rmtree(script.parent, ignore_errors=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    match = WRK_RPS.search(out)
    if not match:
        sys.exit(f"cannot read wrk's output:\n{out}")
    return float(match.group(1)), cpu / seconds


def harness_rps(
    profile: Path, processes: int, rate: float, seconds: int, users: int
) -> dict[str, float]:
    reports = Path(tempfile.mkdtemp(prefix="bench-load-"))
    try:
        subprocess.run(
            [
                sys.executable, "-m", "oms_harness", "load", "--profile", str(profile),
                "--scenario", "steady", "--rate", f"{rate:.0f}", "--duration", f"{seconds}s",
                "--users", str(users), "--processes", str(processes),
                "--max-rate", "1000000",
                "--report-dir", str(reports),
            ],
            capture_output=True, text=True, timeout=seconds + 120, check=False,
        )  # fmt: skip
        summaries = list(reports.glob("*/summary.json"))
        if not summaries:
            sys.exit(f"the harness wrote no summary (processes={processes})")
        summary = json.loads(summaries[0].read_text())
        return {
            "sent_rps": float(summary["generator"]["achieved_rps"]),
            "served_rps": float(summary["achieved"]["served_rps"]),
            "cpu": float(summary["generator"]["cpu_mean_percent"] or 0.0),
            "cores": float(summary["generator"]["cpu_mean_percent"] or 0.0) / 100 * processes,
            "failures": float(summary["errors"]["total"]),
            "cpu_us_per_request": float(summary["generator"]["cpu_us_per_request"] or 0.0),
        }
    finally:
        shutil.rmtree(reports, ignore_errors=True)


def bench_profile(
    target_profile: Path, funded: str, token: str, base_url: str, directory: Path
) -> Path:
    """The reference's profile narrowed to the one request wrk sends (funded, USD)."""
    path = directory / "bench-profile.toml"
    path.write_text(
        f'base_url = "{base_url}"\ntoken = "{token}"\n'
        f'[customers]\nfunded = "{funded}"\n[currencies]\nsupported = ["USD"]\n'
        "[load.weights]\nempty = 0\nmissing = 0\nmalformed = 0\n"
    )
    return path


def cpu_per_request(seconds: int, connections: int, repeat: int) -> None:
    """The generator's CPU per checked request, at 1000 req/s and at saturation (1 process)."""
    figures: dict[str, list[float]] = {"1000 req/s": [], "saturated": []}
    with local_reference() as target:
        token = target.profile.credentials.token or ""
        funded = target.profile.customers["funded"]
        profile = bench_profile(
            target.profile_path, funded, token, target.base_url, target.profile_path.parent
        )
        for _ in range(repeat):
            for label, rate in (("1000 req/s", 1000.0), ("saturated", 20000.0)):
                result = harness_rps(profile, 1, rate, seconds, connections)
                figures[label].append(result["cpu_us_per_request"])
                print(
                    f"{label:>10}: {result['sent_rps']:7.0f} req/s sent, "
                    f"{result['cpu_us_per_request']:6.1f} µs CPU per request, "
                    f"{result['failures']:.0f} failures",
                    flush=True,
                )
    for label, values in figures.items():
        print(f"median CPU per checked request, {label}: {statistics.median(values):.1f} µs")


STOCK_LOCUSTFILE = """
import os

from locust import FastHttpUser, constant_throughput, task

FUNDED = os.environ["BENCH_FUNDED"]
HEADERS = {"Authorization": "Bearer " + os.environ["BENCH_TOKEN"]}
PATH = f"/customers/{FUNDED}/balance?estimatedBalanceCurrencyCode=USD"


class Stock(FastHttpUser):
    if os.environ.get("BENCH_USER_RATE"):  # a fixed total rate: each user its share
        wait_time = constant_throughput(float(os.environ["BENCH_USER_RATE"]))

    @task
    def balance(self):
        with self.client.get(PATH, headers=HEADERS, name="balance", catch_response=True) as r:
            if r.status_code != 200:
                r.failure(f"status {r.status_code}")
            elif r.json()["data"]["customerId"] != FUNDED:
                r.failure("another customer")
"""
WRK_REQUESTS = re.compile(r"(\d+) requests in")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_wrk(target: Target, seconds: int, connections: int) -> tuple[float, int]:
    """(CPU seconds, requests) of one wrk run."""
    wrk = shutil.which("wrk")
    if wrk is None:
        sys.exit("wrk is missing: apt-get update && apt-get install -y wrk")
    script = target.directory / "auth.lua"
    script.write_text(f'wrk.headers["Authorization"] = "Bearer {target.token}"\n')
    before = _children_cpu()
    out = subprocess.run(
        [wrk, "-t1", f"-c{connections}", f"-d{seconds}s", "-s", str(script), target.url],
        capture_output=True, text=True, check=True, timeout=seconds + 30,
    ).stdout  # fmt: skip
    cpu = _children_cpu() - before
    match = WRK_REQUESTS.search(out)
    if not match:
        sys.exit(f"cannot read wrk's output:\n{out}")
    return cpu, int(match.group(1))


def run_stock(target: Target, seconds: int, connections: int) -> tuple[float, int]:
    """(CPU seconds, requests) of one stock FastHttpUser run (closed loop, saturated)."""
    locustfile = target.directory / "stock_locustfile.py"
    locustfile.write_text(STOCK_LOCUSTFILE)
    prefix = target.directory / f"stock-{seconds}"
    env = {**os.environ, "BENCH_FUNDED": target.funded, "BENCH_TOKEN": target.token}
    if target.rate:
        env["BENCH_USER_RATE"] = f"{target.rate / connections:g}"
    before = _children_cpu()
    subprocess.run(
        [sys.executable, "-m", "locust", "-f", str(locustfile), "--headless",
         "--host", target.base_url, "-u", str(connections), "-r", str(connections * 10),
         "-t", f"{seconds}s", "--only-summary", "--csv", str(prefix), "--stop-timeout", "2"],
        capture_output=True, text=True, check=False, timeout=seconds + 60, env=env,
        cwd=target.directory,
    )  # fmt: skip
    cpu = _children_cpu() - before
    with Path(f"{prefix}_stats.csv").open(newline="") as handle:
        rows = {row["Name"]: row for row in csv.DictReader(handle)}
    failures = int(rows["Aggregated"]["Failure Count"])
    if failures:
        sys.exit(f"stock FastHttpUser saw {failures} failed checks")
    return cpu, int(rows["Aggregated"]["Request Count"])


def run_harness(
    target: Target, seconds: int, connections: int, source: Path | None = None
) -> tuple[float, int]:
    """(CPU seconds, requests) of one `oms-harness load` run (every answer checked); with
    ``source``, the harness of that ``src`` directory (a baseline revision) instead."""
    reports = Path(tempfile.mkdtemp(prefix="bench-load-", dir=target.directory))
    env = dict(os.environ)
    if source is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(source), env.get("PYTHONPATH")]))
    before = _children_cpu()
    run = subprocess.run(
        [sys.executable, "-m", "oms_harness", "load", "--profile", str(target.profile),
         "--scenario", "steady", "--rate", f"{target.rate or 30000:g}", "--duration", f"{seconds}s",
         "--users", str(connections), "--max-rate", "1000000",
         "--report-dir", str(reports)],
        capture_output=True, text=True, timeout=seconds + 120, check=False, env=env,
    )  # fmt: skip
    cpu = _children_cpu() - before
    summaries = list(reports.glob("*/summary.json"))
    if not summaries:
        sys.exit(f"the harness wrote no summary (exit {run.returncode}):\n{run.stderr[-2000:]}")
    summary = json.loads(summaries[0].read_text())
    shutil.rmtree(reports, ignore_errors=True)
    if summary["errors"]["total"]:
        sys.exit(f"the harness saw failures: {summary['errors']['by_reason']}")
    return cpu, int(summary["achieved"]["requests"])


def baseline_source(revision: str, directory: Path) -> Path:
    """The ``src`` tree of a git revision of this repository, exported under ``directory``
    with the files it locates beside it (spec, suites: the whole tree, a few MB)."""
    root = Path(__file__).resolve().parent.parent
    archive = subprocess.run(
        ["git", "-C", str(root), "archive", "--format=tar", revision],
        capture_output=True, check=False, timeout=60,
    )  # fmt: skip
    if archive.returncode:
        sys.exit(f"cannot export {revision}: {archive.stderr.decode(errors='replace').strip()}")
    subprocess.run(
        ["tar", "-x", "-C", str(directory)], input=archive.stdout, check=True, timeout=60
    )
    return directory / "src"


@dataclass(frozen=True)
class Target:
    base_url: str
    token: str
    funded: str
    profile: Path
    directory: Path
    rate: float | None = None
    """A fixed total rate for FastHttpUser and the harness (None: as fast as they can)."""

    @property
    def url(self) -> str:
        return f"{self.base_url}/customers/{self.funded}/balance?estimatedBalanceCurrencyCode=USD"


Tool = Callable[[Target, int, int], tuple[float, int]]
TOOLS: dict[str, Tool] = {"wrk": run_wrk, "FastHttpUser": run_stock, "harness": run_harness}


def marginal(
    rounds: int,
    short: int,
    long: int,
    connections: int,
    rate: float | None = None,
    tools: list[str] | None = None,
    baseline: str | None = None,
) -> None:
    """Marginal CPU µs per request of each tool, alternating, medians (see the docstring)."""
    chosen: dict[str, Tool] = {name: TOOLS[name] for name in tools or TOOLS}
    with local_reference() as reference:
        token = reference.profile.credentials.token or ""
        funded = reference.profile.customers["funded"]
        directory = Path(tempfile.mkdtemp(prefix="bench-marginal-"))
        try:
            if baseline:
                source = baseline_source(baseline, directory)
                chosen[f"harness@{baseline}"] = functools.partial(run_harness, source=source)
            figures: dict[str, list[float]] = {name: [] for name in chosen}
            profile = bench_profile(reference.profile_path, funded, token, reference.base_url,
                                    directory)  # fmt: skip
            target = Target(reference.base_url, token, funded, profile, directory, rate)
            names = list(chosen)
            for number in range(rounds):
                order = names[number % len(names) :] + names[: number % len(names)]
                for name in order:
                    cpu_short, req_short = chosen[name](target, short, connections)
                    cpu_long, req_long = chosen[name](target, long, connections)
                    extra = req_long - req_short
                    micros = (cpu_long - cpu_short) / extra * 1e6 if extra > 0 else float("nan")
                    figures[name].append(micros)
                    print(
                        f"round {number + 1} {name:>12}: {micros:6.1f} µs CPU per request "
                        f"({req_short} / {req_long} requests, "
                        f"{cpu_short:.2f} / {cpu_long:.2f} s CPU)",
                        flush=True,
                    )
        finally:
            shutil.rmtree(directory, ignore_errors=True)
    # a round whose long run answered no more than its short one (a machine busy enough to
    # halve the rate) has no marginal figure: it is reported and left out of the medians
    valid = {name: [v for v in values if math.isfinite(v)] for name, values in figures.items()}
    medians = {
        name: statistics.median(values) if values else float("nan")
        for name, values in valid.items()
    }
    print()
    for name, value in medians.items():
        values = valid[name] or [value]
        print(
            f"median marginal CPU per checked request, {name:>12}: {value:6.1f} µs "
            f"({min(values):.0f}-{max(values):.0f}; {len(valid[name])} of {rounds} rounds)"
        )
    for harness in [name for name in medians if name.startswith("harness")]:
        for other, target_ratio in (("FastHttpUser", 0.35), ("wrk", 4.0)):
            if other not in medians:
                continue
            ratios = [
                h / o
                for h, o in zip(figures[harness], figures[other], strict=True)
                if math.isfinite(h / o)
            ]
            spread = f"per round {min(ratios):.2f}-{max(ratios):.2f}; " if ratios else ""
            print(
                f"{harness} / {other}: {medians[harness] / medians[other]:.2f} "
                f"({spread}target <= {target_ratio:g})"
            )
    if baseline and "harness" in medians:
        before = medians[f"harness@{baseline}"]
        print(f"harness / harness@{baseline}: {medians['harness'] / before:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=6)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--short", type=int, default=5, help="seconds of the short run")
    parser.add_argument("--long", type=int, default=13, help="seconds of the long run")
    parser.add_argument(
        "--rate",
        type=float,
        help="a fixed total rate for FastHttpUser and the harness (default: saturate; wrk "
        "always saturates); steadier than saturation on a busy machine",
    )
    parser.add_argument(
        "--tools",
        default=",".join(TOOLS),
        help=f"comma-separated tools of the marginal measurement (default: {','.join(TOOLS)})",
    )
    parser.add_argument(
        "--baseline",
        metavar="REV",
        help="also run the harness of this git revision (its src/ exported to a temporary "
        "directory), alternating with the others: before/after in the same run",
    )
    parser.add_argument(
        "--throughput", action="store_true", help="the older rate comparison instead"
    )
    parser.add_argument(
        "--cpu-only",
        action="store_true",
        help="the harness's in-process CPU per request only (generator.cpu_us_per_request)",
    )
    args = parser.parse_args()
    if args.cpu_only:
        cpu_per_request(args.seconds, args.connections, args.repeat)
        return
    if not args.throughput:
        tools = [name.strip() for name in args.tools.split(",") if name.strip()]
        unknown = sorted(set(tools) - set(TOOLS))
        if unknown:
            parser.error(f"unknown tool(s) {', '.join(unknown)}: choose from {', '.join(TOOLS)}")
        marginal(
            args.rounds, args.short, args.long, args.connections, args.rate, tools, args.baseline
        )
        return
    runs: dict[str, list[float]] = {"wrk": [], "harness-1": [], "harness-2": []}
    per_core: dict[str, list[float]] = {"wrk": [], "harness-1": [], "harness-2": []}
    with local_reference() as target:
        token = target.profile.credentials.token or ""
        funded = target.profile.customers["funded"]
        url = f"{target.base_url}/customers/{funded}/balance?estimatedBalanceCurrencyCode=USD"
        profile = bench_profile(
            target.profile_path, funded, token, target.base_url, target.profile_path.parent
        )
        for _ in range(args.repeat):
            wrk, wrk_cores = wrk_rps(url, token, args.seconds, args.connections)
            runs["wrk"].append(wrk)
            per_core["wrk"].append(wrk / max(wrk_cores, 0.01))
            print(
                f"wrk (1 thread, {args.connections} connections): {wrk:8.0f} req/s, "
                f"{wrk_cores:.2f} cores",
                flush=True,
            )
            for processes in (1, 2):
                result = harness_rps(profile, processes, wrk * 1.5, args.seconds, args.connections)
                runs[f"harness-{processes}"].append(result["sent_rps"])
                per_core[f"harness-{processes}"].append(
                    result["sent_rps"] / max(result["cores"], 0.01)
                )
                print(
                    f"oms-harness load --processes {processes} (checks on): "
                    f"{result['sent_rps']:8.0f} req/s sent, {result['served_rps']:.0f} served, "
                    f"generator cpu {result['cpu']:.0f}% "
                    f"({result['cpu_us_per_request']:.0f} µs per request), "
                    f"{result['failures']:.0f} failures",
                    flush=True,
                )
    wrk, one, two = (statistics.median(runs[k]) for k in ("wrk", "harness-1", "harness-2"))
    print()
    print(f"harness 1 process / wrk 1 thread (per core): {one / wrk:.2f}")
    print(f"harness 2 processes / wrk 1 thread:          {two / wrk:.2f}")
    print(f"scale-up 1 -> 2 processes:                   {two / one:.2f}x")
    wrk_pc, one_pc, two_pc = (statistics.median(per_core[k]) for k in per_core)
    print(
        f"req/s per busy core: wrk {wrk_pc:.0f}, harness {one_pc:.0f} (1 process), "
        f"{two_pc:.0f} (2 processes); harness/wrk per busy core {one_pc / wrk_pc:.2f}"
    )


if __name__ == "__main__":
    main()
