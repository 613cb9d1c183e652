"""Property: no path, query or header makes the clean reference answer 5xx (no faults asked)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from refclient import RefClient, build_client

from oms_harness.contract import check_content_type, check_status_documented
from oms_harness.reference.data import load_fixtures

FUNDED = "cst_01kspy4bg0ejevzs1e5pzj5gdx"
ERROR_ROLES = {"cst_01kspy52pdescsjwbcp8ybtb6v", "cst_01kspy5adwe7x9wvncnjq88gnq"}

ids = st.one_of(
    st.binary(max_size=64),
    st.text(max_size=40).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.sampled_from([FUNDED, FUNDED.upper(), "cst_", "%", "%zz", "%2F", ""]).map(str.encode),
    st.from_regex(r"cst_[0-9a-z]{24,28}", fullmatch=True).map(str.encode),
)
queries = st.one_of(
    st.binary(max_size=64),
    st.lists(
        st.tuples(
            st.sampled_from(
                [b"estimatedBalanceCurrencyCode", b"x", b"estimatedBalanceCurrencyCode%00"]
            ),
            st.one_of(
                st.sampled_from([b"USD", b"EUR", b"GBP", b"usd", b""]), st.binary(max_size=8)
            ),
        ),
        max_size=3,
    ).map(lambda pairs: b"&".join(k + b"=" + v for k, v in pairs)),
)


@pytest.fixture(scope="module")
def client() -> Iterator[RefClient]:
    made = build_client(load_fixtures())
    yield made
    made.close()


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(customer=ids, query=queries, authorized=st.booleans())
def test_balance_path_never_answers_5xx(
    client: RefClient, customer: bytes, query: bytes, authorized: bool
) -> None:
    path = b"/v0.9/customers/" + customer + b"/balance"
    answer = client.raw("GET", path, query, client.auth if authorized else {})
    provider_failure = customer.decode("latin-1") in ERROR_ROLES and answer.status in (502, 503)
    assert answer.status < 500 or provider_failure
    assert check_status_documented(answer.status) == []
    assert check_content_type(answer.content_type) == []


@settings(max_examples=200)
@given(
    path=st.binary(max_size=120),
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "FOO"]),
    authorization=st.one_of(st.none(), st.text(max_size=60)),
    body=st.binary(max_size=64),
)
def test_any_request_never_answers_5xx(
    client: RefClient, path: bytes, method: str, authorization: str | None, body: bytes
) -> None:
    headers = {} if authorization is None else {"authorization": authorization}
    headers = {k: v for k, v in headers.items() if v.isascii() and v.isprintable()}
    answer = client.raw(method, b"/" + path, b"", headers, body)
    assert answer.status < 500
    assert check_content_type(answer.content_type) == []
