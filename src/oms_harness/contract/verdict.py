"""The one judge: what was sent, what came back, what the profile says -> every violation.

The semantic suites, the schemathesis check and the Locust response check all call
:func:`judge`; none of them decides a status or picks body rules itself. The order the
contract fixes is decided here, once: no valid token -> 401 before anything else (so the API
is no existence oracle); an id that is not a ``cst`` TypeID -> 400 (or a router's 404 when
it is not one path segment); then the role's status (404 for an id no role names). Where the
contract is silent (an unsupported or repeated currency code) the status is left open and
only what still holds is judged.

Rules that span answers (one number of decimals per currency, the same question gets the
same value, where the profile declares ``stable_balances``) live in :class:`AnswerHistory`;
pass one object to every call of a run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from . import decimal_string, rules, spec, typeid
from .roles import BALANCE_ROLES, ROLE_STATUS
from .rules import Violation

JUDGED_MEMBERS = frozenset(
    {"customerId", "estimatedBalanceCurrencyCode", "estimatedBalanceValue", "updatedAt"}
)
"""Members of a 200's ``data`` with rules of their own (stricter than the schema's type)."""


@dataclass(frozen=True)
class Sent:
    """What the server received: the decoded id, the currency values, and the credential.

    ``customer_id`` is None when the id segment does not decode to UTF-8 (it is then no
    customer id at all). ``currencies`` holds every value of the currency query parameter,
    empty when it was omitted. ``authenticated`` is False for any credential but the
    target's valid bearer token (none, another scheme, expired, tampered).
    """

    customer_id: str | None
    currencies: tuple[str, ...] = ()
    authenticated: bool = True

    @classmethod
    def balance(
        cls, customer_id: str | None, currency: str | None = None, *, authenticated: bool = True
    ) -> Sent:
        """The usual request: one id, at most one currency."""
        return cls(customer_id, () if currency is None else (currency,), authenticated)

    @property
    def currency(self) -> str | None:
        """The one requested code (None when omitted or repeated)."""
        return self.currencies[0] if len(self.currencies) == 1 else None

    @property
    def effective_currency(self) -> str:
        """The currency a correct answer is in (the spec's default when omitted)."""
        return self.currency or spec.default_currency()

    @property
    def reshapes_path(self) -> bool:
        """The id is not one path segment, so a router may answer its own 404."""
        return self.customer_id is not None and rules.id_reshapes_path(self.customer_id)


@dataclass(frozen=True)
class Answer:
    """What came back: status, the Content-Type header (None when absent), the raw body."""

    status: int
    body: bytes
    content_type: str | None


@dataclass(frozen=True)
class Expectations:
    """What the profile says about the target: who is who, exact values, its currencies."""

    roles: Mapping[str, str]
    """Role -> customer id, for every role the profile (or the run) names."""
    supported_currencies: tuple[str, ...]
    expected: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """Role -> currency -> the exact decimal string the target holds."""
    stable_balances: bool = False
    """The profile says values do not move during a run: repeated answers must agree."""

    def role_of(self, customer_id: str) -> str | None:
        for role, cid in self.roles.items():
            if cid == customer_id:
                return role
        return None

    def currency_open(self, sent: Sent) -> bool:
        """True when the currency query is one the contract leaves open."""
        return bool(sent.currencies) and (
            sent.currency is None or sent.currency not in self.supported_currencies
        )


@dataclass(frozen=True)
class StatusExpectation:
    """The statuses a correct target may answer, the rule that says so, and why."""

    statuses: frozenset[int]
    rule: str
    why: str
    role: str | None = None
    """The profile role whose status this is (a status of another role hints at the profile)."""


def expected_status(sent: Sent, expectations: Expectations) -> StatusExpectation | None:
    """What status the contract implies for ``sent``; None where it is silent."""
    customer_id = sent.customer_id
    role = expectations.role_of(customer_id) if customer_id is not None else None
    if not sent.authenticated:
        statuses = frozenset({401, 404}) if sent.reshapes_path else frozenset({401})
        if role in BALANCE_ROLES:
            return StatusExpectation(statuses, "auth.required", f"no valid token, {role} customer")
        what = f"{role} customer" if role else "any id"
        return StatusExpectation(
            statuses, "auth.before-validation", f"no valid token: 401 first, for {what}"
        )
    currency_open = expectations.currency_open(sent)
    if customer_id is None or not typeid.is_customer_id(customer_id):
        if currency_open:
            return None  # which of two bad inputs is reported first is not specified
        if sent.reshapes_path:
            return StatusExpectation(
                frozenset({400, 404}), "id.malformed", "id that is not one path segment"
            )
        return StatusExpectation(frozenset({400}), "id.malformed", "malformed customer id")
    if currency_open:
        return None  # spec gap: unsupported / repeated currency codes
    if role is None or role == "missing":
        return StatusExpectation(frozenset({404}), "id.unknown", "valid id of no customer", role)
    return StatusExpectation(frozenset({ROLE_STATUS[role]}), "status.role", f"role {role}", role)


def _status_violations(answer: Answer, expected: StatusExpectation | None) -> list[Violation]:
    if expected is None or answer.status in expected.statuses:
        return []
    wanted = " or ".join(str(s) for s in sorted(expected.statuses))
    others = [r for r, s in ROLE_STATUS.items() if s == answer.status and r != expected.role]
    hint = ""
    if expected.role is not None and others:
        hint = (
            f"; {answer.status} is what a {' or '.join(others)} customer answers: "
            f"the profile's {expected.role} id may be wrong"
        )
    return [
        Violation(
            expected.rule,
            f"status {_status_text(answer)}, expected {wanted} ({expected.why}){hint}",
        )
    ]


def _status_text(answer: Answer) -> str:
    """``404`` or ``404 (customer_not_found)`` when the body names a short machine code."""
    if answer.status < 400:
        return str(answer.status)
    body, error = rules.parse_json(answer.body)
    code = body.get("code") if not error and isinstance(body, Mapping) else None
    if isinstance(code, str) and len(code) <= 40 and code.replace("_", "").isalnum():
        return f"{answer.status} ({code})"
    return str(answer.status)


def judge(
    sent: Sent,
    answer: Answer,
    expectations: Expectations,
    *,
    history: AnswerHistory | None = None,
    now: datetime | None = None,
) -> list[Violation]:
    """Every rule ``answer`` breaks, the status rule first (it decides the area)."""
    violations = _status_violations(answer, expected_status(sent, expectations))
    if answer.status == 404 and sent.reshapes_path:
        return violations  # a router's own 404 lies outside the operation: no body to judge
    if answer.status == 200:
        if sent.customer_id is not None:
            violations += _balance(sent, answer, expectations, history, now)
        return violations
    violations += rules.check_status_documented(answer.status)
    if violations and violations[-1].rule == "status.documented":
        return violations  # no schema to judge an undocumented status' body by
    violations += rules.check_content_type(answer.content_type)
    body, error = rules.parse_json(answer.body)
    if error:
        return [*violations, error]
    violations += rules.schema_violations(answer.status, body)
    violations += rules.check_exact_error(answer.status, answer.body)
    return violations


def _balance(
    sent: Sent,
    answer: Answer,
    expectations: Expectations,
    history: AnswerHistory | None,
    now: datetime | None,
) -> list[Violation]:
    """A 200: format, echoes, the decimal wire format, ``updatedAt``, the profile's values."""
    assert sent.customer_id is not None
    violations = rules.check_content_type(answer.content_type)
    body, error = rules.parse_json(answer.body)
    if error:
        return [*violations, error]
    violations += rules.schema_violations(200, body, JUDGED_MEMBERS)
    data = body.get("data") if isinstance(body, Mapping) else None
    if not isinstance(data, Mapping):
        return violations
    currency_open = expectations.currency_open(sent)
    violations += rules.check_customer_id_echo(data.get("customerId"), sent.customer_id)
    if not currency_open:  # else which currency it is in, and its label, is the open question
        request = rules.BalanceRequest(sent.customer_id, sent.currency)
        violations += rules.check_currency_echo(data.get("estimatedBalanceCurrencyCode"), request)
    value = data.get("estimatedBalanceValue")
    value_rules = rules.check_balance_value(value)
    violations += value_rules
    if not value_rules and isinstance(value, str):
        violations += rules.check_raw_value_text(answer.body, value)
    violations += rules.check_updated_at(data, now=now)
    role = expectations.role_of(sent.customer_id)
    if role == "empty":
        violations += rules.check_updated_at_absent(data)
    if currency_open or value_rules or not isinstance(value, str):
        return violations
    currency = sent.effective_currency
    wanted = expectations.expected.get(role, {}).get(currency) if role else None
    if wanted is not None:
        violations += rules.check_expected_value(value, wanted, f"role {role} {currency}")
    if history is not None:
        violations += history.observe(
            sent.customer_id, currency, value, compare_values=expectations.stable_balances
        )
    return violations


@dataclass
class AnswerHistory:
    """Rules across answers of one run: one number of decimals per currency (a dropped
    trailing zero shows against any other answer in that currency, without knowing the
    value) and the same question getting the same value (explicit default = default).

    For decimals, the first answer in a currency sets the reference and every later answer
    that differs from it is a violation of its own. For values, each answer is compared with
    the previous answer to the same question, so a value that moves counts once per move
    (one odd answer among equal ones: twice, going and coming back).
    """

    places: dict[str, tuple[int, str]] = field(default_factory=dict)
    values: dict[tuple[str, str], str] = field(default_factory=dict)

    def observe(
        self, customer_id: str, currency: str, value: str, *, compare_values: bool = True
    ) -> list[Violation]:
        """Record one valid decimal value; the violations it reveals against earlier ones.

        ``compare_values`` is off where the target's balances may move between answers (the
        profile does not declare ``stable_balances``): only the decimals are compared then.
        """
        violations = []
        where = f"{customer_id} {currency}"
        places = decimal_string.fraction_digits(value)
        first_places, first_where = self.places.setdefault(currency, (places, where))
        if places != first_places:
            violations.append(
                Violation(
                    "decimal.consistent-places",
                    f"{currency} values use inconsistent decimals: {value!r} has {places} "
                    f"({where}), {first_places} before ({first_where})",
                )
            )
        if not compare_values:
            return violations
        earlier = self.values.get((customer_id, currency), value)
        self.values[(customer_id, currency)] = value
        if earlier != value and not rules.same_amount(earlier, value):
            violations.append(
                Violation(
                    "balance.repeat-agrees",
                    f"{where} answered {earlier!r} before and {value!r} now",
                )
            )
        return violations


def describe(violations: list[Violation]) -> str:
    """One line per distinct violation, ``; ``-joined (assertion messages)."""
    return "; ".join(str(v) for v in dict.fromkeys(violations))
