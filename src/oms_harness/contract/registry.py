"""Every rule of the contract by its stable id: area, severity, the spec it enforces, one line.

A :class:`~oms_harness.contract.rules.Violation` names its rule by id; everything that groups
or labels failures (the CLI area table, Allure features, ``summary.md``, the mutants table,
``oms-harness rules``) looks the id up here, so a failure counts in the area of the rule that
broke, not in the area of the suite that happened to notice it. Ids are a promise: tools key
on them, so an id is never renamed or reused for another rule.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

Severity = Literal["blocker", "critical", "normal", "minor"]

OPERATION = "/paths/~1customers~1{id}~1balance/get"
DATA = "/components/schemas/CustomerBalanceAggregate/properties/data/properties"

AREAS: Mapping[str, str] = {
    "currency": "Currency",
    "decimal": "Decimal wire format",
    "customer-id": "Customer ids",
    "error-bodies": "Error bodies",
    "updated-at": "updatedAt",
    "auth": "Authentication",
    "balance": "Balance values",
    "status": "Statuses",
    "response": "Response format",
}
"""Area id -> its human title (the Allure feature), in the order reviewers read them."""


@dataclass(frozen=True)
class Rule:
    """One promise of the contract the harness checks."""

    id: str
    area: str
    severity: Severity
    spec: str
    """A JSON pointer into ``spec/openapi.yaml`` (the part of the spec the rule enforces)."""
    description: str

    def to_json(self) -> dict[str, str]:
        return {
            "id": self.id,
            "area": self.area,
            "severity": self.severity,
            "spec": self.spec,
            "description": self.description,
        }


_RULES = (
    Rule(
        "auth.required",
        "auth",
        "blocker",
        "/components/securitySchemes/BearerAuth",
        "a request without the valid bearer token answers 401, never the balance",
    ),
    Rule(
        "auth.before-validation",
        "auth",
        "blocker",
        f"{OPERATION}/responses/401",
        "without the valid token the answer is 401 whatever the id (no 400/404 oracle)",
    ),
    Rule(
        "id.malformed",
        "customer-id",
        "critical",
        f"{OPERATION}/responses/400",
        "an id that is not a cst TypeID answers 400 (or a router 404 if not one path segment)",
    ),
    Rule(
        "id.unknown",
        "customer-id",
        "critical",
        f"{OPERATION}/responses/404",
        "a valid TypeID that names no customer answers 404",
    ),
    Rule(
        "id.echo",
        "customer-id",
        "critical",
        f"{DATA}/customerId",
        "data.customerId echoes the requested id exactly",
    ),
    Rule(
        "id.typeid",
        "customer-id",
        "normal",
        f"{DATA}/customerId",
        "data.customerId is a cst TypeID",
    ),
    Rule(
        "currency.default",
        "currency",
        "blocker",
        f"{DATA}/estimatedBalanceValue",
        "without the currency query the balance is in the spec's default currency",
    ),
    Rule(
        "currency.echo",
        "currency",
        "critical",
        f"{DATA}/estimatedBalanceCurrencyCode",
        "estimatedBalanceCurrencyCode is the requested supported code",
    ),
    Rule(
        "decimal.wire-string",
        "decimal",
        "blocker",
        "/components/schemas/fixedDecimalString",
        "estimatedBalanceValue is a JSON string, never a number or null",
    ),
    Rule(
        "decimal.grammar",
        "decimal",
        "blocker",
        "/components/schemas/fixedDecimalString",
        "estimatedBalanceValue is a plain decimal: no exponent, sign, blank or leading zero",
    ),
    Rule(
        "decimal.raw-text",
        "decimal",
        "critical",
        "/components/schemas/fixedDecimalString",
        "estimatedBalanceValue is written literally on the wire (no escaped digits)",
    ),
    Rule(
        "decimal.consistent-places",
        "decimal",
        "critical",
        "/components/schemas/fixedDecimalString/description",
        "a currency keeps one number of decimals across answers (trailing zeros preserved)",
    ),
    Rule(
        "balance.expected",
        "balance",
        "critical",
        f"{DATA}/estimatedBalanceValue",
        "the value equals the exact value the profile's [expected] table holds",
    ),
    Rule(
        "balance.repeat-agrees",
        "balance",
        "normal",
        f"{DATA}/estimatedBalanceValue",
        "a repeated question gets the same value (if the profile sets stable_balances)",
    ),
    Rule(
        "updated-at.not-null",
        "updated-at",
        "critical",
        f"{DATA}/updatedAt",
        "updatedAt is omitted when unknown, never null",
    ),
    Rule(
        "updated-at.rfc3339",
        "updated-at",
        "critical",
        f"{DATA}/updatedAt",
        "updatedAt is an RFC 3339 date-time string",
    ),
    Rule(
        "updated-at.not-future",
        "updated-at",
        "normal",
        f"{DATA}/updatedAt",
        "updatedAt does not lie in the future (beyond a small clock skew)",
    ),
    Rule(
        "updated-at.omitted-when-empty",
        "updated-at",
        "normal",
        f"{DATA}/updatedAt",
        "a customer without provider balances gets no updatedAt at all",
    ),
    Rule(
        "status.documented",
        "status",
        "critical",
        f"{OPERATION}/responses",
        "the operation answers only statuses the spec documents",
    ),
    Rule(
        "status.role",
        "status",
        "critical",
        f"{OPERATION}/responses",
        "each customer role answers its documented status (200, 422, 502, 503)",
    ),
    Rule(
        "response.content-type",
        "response",
        "critical",
        f"{OPERATION}/responses",
        "every answer is labelled application/json",
    ),
    Rule(
        "response.json",
        "response",
        "blocker",
        f"{OPERATION}/responses",
        "every body is strict JSON (UTF-8, no NaN, no duplicate keys)",
    ),
    Rule(
        "response.schema",
        "response",
        "critical",
        f"{OPERATION}/responses",
        "the body matches the spec's own schema for its status",
    ),
    Rule(
        "error.exact-body",
        "error-bodies",
        "critical",
        "/components/schemas",
        "an error body carries the exact error and code strings its schema allows",
    ),
)

RULES: Mapping[str, Rule] = {r.id: r for r in _RULES}
"""Rule id -> rule, in reading order."""


class UnknownRuleError(KeyError):
    """A rule id that is not registered (a typo in code, or a stale id in a tool)."""


def rule(rule_id: str) -> Rule:
    """The registered rule ``rule_id`` (raises :class:`UnknownRuleError` when unknown)."""
    try:
        return RULES[rule_id]
    except KeyError:
        raise UnknownRuleError(rule_id) from None


def area_of(rule_id: str) -> str:
    """The area a breach of ``rule_id`` counts in."""
    return rule(rule_id).area


def area_title(area: str) -> str:
    """The human title of an area (unknown areas are their own title)."""
    return AREAS.get(area, area)


_RULE_TAG = re.compile(r"\[([a-z0-9-]+\.[a-z0-9-]+)\]")


def rule_ids_in(text: str) -> list[str]:
    """The registered rule ids a failure text names (``[decimal.grammar] ...``), in order."""
    return list(dict.fromkeys(m for m in _RULE_TAG.findall(text) if m in RULES))


SLO_CHECK_PREFIX = "slo."
"""An SLO breach is named ``[slo.p95_ms]``: a check of the load run, not a contract rule."""
SCHEMATHESIS_CHECK_PREFIX = "schemathesis."
"""A schemathesis built-in check is named ``[schemathesis.not_a_server_error]``."""
UNNAMED = "unnamed"
"""The name of a failure that names no check (a crash, a collection error)."""
_CHECK_TAG = re.compile(r"\[([a-z0-9][a-z0-9.\-_]*)\]")


def check_name(text: str) -> str:
    """The stable name of the first check a failure text names: a registered rule id, else an
    SLO or schemathesis check (the only names outside the registry), else :data:`UNNAMED`.

    Reports group, label and count failures by it (Allure categories, JUnit, summary.md).
    """
    for tag in _CHECK_TAG.findall(text):
        if tag in RULES or tag.startswith((SLO_CHECK_PREFIX, SCHEMATHESIS_CHECK_PREFIX)):
            return str(tag)
    return UNNAMED
