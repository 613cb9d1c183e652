"""Load generator throughput: wrk vs `oms-harness load` (checks on), 1 and 2 processes.

One run, one local reference server, three measurements back to back:

1. wrk (1 thread, keep-alive connections) on the funded customer's USD balance: the ceiling
   of what one client core can push through this server;
2. `oms-harness load --processes 1`, every response checked against the contract, at a target
   rate well above what it can send (the result is "generator-bound" on purpose: we want the
   achieved send rate);
3. the same with `--processes 2`.

Both send the same request (the harness's mix is narrowed to that one kind), over the same
number of connections. It prints each rate and the ratios (harness per core vs wrk, and the
1 -> 2 process scale-up). The machine is shared with the server, so treat one run as
indicative; repeat with --repeat.

``--cpu-only`` skips wrk and the scale-up and measures the generator's own cost instead: CPU
microseconds per checked request (the Locust process's CPU time over the run / answers), at
a moderate rate and at saturation. It does not depend on how busy the machine is the way
rates do, so it is the figure to compare before and after a change to the agent.

    .venv/bin/python bench/load_generator.py [--seconds 6] [--connections 32] [--repeat 1]
    .venv/bin/python bench/load_generator.py --cpu-only [--seconds 5] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
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
                "--users", str(users), "--processes", str(processes), "--max-rate", "1000000",
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=6)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument(
        "--cpu-only", action="store_true", help="only the generator's CPU per request"
    )
    args = parser.parse_args()
    if args.cpu_only:
        cpu_per_request(args.seconds, args.connections, args.repeat)
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
