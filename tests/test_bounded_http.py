"""One request with a wall-clock deadline and a size cap (the preflight and the exchange)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from oms_harness.bounded_http import fetch
from oms_harness.errors import TargetUnavailableError

sys.path.insert(0, str(Path(__file__).parent / "faults"))

import fakes


@pytest.mark.parametrize(
    ("behaviour", "reason"),
    [
        (fakes.trickles_body, "no complete answer within 1 s"),
        (fakes.trickles_headers, "no complete answer within 1 s"),
        (fakes.never_answers, "no complete answer within 1 s"),
        (fakes.huge_body, "too large"),
        (fakes.garbage, "cannot reach the target"),
    ],
)
def test_faults_end_within_the_deadline_with_one_line(
    behaviour: fakes.Behaviour, reason: str
) -> None:
    with (
        fakes.fake_target(behaviour) as port,
        pytest.raises(TargetUnavailableError, match=reason) as info,
    ):
        fetch("GET", f"http://127.0.0.1:{port}/x", what="probe", deadline_s=1.0)
    assert "\n" not in str(info.value)


def test_a_closed_port_is_unreachable() -> None:
    port = fakes.closed_port()
    with pytest.raises(TargetUnavailableError, match="ConnectError"):
        fetch("GET", f"http://127.0.0.1:{port}/x", what="probe", deadline_s=1.0)


def test_a_small_answer_is_returned_whole() -> None:
    with fakes.fake_target(fakes.slow_answer) as port:
        answer = fetch("GET", f"http://127.0.0.1:{port}/x", what="probe", deadline_s=10.0)
    assert answer.status == 200
    assert answer.body == b'{"error":"late"}'
