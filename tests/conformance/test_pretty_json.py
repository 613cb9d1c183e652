"""A body is indented for people without being parsed: every literal stays as sent."""

from __future__ import annotations

import json

from oms_harness.conformance.pretty_json import CONTINUATION, indent_json, wrap_lines


def test_literals_are_kept_exactly() -> None:
    raw = '{"data":{"v":2400.30,"e":1E+3,"s":"a,b:{c}\\"d","n":null,"l":[1,[],{}]}}'
    pretty = indent_json(raw)
    assert '"v": 2400.30,' in pretty
    assert '"e": 1E+3,' in pretty
    assert '"s": "a,b:{c}\\"d",' in pretty
    assert '"l": [\n      1,\n      [],\n      {}\n    ]' in pretty
    assert json.loads(pretty) == json.loads(raw)


def test_not_json_or_truncated_is_left_alone() -> None:
    for text in ("plain text", '{"a": "unterminated', '{"a": [1, 2}', ""):
        assert indent_json(text) == text


def test_long_lines_wrap_and_say_so() -> None:
    wrapped = wrap_lines("x" * 250, width=100).split("\n")
    assert len(wrapped) == 3
    assert all(len(line) <= 100 for line in wrapped)
    assert wrapped[1].startswith(CONTINUATION)
    assert "".join(line.removeprefix(CONTINUATION) for line in wrapped) == "x" * 250
