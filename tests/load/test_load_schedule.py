"""The arrival schedule: intended start times at the planned rate, shared across processes."""

from __future__ import annotations

import itertools

import pytest

from oms_harness.load.schedule import SCENARIOS, ArrivalSchedule, ProcessTickets, Stage


def test_constant_rate_spaces_arrivals_evenly_inside_the_window() -> None:
    schedule = ArrivalSchedule.constant(200.0, 9.0)
    offsets = [schedule.offset(n) for n in range(schedule.total_arrivals)]
    assert schedule.total_arrivals == 1800
    assert offsets[0] == pytest.approx(0.0025)
    gaps = {round(b - a, 9) for a, b in itertools.pairwise(offsets)}  # type: ignore[operator]
    assert gaps == {0.005}
    assert offsets[-1] is not None
    assert offsets[-1] < 9.0
    assert schedule.offset(1800) is None
    assert schedule.offset(-1) is None


def test_ramp_follows_the_integral_of_the_rate() -> None:
    schedule = ArrivalSchedule((Stage(10.0, 0.0, 100.0),))
    assert schedule.total_arrivals == 500  # area of the triangle
    # half the arrivals happen once the cumulative area reaches 250: t = sqrt(2*250/10)
    assert schedule.offset(249) == pytest.approx((2 * 249.5 / 10) ** 0.5)
    assert schedule.rate_at(5.0) == pytest.approx(50.0)
    assert schedule.rate_at(10.0) == 0.0


def test_offsets_never_decrease_across_stages() -> None:
    schedule = SCENARIOS["spike"].schedule(rate=100.0, seconds=10.0)
    offsets = [schedule.offset(n) for n in range(schedule.total_arrivals)]
    assert all(o is not None for o in offsets)
    assert offsets == sorted(offsets)  # type: ignore[type-var]
    assert schedule.peak_rps == 100.0
    # the spike stage (4 s to 6 s) carries 200 arrivals, each base stage 80
    in_spike = [o for o in offsets if o is not None and 4.0 <= o < 6.0]
    assert len(in_spike) == pytest.approx(200, abs=1)


@pytest.mark.parametrize("count", [1, 2, 3, 7])
def test_processes_share_every_arrival_exactly_once(count: int) -> None:
    schedule = ArrivalSchedule.constant(50.0, 2.0)
    taken: list[float] = []
    for index in range(count):
        tickets = ProcessTickets(schedule, index, count)
        mine = []
        while (offset := tickets.take()) is not None:
            mine.append(offset)
        assert len(mine) == tickets.planned == tickets.issued
        taken += mine
    expected = [schedule.offset(n) for n in range(schedule.total_arrivals)]
    assert sorted(taken) == expected


def test_invalid_shares_and_stages_are_rejected() -> None:
    with pytest.raises(ValueError, match="valid share"):
        ProcessTickets(ArrivalSchedule.constant(1.0, 5.0), 2, 2)
    with pytest.raises(ValueError, match="positive"):
        Stage(0.0, 1.0, 1.0)
    with pytest.raises(ValueError, match="no request"):
        ArrivalSchedule.constant(0.1, 1.0)


def test_schedule_round_trips_through_json() -> None:
    schedule = SCENARIOS["ramp"].schedule(rate=30.0, seconds=20.0)
    assert ArrivalSchedule.from_json(schedule.to_json()) == schedule


def test_ramp_up_climbs_from_zero_before_the_scenario() -> None:
    schedule = SCENARIOS["steady"].schedule(rate=100.0, seconds=10.0, ramp_up=2.0)
    assert schedule.duration == 12.0
    assert schedule.total_arrivals == 100 + 1000  # the triangle, then the plateau
    assert schedule.rate_at(1.0) == 50.0
    first = schedule.offset(0)
    assert first is not None
    assert first > 0.1  # a gentle start, not a burst
