"""The fuzz schema is tightened in memory; the pinned file and its parsed copy stay verbatim."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from oms_harness.conformance.fuzz_schema import ID_PATTERN, tightened_spec
from oms_harness.conformance.target import SuiteTarget
from oms_harness.contract import spec, typeid
from oms_harness.profile import parse_profile

CURRENCY_PARAM = spec.currency_parameter()

FUNDED = typeid.new_customer_id()
EMPTY = typeid.new_customer_id()


@pytest.fixture
def target() -> SuiteTarget:
    profile = parse_profile(
        {
            "base_url": "http://127.0.0.1:9/v0.9",
            "token": "t0ken-value",
            "customers": {"funded": FUNDED, "empty": EMPTY},
            "currencies": {"supported": ["USD", "EUR"]},
        }
    )
    return SuiteTarget(profile=profile, token="t0ken-value")


def _params(document: dict[str, object]) -> dict[str, dict[str, object]]:
    operation = spec.balance_operation(document)  # type: ignore[arg-type]
    return {p["name"]: p for p in operation["parameters"]}


def test_file_and_cached_spec_stay_verbatim(target: SuiteTarget, repo_root: Path) -> None:
    before = (repo_root / "spec" / "openapi.yaml").read_bytes()
    tightened_spec(target, negative=False)
    tightened_spec(target, negative=True)
    assert (repo_root / "spec" / "openapi.yaml").read_bytes() == before
    assert _params(spec.load_spec())["id"]["schema"] == {"type": "string"}


def test_positive_ids_are_profile_ids_or_typeid_grammar(target: SuiteTarget) -> None:
    id_schema = _params(tightened_spec(target, negative=False))["id"]["schema"]
    enum_branch, grammar = id_schema["anyOf"]  # type: ignore[index]
    assert set(enum_branch["enum"]) == set(target.roles().values())
    assert grammar["pattern"] == ID_PATTERN
    assert re.fullmatch(ID_PATTERN.strip("^$"), FUNDED)


def test_profile_ids_are_examples(target: SuiteTarget) -> None:
    examples = _params(tightened_spec(target, negative=False))["id"]["examples"]
    assert examples["funded"] == {"value": FUNDED}  # type: ignore[index]
    assert examples["empty"] == {"value": EMPTY}  # type: ignore[index]


def test_positive_currency_is_the_supported_codes(target: SuiteTarget) -> None:
    currency = _params(tightened_spec(target, negative=False))[CURRENCY_PARAM]
    assert currency["schema"] == {"type": "string", "enum": ["USD", "EUR"]}


def test_negative_keeps_malformed_ids_and_leaves_the_currency_to_the_gap_suite(
    target: SuiteTarget,
) -> None:
    params = _params(tightened_spec(target, negative=True))
    assert CURRENCY_PARAM not in params
    assert params["id"]["schema"]["pattern"] == ID_PATTERN  # type: ignore[index]


def test_servers_point_at_the_target(target: SuiteTarget) -> None:
    document = tightened_spec(target, negative=False)
    assert document["servers"] == [
        {"url": "http://127.0.0.1:9/v0.9", "description": "target under test"}
    ]
