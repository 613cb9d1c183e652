"""Schemathesis set-up for the fuzz suite: tightened schemas, the run's config, one session.

Every built-in check stays on; only their expected-status lists are told what the contract
says (a 422/502/503 for the profile's roles is an answer to valid input, a 502/503 is not a
server bug). The contract's own rules run as the custom check in :mod:`.checks`.
"""

from __future__ import annotations

import functools
from typing import Any

import requests
import schemathesis
from schemathesis.config import SchemathesisConfig

from ..contract.roles import ROLE_STATUS
from . import checks
from .fuzz_schema import tightened_spec
from .target import SuiteTarget

POSITIVE_STATUSES = sorted({str(s) for s in ROLE_STATUS.values()})
NEGATIVE_STATUSES = ["400", "401"]
SERVER_ERROR_STATUSES = ["2xx", "3xx", "4xx", "502", "503"]
"""502 and 503 are documented provider answers, not server errors; a 500 still fails."""


def fuzz_config(target: SuiteTarget, *, negative: bool) -> SchemathesisConfig:
    """The schemathesis config of one fuzz test (seed and budget from the target)."""
    data: dict[str, Any] = {
        "seed": target.seed,
        # Generator-efficiency health checks say nothing about the target; on a loaded CI
        # machine they would fail a correct server.
        "suppress-health-check": ["too_slow", "filter_too_much"],
        "base-url": target.base_url,
        "headers": {"Authorization": target.authorization},
        "request-timeout": 15,
        "generation": {
            "mode": "negative" if negative else "positive",
            "max-examples": target.max_examples,
            "database": "none",
        },
        "phases": {"stateful": {"enabled": False}},
        "checks": {
            "positive_data_acceptance": {"expected-statuses": POSITIVE_STATUSES},
            "negative_data_rejection": {"expected-statuses": NEGATIVE_STATUSES},
            "not_a_server_error": {"expected-statuses": SERVER_ERROR_STATUSES},
        },
    }
    return SchemathesisConfig.from_dict(data)


def load_schema(target: SuiteTarget, *, negative: bool) -> Any:
    """The tightened spec loaded into schemathesis, with the contract check pointed at it."""
    checks.configure(target)
    return schemathesis.openapi.from_dict(
        tightened_spec(target, negative=negative), config=fuzz_config(target, negative=negative)
    )


@functools.cache
def http_session() -> requests.Session:
    """One keep-alive session for every fuzz request of the run."""
    return requests.Session()
