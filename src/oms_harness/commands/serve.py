"""`oms-harness serve`: the local reference implementation of the balance endpoint."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
import time
from pathlib import Path

from ..errors import UsageError
from ..reference import mutants, server
from ..reference.app import BASE_PATH, create_app
from ..reference.auth import TOKEN_TTL_SECONDS
from ..reference.data import load_fixtures
from ..reference.describe import describe, write_profile
from ..reference.faults import FaultConfig, Faults, parse_duration, parse_latency, parse_rate
from ..reference.responses import decimal_places
from ._arguments import positive_float

LISTENING = "oms-harness reference listening on {base_url}"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port; 0 picks a free one (8080)")
    parser.add_argument("--fixtures", type=Path, help="fixture file (default: the shipped one)")
    parser.add_argument("--mutant", metavar="NAME", help="serve one deliberate contract violation")
    parser.add_argument("--list-mutants", action="store_true", help="list the mutants and exit")
    parser.add_argument(
        "--variant", metavar="NAME", help="serve one benign (still conformant) variant"
    )
    parser.add_argument(
        "--list-variants", action="store_true", help="list the benign variants and exit"
    )
    parser.add_argument(
        "--write-profile", type=Path, metavar="FILE", help="write a target profile once bound"
    )
    parser.add_argument(
        "--stop-on-stdin-eof",
        action="store_true",
        help="stop when standard input closes (a supervisor's death then stops the server)",
    )
    parser.add_argument(
        "--header-timeout",
        type=positive_float,
        default=server.HEADER_TIMEOUT_S,
        metavar="SECONDS",
        help=f"seconds for a request's headers to arrive, else 408 ({server.HEADER_TIMEOUT_S:g})",
    )
    faults = parser.add_argument_group("fault injection (all off by default)")
    faults.add_argument(
        "--latency",
        metavar="SPEC",
        help="added latency: 20ms, 0.5s, uniform:10ms:30ms, exp:20ms, lognormal:20ms:0.5",
    )
    faults.add_argument(
        "--provider-error-rate", default="0", metavar="P", help="share of good requests -> 502"
    )
    faults.add_argument(
        "--provider-unreachable-rate",
        default="0",
        metavar="P",
        help="share of good requests -> 503",
    )
    faults.add_argument("--stall", metavar="DURATION", help="pause the whole server this long")
    faults.add_argument("--stall-every", metavar="PERIOD", help="... once every PERIOD")
    faults.add_argument("--fault-seed", type=int, metavar="N", help="seed of the fault draws")


def fault_config(args: argparse.Namespace) -> FaultConfig:
    """Validate the fault flags (one line and exit 2 on a mistake)."""
    return FaultConfig(
        latency=parse_latency(args.latency) if args.latency else None,
        provider_error_rate=parse_rate(args.provider_error_rate, "--provider-error-rate"),
        provider_unreachable_rate=parse_rate(
            args.provider_unreachable_rate, "--provider-unreachable-rate"
        ),
        stall=parse_duration(args.stall, "--stall") if args.stall else None,
        stall_every=parse_duration(args.stall_every, "--stall-every") if args.stall_every else None,
        seed=args.fault_seed,
    )


def run(args: argparse.Namespace) -> int:
    if args.list_mutants:
        print(mutants.listing())
        return 0
    if args.list_variants:
        print(mutants.listing(mutants.VARIANTS))
        return 0
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port {args.port}: expected 0 to 65535")
    switches = mutants.Switches.select(mutant=args.mutant, variant=args.variant)
    faults = Faults(fault_config(args))
    fixtures = load_fixtures(args.fixtures)
    app = create_app(fixtures, switches=switches, faults=faults)
    sock = server.bind(args.host, args.port)
    port = sock.getsockname()[1]
    host = f"[{args.host}]" if ":" in args.host else args.host
    base_url = f"http://{host}:{port}{BASE_PATH}"

    if args.write_profile is not None:  # bound and listening: the profile comes first
        authority = app.authority
        expired = authority.issue(now=time.time() - 2 * TOKEN_TTL_SECONDS).token
        token = authority.issue().token
        profile = describe(
            fixtures,
            base_url,
            token,
            expired,
            places=decimal_places(switches),
            moving=switches.moving_prices,
        )
        try:
            write_profile(args.write_profile, profile)
        except OSError as exc:
            sock.close()
            raise UsageError(f"cannot write profile {args.write_profile}: {exc}") from None

    def ready() -> None:
        print(LISTENING.format(base_url=base_url), flush=True)

    if args.stop_on_stdin_eof:
        _stop_when_stdin_closes(args.write_profile)
    server.run(app, sock, ready, header_timeout=args.header_timeout)
    return 0


def _stop_when_stdin_closes(written_profile: Path | None) -> None:
    """Ask ourselves to shut down (SIGTERM: uvicorn's graceful path) once stdin hits EOF.

    The supervisor holds the write end of our stdin; when it dies, even by SIGKILL, the
    kernel closes that end, so the reference never outlives the harness that started it.
    The profile we wrote for it holds a token, and a dead supervisor cannot remove it: we
    do (the token is worthless once this process is gone, but it is a token on disk).
    """

    def watch() -> None:
        with contextlib.suppress(OSError, ValueError):
            while sys.stdin.buffer.read(4096):
                pass
        if written_profile is not None:
            with contextlib.suppress(OSError):
                written_profile.unlink()
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="stdin-eof-watch", daemon=True).start()
