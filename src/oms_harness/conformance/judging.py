"""How the conformance suites and the fuzz check hand an exchange to the one judge.

What was sent is recovered from the request as it went out (the URL after encoding, the
Authorization header), never from what a test meant to send; the session shares one
:class:`AnswerHistory`, so the rules across answers see every suite and every fuzz case.
"""

from __future__ import annotations

import functools
import re
from urllib.parse import parse_qs, unquote_to_bytes, urlsplit

from ..contract import spec
from ..contract.rules import Violation
from ..contract.verdict import Answer, AnswerHistory, Sent, judge
from .target import SuiteTarget


@functools.cache
def _path_pattern() -> re.Pattern[str]:
    template = re.escape(spec.balance_path("\0")).replace("\0", "(?P<segment>.*)")
    return re.compile(template + r"\Z", re.DOTALL)


def id_segment(url: str) -> str | None:
    """The raw (still encoded) id segment of a balance URL; None for another path."""
    match = _path_pattern().search(urlsplit(url).path)
    return match["segment"] if match else None


def sent_from(url: str, authorization: str | None, target: SuiteTarget) -> Sent:
    """Parse a request URL and Authorization header the way the server will."""
    segment = id_segment(url)
    try:
        customer_id = unquote_to_bytes(segment).decode("utf-8") if segment is not None else None
    except UnicodeDecodeError:
        customer_id = None
    query = parse_qs(urlsplit(url).query, keep_blank_values=True)
    return Sent(
        customer_id=customer_id,
        currencies=tuple(query.get(spec.currency_parameter(), ())),
        authenticated=authorization == target.authorization,
    )


@functools.cache
def session_history() -> AnswerHistory:
    """The run's one history (one pytest session per process)."""
    return AnswerHistory()


def verdict_of(target: SuiteTarget, sent: Sent, answer: Answer) -> list[Violation]:
    """The judge's verdict on one answer of this session."""
    return judge(sent, answer, target.expectations, history=session_history())
