"""Small helpers the suites in ``conformance/`` share (kept in the package so they are typed).

A suite states a scenario (which customer, which credential, which currency) and asserts on
the one judge's verdict through :func:`assert_judged`; it never decides a status or a body
rule itself.
"""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from ..contract.rules import Violation
from .allure_io import attach_raw_body
from .exchange import Exchange
from .judging import verdict_of
from .target import SuiteTarget


def role_id(target: SuiteTarget, role: str) -> str:
    """The id for ``role``, or skip the test saying which role the profile lacks."""
    customer_id = target.customer(role)
    if customer_id is None:
        pytest.skip(f"profile has no `{role}` customer")
    return customer_id


def verdict(exchange: Exchange, violations: Iterable[Violation]) -> str:
    """An assertion message that starts with the first broken rule's id and short cause
    (reports group and sort by it), then the other broken rules, then the exchange."""
    lines = [str(v) for v in dict.fromkeys(violations)]
    return "; ".join(lines) + f" ({exchange.describe()})"


def judged(target: SuiteTarget, exchange: Exchange) -> list[Violation]:
    """The judge's verdict on one exchange of the suites (the session's shared history)."""
    if exchange.sent is None:
        raise ValueError("the exchange records no request to judge")
    return verdict_of(target, exchange.sent, exchange.answer)


def assert_holds(exchange: Exchange, violations: list[Violation]) -> None:
    """Fail with every broken rule of one exchange, the raw answer attached as evidence."""
    if violations:
        attach_raw_body(exchange)
        pytest.fail(verdict(exchange, violations), pytrace=False)


def assert_judged(target: SuiteTarget, *exchanges: Exchange) -> None:
    """Judge every exchange (the history sees them all), then fail on the first that breaks
    a rule, with every rule it breaks."""
    verdicts = [(exchange, judged(target, exchange)) for exchange in exchanges]
    for exchange, violations in verdicts:
        assert_holds(exchange, violations)
