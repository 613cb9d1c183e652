"""Indent a JSON body for people without parsing it, so every literal stays as sent.

Parsing and re-dumping would turn ``2400.30`` into ``2400.3`` and hide exactly the wire-format
faults the suites look for; this re-indents the text token by token instead, and leaves a
body that is not JSON as it is. Long lines are wrapped so the faulty value is never clipped.
"""

from __future__ import annotations

import textwrap

INDENT = "  "
WRAP_AT = 100
CONTINUATION = "  ↪ "


def indent_json(text: str) -> str:
    """``text`` re-indented (two spaces, one member per line); unchanged if it is not JSON."""
    body = text.strip()
    if not body or body[0] not in "{[":
        return text
    out: list[str] = []
    depth = 0
    in_string = escaped = False
    index = 0
    while index < len(body):
        char = body[index]
        index += 1
        if in_string:
            out.append(char)
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
            out.append(char)
        elif char in "{[":
            rest = body[index:].lstrip()
            if rest[:1] == ("}" if char == "{" else "]"):  # empty: keep it on one line
                out.append(char + rest[0])
                index = len(body) - len(rest) + 1
                continue
            depth += 1
            out.append(char + "\n" + INDENT * depth)
        elif char in "}]":
            depth -= 1
            out.append("\n" + INDENT * max(depth, 0) + char)
        elif char == ",":
            out.append(",\n" + INDENT * depth)
        elif char == ":":
            out.append(": ")
        elif not char.isspace():
            out.append(char)
    if in_string or depth != 0:
        return text  # truncated or not JSON: show it as it came
    return "".join(out)


def wrap_lines(text: str, width: int = WRAP_AT) -> str:
    """Hard-wrap lines longer than ``width``; continuations are marked with ``↪``."""
    wrapped: list[str] = []
    for line in text.split("\n"):
        if len(line) <= width:
            wrapped.append(line)
            continue
        chunks = textwrap.wrap(
            line,
            width=width,
            subsequent_indent=CONTINUATION,
            break_long_words=True,
            replace_whitespace=False,
            drop_whitespace=False,
        )
        wrapped.extend(chunks or [line])
    return "\n".join(wrapped)
