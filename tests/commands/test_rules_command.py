"""`oms-harness rules`: the registry for people (a table) and for tools (JSON)."""

from __future__ import annotations

import json

import pytest

from oms_harness.cli import main
from oms_harness.contract.registry import RULES


def test_table_lists_every_rule_with_area_spec_and_description(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["rules"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["id", "area", "severity", "spec", "description"]
    rows = {line.split()[0]: line for line in lines[1:]}
    assert list(rows) == list(RULES)
    for rule in RULES.values():
        row = rows[rule.id]
        assert row.split()[1:4] == [rule.area, rule.severity, rule.spec]
        assert row.endswith(rule.description)


def test_json_is_the_registry(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows == [rule.to_json() for rule in RULES.values()]


def test_one_area(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "--area", "decimal", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows
    assert {row["area"] for row in rows} == {"decimal"}


def test_an_unknown_area_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["rules", "--area", "nope"])
    assert exited.value.code == 2
    assert "invalid choice" in capsys.readouterr().err
