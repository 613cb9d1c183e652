"""Fuzz: schemathesis over the pinned spec, tightened in memory, judged by the contract rules.

Positive cases draw valid ids (the profile's and random TypeIDs) and supported currencies;
every built-in check runs, and the contract check (``oms_balance_contract``) judges each
answer. Negative cases send malformed ids and must get 400 (401 without the valid token).
The seed comes from the runner (``--seed``) and is printed in its summary.
"""

from __future__ import annotations

import os
from typing import Any

import allure

from oms_harness.conformance import fuzz
from oms_harness.conformance.target import ENV_REPRO, session_target

FEATURE = "Fuzz"
SPEC_POINTER = "/paths/~1customers~1{id}~1balance/get"

_TARGET = session_target()
positive = fuzz.load_schema(_TARGET, negative=False)
negative = fuzz.load_schema(_TARGET, negative=True)


_REPRO = os.environ.get(ENV_REPRO) or f"oms-harness conformance --only fuzz --seed {_TARGET.seed}"


def _describe_run() -> None:
    allure.dynamic.description(
        f"seed {_TARGET.seed}, {_TARGET.max_examples} examples. Reproduce this run:\n\n"
        f"```\n{_REPRO}\n```"
    )


@positive.parametrize()
def test_fuzz_positive(case: Any) -> None:
    """Valid requests get the contract's answer for every drawn id and currency"""
    _describe_run()
    case.call_and_validate(session=fuzz.http_session())


@negative.parametrize()
def test_fuzz_negative(case: Any) -> None:
    """Malformed ids are rejected with 400 and the exact body"""
    _describe_run()
    case.call_and_validate(session=fuzz.http_session())
