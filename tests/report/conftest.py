"""Synthetic runner results (shaped like interfaces 5 and 6 of the brief) for report tests."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from oms_harness.conformance.results import AreaCounts, ConformanceResult
from oms_harness.load.runner import LoadResult
from oms_harness.load.slo import SloVerdict
from oms_harness.report.model import (
    ConformanceFacts,
    GateVerdict,
    LoadFacts,
    from_conformance,
    from_load,
    gate_exit_code,
)

FakeArea = AreaCounts
FakeSlo = SloVerdict


def FakeConformance(**fields: Any) -> ConformanceResult:
    """A real ``ConformanceResult`` (so the fakes cannot drift from the interface)."""
    defaults: dict[str, Any] = {
        "exit_code": 0,
        "seed": 4242,
        "passed": 0,
        "failed": 0,
        "skipped": 0,
        "spec_gaps": [],
        "areas": {},
        "failures": [],
    }
    return ConformanceResult(**{**defaults, **fields})


def FakeLoad(*positional: Any, **fields: Any) -> LoadResult:
    """A real ``LoadResult`` with a healthy smoke run's figures unless told otherwise."""
    defaults: dict[str, Any] = {
        "generator_bound": False,
        "achieved_rps": 49.8,
        "target_rps": 50.0,
        "requests": 498,
    }
    return LoadResult(*positional, **{**defaults, **fields})


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


def _load(
    tmp_path: Path,
    *,
    breach: bool = False,
    generator_bound: bool = False,
    violations: dict[str, int] | None = None,
) -> LoadFacts:
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
    violations = violations or {}
    if violations:
        detail = ", ".join(f"{rule} x{n}" for rule, n in violations.items())
        slos.append(
            FakeSlo(
                "contract_violations",
                0.0,
                float(sum(violations.values())),
                False,
                "violations",
                detail,
            )
        )
    exit_code = 4 if generator_bound else (1 if breach or violations else 0)
    result = FakeLoad(
        exit_code,
        run_dir,
        summary,
        plot,
        slos,
        generator_bound=generator_bound,
        contract_violations=violations,
    )
    return from_load(result, "smoke")


class Factory:
    """Builds synthetic verdicts; files land under the test's tmp_path."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path

    def conformance(self, *, failing: bool = False) -> ConformanceFacts:
        return _conformance(failing=failing)

    def load(
        self,
        *,
        breach: bool = False,
        generator_bound: bool = False,
        violations: dict[str, int] | None = None,
    ) -> LoadFacts:
        return _load(
            self.tmp_path, breach=breach, generator_bound=generator_bound, violations=violations
        )

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
