"""The live progress line: records followed from a growing log, rates between records."""

from __future__ import annotations

from pathlib import Path

from oms_harness.load.names import progress_record
from oms_harness.load.progress import LogFollower, ProgressPrinter


def test_the_follower_yields_complete_lines_only(tmp_path: Path) -> None:
    log = tmp_path / "locust.log"
    follower = LogFollower(log)
    assert list(follower.lines()) == []  # not there yet
    log.write_bytes(b"one\ntw")
    assert list(follower.lines()) == ["one"]
    with log.open("ab") as handle:
        handle.write(b"o\nthree\n")
    assert list(follower.lines()) == ["two", "three"]
    assert list(follower.lines()) == []


def test_a_line_shows_time_rates_errors_and_p95() -> None:
    printer = ProgressPrinter("load steady")
    first = {"elapsed_s": 5.0, "duration_s": 60, "sent": 200, "completed": 190,
             "transport_errors": 1, "violations": 2, "p95_ms": 12.5}  # fmt: skip
    line = printer.feed("INFO " + progress_record(first))
    assert line == (
        "  load steady: 5s elapsed, 55s left | sent 200 (40.0/s), answered 38.0/s | "
        "transport errors 1, contract violations 2 | p95 12.5 ms (corrected)"
    )
    second = {**first, "elapsed_s": 10.0, "sent": 450, "completed": 440, "p95_ms": None}
    line = printer.feed(progress_record(second))
    assert line is not None
    assert "sent 450 (50.0/s), answered 50.0/s" in line
    assert "p95 - (corrected)" in line
    assert printer.feed("[2026-12-01] INFO: Ramping to 1 users") is None
