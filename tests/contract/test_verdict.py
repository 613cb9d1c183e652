"""The one judge: a clean answer passes, and each single breach is named by its rule."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from oms_harness.contract import spec, typeid
from oms_harness.contract.registry import RULES
from oms_harness.contract.roles import ROLE_STATUS
from oms_harness.contract.verdict import (
    Answer,
    AnswerHistory,
    Expectations,
    Sent,
    expected_status,
    judge,
)

JSON = "application/json"
# Fixed ids: parametrized test ids must be the same in every xdist worker.
IDS = {
    role: typeid.encode("cst", typeid.uuid7(unix_ms=1_700_000_000_000 + n, random_bytes=bytes(10)))
    for n, role in enumerate(ROLE_STATUS)
}
UNKNOWN = typeid.encode("cst", typeid.uuid7(unix_ms=1_700_000_000_999, random_bytes=bytes(10)))
EXPECT = Expectations(
    roles=IDS, supported_currencies=("USD", "EUR"), expected={"funded": {"USD": "10.50"}}
)
NOW = datetime(2026, 6, 1, tzinfo=UTC)


def _balance(cid: str = IDS["funded"], **data: object) -> bytes:
    members: dict[str, object] = {
        "customerId": cid,
        "estimatedBalanceCurrencyCode": "USD",
        "estimatedBalanceValue": "10.50",
        "updatedAt": "2026-05-28T09:10:42Z",
    }
    members.update(data)
    return json.dumps({"data": {k: v for k, v in members.items() if v is not ...}}).encode()


def _error(status: int) -> bytes:
    body: dict[str, object] = {"error": spec.exact_error_text(status) or "provider said no"}
    if spec.error_code(status):
        body["code"] = spec.error_code(status)
    return json.dumps(body).encode()


def _rules(sent: Sent, answer: Answer, history: AnswerHistory | None = None) -> list[str]:
    return [v.rule for v in judge(sent, answer, EXPECT, history=history, now=NOW)]


FUNDED = Sent.balance(IDS["funded"])
OK = Answer(200, _balance(), JSON)


@pytest.mark.parametrize(
    ("sent", "answer"),
    [
        pytest.param(FUNDED, OK, id="funded-default"),
        pytest.param(
            Sent.balance(IDS["funded"], "EUR"),
            Answer(
                200,
                _balance(estimatedBalanceCurrencyCode="EUR", estimatedBalanceValue="9.66"),
                JSON,
            ),
            id="funded-eur",
        ),
        pytest.param(
            Sent.balance(IDS["empty"]),
            Answer(200, _balance(IDS["empty"], estimatedBalanceValue="0.00", updatedAt=...), JSON),
            id="empty",
        ),
        *(
            pytest.param(Sent.balance(IDS[role]), Answer(status, _error(status), JSON), id=role)
            for role, status in ROLE_STATUS.items()
            if status != 200
        ),
        pytest.param(Sent.balance(UNKNOWN), Answer(404, _error(404), JSON), id="unknown"),
        pytest.param(Sent.balance("CST_X"), Answer(400, _error(400), JSON), id="malformed"),
        pytest.param(Sent(None), Answer(400, _error(400), JSON), id="not-utf8"),
        pytest.param(
            Sent.balance(IDS["funded"], authenticated=False),
            Answer(401, _error(401), JSON),
            id="no-token",
        ),
        pytest.param(
            Sent.balance("CST_X", authenticated=False),
            Answer(401, _error(401), JSON),
            id="no-token-bad-id",
        ),
        pytest.param(
            Sent.balance("a/b"), Answer(404, b"404 page not found\n", "text/plain"), id="router-404"
        ),
        pytest.param(
            Sent.balance("", authenticated=False),
            Answer(404, b"not found", "text/plain"),
            id="router-404-no-token",
        ),
        pytest.param(
            Sent.balance(IDS["funded"], "XYZ"),
            Answer(200, _balance(estimatedBalanceValue="9.66"), JSON),
            id="open-currency-200-labelled-usd",
        ),
        pytest.param(
            Sent(IDS["funded"], ("USD", "EUR")),
            Answer(200, _balance(estimatedBalanceCurrencyCode="EUR"), JSON),
            id="open-currency-repeated-200",
        ),
        pytest.param(
            Sent.balance(IDS["funded"], "xyz"),
            Answer(400, _error(400), JSON),
            id="open-currency-400",
        ),
        pytest.param(
            Sent.balance(UNKNOWN, "XYZ"),
            Answer(404, _error(404), JSON),
            id="open-currency-unknown-404",
        ),
        pytest.param(
            FUNDED,
            Answer(
                200,
                _balance(extra=1).replace(b'"data"', b'"meta": [], "data"'),
                "application/json; charset=utf-8",
            ),
            id="extra-properties-and-charset",
        ),
    ],
)
def test_a_correct_answer_breaks_no_rule(sent: Sent, answer: Answer) -> None:
    assert _rules(sent, answer) == []


ESCAPED = _balance().replace(b'"10.50"', b'"\\u0031\\u0030.50"')


@pytest.mark.parametrize(
    ("rule", "sent", "answer"),
    [
        ("auth.required", Sent.balance(IDS["funded"], authenticated=False), OK),
        (
            "auth.before-validation",
            Sent.balance("CST_X", authenticated=False),
            Answer(400, _error(400), JSON),
        ),
        (
            "auth.before-validation",
            Sent.balance(UNKNOWN, authenticated=False),
            Answer(404, _error(404), JSON),
        ),
        ("id.malformed", Sent.balance(IDS["funded"].upper()), Answer(404, _error(404), JSON)),
        ("id.malformed", Sent.balance("a/b"), Answer(401, _error(401), JSON)),
        ("id.unknown", Sent.balance(UNKNOWN), Answer(400, _error(400), JSON)),
        ("id.echo", FUNDED, Answer(200, _balance(customerId=IDS["empty"]), JSON)),
        (
            "currency.default",
            FUNDED,
            Answer(200, _balance(estimatedBalanceCurrencyCode="EUR"), JSON),
        ),
        (
            "currency.echo",
            Sent.balance(IDS["funded"], "EUR"),
            Answer(200, _balance(estimatedBalanceValue="9.66"), JSON),
        ),
        ("decimal.wire-string", FUNDED, Answer(200, _balance(estimatedBalanceValue=10.5), JSON)),
        ("decimal.grammar", FUNDED, Answer(200, _balance(estimatedBalanceValue="1.050E+1"), JSON)),
        ("decimal.raw-text", FUNDED, Answer(200, ESCAPED, JSON)),
        (
            "decimal.consistent-places",
            FUNDED,
            Answer(200, _balance(estimatedBalanceValue="10.5"), JSON),
        ),
        ("balance.expected", FUNDED, Answer(200, _balance(estimatedBalanceValue="11.50"), JSON)),
        ("updated-at.not-null", FUNDED, Answer(200, _balance(updatedAt=None), JSON)),
        (
            "updated-at.rfc3339",
            FUNDED,
            Answer(200, _balance(updatedAt="2026-05-28 09:10:42"), JSON),
        ),
        (
            "updated-at.not-future",
            FUNDED,
            Answer(200, _balance(updatedAt="2027-06-01T00:00:00Z"), JSON),
        ),
        (
            "updated-at.omitted-when-empty",
            Sent.balance(IDS["empty"]),
            Answer(200, _balance(IDS["empty"], estimatedBalanceValue="0.00"), JSON),
        ),
        ("status.documented", Sent.balance(IDS["funded"], "XYZ"), Answer(500, _error(503), JSON)),
        ("status.role", Sent.balance(IDS["unprovisioned"]), Answer(404, _error(404), JSON)),
        (
            "status.role",
            Sent.balance(IDS["provider_error"]),
            Answer(200, _balance(IDS["provider_error"]), JSON),
        ),
        ("response.content-type", FUNDED, Answer(200, _balance(), "text/plain")),
        ("response.content-type", Sent.balance(UNKNOWN), Answer(404, _error(404), None)),
        (
            "response.json",
            FUNDED,
            Answer(200, b'{"data": {"customerId": "a", "customerId": "b"}}', JSON),
        ),
        ("response.json", Sent.balance(UNKNOWN), Answer(404, b"<html>", JSON)),
        (
            "response.schema",
            Sent.balance(IDS["provider_error"]),
            Answer(502, b'{"error": 7, "code": "provider_error"}', JSON),
        ),
    ],
)
def test_a_single_breach_is_named_by_its_rule(rule: str, sent: Sent, answer: Answer) -> None:
    """Exactly the one rule breaks (status.role on a 200 also judges that balance: clean)."""
    assert _rules(sent, answer) == [rule]


@pytest.mark.parametrize(
    ("rule", "sent", "answer", "also"),
    [
        # The schema's enum and the exact-body rule say the same thing twice.
        (
            "error.exact-body",
            Sent.balance("CST_X"),
            Answer(400, b'{"error": "invalid id"}', JSON),
            {"response.schema"},
        ),
        (
            "error.exact-body",
            Sent.balance(IDS["provider_error"]),
            Answer(502, b'{"error": "x", "code": "provider_failure"}', JSON),
            {"response.schema"},
        ),
        # A 200 for an id that is no TypeID, echoing it: served although malformed.
        (
            "id.typeid",
            Sent.balance("CST_X"),
            Answer(200, _balance("CST_X"), JSON),
            {"id.malformed"},
        ),
    ],
)
def test_breaches_that_come_in_pairs(rule: str, sent: Sent, answer: Answer, also: set[str]) -> None:
    assert set(_rules(sent, answer)) == {rule} | also


def test_rules_across_answers_need_the_history() -> None:
    history = AnswerHistory()
    other = Expectations(roles=IDS, supported_currencies=("USD",), stable_balances=True)
    first = judge(FUNDED, OK, other, history=history, now=NOW)
    places = judge(
        Sent.balance(IDS["empty"]),
        Answer(200, _balance(IDS["empty"], estimatedBalanceValue="0.0", updatedAt=...), JSON),
        other,
        history=history,
        now=NOW,
    )
    again = judge(
        FUNDED,
        Answer(200, _balance(estimatedBalanceValue="10.60"), JSON),
        other,
        history=history,
        now=NOW,
    )
    assert first == []
    assert [v.rule for v in places] == ["decimal.consistent-places"]
    assert [v.rule for v in again] == ["balance.repeat-agrees"]
    assert "10.50" in again[0].message
    assert "10.60" in again[0].message
    steady = judge(
        FUNDED,
        Answer(200, _balance(estimatedBalanceValue="10.60"), JSON),
        other,
        history=history,
        now=NOW,
    )
    assert steady == []  # a value that moved once is one violation, not one per answer


def test_values_that_move_are_compared_only_where_the_profile_says_they_are_stable() -> None:
    """A live sandbox's estimated balance follows prices: without ``stable_balances`` a moved
    value is no violation, while the decimals are still compared (they do not move)."""
    history = AnswerHistory()
    live = Expectations(roles=IDS, supported_currencies=("USD",))
    moved = Answer(200, _balance(estimatedBalanceValue="10.60"), JSON)
    dropped = Answer(200, _balance(estimatedBalanceValue="10.6"), JSON)
    assert judge(FUNDED, OK, live, history=history, now=NOW) == []
    assert judge(FUNDED, moved, live, history=history, now=NOW) == []
    assert [v.rule for v in judge(FUNDED, dropped, live, history=history, now=NOW)] == [
        "decimal.consistent-places"
    ]
    stable = Expectations(roles=IDS, supported_currencies=("USD",), stable_balances=True)
    fresh = AnswerHistory()
    assert judge(FUNDED, OK, stable, history=fresh, now=NOW) == []
    assert [v.rule for v in judge(FUNDED, moved, stable, history=fresh, now=NOW)] == [
        "balance.repeat-agrees"
    ]


def test_the_same_answer_twice_agrees() -> None:
    history = AnswerHistory()
    explicit = Sent.balance(IDS["funded"], spec.default_currency())
    assert judge(FUNDED, OK, EXPECT, history=history, now=NOW) == []
    assert judge(explicit, OK, EXPECT, history=history, now=NOW) == []


def test_the_status_rule_comes_first_and_decides_the_area() -> None:
    found = judge(Sent.balance("CST_X"), Answer(500, b"oops", "text/html"), EXPECT, now=NOW)
    assert [v.rule for v in found] == ["id.malformed", "status.documented"]
    assert found[0].area == "customer-id"


def test_a_dropped_trailing_zero_counts_in_decimal() -> None:
    found = judge(
        FUNDED, Answer(200, _balance(estimatedBalanceValue="10.5"), JSON), EXPECT, now=NOW
    )
    assert [v.area for v in found] == ["decimal"]


def test_messages_name_the_expected_status_and_why() -> None:
    (violation,) = judge(Sent.balance(IDS["unprovisioned"]), Answer(404, _error(404), JSON), EXPECT)
    assert str(violation) == (
        "[status.role] status 404, expected 422 (role unprovisioned); 404 is what a missing "
        "customer answers: the profile's unprovisioned id may be wrong"
    )
    (violation,) = judge(Sent.balance("CST_X"), Answer(404, _error(404), JSON), EXPECT)
    assert str(violation) == "[id.malformed] status 404, expected 400 (malformed customer id)"
    (violation,) = judge(
        FUNDED,
        Answer(502, _error(502), JSON),
        Expectations(roles=IDS, supported_currencies=("USD",)),
    )
    assert "status 502 (provider_error), expected 200" in violation.message


def test_expected_status_is_open_only_where_the_contract_is_silent() -> None:
    assert expected_status(Sent.balance(IDS["funded"], "XYZ"), EXPECT) is None
    assert expected_status(Sent.balance("CST_X", "XYZ"), EXPECT) is None
    found = expected_status(Sent.balance("CST_X", "XYZ", authenticated=False), EXPECT)
    assert found is not None
    assert found.statuses == {401}


def test_every_rule_has_a_breach_in_this_module() -> None:
    """Every registered rule is exercised by a single-breach case above."""
    import inspect
    import sys

    source = inspect.getsource(sys.modules[__name__])
    missing = [rule for rule in RULES if f'"{rule}"' not in source]
    assert missing == []
