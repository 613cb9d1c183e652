"""The self-check: the gate passes the clean reference and every benign variant, and kills
every mutant (no survivor, no false alarm).

One test per server, so pytest-xdist spreads the ~56 gate runs over its workers (one test
running them all pinned a worker for minutes at the end of the suite). What the single run
of ``oms-harness mutants`` proved in one go is proved here piece by piece: the clean pass,
each mutant killed through the rule it breaks (:data:`KILLED_THROUGH`), each variant passed,
and every registered rule named by some mutant's kill.
"""

from __future__ import annotations

import pytest

from oms_harness.commands import mutants as mutants_command
from oms_harness.commands.mutants import MUTANT, VARIANT, MutantRun, run_all, run_one
from oms_harness.contract.registry import RULES
from oms_harness.reference.mutants import LOAD_ONLY_MUTANTS, MUTANTS, VARIANTS

MAX_EXAMPLES = 25
SEED = 0

KILLED_THROUGH: dict[str, frozenset[str]] = {
    name: frozenset(rules)
    for name, rules in {
        "default-currency-eur": {"currency.default", "balance.expected", "balance.repeat-agrees"},
        "value-as-number": {"decimal.wire-string"},
        "lost-trailing-zeros": {"decimal.consistent-places"},
        "exponent-notation": {"decimal.grammar"},
        "wrong-400-text": {"response.schema", "error.exact-body"},
        "null-updated-at": {"updated-at.not-null", "updated-at.omitted-when-empty"},
        "id-not-echoed": {"id.echo"},
        "lenient-id-validation": {"id.malformed", "id.echo"},
        "auth-bypass": {"auth.required", "auth.before-validation"},
        "validation-before-auth": {"auth.before-validation"},
        "outage-as-500": {"status.role", "status.documented"},
        "currency-ignored": {"currency.echo", "balance.expected"},
        "wrong-content-type": {"response.content-type"},
        "alg-none-accepted": {"auth.required"},
        "signature-not-verified": {"auth.required"},
        "expired-token-accepted": {"auth.required"},
        "updated-at-not-rfc3339": {"updated-at.rfc3339"},
        "future-updated-at": {"updated-at.not-future"},
        "provider-error-code": {"response.schema", "error.exact-body"},
        "unprovisioned-as-404": {"status.role"},
        "leading-zeros": {"decimal.grammar"},
        "wrong-conversion": {"balance.expected"},
        "not-found-oracle": {"auth.before-validation"},
        "updated-at-for-empty": {"updated-at.omitted-when-empty"},
        "unsupported-currency-500": {"status.documented"},
        "error-as-200": {"status.role"},
        "case-folded-known-ids": {"id.malformed", "id.typeid"},
        "malformed-escape-500": {"id.malformed", "status.documented"},
        "rare-wrong-value": {"balance.expected"},
        "unknown-id-as-400": {"id.unknown"},
        "escaped-digits": {"decimal.raw-text"},
        "duplicate-key": {"response.json"},
    }.items()
}
"""Mutant -> the registered rule ids its kill names (the kill table of ``oms-harness mutants
--max-examples 25 --seed 0``; a load-only kill's rule is the load smoke's); together they
cover every rule in the registry."""


@pytest.mark.e2e
@pytest.mark.slow
def test_gate_passes_the_clean_reference_with_the_load_smoke() -> None:
    clean = run_one(None, max_examples=MAX_EXAMPLES, seed=SEED)
    assert clean.result is not None, clean.error
    assert clean.result.exit_code == 0, clean.result.failures
    assert clean.load_violations == {}, "the clean reference breaks no rule under load"


@pytest.mark.e2e
@pytest.mark.slow
@pytest.mark.parametrize("name", list(MUTANTS))
def test_gate_kills_the_mutant_through_its_rule(name: str) -> None:
    run = run_one(name, max_examples=MAX_EXAMPLES, seed=SEED, kind=MUTANT)
    assert run.failed, run.error or (run.result.failures if run.result else None)
    rules = {rule.removesuffix(" (load)") for rule in run.killed_by_rules}
    assert KILLED_THROUGH[name] <= rules, run.killed_by_rules
    if name in LOAD_ONLY_MUTANTS:  # conformance alone misses it; load kills it
        assert run.result is not None
        assert run.result.exit_code == 0, run.result.failures
        assert run.load_violations, name


@pytest.mark.e2e
@pytest.mark.slow
@pytest.mark.parametrize("name", list(VARIANTS))
def test_gate_passes_the_benign_variant(name: str) -> None:
    run = run_one(name, max_examples=MAX_EXAMPLES, seed=SEED, kind=VARIANT)
    assert run.passed, run.error or (run.result.failures if run.result else run.load_violations)


def test_every_mutant_names_rules_and_every_rule_is_killed_through_by_one() -> None:
    assert sorted(KILLED_THROUGH) == sorted(MUTANTS)
    assert all(KILLED_THROUGH.values()), "a mutant kill that names no rule"
    named = set().union(*KILLED_THROUGH.values())
    assert named <= set(RULES), "not a registered rule"
    assert set(RULES) - named == set(), "rules no killed mutant proves"


def test_run_all_runs_the_clean_reference_then_mutants_then_variants_in_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What ``oms-harness mutants`` hands the kill table (the runs themselves are above)."""
    seen: list[tuple[str | None, str, int, int]] = []

    def fake(name: str | None, *, max_examples: int, seed: int, kind: str = MUTANT) -> MutantRun:
        seen.append((name, kind, max_examples, seed))
        return MutantRun(name or mutants_command.CLEAN, None, kind=kind)

    monkeypatch.setattr(mutants_command, "run_one", fake)
    clean, runs = run_all(
        list(MUTANTS), variants=list(VARIANTS), max_examples=MAX_EXAMPLES, seed=SEED, jobs=3
    )
    assert clean.name == mutants_command.CLEAN
    assert [run.name for run in runs if run.kind == MUTANT] == list(MUTANTS)
    assert [run.name for run in runs if run.kind == VARIANT] == list(VARIANTS)
    assert [run.kind for run in runs] == [MUTANT] * len(MUTANTS) + [VARIANT] * len(VARIANTS)
    assert sorted(seen, key=str) == sorted(
        [(None, MUTANT, MAX_EXAMPLES, SEED)]
        + [(name, MUTANT, MAX_EXAMPLES, SEED) for name in MUTANTS]
        + [(name, VARIANT, MAX_EXAMPLES, SEED) for name in VARIANTS],
        key=str,
    )
