"""The self-check: the gate passes the clean reference and every benign variant, and kills
every mutant (no survivor, no false alarm)."""

from __future__ import annotations

import pytest

from oms_harness.commands.mutants import MUTANT, VARIANT, run_all
from oms_harness.reference.mutants import MUTANTS, VARIANTS

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_gate_passes_correct_servers_and_kills_every_mutant() -> None:
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
