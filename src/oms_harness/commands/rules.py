"""`oms-harness rules`: the registry of contract rules, for people and for tools.

Every failure the gate reports names one of these ids (``[decimal.grammar] ...``); this is
where a reader looks up what it enforces and where in the spec. ``--format json`` prints the
same rows as a JSON array (stable keys: id, area, severity, spec, description).
"""

from __future__ import annotations

import argparse
import json

from ..contract.registry import AREAS, RULES, Rule


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format",
        choices=("table", "json"),
        default="table",
        help="table for people (default), json for tools",
    )
    parser.add_argument(
        "--area",
        choices=tuple(AREAS),
        metavar="AREA",
        help=f"only the rules of one area ({', '.join(AREAS)})",
    )


def table(area: str | None = None) -> str:
    """Fixed-width rows: id, area, severity, spec pointer, then the description."""
    rows = [(r.id, r.area, r.severity, r.spec, r.description) for r in _selected(area)]
    header = ("id", "area", "severity", "spec", "description")
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header) - 1)]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False))
        + "  "
        + row[-1]
        for row in (header, *rows)
    )


def _selected(area: str | None) -> list[Rule]:
    return [r for r in RULES.values() if area is None or r.area == area]


def run(args: argparse.Namespace) -> int:
    if args.format == "json":
        print(json.dumps([r.to_json() for r in _selected(args.area)], indent=2))
    else:
        print(table(args.area))
    return 0
