"""Conformance progress records: found after pytest's dots, turned into one line."""

from __future__ import annotations

from oms_harness.conformance import progress


def test_a_record_after_dots_is_split_off() -> None:
    before, record = progress.split("....F." + progress.PREFIX + '{"done":6,"total":9,"failed":1}')
    assert before == "....F."
    assert record == {"done": 6, "total": 9, "failed": 1}
    assert progress.format_line(record) == "  conformance: 6/9 tests done, 1 failed so far"


def test_other_lines_pass_unchanged() -> None:
    assert progress.split("FAILED test_x.py::test_y") == ("FAILED test_x.py::test_y", None)
    assert progress.split(progress.PREFIX + "not json") == (progress.PREFIX + "not json", None)
