"""The ``oms-harness`` command line: dispatch to one module per sub-command.

Every :class:`HarnessError` becomes one line on stderr and its exit code; a traceback
reaches the user only for a bug in the harness itself. SIGTERM (a CI cancel, ``timeout``,
Kubernetes) unwinds like Ctrl-C, so every ``with``/``finally`` stops what it started (the
local reference, the pytest and Locust children); the exit code is then 143 (128 + 15).
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import FrameType
from typing import Protocol, cast

from ._version import __version__
from .commands import _environment
from .errors import HarnessError
from .exit_codes import ExitCode

COMMANDS: dict[str, str] = {
    "gate": "the full gate: conformance, load smoke, report (the main job)",
    "conformance": "check a target against the contract (semantic suites + schemathesis fuzz)",
    "mutants": "prove the gate kills every deliberate contract violation of the reference",
    "rules": "list every contract rule the gate judges: id, area, severity, spec, description",
    "load": "run a Locust load scenario with honest latency and an SLO verdict",
    "report": "render the Allure report again from existing results",
    "serve": "run the local reference implementation of the balance endpoint",
}


class _Command(Protocol):
    def configure(self, parser: argparse.ArgumentParser) -> None: ...

    def run(self, args: argparse.Namespace) -> int: ...


def _module(name: str) -> _Command:
    return cast(_Command, importlib.import_module(f"oms_harness.commands.{name}"))


class _Parser(argparse.ArgumentParser):
    """argparse, but usage errors exit with :attr:`ExitCode.USAGE` and one line."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(ExitCode.USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="oms-harness",
        description="Conformance and load-testing harness for the Polygon OMS balance endpoint.",
    )
    parser.add_argument("--version", action="version", version=f"oms-harness {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    subparsers.required = True
    for name, help_text in COMMANDS.items():
        sub = subparsers.add_parser(name, help=help_text, description=help_text)
        _module(name).configure(sub)
        if name in _environment.COMMANDS:  # OMS_HARNESS_<FLAG> stands in for absent flags
            _environment.install(sub, os.environ)
    return parser


TERMINATED_EXIT_CODE = 128 + signal.SIGTERM
OWN_SIGTERM_HANDLING = frozenset({"serve"})
"""Commands whose server shuts down on SIGTERM itself and then re-raises it for the default
action (uvicorn): a handler of ours would turn that prompt exit into a slow unwind."""


class Terminated(BaseException):
    """Raised by the SIGTERM handler; a BaseException so ``except Exception`` cannot eat it."""


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    # one unwind is enough: a second SIGTERM must not interrupt the cleanup it started
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise Terminated


@contextmanager
def _sigterm_unwinds() -> Iterator[None]:
    """Turn SIGTERM into :class:`Terminated` for the duration of a command (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        _environment.resolve(args)
    except HarnessError as exc:
        print(f"oms-harness {args.command}: error: {exc}", file=sys.stderr)
        return int(exc.exit_code)
    try:
        if args.command in OWN_SIGTERM_HANDLING:
            return _module(args.command).run(args)
        with _sigterm_unwinds():
            return _module(args.command).run(args)
    except Terminated:
        print(f"oms-harness {args.command}: terminated", file=sys.stderr)
        return TERMINATED_EXIT_CODE
    except HarnessError as exc:
        print(f"oms-harness {args.command}: error: {exc}", file=sys.stderr)
        return int(exc.exit_code)
    except KeyboardInterrupt:
        print(f"oms-harness {args.command}: interrupted", file=sys.stderr)
        return int(ExitCode.INTERRUPTED)
    except BrokenPipeError:
        # The reader went away (`oms-harness serve --list-mutants | head`): not an error of ours.
        # Point stdout at devnull so the interpreter's final flush cannot raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return int(ExitCode.OK)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
