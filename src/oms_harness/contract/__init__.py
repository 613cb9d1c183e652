"""The contract of ``GET /customers/{id}/balance`` as pure rules (no I/O but the spec file).

:func:`verdict.judge` is the one judgement of an answer; :mod:`registry` names every rule.
"""

from . import decimal_string, registry, rfc3339, spec, typeid, verdict
from .registry import RULES, Rule, area_of, rule
from .rules import (
    BalanceRequest,
    Violation,
    check_content_type,
    check_exact_error,
    check_status_documented,
    check_updated_at_absent,
    parse_json,
    schema_violations,
)
from .verdict import Answer, AnswerHistory, Expectations, Sent, judge

__all__ = [
    "RULES",
    "Answer",
    "AnswerHistory",
    "BalanceRequest",
    "Expectations",
    "Rule",
    "Sent",
    "Violation",
    "area_of",
    "check_content_type",
    "check_exact_error",
    "check_status_documented",
    "check_updated_at_absent",
    "decimal_string",
    "judge",
    "parse_json",
    "registry",
    "rfc3339",
    "rule",
    "schema_violations",
    "spec",
    "typeid",
    "verdict",
]
