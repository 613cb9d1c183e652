"""The open-model generator without sockets: fake send, check and stats callables.

gevent runs here without monkey-patching (nothing imports Locust): the generator only needs
greenlets. Each run is a fraction of a second of schedule; figures are counts, never times.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gevent
import pytest

from oms_harness.errors import TargetUnavailableError
from oms_harness.load import histograms
from oms_harness.load.checks import CheckFailure
from oms_harness.load.generator import RATE_LIMITED, UNFINISHED, Answer, Generator
from oms_harness.load.schedule import ArrivalSchedule
from oms_harness.load.traffic import RequestKind

OK = Answer(200, b'{"ok":true}', "application/json")
KINDS = [
    RequestKind("funded", "funded", "cst_a", None, 200, 3.0),
    RequestKind("missing", "missing", "cst_b", None, 404, 1.0),
]


class Recorder:
    """The generator's outside world: what it sent, logged and was told to use."""

    def __init__(self, answer: Callable[[int], Answer] = lambda _i: OK, delay: float = 0.0):
        self.answer = answer
        self.delay = delay
        self.sent: list[int] = []
        self.logged: list[tuple[str, int, str | None]] = []
        self.tokens: list[str] = []
        self.closed = False
        self.concurrent = 0
        self.peak = 0

    def send(self, index: int) -> Answer:
        self.sent.append(index)
        self.concurrent += 1
        self.peak = max(self.peak, self.concurrent)
        try:
            if self.delay:
                gevent.sleep(self.delay)
            return self.answer(index)
        finally:
            self.concurrent -= 1

    def log(self, name: str, response_time: float, length: int, reason: str | None) -> None:
        assert response_time >= 0
        self.logged.append((name, length, reason))

    def close(self) -> None:
        self.closed = True


def no_violation(kind: RequestKind, status: int, body: bytes, content_type: str | None) -> None:
    return None


def make(
    recorder: Recorder,
    *,
    rate: float = 100,
    seconds: float = 0.3,
    max_in_flight: int = 50,
    check: Any = no_violation,
    drain_s: float = 2.0,
    auth: Any = None,
    index: int = 0,
    count: int = 1,
) -> Generator:
    return Generator(
        send=recorder.send,
        use_token=recorder.tokens.append,
        check=check,
        log_request=recorder.log,
        close=recorder.close,
        kinds=KINDS,
        schedule=ArrivalSchedule.constant(rate, seconds),
        index=index,
        count=count,
        max_in_flight=max_in_flight,
        interval_s=1.0,
        drain_s=drain_s,
        name="test",
        token="t0",
        auth=auth,
    )


def never() -> bool:
    return False


def test_every_planned_request_is_sent_recorded_and_logged_once() -> None:
    recorder = Recorder()
    generator = make(recorder)
    generator.dispatch(never)
    report = generator.report()
    planned = ArrivalSchedule.constant(100, 0.3).total_arrivals
    assert report["planned"] == report["sent"] == report["completed"] == planned
    assert len(recorder.sent) == len(recorder.logged) == planned
    assert histograms.decode(report["corrected"]).get_total_count() == planned
    assert histograms.decode(report["raw"]).get_total_count() == planned
    assert report["failures"] == {}
    assert report["statuses"] == {"200": planned}
    assert recorder.tokens == ["t0"]  # the requests are built once per token
    # the weighted mix: three funded for every missing
    funded = sum(1 for i in recorder.sent if i == 0)
    assert abs(funded - 3 * (planned - funded)) <= 4
    generator.close()
    assert recorder.closed
    assert generator.finished


def test_processes_share_the_schedule_without_overlap() -> None:
    shares = []
    for index in (0, 1):
        recorder = Recorder()
        generator = make(recorder, index=index, count=2)
        generator.dispatch(never)
        shares.append(generator.report()["sent"])
    assert sum(shares) == ArrivalSchedule.constant(100, 0.3).total_arrivals
    assert abs(shares[0] - shares[1]) <= 1


def test_the_in_flight_cap_holds_and_late_sends_are_counted() -> None:
    recorder = Recorder(delay=0.1)
    generator = make(recorder, rate=200, max_in_flight=3)
    generator.dispatch(never)
    report = generator.report()
    assert recorder.peak <= 3
    assert report["max_in_flight"] <= 3
    assert report["late_sends"] > 0
    # latency from the intended start grows past the service time when sends wait
    corrected = histograms.decode(report["corrected"]).get_max_value()
    raw = histograms.decode(report["raw"]).get_max_value()
    assert corrected > raw


def test_violations_and_transport_errors_are_counted_apart() -> None:
    def answer(index: int) -> Answer:
        if len(recorder.sent) % 5 == 0:
            raise ConnectionResetError("reset")
        return OK

    def check(
        kind: RequestKind, status: int, body: bytes, content_type: str | None
    ) -> CheckFailure | None:
        return CheckFailure("[error.body] wrong", "error.body") if kind.name == "missing" else None

    recorder = Recorder(answer)
    generator = make(recorder, check=check)
    generator.dispatch(never)
    report = generator.report()
    failures = report["failures"]
    assert failures["transport error: ConnectionResetError"] == report["transport_errors"] > 0
    violations = report["contract_violations"]["error.body"]
    assert violations > 0
    assert report["contract_reasons"] == {"[error.body] wrong": violations}
    assert "[error.body] wrong" not in failures  # a violation is not an error
    logged_failures = [reason for _, _, reason in recorder.logged if reason]
    assert len(logged_failures) == sum(failures.values()) + violations
    progress = generator.progress()
    assert progress["transport_errors"] == report["transport_errors"]
    assert progress["violations"] == violations


def test_a_transport_that_settles_its_own_stats_is_not_logged_twice() -> None:
    settled: list[str | None] = []

    def answer(index: int) -> Answer:
        return Answer(200, b"{}", "application/json", settle=settled.append)

    recorder = Recorder(answer)
    generator = make(recorder)
    generator.dispatch(never)
    assert len(settled) == generator.report()["completed"]
    assert recorder.logged == []


def test_a_429_pauses_sending_and_is_not_a_violation() -> None:
    def answer(index: int) -> Answer:
        if len(recorder.sent) == 1:
            return Answer(429, b"", None, retry_after="0.2")
        return OK

    recorder = Recorder(answer)
    generator = make(recorder, rate=100, seconds=0.5)
    generator.dispatch(never)
    report = generator.report()
    assert report["rate_limited"] == 1
    assert report["failures"] == {RATE_LIMITED: 1}
    assert report["contract_violations"] == {}
    assert report["retry_after_s"] == pytest.approx(0.2)
    assert report["late_sends"] == 0


class FakeAuth:
    def __init__(self, fail: bool = False) -> None:
        self.token, self.generation = "t1", 1
        self.refreshes = self.reexchanges = 0
        self.fail = fail

    def poll(self) -> None:
        return None

    def after_unauthorized(self, generation: int) -> None:
        if self.fail:
            raise TargetUnavailableError("exchange refused")
        if generation == self.generation:
            self.generation += 1
            self.token = f"t{self.generation}"
            self.reexchanges += 1


def test_a_401_is_retried_once_with_a_fresh_token() -> None:
    auth = FakeAuth()

    def answer(index: int) -> Answer:
        return OK if recorder.tokens[-1] != "t1" else Answer(401, b"", None)

    recorder = Recorder(answer)
    generator = make(recorder, auth=auth)
    generator.dispatch(never)
    report = generator.report()
    assert recorder.tokens[:2] == ["t1", "t2"]
    assert report["failures"] == {}
    assert report["token_reexchanges"] == 1
    assert report["completed"] == report["sent"]


def test_a_failed_exchange_after_a_401_is_a_token_error() -> None:
    recorder = Recorder(lambda _i: Answer(401, b"", None))
    generator = make(recorder, auth=FakeAuth(fail=True), seconds=0.1)
    generator.dispatch(never)
    report = generator.report()
    assert report["token_errors"] == report["sent"] > 0
    assert all("token exchange after a 401 failed" in r for r in report["failures"])


def test_stopping_ends_dispatch_early() -> None:
    recorder = Recorder()
    generator = make(recorder, seconds=5.0)
    generator.dispatch(lambda: generator.sent >= 10)
    assert generator.report()["sent"] == 10


def test_requests_open_at_the_drain_deadline_count_as_unfinished() -> None:
    recorder = Recorder(delay=30.0)
    generator = make(recorder, rate=20, seconds=0.2, drain_s=0.4)
    generator.dispatch(never)
    report = generator.report()
    assert report["unfinished"] == report["sent"] > 0
    assert report["failures"] == {UNFINISHED: report["sent"]}
    assert [reason for _, _, reason in recorder.logged] == [UNFINISHED] * report["sent"]
    assert histograms.decode(report["corrected"]).get_total_count() == report["sent"]


def test_senders_grow_with_latency_so_sends_stay_on_schedule() -> None:
    # 200 req/s answered in 50 ms needs about 10 requests out at once: a closed loop (or a
    # sender per answer) would fall behind; the open model spawns senders as needed
    recorder = Recorder(delay=0.05)
    generator = make(recorder, rate=200, seconds=0.5, max_in_flight=50)
    generator.dispatch(never)
    report = generator.report()
    assert report["sent"] == report["planned"] == report["completed"]
    assert report["late_sends"] == 0
    assert report["max_in_flight"] >= 5
    assert recorder.peak == report["max_in_flight"]
    assert not generator.senders  # every sender ended with the schedule


def test_a_fast_target_needs_few_senders_at_a_low_rate() -> None:
    # an answer before the next ticket: the same sender (and its connection) serves the run,
    # plus the spare that watches the next ticket while a request is out
    spawned: list[int] = []
    recorder = Recorder()
    generator = make(recorder, rate=100, seconds=0.3)
    original = generator._spawn_sender

    def counting() -> None:
        spawned.append(1)
        original()

    generator._spawn_sender = counting  # type: ignore[method-assign]
    generator.dispatch(never)
    assert generator.report()["sent"] == ArrivalSchedule.constant(100, 0.3).total_arrivals
    assert len(spawned) <= 2


def test_each_interval_keeps_a_histogram_per_request_kind_and_its_errors() -> None:
    missing = []

    def answer(index: int) -> Answer:
        if index == 1:
            missing.append(index)
            if len(missing) % 2:
                raise ConnectionResetError("reset")
        return OK

    recorder = Recorder(answer)
    generator = make(recorder, rate=200)
    generator.dispatch(never)
    report = generator.report()
    by_kind: dict[str, int] = {}
    errors = 0
    for corrected, _raw, failed, kinds in report["intervals"].values():
        errors += failed
        assert sum(histograms.decode(h).get_total_count() for h in kinds.values()) == (
            histograms.decode(corrected).get_total_count()
        )
        for name, encoded in kinds.items():
            by_kind[name] = by_kind.get(name, 0) + histograms.decode(encoded).get_total_count()
    assert by_kind == {"funded": recorder.sent.count(0), "missing": recorder.sent.count(1)}
    assert errors == report["transport_errors"] > 0


def test_a_start_instant_delays_the_schedule_to_it() -> None:
    import time

    recorder = Recorder()
    start_at = time.time() + 0.4
    generator = Generator(
        send=recorder.send,
        use_token=recorder.tokens.append,
        check=no_violation,
        log_request=recorder.log,
        close=recorder.close,
        kinds=KINDS,
        schedule=ArrivalSchedule.constant(20, 0.2),
        index=0,
        count=1,
        max_in_flight=10,
        interval_s=1.0,
        drain_s=1.0,
        name="test",
        token="t0",
        start_at=start_at,
    )
    generator.dispatch(never)
    assert generator.report()["t0_epoch"] == pytest.approx(start_at, abs=0.05)
