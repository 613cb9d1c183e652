"""Synthetic runner results (shaped like interfaces 5 and 6 of the brief) for report tests."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from oms_harness.report.model import (
    ConformanceFacts,
    GateVerdict,
    LoadFacts,
    from_conformance,
    from_load,
    gate_exit_code,
)


@dataclass(frozen=True)
class FakeArea:
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    spec_gaps: int = 0


@dataclass(frozen=True)
class FakeConformance:
    exit_code: int = 0
    seed: int | None = 4242
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    spec_gaps: list[str] = field(default_factory=list)
    areas: dict[str, FakeArea] = field(default_factory=dict)
    failures: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class FakeSlo:
    name: str
    limit: float
    measured: float | None
    passed: bool
    unit: str


@dataclass(frozen=True)
class FakeLoad:
    exit_code: int
    report_dir: Path
    summary_path: Path
    plot_path: Path | None
    slos: list[FakeSlo]
    generator_bound: bool = False
    achieved_rps: float = 49.8
    target_rps: float = 50.0
    requests: int = 498
    failures: dict[str, int] = field(default_factory=dict)


def _conformance(*, failing: bool = False) -> ConformanceFacts:
    areas = {
        "auth": FakeArea(passed=9),
        "fuzz": FakeArea(passed=12),
        "currency": FakeArea(passed=5, failed=1 if failing else 0),
        "spec-gaps": FakeArea(passed=3, spec_gaps=3),
    }
    failures = (
        [("conformance/test_currency.py::test_default_is_usd", "default currency was EUR")]
        if failing
        else []
    )
    return from_conformance(
        FakeConformance(
            exit_code=1 if failing else 0,
            areas=areas,
            failures=failures,
            spec_gaps=["unsupported currency XXX answered 400", "lower-case usd answered 400"],
        )
    )


def _load(tmp_path: Path, *, breach: bool = False, generator_bound: bool = False) -> LoadFacts:
    run_dir = tmp_path / "load" / "smoke-20260101T000000"
    run_dir.mkdir(parents=True, exist_ok=True)
    summary = run_dir / "summary.json"
    summary.write_text('{"scenario": "smoke", "p95_ms": 12.5}', encoding="utf-8")
    plot = run_dir / "latency.png"
    plot.write_bytes(b"\x89PNG\r\n\x1a\nfake")
    p95 = 320.0 if breach else 12.5
    slos = [
        FakeSlo("p95_ms", 250.0, p95, p95 <= 250.0, "ms"),
        FakeSlo("p99_ms", 500.0, 30.1, True, "ms"),
        FakeSlo("error_rate", 0.01, 0.0, True, "fraction"),
        FakeSlo("min_rps", 40.0, 49.8, True, "req/s"),
    ]
    exit_code = 4 if generator_bound else (1 if breach else 0)
    result = FakeLoad(exit_code, run_dir, summary, plot, slos, generator_bound=generator_bound)
    return from_load(result, "smoke")


class Factory:
    """Builds synthetic verdicts; files land under the test's tmp_path."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path

    def conformance(self, *, failing: bool = False) -> ConformanceFacts:
        return _conformance(failing=failing)

    def load(self, *, breach: bool = False, generator_bound: bool = False) -> LoadFacts:
        return _load(self.tmp_path, breach=breach, generator_bound=generator_bound)

    def verdict(
        self,
        *,
        failing: bool = False,
        breach: bool = False,
        generator_bound: bool = False,
        with_load: bool = True,
    ) -> GateVerdict:
        load = self.load(breach=breach, generator_bound=generator_bound) if with_load else None
        return GateVerdict(
            exit_code=gate_exit_code(1 if failing else 0, load.exit_code if load else None),
            target="http://127.0.0.1:8080/v0.9",
            conformance=self.conformance(failing=failing),
            load=load,
            load_skipped=None if with_load else "--skip-load",
            elapsed_s=41.5,
        )


@pytest.fixture
def fake(tmp_path: Path) -> Factory:
    return Factory(tmp_path)


FAKE_ALLURE = '''
"""Stands in for `allure generate --config FILE RESULTS`: what render_report relies on."""
import base64, json, pathlib, sys, uuid
config = json.loads(pathlib.Path(sys.argv[sys.argv.index("--config") + 1]).read_text())
out = pathlib.Path(config["output"])
embedded = []
for name in config.get("globalAttachments", []):
    blob = base64.b64encode(pathlib.Path(name).read_bytes()).decode()
    embedded.append(f'd("data/attachments/{uuid.uuid4().hex}.yaml","{blob}")')
for kind in ("single", "site"):
    (out / kind).mkdir(parents=True)
    (out / kind / "index.html").write_text(f"<html><script>{','.join(embedded)}</script></html>")
history = pathlib.Path(config["historyPath"])
history.parent.mkdir(parents=True, exist_ok=True)
with history.open("a") as handle:
    handle.write(json.dumps({"uuid": str(uuid.uuid4()), "name": config["name"]}) + "\\n")
'''


@pytest.fixture
def fake_allure(tmp_path: Path) -> list[str]:
    """A command that renders like Allure 3 does, as far as render_report can tell."""
    script = tmp_path / "fake_allure.py"
    script.write_text(FAKE_ALLURE, encoding="utf-8")
    return [sys.executable, str(script)]
