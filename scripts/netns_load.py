#!/usr/bin/env python3
"""A distributed load run across network namespaces: the multi-host topology on one machine.

Four network namespaces joined by veth pairs to a bridge in a fifth (nothing is added to the
machine's own namespace; every address lives inside a namespace):

    oms-…-ref     10.77.0.1  the local reference   (oms-harness serve)
    oms-…-master  10.77.0.2  the Locust master     (oms-harness load --master --expect-workers 2)
    oms-…-w1      10.77.0.3  a worker              (oms-harness load --worker)
    oms-…-w2      10.77.0.4  a worker

It runs the distributed scenario twice and checks what load/README.md promises for real
hosts:

* ``clean``: both workers report; each process binds only what it must (the master only its
  master port on its own address, the reference only its port, the workers nothing), and
  the master's merged histograms are exactly the sum of the workers' own;
* ``kill``: one worker is killed mid-run; the master's verdict shows it (exit 4, "only 1 of
  2 generator processes reported").

Needs root and ``ip netns`` (iproute2). Prints a JSON report; exits 0 when every check
holds, 1 when one fails, 2 when network namespaces are unavailable (the reason on stderr).
Namespaces and processes are removed at the end, also on SIGTERM or SIGHUP; the namespaces
of a run killed outright (SIGKILL: nothing can clean up) are deleted by the next run.

    sudo python scripts/netns_load.py [--rate 60] [--duration 12]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from oms_harness.load import histograms

SUBNET = "10.77.0"
ROLES = {"ref": 1, "master": 2, "w1": 3, "w2": 4}
MASTER_PORT = 5557
REF_PORT = 8080
LISTENING = "oms-harness reference listening on "


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", *args], capture_output=True, text=True, check=check, timeout=30)


def unavailable() -> str | None:
    """Why network namespaces cannot be used here, or None."""
    if shutil.which("ip") is None:
        return "iproute2's `ip` is not installed"
    if os.geteuid() != 0:
        return "network namespaces need root"
    probe = f"oms-probe-{os.getpid()}"
    result = _ip("netns", "add", probe, check=False)
    if result.returncode != 0:
        return f"`ip netns add` failed: {result.stderr.strip()}"
    _ip("netns", "del", probe, check=False)
    return None


PREFIX = "oms"
"""Namespaces are named ``oms<pid>-<role>``: the pid of the run that made them."""


def _owner(name: str) -> int | None:
    head, _, role = name.partition("-")
    digits = head[len(PREFIX) :]
    if not head.startswith(PREFIX) or not digits.isdigit() or role not in {*ROLES, "hub"}:
        return None
    return int(digits)


def sweep_stale() -> list[str]:
    """Delete the namespaces of earlier runs that died unhandled (SIGKILL): their pid is gone."""
    listed = _ip("netns", "list", check=False).stdout.splitlines()
    stale = []
    for line in listed:
        name = line.split(" ", 1)[0]
        owner = _owner(name)
        if owner is None or owner == os.getpid():
            continue
        try:
            os.kill(owner, 0)
        except ProcessLookupError:
            stale.append(name)
        except PermissionError:
            continue  # alive, another user's
    for name in stale:
        for pid in _ip("netns", "pids", name, check=False).stdout.split():
            with contextlib.suppress(ProcessLookupError, ValueError):
                os.kill(int(pid), signal.SIGKILL)
        _ip("netns", "del", name, check=False)
    return stale


class Topology:
    def __init__(self) -> None:
        self.prefix = f"{PREFIX}{os.getpid()}"
        self.hub = f"{self.prefix}-hub"
        self.namespaces = {role: f"{self.prefix}-{role}" for role in ROLES}

    def address(self, role: str) -> str:
        return f"{SUBNET}.{ROLES[role]}"

    def up(self) -> None:
        _ip("netns", "add", self.hub)
        _ip("-n", self.hub, "link", "add", "br0", "type", "bridge")
        _ip("-n", self.hub, "link", "set", "br0", "up")
        for role, ns in self.namespaces.items():
            _ip("netns", "add", ns)
            _ip("-n", ns, "link", "set", "lo", "up")
            # both ends are created inside namespaces: nothing appears in the machine's own
            _ip("-n", ns, "link", "add", "eth0", "type", "veth", "peer", "name", f"v-{role}",
                "netns", self.hub)  # fmt: skip
            _ip("-n", ns, "addr", "add", f"{self.address(role)}/24", "dev", "eth0")
            _ip("-n", ns, "link", "set", "eth0", "up")
            _ip("-n", self.hub, "link", "set", f"v-{role}", "master", "br0")
            _ip("-n", self.hub, "link", "set", f"v-{role}", "up")

    def down(self) -> None:
        for ns in [*self.namespaces.values(), self.hub]:
            pids = _ip("netns", "pids", ns, check=False).stdout.split()
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, ValueError):
                    os.kill(int(pid), signal.SIGKILL)
            _ip("netns", "del", ns, check=False)

    def command(self, role: str, *args: str) -> list[str]:
        return ["ip", "netns", "exec", self.namespaces[role], *args]

    def listening(self, role: str) -> list[str]:
        out = subprocess.run(self.command(role, "ss", "-ltnH"), capture_output=True,
                             text=True, check=True, timeout=30).stdout  # fmt: skip
        return sorted(line.split()[3] for line in out.splitlines() if line.strip())

    def connected(self, role: str) -> list[str]:
        """Peers of this namespace's established TCP connections."""
        command = self.command(role, "ss", "-tnH", "state", "established")
        out = subprocess.run(command, capture_output=True, text=True, check=True, timeout=30).stdout
        return sorted(line.split()[-1] for line in out.splitlines() if line.strip())

    def kill_all(self, role: str) -> None:
        for pid in _ip("netns", "pids", self.namespaces[role], check=False).stdout.split():
            with contextlib.suppress(ProcessLookupError, ValueError):
                os.kill(int(pid), signal.SIGKILL)


@contextlib.contextmanager
def topology() -> Iterator[Topology]:
    net = Topology()
    try:
        net.up()
        yield net
    finally:
        net.down()


def wait_for(condition: Callable[[], bool], *, limit: float) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {limit:g} s waiting for the run to start")
        time.sleep(0.2)


def harness(*args: str) -> list[str]:
    return [sys.executable, "-m", "oms_harness", *args]


def start_reference(net: Topology, work: Path) -> tuple[subprocess.Popen[str], Path]:
    profile = work / "reference.toml"
    process = subprocess.Popen(
        net.command("ref", *harness("serve", "--host", net.address("ref"), "--port",
                                    str(REF_PORT), "--write-profile", str(profile),
                                    "--stop-on-stdin-eof")),
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            raise RuntimeError("the reference exited before listening")
        if line.startswith(LISTENING):
            return process, profile
    raise RuntimeError("the reference did not start within 60 s")


def run_scenario(
    net: Topology, work: Path, profile: Path, *, rate: float, duration: int, kill: bool
) -> dict[str, Any]:
    name = "kill" if kill else "clean"
    reports = work / name
    master = subprocess.Popen(
        net.command("master", *harness(
            "load", "--profile", str(profile), "--master", "--expect-workers", "2",
            "--master-bind-host", net.address("master"), "--master-port", str(MASTER_PORT),
            "--scenario", "steady", "--rate", f"{rate:g}", "--duration", f"{duration}s",
            "--report-dir", str(reports / "master"), "--quiet")),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    workers = [
        subprocess.Popen(
            net.command(
                role,
                *harness(
                    "load",
                    "--worker",
                    "--master-host",
                    net.address("master"),
                    "--master-port",
                    str(MASTER_PORT),
                    "--profile",
                    str(profile),
                    "--report-dir",
                    str(reports / role),
                ),
            ),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
        )
        for role in ("w1", "w2")
    ]
    bound: dict[str, list[str]] = {}
    try:
        # mid-run: both workers talk to the reference (bounded wait; start-up may be slow)
        target = f"{net.address('ref')}:{REF_PORT}"
        wait_for(lambda: all(target in net.connected(role) for role in ("w1", "w2")),
                 limit=180.0)  # fmt: skip
        bound = {role: net.listening(role) for role in ROLES}
        if kill:
            net.kill_all("w2")
        output, _ = master.communicate(timeout=duration + 240)
    finally:
        for process in (master, *workers):
            if process.poll() is None:
                process.kill()
            process.wait()
    summaries = list((reports / "master").glob("*/summary.json"))
    results = list((reports / "master").glob("*/results.json"))
    return {
        "name": name,
        "exit_code": master.returncode,
        "output_tail": output.strip().splitlines()[-6:],
        "listening": bound,
        "summary": json.loads(summaries[0].read_text()) if summaries else None,
        "results": json.loads(results[0].read_text()) if results else None,
    }


def merged_equals_sum(results: dict[str, Any]) -> bool:
    """Every bucket of the merged histograms equals the sum over the processes' own."""
    processes = results["processes"].values()
    for kind in ("corrected", "raw"):
        merged = histograms.decode(results["histograms"][kind])
        parts = [histograms.decode(p["histograms"][kind]) for p in processes]
        total = histograms.new_histogram()
        for part in parts:
            total.add(part)
        if merged.get_total_count() != sum(p.get_total_count() for p in parts):
            return False
        if histograms.encode(total) != histograms.encode(merged):
            return False
    return True


def checks(net: Topology, clean: dict[str, Any], killed: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    def check(name: str, passed: bool, detail: Any) -> None:
        found.append({"check": name, "passed": bool(passed), "detail": detail})

    expected = {
        "ref": [f"{net.address('ref')}:{REF_PORT}"],
        "master": [f"{net.address('master')}:{MASTER_PORT}"],
        "w1": [],
        "w2": [],
    }
    check("each namespace binds only what it must", clean["listening"] == expected,
          {"bound": clean["listening"], "expected": expected})  # fmt: skip
    results = clean["results"] or {}
    check("the clean run passes with both workers reporting",
          clean["exit_code"] == 0 and results.get("processes_reported") == 2,
          {"exit_code": clean["exit_code"], "tail": clean["output_tail"]})  # fmt: skip
    check("the master's merged histograms equal the sum of the workers'",
          bool(results) and merged_equals_sum(results),
          sorted(results.get("processes", {})))  # fmt: skip
    summary = clean["summary"] or {}
    check("the workers' requests add up to what the master counted",
          bool(results) and sum(p["sent"] for p in results["processes"].values())
          == summary.get("achieved", {}).get("sent"), summary.get("achieved"))  # fmt: skip
    reasons = ((killed["summary"] or {}).get("generator") or {}).get("invalid_reasons", [])
    check("a worker killed mid-run shows in the verdict",
          killed["exit_code"] == 4
          and any("only 1 of 2 generator processes reported" in r for r in reasons),
          {"exit_code": killed["exit_code"], "invalid_reasons": reasons,
           "tail": killed["output_tail"]})  # fmt: skip
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=60.0)
    parser.add_argument("--duration", type=int, default=12)
    args = parser.parse_args()
    reason = unavailable()
    if reason is not None:
        print(f"netns_load: {reason}", file=sys.stderr)
        return 2
    for signum in (signal.SIGTERM, signal.SIGHUP):  # a stopped run still removes its namespaces
        signal.signal(signum, lambda number, _frame: sys.exit(128 + number))
    swept = sweep_stale()
    work = Path(tempfile.mkdtemp(prefix="oms-netns-"))
    work.chmod(0o755)
    try:
        with topology() as net:
            reference, profile = start_reference(net, work)
            try:
                clean = run_scenario(net, work, profile, rate=args.rate,
                                     duration=args.duration, kill=False)  # fmt: skip
                killed = run_scenario(net, work, profile, rate=args.rate,
                                      duration=args.duration, kill=True)  # fmt: skip
            finally:
                reference.kill()
                reference.wait()
            found = checks(net, clean, killed)
            made = [*net.namespaces.values(), net.hub]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps({"checks": found, "namespaces": made, "swept_stale": swept}, indent=2))
    return 0 if all(c["passed"] for c in found) else 1


if __name__ == "__main__":
    sys.exit(main())
