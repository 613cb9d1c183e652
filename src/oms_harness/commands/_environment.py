"""``OMS_HARNESS_<FLAG>`` environment variables for every flag of ``load``, ``conformance``,
``gate`` and ``compare`` (``--max-in-flight`` -> ``OMS_HARNESS_MAX_IN_FLIGHT``). A flag on
the command line wins over its variable; a variable wins over the built-in default.

A variable stands in for a flag only where the flag is absent: its value is parsed and
validated exactly like the flag's (same type, same choices), and a bad value is one usage
error naming the variable. Boolean flags take ``1``/``true``/``yes``/``on`` or
``0``/``false``/``no``/``off``.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import UsageError

PREFIX = "OMS_HARNESS_"
COMMANDS = ("load", "conformance", "gate", "compare")
TRUE = frozenset({"1", "true", "yes", "on"})
FALSE = frozenset({"0", "false", "no", "off", ""})


def variable(option: str) -> str:
    """``--max-in-flight`` -> ``OMS_HARNESS_MAX_IN_FLIGHT``."""
    return PREFIX + option.lstrip("-").replace("-", "_").upper()


@dataclass(frozen=True)
class _FromEnvironment:
    """A default standing in for a flag the command line did not give (resolved later)."""

    name: str
    raw: str
    action: argparse.Action


def options(parser: argparse.ArgumentParser) -> Iterator[tuple[str, argparse.Action]]:
    """(variable, action) for every long flag of ``parser`` (not ``--help``)."""
    for action in parser._actions:  # argparse keeps them here; stable since Python 3.2
        if isinstance(action, argparse._HelpAction | argparse._VersionAction):
            continue
        for option in action.option_strings:
            if option.startswith("--"):
                yield variable(option), action


def install(parser: argparse.ArgumentParser, environ: Mapping[str, str]) -> None:
    """Let the set variables stand in for absent flags (checked by :func:`resolve`)."""
    for name, action in options(parser):
        if name in environ and not isinstance(action.default, _FromEnvironment):
            action.default = _FromEnvironment(name, environ[name], action)


def resolve(args: argparse.Namespace) -> None:
    """Parse each value that came from a variable, as its flag would have been parsed."""
    for dest, value in vars(args).items():
        if isinstance(value, _FromEnvironment):
            setattr(args, dest, _convert(value))


def _convert(source: _FromEnvironment) -> Any:
    action, raw = source.action, source.raw.strip()
    flag = max(action.option_strings, key=len)
    if isinstance(action, argparse._StoreTrueAction | argparse._StoreFalseAction):
        if raw.lower() not in TRUE | FALSE:
            raise UsageError(
                f"{source.name}={source.raw!r}: expected 1/true/yes/on or 0/false/no/off"
            )
        given = raw.lower() in TRUE
        return given if isinstance(action, argparse._StoreTrueAction) else not given
    try:
        value = action.type(raw) if callable(action.type) else raw
    except (argparse.ArgumentTypeError, ValueError, TypeError) as exc:
        raise UsageError(f"{source.name}={source.raw!r} (for {flag}): {exc}") from None
    if action.choices is not None and value not in action.choices:
        choices = ", ".join(map(str, action.choices))
        raise UsageError(f"{source.name}={source.raw!r} (for {flag}): choose from {choices}")
    return value


def table(parsers: Mapping[str, argparse.ArgumentParser]) -> list[tuple[str, str, list[str]]]:
    """(variable, flag, commands) rows: what the README's table documents."""
    rows: dict[str, tuple[str, list[str]]] = {}
    for command, parser in parsers.items():
        for name, action in options(parser):
            flag = f"--{name[len(PREFIX) :].lower().replace('_', '-')}"
            if flag not in action.option_strings:
                continue
            rows.setdefault(name, (flag, []))[1].append(command)
    return [(name, flag, commands) for name, (flag, commands) in sorted(rows.items())]
