"""Arguments shared by several sub-commands, so each flag means the same everywhere."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from pathlib import Path

from ..durations import parse_duration
from ..errors import UsageError


def _number(
    kind: Callable[[str], float], lowest: float, inclusive: bool, what: str
) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None
        if (
            math.isnan(value)
            or math.isinf(value)
            or value < lowest
            or (not inclusive and value == lowest)
        ):
            bound = f"at least {lowest:g}" if inclusive else f"greater than {lowest:g}"
            raise argparse.ArgumentTypeError(f"{text!r} must be {bound}")
        return value

    return parse


def positive_int(text: str) -> int:
    """An integer of at least 1 (counts, ports, processes)."""
    return int(_number(int, 1, True, "an integer")(text))


def non_negative_int(text: str) -> int:
    """An integer of at least 0 (seeds)."""
    return int(_number(int, 0, True, "an integer")(text))


def positive_float(text: str) -> float:
    """A finite number above 0 (rates)."""
    return _number(float, 0, False, "a number")(text)


def non_negative_float(text: str) -> float:
    """A finite number of at least 0 (SLO limits)."""
    return _number(float, 0, True, "a number")(text)


def fraction(text: str) -> float:
    """A finite number from 0 to 1 inclusive (error rates, probabilities)."""
    value = _number(float, 0, True, "a number")(text)
    if value > 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be a fraction from 0 to 1")
    return value


def duration(text: str) -> float:
    """A positive duration in seconds: ``90``, ``1m30s``, ``250ms`` (the one grammar)."""
    try:
        return parse_duration(text)
    except UsageError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_target_arguments(parser: argparse.ArgumentParser) -> None:
    """``--profile`` / ``--base-url`` / ``--token``: the same three flags on every command."""
    target = parser.add_argument_group("target (default: start the embedded local reference)")
    target.add_argument("--profile", type=Path, metavar="FILE", help="target profile (TOML)")
    target.add_argument("--base-url", metavar="URL", help="override the profile's base_url")
    target.add_argument(
        "--token", metavar="T", help="bearer token (overrides the profile; prefer token_env)"
    )
    target.add_argument(
        "--preflight-timeout",
        type=positive_float,
        metavar="SECONDS",
        help="wall-clock limit of the preflight, token exchange included (default 10; "
        "or OMS_HARNESS_PREFLIGHT_TIMEOUT); reaching it exits 3",
    )


def add_fuzz_arguments(parser: argparse.ArgumentParser, default_examples: int) -> None:
    """``--max-examples`` / ``--seed`` of the schemathesis fuzz suite."""
    parser.add_argument(
        "--max-examples",
        type=positive_int,
        default=default_examples,
        metavar="N",
        help=f"fuzz examples per fuzz test (default {default_examples})",
    )
    parser.add_argument(
        "--seed", type=non_negative_int, metavar="N", help="reproduce a run (printed)"
    )
