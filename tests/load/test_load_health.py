"""Generator health: a saturated or lagging generator invalidates the result."""

from __future__ import annotations

from oms_harness.load.health import ProcessHealth, assess


def _process(
    *, cpu: list[float], planned: int = 900, sent: int = 900, span: float = 9.0, late: int = 0
) -> ProcessHealth:
    return ProcessHealth(
        cpu_samples=cpu,
        planned=planned,
        sent=sent,
        send_span_s=span,
        users=50,
        max_in_flight=3,
        late_sends=late,
    )


def test_healthy_generator_is_not_bound() -> None:
    health = assess({"local": _process(cpu=[40.0, 20.0, 25.0])}, window_s=9.0)
    assert not health.bound
    assert health.achieved_rps == 100.0
    assert health.cpu_mean_percent == 22.5  # the spawn-time first sample is left out


def test_saturated_cpu_marks_the_run_generator_bound() -> None:
    health = assess(
        {"worker-0": _process(cpu=[99.0, 97.0, 98.0]), "worker-1": _process(cpu=[30.0, 30.0])},
        window_s=9.0,
    )
    assert health.bound
    assert any("worker-0" in r and "saturated" in r for r in health.reasons)
    assert not any("worker-1" in r for r in health.reasons)


def test_sends_stretched_past_the_window_mark_the_run_generator_bound() -> None:
    health = assess({"local": _process(cpu=[50.0, 50.0], span=12.0, late=40)}, window_s=9.0)
    assert health.bound
    assert "25% short" in health.reasons[0]
    assert "raise --max-in-flight" in health.reasons[0]


def test_a_stall_at_the_end_stays_within_tolerance() -> None:
    # the last second of sends waited for a stalled target: 9.5 s span for a 9 s window
    health = assess({"local": _process(cpu=[10.0, 10.0], span=9.5, late=20)}, window_s=9.0)
    assert not health.bound


def test_no_report_at_all_is_invalid() -> None:
    assert assess({}, window_s=5.0).bound
