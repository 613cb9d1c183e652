"""`oms-harness report` (not implemented yet)."""

from __future__ import annotations

import argparse

from ..errors import UsageError


def configure(parser: argparse.ArgumentParser) -> None:
    """No options yet."""


def run(args: argparse.Namespace) -> int:
    raise UsageError("`report` is not implemented yet")
