"""`oms-harness serve`: the local reference implementation of the balance endpoint."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from ..errors import UsageError
from ..reference import mutants, server
from ..reference.app import BASE_PATH, create_app
from ..reference.auth import TOKEN_TTL_SECONDS
from ..reference.data import load_fixtures
from ..reference.describe import describe, write_profile
from ..reference.faults import FaultConfig, Faults, parse_duration, parse_latency, parse_rate

LISTENING = "oms-harness reference listening on {base_url}"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port; 0 picks a free one (8080)")
    parser.add_argument("--fixtures", type=Path, help="fixture file (default: the shipped one)")
    parser.add_argument("--mutant", metavar="NAME", help="serve one deliberate contract violation")
    parser.add_argument("--list-mutants", action="store_true", help="list the mutants and exit")
    parser.add_argument(
        "--write-profile", type=Path, metavar="FILE", help="write a target profile once bound"
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
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port {args.port}: expected 0 to 65535")
    switches = mutants.Switches.for_mutant(args.mutant)
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
        profile = describe(fixtures, base_url, authority.issue().token, expired)
        try:
            write_profile(args.write_profile, profile)
        except OSError as exc:
            sock.close()
            raise UsageError(f"cannot write profile {args.write_profile}: {exc}") from None

    def ready() -> None:
        print(LISTENING.format(base_url=base_url), flush=True)

    server.run(app, sock, ready)
    return 0
