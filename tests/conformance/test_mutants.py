"""The self-check: the gate passes the clean reference and every benign variant, and kills
every mutant (no survivor, no false alarm)."""

from __future__ import annotations

import pytest

from oms_harness.commands.mutants import MUTANT, VARIANT, run_all
from oms_harness.contract.registry import RULES
from oms_harness.reference.mutants import LOAD_ONLY_MUTANTS, MUTANTS, VARIANTS

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_gate_passes_correct_servers_and_kills_every_mutant() -> None:
    """One run of the whole self-check, asserted four ways: clean pass, 100% kill, no false
    alarm, and every registered rule broken by a mutant the gate killed through that rule."""
    clean, runs = run_all(list(MUTANTS), variants=list(VARIANTS), max_examples=25, seed=0, jobs=3)
    assert clean.result is not None, clean.error
    assert clean.result.exit_code == 0, clean.result.failures
    mutant_runs = [run for run in runs if run.kind == MUTANT]
    variant_runs = [run for run in runs if run.kind == VARIANT]
    assert [run.name for run in mutant_runs] == list(MUTANTS)
    assert [run.name for run in variant_runs] == list(VARIANTS)
    survivors = [run.name for run in mutant_runs if not run.failed]
    assert survivors == [], {run.name: run.error for run in mutant_runs if not run.failed}
    false_alarms = {
        run.name: run.error or (run.result.failures if run.result else None)
        for run in variant_runs
        if not run.passed
    }
    assert false_alarms == {}
    assert clean.load_violations == {}, "the clean reference breaks no rule under load"
    by_rule = {
        rule.removesuffix(" (load)"): run.name
        for run in mutant_runs
        for rule in run.killed_by_rules
    }
    assert set(RULES) - set(by_rule) == set(), "rules no killed mutant proves"
    for run in mutant_runs:
        if run.name in LOAD_ONLY_MUTANTS:  # conformance alone misses it; load kills it
            assert run.result is not None
            assert run.result.exit_code == 0, run.result.failures
            assert run.load_violations, run.name
