"""Fixtures of the reference tests (helpers live in refclient.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from refclient import MakeClient, RefClient, build_client

from oms_harness.reference.data import Fixtures, load_fixtures
from oms_harness.reference.faults import FaultConfig


@pytest.fixture(scope="session")
def fixtures() -> Fixtures:
    return load_fixtures()


@pytest.fixture(scope="session")
def roles(fixtures: Fixtures) -> dict[str, str]:
    return {role: customer.id for role, customer in fixtures.by_role().items()}


@pytest.fixture
def make_client(fixtures: Fixtures) -> Iterator[MakeClient]:
    made: list[RefClient] = []

    def make(
        mutant: str | None = None, faults: FaultConfig | None = None, variant: str | None = None
    ) -> RefClient:
        client = build_client(fixtures, mutant, faults, variant)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
def client(make_client: MakeClient) -> RefClient:
    return make_client()
