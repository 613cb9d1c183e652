"""The self-check's verdicts without servers: a variant that fails is a false alarm."""

from __future__ import annotations

import argparse

import pytest

from oms_harness.commands import mutants
from oms_harness.commands.mutants import MUTANT, VARIANT, MutantRun, kill_table
from oms_harness.conformance.results import ConformanceResult


def _result(exit_code: int, failures: list[tuple[str, str]] | None = None) -> ConformanceResult:
    failures = failures or []
    return ConformanceResult(
        exit_code=exit_code,
        seed=0,
        passed=10,
        failed=len(failures),
        skipped=0,
        spec_gaps=[],
        areas={},
        failures=failures,
    )


CLEAN = MutantRun("(clean)", _result(0))
KILLED = MutantRun("value-as-number", _result(1, [("test_a.py::t", "why")]), kind=MUTANT)
SURVIVOR = MutantRun("currency-ignored", _result(0), kind=MUTANT)
PASSED = MutantRun("gzip", _result(0), kind=VARIANT)
FALSE_ALARM = MutantRun(
    "strict-routing", _result(1, [("test_b.py::t[x]", "status 404, expected 400")]), kind=VARIANT
)


def test_table_names_false_alarms_with_the_failing_checks() -> None:
    table = kill_table(CLEAN, [KILLED, PASSED, FALSE_ALARM])
    rows = {line.split("  ")[0].strip(): line for line in table.splitlines()}
    assert "killed" in rows["value-as-number"]
    assert "passed" in rows["variant gzip"]
    assert "FALSE ALARM" in rows["variant strict-routing"]
    assert "test_b.py::t[x]: status 404, expected 400" in rows["variant strict-routing"]
    assert table.splitlines()[-1].startswith(
        "killed 1/1 mutants (100%); passed 1/2 benign variants (1 false alarms)"
    )


def test_a_variant_that_could_not_run_is_no_false_alarm_but_still_fails() -> None:
    errored = MutantRun("gzip", None, "TargetUnavailableError: no", kind=VARIANT)
    table = kill_table(CLEAN, [PASSED, errored])
    assert "ERROR" in table
    assert table.splitlines()[-1].startswith(
        "killed 0/0 mutants (0%); passed 1/2 benign variants (0 false alarms, 1 could not run)"
    )


def test_verdicts() -> None:
    assert KILLED.as_expected
    assert PASSED.as_expected
    assert not SURVIVOR.as_expected
    assert not FALSE_ALARM.as_expected
    errored = MutantRun("gzip", None, "TargetUnavailableError: no", kind=VARIANT)
    assert not errored.as_expected


def _args(**overrides: object) -> argparse.Namespace:
    values: dict[str, object] = {
        "max_examples": 1,
        "seed": 0,
        "jobs": 1,
        "mutants": None,
        "variants": None,
    }
    return argparse.Namespace(**{**values, **overrides})


@pytest.mark.parametrize(
    ("runs", "code"),
    [([KILLED, PASSED], 0), ([KILLED, FALSE_ALARM], 1), ([SURVIVOR, PASSED], 1)],
)
def test_exit_code_fails_on_any_false_alarm_or_survivor(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    runs: list[MutantRun],
    code: int,
) -> None:
    monkeypatch.setattr(mutants, "run_all", lambda *a, **k: (CLEAN, runs))
    assert mutants.run(_args()) == code
    assert "benign variants" in capsys.readouterr().out


def test_selection_runs_all_by_default_and_only_what_is_named(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    asked: list[tuple[list[str], list[str]]] = []

    def fake(selected: list[str], *, variants: list[str], **_: object) -> object:
        asked.append((list(selected), list(variants)))
        return CLEAN, []

    monkeypatch.setattr(mutants, "run_all", fake)
    mutants.run(_args())
    mutants.run(_args(variants=["gzip"]))
    mutants.run(_args(mutants=["value-as-number"]))
    capsys.readouterr()
    assert asked[0] == (list(mutants.MUTANTS), list(mutants.VARIANTS))
    assert asked[1] == ([], ["gzip"])
    assert asked[2] == (["value-as-number"], [])


def test_an_unknown_variant_is_a_usage_error() -> None:
    with pytest.raises(Exception, match="unknown variant"):
        mutants.run(_args(variants=["no-such-variant"]))


def test_table_shows_the_rule_ids_that_killed_each_mutant() -> None:
    by_rules = ConformanceResult(
        exit_code=1,
        seed=0,
        passed=5,
        failed=3,
        skipped=0,
        spec_gaps=[],
        areas={},
        failures=[("a.py::x", "r"), ("a.py::y", "r"), ("test_fuzz.py::f", "ST001 x")],
        failure_rules={
            "a.py::x": ("decimal.consistent-places", "balance.expected"),
            "a.py::y": ("decimal.consistent-places",),
        },
    )
    killed = MutantRun("lost-trailing-zeros", by_rules, kind=MUTANT)
    rare = MutantRun(
        "rare-wrong-value", _result(0), kind=MUTANT, load_violations={"balance.expected": 2}
    )
    clean_load = MutantRun("(clean)", _result(0), load_violations={})
    table = kill_table(clean_load, [killed, rare])
    rows = {line.split("  ")[0].strip(): line for line in table.splitlines()}
    assert rows["lost-trailing-zeros"].endswith(
        "decimal.consistent-places, balance.expected; test_fuzz.py::f (3 failing tests)"
    )
    assert "killed" in rows["rare-wrong-value"]
    assert rows["rare-wrong-value"].endswith("balance.expected (load)")
    assert rare.failed
    assert not MutantRun("x", _result(0), load_violations={}).failed
    assert not MutantRun("(clean)", _result(0), load_violations={"id.echo": 1}).passed
    assert table.splitlines()[-1].startswith("killed 2/2 mutants (100%)")
