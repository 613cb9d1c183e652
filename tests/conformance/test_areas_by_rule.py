"""A failure counts in the area of the rule that broke, in the table and in Allure.

The reference with dropped trailing zeros ("2400.3") used to fail under "currency" (the
suite that compared exact values) while "decimal" stayed green.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from oms_harness.conformance.runner import run_conformance
from oms_harness.contract.registry import area_title
from oms_harness.local_target import local_reference

pytestmark = pytest.mark.e2e


def test_dropped_trailing_zeros_count_in_decimal(tmp_path: Path) -> None:
    allure_dir = tmp_path / "allure"
    with local_reference(mutant="lost-trailing-zeros") as reference:
        result = run_conformance(
            reference.profile, max_examples=5, seed=3, echo=False, alluredir=allure_dir
        )
    assert result.exit_code == 1
    failed = {area: counts.failed for area, counts in result.areas.items() if counts.failed}
    assert set(failed) == {"decimal"}, failed
    assert "decimal.consistent-places" in result.rules_broken
    features: dict[str, set[str]] = {}
    for path in allure_dir.glob("*-result.json"):
        document = json.loads(path.read_text(encoding="utf-8"))
        labels = document["labels"]
        names = [label["value"] for label in labels if label["name"] == "feature"]
        assert len(names) == 1, labels  # one feature per result, never the suite's as well
        features.setdefault(document["status"], set()).update(names)
        if document["status"] == "failed":
            tags = {label["value"] for label in labels if label["name"] == "tag"}
            assert "decimal.consistent-places" in tags
    assert features["failed"] == {area_title("decimal")}
    assert area_title("currency") in features["passed"]
