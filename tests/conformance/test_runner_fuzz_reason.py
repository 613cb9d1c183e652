"""A fuzz failure's reason names the broken rule, on one line, without a traceback or token."""

from __future__ import annotations

import pytest

from oms_harness.conformance.runner import run_conformance
from oms_harness.local_target import local_reference


@pytest.mark.e2e
def test_fuzz_reason_names_the_broken_rule() -> None:
    with local_reference(mutant="lost-trailing-zeros") as reference:
        result = run_conformance(
            reference.profile, only="fuzz", max_examples=25, seed=1, echo=False
        )
        token = reference.profile.credentials.token
    assert token
    assert result.exit_code == 1, result
    reasons = dict(result.failures)
    reason = reasons.get("test_fuzz.py::test_fuzz_positive")
    assert reason is not None, result.failures
    assert "[decimal.consistent-places]" in reason
    # filed under the area of the rule that broke, not under "fuzz"
    assert "decimal.consistent-places" in result.failure_rules["test_fuzz.py::test_fuzz_positive"]
    assert result.areas["decimal"].failed >= 1
    # the rule id first, like every other failure's reason (reports group by it)
    assert reason.startswith("["), reason
    for _, text in result.failures:
        assert "Traceback" not in text
        assert "\n" not in text
        assert token not in text
