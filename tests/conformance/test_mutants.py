"""The mutation self-check: the gate passes the clean reference and kills every mutant."""

from __future__ import annotations

import pytest

from oms_harness.commands.mutants import run_all
from oms_harness.reference.mutants import MUTANTS

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_gate_passes_clean_reference_and_kills_every_mutant() -> None:
    clean, runs = run_all(list(MUTANTS), max_examples=25, seed=0, jobs=3)
    assert clean.result is not None, clean.error
    assert clean.result.exit_code == 0, clean.result.failures
    survivors = [run.name for run in runs if not run.failed]
    assert survivors == [], {run.name: run.error for run in runs if not run.failed}
    assert len(runs) == len(MUTANTS)
