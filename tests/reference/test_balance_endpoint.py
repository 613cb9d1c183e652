"""Every status path of the reference, in process (httpx.ASGITransport and raw ASGI scopes).

Answers are judged by the contract rules (``oms_harness.contract``), the same ones the
gate uses, plus exact values derived from the fixture file.
"""

from __future__ import annotations

import json

import pytest
from refclient import RefClient, check_balance_response, check_error_response

from oms_harness.contract import BalanceRequest
from oms_harness.contract import spec as contract_spec
from oms_harness.reference import valuation
from oms_harness.reference.data import Fixtures

UNKNOWN = "cst_01kspy7d50epat6a2et76qtrsv"  # valid TypeID, not in the fixtures


def _balance_url(customer_id: str, currency: str | None = None) -> str:
    query = f"?estimatedBalanceCurrencyCode={currency}" if currency else ""
    return f"/v0.9/customers/{customer_id}/balance{query}"


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("funded", 200),
        ("empty", 200),
        ("unprovisioned", 422),
        ("provider_error", 502),
        ("provider_unreachable", 503),
    ],
)
def test_each_role_answers_its_status_through_httpx(
    client: RefClient, roles: dict[str, str], role: str, status: int
) -> None:
    response = client.httpx("GET", _balance_url(roles[role]), headers=client.auth)
    assert response.status_code == status
    content_type = response.headers["content-type"]
    if status == 200:
        request = BalanceRequest(roles[role])
        assert check_balance_response(response.content, request, content_type=content_type) == []
    else:
        assert check_error_response(status, response.content, content_type) == []
        body = response.json()
        assert body.get("code") == contract_spec.error_code(status)
        if contract_spec.exact_error_text(status) is not None:
            assert body["error"] == contract_spec.exact_error_text(status)


@pytest.mark.parametrize(
    ("path", "headers", "status"),
    [
        (_balance_url(UNKNOWN), True, 404),
        (_balance_url("cst_nope"), True, 400),
        (_balance_url(UNKNOWN), False, 401),
        (_balance_url("cst_nope"), False, 401),
    ],
)
def test_unknown_invalid_and_unauthenticated_through_httpx(
    client: RefClient, path: str, headers: bool, status: int
) -> None:
    response = client.httpx("GET", path, headers=client.auth if headers else {})
    assert response.status_code == status
    assert check_error_response(status, response.content, response.headers["content-type"]) == []
    assert response.json()["error"] == contract_spec.exact_error_text(status)


@pytest.mark.parametrize("currency", ["USD", "EUR", "GBP"])
def test_funded_value_is_the_exact_decimal_sum_in_each_currency(
    client: RefClient, fixtures: Fixtures, roles: dict[str, str], currency: str
) -> None:
    funded = fixtures.customers[roles["funded"]]
    answer = client.get(roles["funded"], query=f"estimatedBalanceCurrencyCode={currency}".encode())
    assert answer.status == 200
    data = json.loads(answer.body)["data"]
    assert data["estimatedBalanceValue"] == valuation.balance_value(funded, currency, fixtures)
    assert data["estimatedBalanceCurrencyCode"] == currency
    assert data["customerId"] == roles["funded"]
    request = BalanceRequest(roles["funded"], currency)
    assert check_balance_response(answer.body, request, content_type=answer.content_type) == []


def test_funded_usd_keeps_its_trailing_zero_on_the_wire(
    client: RefClient, roles: dict[str, str]
) -> None:
    """The fixture is built so a lost trailing zero shows: USD is 2400.30."""
    answer = client.get(roles["funded"])
    assert b'"estimatedBalanceValue":"2400.30"' in answer.body


def test_omitted_currency_is_usd_and_equals_explicit_usd(
    client: RefClient, roles: dict[str, str]
) -> None:
    default = client.get(roles["funded"])
    explicit = client.get(roles["funded"], query=b"estimatedBalanceCurrencyCode=USD")
    assert default.status == explicit.status == 200
    assert default.body == explicit.body
    assert json.loads(default.body)["data"]["estimatedBalanceCurrencyCode"] == "USD"


def test_updated_at_is_the_latest_provider_timestamp_in_utc(
    client: RefClient, roles: dict[str, str]
) -> None:
    data = json.loads(client.get(roles["funded"]).body)["data"]
    assert data["updatedAt"] == "2026-05-28T09:10:42.500Z"


@pytest.mark.parametrize("currency", ["USD", "EUR", "GBP"])
def test_empty_customer_is_zero_with_minor_units_and_no_updated_at(
    client: RefClient, roles: dict[str, str], currency: str
) -> None:
    answer = client.get(roles["empty"], query=f"estimatedBalanceCurrencyCode={currency}".encode())
    data = json.loads(answer.body)["data"]
    assert data["estimatedBalanceValue"] == "0.00"
    assert "updatedAt" not in data


def test_balances_without_timestamps_omit_updated_at(client: RefClient, fixtures: Fixtures) -> None:
    undated = [
        c
        for c in fixtures.customers.values()
        if c.wallets and valuation.latest_update(c) is None and valuation.total_usd(c, fixtures)
    ]
    assert undated, "the fixtures should hold a funded customer without provider timestamps"
    data = json.loads(client.get(undated[0].id).body)["data"]
    assert "updatedAt" not in data
    assert data["estimatedBalanceValue"] != "0.00"


@pytest.mark.parametrize(
    "bad_id",
    [
        "CST_01KSPY4BG0EJEVZS1E5PZJ5GDX",
        "cst_01KSPY4BG0EJEVZS1E5PZJ5GDX",
        "usr_01kspy4bg0ejevzs1e5pzj5gdx",
        "01kspy4bg0ejevzs1e5pzj5gdx",
        "cst_01kspy4bg0ejevzs1e5pzj5gd",
        "cst_01kspy4bg0ejevzs1e5pzj5gdxx",
        "cst_81kspy4bg0ejevzs1e5pzj5gdx",
        "cst_01kspy4bg0ejevzs1e5pzj5gdi",
        "cst_01kspy4bg0ejevzs1e5pzj5gdl",
        "cst_01kspy4bg0ejevzs1e5pzj5gdo",
        "cst_01kspy4bg0ejevzs1e5pzj5gdu",
        "cst_01kspy4bg0ejevzs1e5pzj5gd%C3%A9",
        "cst_01kspy4bg0ejevzs1e5pzj5gdx%0A",
        "cst_01kspy4bg0ejevzs1e5pzj5gdx%00",
        "cst_01kspy4bg0ejevzs1e5pzj5%2Fdx",
        "%zz",
        "%FF%FE",
        "",
        "a/b",
        "x" * 5000,
    ],
)
def test_anything_but_a_cst_typeid_is_400_with_the_exact_body(
    client: RefClient, bad_id: str
) -> None:
    answer = client.get(bad_id)
    assert answer.status == 400
    assert answer.body == b'{"error":"invalid customer id"}'
    assert answer.content_type == "application/json"


def test_a_percent_encoded_valid_id_is_decoded(client: RefClient, roles: dict[str, str]) -> None:
    funded = roles["funded"]
    encoded = "".join(f"%{ord(ch):02X}" for ch in funded)
    answer = client.get(encoded)
    assert answer.status == 200
    assert json.loads(answer.body)["data"]["customerId"] == funded


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"authorization": ""},
        {"authorization": "Bearer"},
        {"authorization": "Bearer "},
        {"authorization": "Basic dXNlcjpwYXNz"},
        {"authorization": "Bearer garbage"},
        {"authorization": "Bearer a.b.c"},
    ],
)
@pytest.mark.parametrize("target", ["funded", "unknown", "invalid"])
def test_unauthenticated_requests_learn_nothing(
    client: RefClient, roles: dict[str, str], headers: dict[str, str], target: str
) -> None:
    customer = {"funded": roles["funded"], "unknown": UNKNOWN, "invalid": "nope"}[target]
    answer = client.get(customer, headers=headers, authorized=False)
    assert answer.status == 401
    assert answer.body == b'{"error":"unauthorized"}'
    assert answer.headers["www-authenticate"] == "Bearer"


def test_the_bearer_scheme_is_case_insensitive(client: RefClient, roles: dict[str, str]) -> None:
    answer = client.get(
        roles["funded"], headers={"authorization": f"bearer {client.token}"}, authorized=False
    )
    assert answer.status == 200


@pytest.mark.parametrize(
    "query",
    [
        b"estimatedBalanceCurrencyCode=JPY",
        b"estimatedBalanceCurrencyCode=XXX",
        b"estimatedBalanceCurrencyCode=eur",
        b"estimatedBalanceCurrencyCode=",
        b"estimatedBalanceCurrencyCode",
        b"estimatedBalanceCurrencyCode=EUR&estimatedBalanceCurrencyCode=EUR",
        b"estimatedBalanceCurrencyCode=EUR&estimatedBalanceCurrencyCode=GBP",
        b"estimatedBalanceCurrencyCode=US%20D",
        b"estimatedBalanceCurrencyCode=%FF",
        b"estimatedBalanceCurrencyCode=EURO",
    ],
)
def test_spec_gap_currency_codes_answer_a_schema_valid_400(client: RefClient, query: bytes) -> None:
    """The spec leaves these open; the reference's choice is documented in spec/README.md."""
    answer = client.get("cst_01kspy4bg0ejevzs1e5pzj5gdx", query=query)
    assert answer.status == 400
    assert check_error_response(400, answer.body, answer.content_type) == []


@pytest.mark.parametrize(
    ("query", "currency"),
    [
        (b"estimatedBalanceCurrencyCode=%45UR", "EUR"),
        (b"other=1&estimatedBalanceCurrencyCode=GBP", "GBP"),
        (b"other=%FF", "USD"),
        (b"&&", "USD"),
    ],
)
def test_currency_query_is_percent_decoded_and_other_params_ignored(
    client: RefClient, roles: dict[str, str], query: bytes, currency: str
) -> None:
    answer = client.get(roles["funded"], query=query)
    assert answer.status == 200
    assert json.loads(answer.body)["data"]["estimatedBalanceCurrencyCode"] == currency


def test_invalid_currency_for_an_unknown_customer_is_still_a_request_error(
    client: RefClient,
) -> None:
    assert client.get(UNKNOWN, query=b"estimatedBalanceCurrencyCode=XXX").status == 400


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
def test_other_methods_on_the_balance_path_are_405_allow_get(
    client: RefClient, roles: dict[str, str], method: str
) -> None:
    answer = client.raw(method, f"/v0.9/customers/{roles['funded']}/balance".encode())
    assert answer.status == 405
    assert answer.headers["allow"] == "GET"
    assert answer.content_type == "application/json"


@pytest.mark.parametrize(
    "path",
    [
        b"/",
        b"/v0.9",
        b"/v0.9/customers",
        b"/v0.9/customers/cst_01kspy4bg0ejevzs1e5pzj5gdx",
        b"/v0.9/customers/cst_01kspy4bg0ejevzs1e5pzj5gdx/balance/",
        b"/v0.9/customers/cst_01kspy4bg0ejevzs1e5pzj5gdx/balances",
        b"/v1/customers/cst_01kspy4bg0ejevzs1e5pzj5gdx/balance",
        b"/V0.9/customers/cst_01kspy4bg0ejevzs1e5pzj5gdx/balance",
    ],
)
def test_unknown_paths_are_json_404(client: RefClient, path: bytes) -> None:
    answer = client.raw("GET", path, headers=client.auth)
    assert answer.status == 404
    assert answer.content_type == "application/json"
    json.loads(answer.body)


def test_a_trailing_slash_is_a_schema_valid_404(client: RefClient) -> None:
    answer = client.raw(
        "GET", b"/v0.9/customers/cst_01kspy4bg0ejevzs1e5pzj5gdx/balance/", headers=client.auth
    )
    assert check_error_response(404, answer.body, answer.content_type) == []


def test_every_answer_has_a_content_length_matching_the_body(
    client: RefClient, roles: dict[str, str]
) -> None:
    for role in roles.values():
        answer = client.get(role)
        assert int(answer.headers["content-length"]) == len(answer.body)
