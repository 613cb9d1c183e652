"""`oms-harness conformance`: prove a target keeps every promise of the balance contract.

With neither ``--profile`` nor ``--base-url`` it starts the local reference on a free
loopback port, tests it, and stops it. Exit codes: 0 all hold, 1 a contract violation,
2 usage or profile error, 3 target unreachable or credentials rejected.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..conformance import runner
from ..conformance.runner import ONLY_CHOICES
from ..conformance.target import DEFAULT_MAX_EXAMPLES
from ..errors import UsageError
from ..local_target import local_reference
from ..outputs import check_outputs
from ..profile import resolve_profile
from ..target import output, resolve_target
from ._arguments import add_fuzz_arguments, add_target_arguments, duration


def configure(parser: argparse.ArgumentParser) -> None:
    add_target_arguments(parser)
    add_fuzz_arguments(parser, DEFAULT_MAX_EXAMPLES)
    parser.add_argument("--only", choices=ONLY_CHOICES, help="run only the fuzz or semantic suites")
    parser.add_argument("--junitxml", type=Path, metavar="FILE", help="write a JUnit XML report")
    parser.add_argument("--alluredir", type=Path, metavar="DIR", help="write Allure results")
    parser.add_argument(
        "--quiet",
        action="store_true",
        help="no progress lines and no pytest output while it runs (the summary still prints)",
    )
    parser.add_argument(
        "--timeout",
        type=duration,
        metavar="DURATION",
        help="time limit of the suites (default: 600 s + 3 s per fuzz example; "
        "or OMS_HARNESS_CONFORMANCE_TIMEOUT); reaching it exits 3",
    )


def run(args: argparse.Namespace) -> int:
    profile = resolve_profile(args.profile, args.base_url, args.token)
    options = {
        "max_examples": args.max_examples,
        "seed": args.seed,
        "only": args.only,
        "junitxml": args.junitxml,
        "alluredir": args.alluredir,
        "timeout": args.timeout,
        "quiet": args.quiet,
    }
    outputs = [
        *output(args.junitxml, "--junitxml", directory=False),
        *output(args.alluredir, "--alluredir", directory=True),
    ]
    if profile is None:
        if args.token is not None:
            raise UsageError("--token needs --profile (the local reference issues its own)")
        check_outputs(outputs)
        print("conformance: no target given, starting the local reference")
        with local_reference() as reference:
            target = resolve_target(
                reference.profile, outputs=outputs, preflight_timeout=args.preflight_timeout
            )
            return runner.run_conformance(target, **options).exit_code
    target = resolve_target(profile, outputs=outputs, preflight_timeout=args.preflight_timeout)
    return runner.run_conformance(target, **options).exit_code
