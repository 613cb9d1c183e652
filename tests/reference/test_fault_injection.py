"""Fault flags: parsing, added latency, seeded provider failures, the periodic stall."""

from __future__ import annotations

import asyncio
import statistics
from collections import Counter

import pytest
from refclient import MakeClient

from oms_harness.errors import UsageError
from oms_harness.reference.faults import (
    FaultConfig,
    Faults,
    Latency,
    parse_duration,
    parse_latency,
    parse_rate,
)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("250ms", 0.25), ("1s", 1.0), ("0.5s", 0.5), (".5s", 0.5), ("0ms", 0), ("1m30s", 90.0)],
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "-1s", "1 s", "abc", "1e3ms", "nanms", "1s1m"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(UsageError):
        parse_duration(text)


@pytest.mark.parametrize(
    ("text", "latency"),
    [
        ("20ms", Latency("fixed", 0.02)),
        ("0.5s", Latency("fixed", 0.5)),
        ("uniform:10ms:30ms", Latency("uniform", 0.01, 0.03)),
        ("exp:20ms", Latency("exp", 0.02)),
        ("lognormal:20ms:0.5", Latency("lognormal", 0.02, 0.5)),
    ],
)
def test_latency_specs(text: str, latency: Latency) -> None:
    assert parse_latency(text) == latency


@pytest.mark.parametrize(
    "text",
    [
        "fast",
        "uniform:30ms:10ms",
        "uniform:10ms",
        "exp",
        "lognormal:20ms",
        "lognormal:20ms:x",
        "lognormal:20ms:-1",
        "lognormal:0ms:0.5",
        "normal:20ms:1ms",
        "61s",
    ],
)
def test_bad_latency_specs(text: str) -> None:
    with pytest.raises(UsageError):
        parse_latency(text)


@pytest.mark.parametrize("text", ["-0.1", "1.5", "x", "nan"])
def test_bad_rates(text: str) -> None:
    with pytest.raises(UsageError):
        parse_rate(text, "--provider-error-rate")


@pytest.mark.parametrize(
    "config",
    [
        {"provider_error_rate": 0.7, "provider_unreachable_rate": 0.4},
        {"stall": 1.0},
        {"stall_every": 1.0},
        {"stall": 2.0, "stall_every": 1.0},
        {"stall": 31.0, "stall_every": 60.0},
    ],
)
def test_inconsistent_fault_configs(config: dict[str, float]) -> None:
    with pytest.raises(UsageError):
        FaultConfig(**config)  # type: ignore[arg-type]


def test_defaults_inject_nothing() -> None:
    faults = Faults(FaultConfig())
    assert not faults.config.enabled
    assert faults.delay() == 0
    assert all(faults.provider_outcome() is None for _ in range(100))


def _samples(spec: str, n: int = 4000) -> list[float]:
    faults = Faults(FaultConfig(latency=parse_latency(spec), seed=7))
    return [faults.delay() for _ in range(n)]


def test_latency_distributions_have_their_parameters() -> None:
    assert set(_samples("20ms", 10)) == {0.02}
    uniform = _samples("uniform:10ms:30ms")
    assert min(uniform) >= 0.01
    assert max(uniform) <= 0.03
    assert statistics.fmean(_samples("exp:20ms")) == pytest.approx(0.02, rel=0.1)
    assert statistics.median(_samples("lognormal:20ms:0.5")) == pytest.approx(0.02, rel=0.1)


def test_the_app_sleeps_the_drawn_latency(
    make_client: MakeClient, roles: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    slept: list[float] = []

    async def record(delay: float) -> None:
        slept.append(delay)

    client = make_client(faults=FaultConfig(latency=parse_latency("uniform:10ms:30ms"), seed=3))
    monkeypatch.setattr(asyncio, "sleep", record)
    for _ in range(20):
        assert client.get(roles["funded"]).status == 200
    expected = Faults(FaultConfig(latency=parse_latency("uniform:10ms:30ms"), seed=3))
    assert slept == [expected.delay() for _ in range(20)]


def _outcomes(make_client: MakeClient, customer: str, seed: int, n: int = 2000) -> Counter[int]:
    client = make_client(
        faults=FaultConfig(provider_error_rate=0.1, provider_unreachable_rate=0.05, seed=seed)
    )
    return Counter(client.get(customer).status for _ in range(n))


def test_provider_failure_rates_are_roughly_honoured(
    make_client: MakeClient, roles: dict[str, str]
) -> None:
    counts = _outcomes(make_client, roles["funded"], seed=11)
    assert set(counts) == {200, 502, 503}
    assert 150 <= counts[502] <= 250  # 10 % of 2000
    assert 60 <= counts[503] <= 140  # 5 % of 2000


def test_the_same_seed_gives_the_same_sequence(
    make_client: MakeClient, roles: dict[str, str]
) -> None:
    first = make_client(faults=FaultConfig(provider_error_rate=0.3, seed=5))
    second = make_client(faults=FaultConfig(provider_error_rate=0.3, seed=5))
    a = [first.get(roles["funded"]).status for _ in range(200)]
    b = [second.get(roles["funded"]).status for _ in range(200)]
    assert a == b
    assert 502 in a


def test_injected_failures_only_hit_good_requests(
    make_client: MakeClient, roles: dict[str, str]
) -> None:
    client = make_client(faults=FaultConfig(provider_error_rate=1.0, seed=1))
    assert client.get(roles["funded"]).status == 502
    assert client.get(roles["unprovisioned"]).status == 422
    assert client.get(roles["funded"], authorized=False).status == 401
    assert client.get("nope").status == 400
    assert client.get("cst_01kspy7d50epat6a2et76qtrsv").status == 404


def test_the_stall_loop_blocks_the_loop_for_d_every_p(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, float]] = []

    async def fake_async_sleep(delay: float) -> None:
        calls.append(("await", delay))
        if len(calls) >= 6:
            raise asyncio.CancelledError

    monkeypatch.setattr("oms_harness.reference.faults.asyncio.sleep", fake_async_sleep)
    monkeypatch.setattr(
        "oms_harness.reference.faults.time.sleep", lambda d: calls.append(("block", d))
    )
    faults = Faults(FaultConfig(stall=0.25, stall_every=1.0))
    with pytest.raises(asyncio.CancelledError):
        asyncio.run(faults.stall_forever())
    assert calls[:4] == [("await", 0.75), ("block", 0.25), ("await", 0.75), ("block", 0.25)]
    assert faults.stalls == 3
