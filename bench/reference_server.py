"""Benchmark: the reference's balance endpoint vs a hello-world ASGI app, same stack.

Both run on ``oms_harness.reference.server`` (uvicorn + uvloop + httptools, one worker,
access log off), each in its own process, with the same wrk settings, in alternating rounds
(so drifting load on a shared machine hits both alike). Prints the median RPS and p99 of
each and the ratio (target: reference >= 0.8 x hello-world); exit 1 below the target.

    .venv/bin/python bench/reference_server.py [--duration 5] [--rounds 5] [--connections 64]

The bearer token travels to wrk through an environment variable read by a Lua script,
so it never appears on a command line or in the output.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from oms_harness.local_target import local_reference

HELLO_BODY = b'{"hello":"world"}'
LUA = 'wrk.headers["Authorization"] = os.getenv("BENCH_AUTHORIZATION")\n'


HELLO_START = {
    "type": "http.response.start",
    "status": 200,
    "headers": [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(HELLO_BODY)).encode()),
    ],
}
HELLO_MESSAGE = {"type": "http.response.body", "body": HELLO_BODY}


async def hello_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The smallest ASGI app: one fixed JSON answer, messages pre-built (a strict baseline)."""
    if scope["type"] == "http":
        await send(HELLO_START)
        await send(HELLO_MESSAGE)


def serve_hello() -> None:
    """Child mode: serve hello_app on a free port and print it."""
    from oms_harness.reference import server

    sock = server.bind("127.0.0.1", 0)
    port = sock.getsockname()[1]
    server.run(hello_app, sock, lambda: print(f"port {port}", flush=True), lifespan="off")


@contextmanager
def hello_server() -> Iterator[str]:
    process = subprocess.Popen(
        [sys.executable, __file__, "--serve-hello"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line.startswith("port "):
            raise SystemExit("hello-world server did not start")
        yield f"http://127.0.0.1:{line.split()[1]}/hello"
    finally:
        process.terminate()
        process.wait(timeout=10)


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def wrk(url: str, args: argparse.Namespace, authorization: str = "") -> tuple[float, float]:
    """Run wrk once; return (requests per second, p99 in ms)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(LUA)
    try:
        result = subprocess.run(
            [
                "wrk",
                f"-t{args.threads}",
                f"-c{args.connections}",
                f"-d{args.duration}s",
                "--latency",
                "-s",
                script.name,
                url,
            ],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "BENCH_AUTHORIZATION": authorization},
            timeout=args.duration + 30,
        )
    finally:
        os.unlink(script.name)
    out = result.stdout
    if "Non-2xx or 3xx responses" in out:
        raise SystemExit(f"wrk saw non-2xx answers from {url}: the benchmark is invalid")
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", out, re.MULTILINE)
    if rps is None or p99 is None:
        raise SystemExit(f"cannot parse wrk output:\n{out}")
    return float(rps[1]), float(p99[1]) * _UNITS[p99[2]]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run (5)")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds (5)")
    parser.add_argument("--connections", type=int, default=64, help="wrk connections (64)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (1)")
    parser.add_argument("--serve-hello", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_hello:
        serve_hello()
        return 0
    if shutil.which("wrk") is None:
        print(
            "wrk is not installed: `sudo apt-get install -y wrk` (Debian/Ubuntu) "
            "or `brew install wrk` (macOS)",
            file=sys.stderr,
        )
        return 2
    ref_runs: list[tuple[float, float]] = []
    hello_runs: list[tuple[float, float]] = []
    with local_reference() as target, hello_server() as hello_url:
        funded = target.profile.customers["funded"]
        url = f"{target.base_url}/customers/{funded}/balance"
        authorization = f"Bearer {target.profile.credentials.token}"
        for _ in range(args.rounds):  # alternate, so drifting machine load hits both alike
            ref_runs.append(wrk(url, args, authorization))
            hello_runs.append(wrk(hello_url, args))
    ref_rps = statistics.median(rps for rps, _ in ref_runs)
    ref_p99 = statistics.median(p99 for _, p99 in ref_runs)
    hello_rps = statistics.median(rps for rps, _ in hello_runs)
    hello_p99 = statistics.median(p99 for _, p99 in hello_runs)
    print(
        f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s, "
        f"median of {args.rounds} alternating rounds; "
        "uvicorn + uvloop + httptools, 1 worker, access log off"
    )
    print(f"{'target':<14}{'RPS':>10}{'p99 ms':>10}")
    print(f"{'hello-world':<14}{hello_rps:>10.0f}{hello_p99:>10.2f}")
    print(f"{'reference':<14}{ref_rps:>10.0f}{ref_p99:>10.2f}")
    ratio = ref_rps / hello_rps
    print(f"ratio reference/hello-world RPS: {ratio:.2f} (target >= 0.80)")
    return 0 if ratio >= 0.8 else 1


if __name__ == "__main__":
    sys.exit(main())
