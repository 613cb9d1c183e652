"""The one judge as a custom schemathesis check, so every fuzzed answer is judged by it.

Schemathesis' built-in checks see the spec, which says little; this one sees the contract
through :func:`oms_harness.contract.verdict.judge` (the status the contract implies, exact
error bodies, and every rule of a 200), with the session's shared answer history. Nothing
is decided here: the request is recovered from the wire and handed over.
"""

from __future__ import annotations

from typing import Any

import schemathesis

from ..contract.verdict import Answer, describe
from .judging import sent_from, verdict_of
from .target import SuiteTarget

_STATE: list[SuiteTarget] = []


def configure(target: SuiteTarget) -> None:
    """Point the check at ``target`` (the fuzz suite calls this once per session)."""
    _STATE[:] = [target]


def _content_type(response: schemathesis.Response) -> str | None:
    values = response.headers.get("content-type")
    return values[0] if values else None


@schemathesis.check
def oms_balance_contract(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case[Any]
) -> bool | None:
    """The balance contract, judged by the one judge."""
    if not _STATE:
        return None
    target = _STATE[0]
    request = response.request
    if (request.method or "GET").upper() != "GET":
        return None  # other methods: `unsupported_method` judges them; the contract is GET only
    header = request.headers.get("Authorization") if request.headers is not None else None
    authorization = header.decode("latin-1") if isinstance(header, bytes) else header
    sent = sent_from(str(request.url), authorization, target)
    answer = Answer(response.status_code, response.content, _content_type(response))
    violations = verdict_of(target, sent, answer)
    if violations:
        raise AssertionError(describe(violations))
    return True
