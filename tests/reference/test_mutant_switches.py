"""Every mutant and every benign variant is one switch, starts, and answers at least one
request unlike the clean server; every variant's answers still obey the contract."""

from __future__ import annotations

import base64
import gzip
import json
import time
from collections.abc import Iterator
from dataclasses import fields
from typing import Any

import httpx
import pytest
from refclient import Answer, MakeClient, RefClient, check_balance_response, check_error_response

from oms_harness.contract import BalanceRequest, rules
from oms_harness.contract.verdict import Answer as VerdictAnswer
from oms_harness.contract.verdict import Expectations, Sent, judge
from oms_harness.local_target import LocalTarget, local_reference
from oms_harness.reference.data import Fixtures
from oms_harness.reference.describe import describe
from oms_harness.reference.mutants import (
    LOAD_ONLY_MUTANTS,
    MOVE_EVERY,
    MUTANTS,
    RARE_EVERY,
    VARIANTS,
    Switches,
    listing,
)
from oms_harness.reference.responses import decimal_places

FUNDED = "cst_01kspy4bg0ejevzs1e5pzj5gdx"
EMPTY = "cst_01kspy4k7fesp8nx96wz2m34wh"
UNKNOWN = "cst_01kspy7d50epat6a2et76qtrsv"

# (name, customer id as sent, query, token kind)
PROBES: list[tuple[str, str, str, str]] = [
    ("funded", FUNDED, "", "good"),
    ("funded-eur", FUNDED, "estimatedBalanceCurrencyCode=EUR", "good"),
    ("empty", EMPTY, "", "good"),
    ("unprovisioned", "cst_01kspy4tyyer2t7ff623d2vevr", "", "good"),
    ("provider-error", "cst_01kspy52pdescsjwbcp8ybtb6v", "", "good"),
    ("provider-unreachable", "cst_01kspy5adwe7x9wvncnjq88gnq", "", "good"),
    ("unknown", UNKNOWN, "", "good"),
    ("upper-case-id", FUNDED.upper(), "", "good"),
    ("invalid-id", "nope", "", "good"),
    ("malformed-escape", f"{FUNDED}%zz", "", "good"),
    ("unsupported-currency", FUNDED, "estimatedBalanceCurrencyCode=XXX", "good"),
    ("no-token", FUNDED, "", "none"),
    ("no-token-invalid-id", "nope", "", "none"),
    ("no-token-unknown", UNKNOWN, "", "none"),
    ("alg-none", FUNDED, "", "alg-none"),
    ("tampered", FUNDED, "", "tampered"),
    ("expired", FUNDED, "", "expired"),
]
NEEDS_SECRET = {"expired"}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _headers(kind: str, token: str, expired: str = "") -> dict[str, str]:
    if kind == "none":
        return {}
    if kind == "alg-none":
        claims = token.split(".")[1]
        header = _b64(b'{"alg":"none","typ":"JWT"}')
        return {"authorization": f"Bearer {header}.{claims}."}
    if kind == "tampered":
        flipped = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
        return {"authorization": f"Bearer {flipped}"}
    if kind == "expired":
        return {"authorization": f"Bearer {expired}"}
    return {"authorization": f"Bearer {token}"}


def _ask(client: RefClient, probe: tuple[str, str, str, str]) -> Answer:
    _, customer, query, kind = probe
    now = int(time.time())
    expired = client.authority.sign({"sub": "t", "iat": now - 7200, "exp": now - 60})
    return client.get(
        customer,
        query=query.encode(),
        headers=_headers(kind, client.token, expired),
        authorized=False,
    )


def _signature(answer: Answer) -> tuple[int, str | None, bytes]:
    return answer.status, answer.content_type, answer.body


def test_every_mutant_and_variant_is_exactly_one_switch() -> None:
    names = {item.name.replace("_", "-") for item in fields(Switches)}
    assert not set(MUTANTS) & set(VARIANTS)
    assert names == set(MUTANTS) | set(VARIANTS)
    for name in [*MUTANTS, *VARIANTS]:
        switches = Switches.for_mutant(name) if name in MUTANTS else Switches.for_variant(name)
        assert switches.active == name
        assert sum(getattr(switches, item.name) for item in fields(Switches)) == 1
    assert Switches.for_mutant(None).active is None
    assert Switches.for_variant(None).active is None


def test_mutants_and_variants_are_not_interchangeable() -> None:
    with pytest.raises(Exception, match="unknown variant"):
        Switches.for_variant(next(iter(MUTANTS)))
    with pytest.raises(Exception, match="unknown mutant"):
        Switches.for_mutant(next(iter(VARIANTS)))
    with pytest.raises(Exception, match="not both"):
        Switches.select(mutant=next(iter(MUTANTS)), variant=next(iter(VARIANTS)))
    assert Switches.select(variant="gzip").active == "gzip"


def test_the_brief_s_mutants_are_all_there() -> None:
    required = {
        "default-currency-eur",
        "value-as-number",
        "lost-trailing-zeros",
        "exponent-notation",
        "wrong-400-text",
        "null-updated-at",
        "id-not-echoed",
        "lenient-id-validation",
        "auth-bypass",
        "validation-before-auth",
        "outage-as-500",
        "currency-ignored",
        "wrong-content-type",
        "alg-none-accepted",
        "signature-not-verified",
        "expired-token-accepted",
        "updated-at-not-rfc3339",
        "future-updated-at",
        "provider-error-code",
        "unprovisioned-as-404",
        "leading-zeros",
        "wrong-conversion",
        "not-found-oracle",
        "updated-at-for-empty",
    }
    assert required <= set(MUTANTS)


@pytest.mark.parametrize("catalogue", [MUTANTS, VARIANTS], ids=["mutants", "variants"])
def test_listing_has_one_line_per_entry(catalogue: dict[str, str]) -> None:
    lines = listing(catalogue).splitlines()
    assert len(lines) == len(catalogue)
    for line, (name, text) in zip(lines, catalogue.items(), strict=True):
        assert line.split()[0] == name
        assert line.endswith(text)


def test_an_unknown_mutant_is_a_usage_error() -> None:
    with pytest.raises(Exception, match="unknown mutant"):
        Switches.for_mutant("no-such-mutant")


def _differences(make_client: MakeClient, mutant: str) -> list[str]:
    clean, broken = make_client(), make_client(mutant)
    if mutant in LOAD_ONLY_MUTANTS:  # one answer in RARE_EVERY differs: ask that often
        funded = PROBES[0]
        asked = [(_ask(clean, funded), _ask(broken, funded)) for _ in range(RARE_EVERY)]
        return [funded[0]] if any(_signature(a) != _signature(b) for a, b in asked) else []
    return [
        probe[0]
        for probe in PROBES
        if _signature(_ask(clean, probe)) != _signature(_ask(broken, probe))
    ]


def _clean_answers_obey_the_contract(client: RefClient) -> None:
    for probe in PROBES:
        answer = _ask(client, probe)
        if answer.status == 200:
            query = probe[2].partition("=")[2] or None
            request = BalanceRequest(probe[1], query)
            assert (
                check_balance_response(answer.body, request, content_type=answer.content_type) == []
            )
        else:
            assert check_error_response(answer.status, answer.body, answer.content_type) == []


def test_the_clean_server_obeys_the_contract_on_every_probe(make_client: MakeClient) -> None:
    _clean_answers_obey_the_contract(make_client())


@pytest.mark.parametrize("mutant", list(MUTANTS))
def test_each_mutant_differs_from_the_clean_server(make_client: MakeClient, mutant: str) -> None:
    assert _differences(make_client, mutant), f"{mutant} answers every probe like the clean server"


def _socket_probe(make_client: MakeClient, mutant: str) -> tuple[str, str, str, str] | None:
    names = set(_differences(make_client, mutant)) - NEEDS_SECRET
    return next((p for p in PROBES if p[0] in names), None)


def _http(base_url: str, token: str, probe: tuple[str, str, str, str]) -> tuple[Any, ...]:
    _, customer, query, kind = probe
    url = f"{base_url}/customers/{customer}/balance" + (f"?{query}" if query else "")
    response = httpx.get(url, headers=_headers(kind, token), timeout=10)
    return response.status_code, response.headers.get("content-type"), response.content


@pytest.fixture(scope="module")
def clean_target() -> Iterator[LocalTarget]:
    with local_reference() as target:
        yield target


@pytest.mark.slow
@pytest.mark.parametrize("mutant", list(MUTANTS))
def test_each_mutant_serves_over_a_socket(
    make_client: MakeClient, clean_target: LocalTarget, mutant: str
) -> None:
    probe = _socket_probe(make_client, mutant)
    with local_reference(mutant=mutant) as target:
        token = target.profile.credentials.token
        assert token is not None
        funded = httpx.get(
            f"{target.base_url}/customers/{FUNDED}/balance",
            headers={"authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert funded.status_code == 200  # every mutant still serves the happy path
        if probe is None:  # only detectable with a token signed by the server's secret
            assert mutant == "expired-token-accepted"
            return
        if mutant in LOAD_ONLY_MUTANTS:  # told apart over many answers, in-process above
            return
        mutated = _http(target.base_url, token, probe)
    clean_token = clean_target.profile.credentials.token
    assert clean_token is not None
    expected = _http(clean_target.base_url, clean_token, probe)

    def comparable(answer: tuple[Any, ...]) -> tuple[Any, ...]:
        status, content_type, body = answer
        # parsed, so key order and spacing do not matter; but strictness (duplicate keys) and
        # how the text is written (escaped digits) do
        strict = rules.parse_json(body)[1] is None
        try:  # ids differ between runs only in the fresh `missing` role: not probed here
            return status, content_type, json.loads(body), strict, b"\\u" in body
        except ValueError:
            return answer

    assert comparable(mutated) != comparable(expected), probe[0]


# Benign variants: different from the clean server, still inside the contract.

# (name, method, raw path, query, extra request headers)
VARIANT_PROBES: list[tuple[str, str, str, str, dict[str, str]]] = [
    ("funded", "GET", f"/v0.9/customers/{FUNDED}/balance", "", {}),
    ("funded-gzip", "GET", f"/v0.9/customers/{FUNDED}/balance", "", {"accept-encoding": "gzip"}),
    ("empty", "GET", f"/v0.9/customers/{EMPTY}/balance", "", {}),
    ("provider-error", "GET", "/v0.9/customers/cst_01kspy52pdescsjwbcp8ybtb6v/balance", "", {}),
    ("upper-case-id", "GET", f"/v0.9/customers/{FUNDED.upper()}/balance", "", {}),
    ("empty-id", "GET", "/v0.9/customers//balance", "", {}),
    ("encoded-slash", "GET", "/v0.9/customers/a%2Fb/balance", "", {}),
    ("trailing-slash", "GET", f"/v0.9/customers/{FUNDED}/balance/", "", {}),
    ("unsupported-currency", "GET", f"/v0.9/customers/{FUNDED}/balance", "CODE=XXX", {}),
    ("lower-case-currency", "GET", f"/v0.9/customers/{FUNDED}/balance", "CODE=eur", {}),
    ("unknown-bad-currency", "GET", f"/v0.9/customers/{UNKNOWN}/balance", "CODE=XXX", {}),
    ("no-token", "GET", f"/v0.9/customers/{FUNDED}/balance", "", {"authorization": ""}),
    ("head", "HEAD", f"/v0.9/customers/{FUNDED}/balance", "", {}),
    ("post", "POST", f"/v0.9/customers/{FUNDED}/balance", "", {}),
]


def _variant_ask(client: RefClient, probe: tuple[str, str, str, str, dict[str, str]]) -> Answer:
    _, method, path, query, extra = probe
    headers = {**client.auth, **extra}
    if headers.get("authorization") == "":
        del headers["authorization"]
    raw_query = query.replace("CODE", "estimatedBalanceCurrencyCode").encode()
    return client.raw(method, path.encode(), raw_query, headers)


def _decoded(answer: Answer) -> bytes:
    if answer.headers.get("content-encoding") == "gzip":
        return gzip.decompress(answer.body)
    return answer.body


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_each_variant_still_obeys_the_contract(make_client: MakeClient, variant: str) -> None:
    """Every probe the mutants are told apart by still gets a contract answer."""
    client = make_client(variant=variant)
    supported = {"USD", "EUR", "GBP"}
    for probe in PROBES:
        answer = _ask(client, probe)
        query = probe[2].partition("=")[2] or None
        body = _decoded(answer)
        if answer.status == 200 and query is not None and query not in supported:
            expect = Expectations(roles={"funded": probe[1]}, supported_currencies=("USD",))
            sent = Sent.balance(probe[1], query)
            found = judge(sent, VerdictAnswer(200, body, answer.content_type), expect)
        elif answer.status == 200:
            request = BalanceRequest(probe[1], query)
            found = check_balance_response(body, request, content_type=answer.content_type)
        else:
            found = check_error_response(answer.status, body, answer.content_type)
            found += rules.check_exact_error(answer.status, body)
        assert found == [], (variant, probe[0], found)


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_each_variant_differs_from_the_clean_server(make_client: MakeClient, variant: str) -> None:
    clean, changed = make_client(), make_client(variant=variant)
    differing = [
        probe[0]
        for probe in VARIANT_PROBES
        if _variant_ask(clean, probe) != _variant_ask(changed, probe)
    ]
    assert differing, f"{variant} answers every probe like the clean server"


def test_four_decimal_places_profile_expects_the_variant_s_own_values(fixtures: Fixtures) -> None:
    clean = describe(fixtures, "http://127.0.0.1:1/v0.9", "t")
    four = describe(
        fixtures,
        "http://127.0.0.1:1/v0.9",
        "t",
        places=decimal_places(Switches.for_variant("four-decimal-places")),
    )
    assert clean.expected["funded"]["USD"] == "2400.30"
    assert four.expected["funded"]["USD"] == "2400.3000"
    assert four.expected["empty"]["EUR"] == "0.0000"
    assert decimal_places(Switches()) is None


def test_moving_prices_profile_pins_nothing_and_is_not_stable(fixtures: Fixtures) -> None:
    """Like a sandbox at live prices: its profile cannot pin values nor promise they agree."""
    assert describe(fixtures, "http://127.0.0.1:1/v0.9", "t").stable_balances
    moving = describe(fixtures, "http://127.0.0.1:1/v0.9", "t", moving=True)
    assert moving.expected == {}
    assert not moving.stable_balances


def test_moving_prices_moves_the_same_question_s_value_in_minor_units(
    make_client: MakeClient,
) -> None:
    client = make_client(variant="moving-prices")
    probe = VARIANT_PROBES[0]
    values = [
        json.loads(_variant_ask(client, probe).body)["data"]["estimatedBalanceValue"]
        for _ in range(4 * MOVE_EVERY)
    ]
    assert len(set(values)) == 4
    assert {len(v.partition(".")[2]) for v in values} == {2}  # the decimals never move
    empty = json.loads(_variant_ask(client, VARIANT_PROBES[2]).body)["data"]
    assert empty["estimatedBalanceValue"] == "0.00"  # nothing held: nothing to revalue
