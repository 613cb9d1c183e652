"""``reports/verdict.json``: the whole gate's verdict for machines (like k6's summary export).

One document a CI step, a dashboard or a later comparison reads instead of scraping the
terminal: the exit code and its meaning, the counts (the same numbers as the terminal,
summary.md, JUnit and Allure), every area, the failed rule ids with the checks that broke
them, each SLO measured against its limit, and what was tested: target, seed, spec and
harness versions. Its ``schema`` names the layout; fields are only ever added.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .._version import __version__
from ..contract.spec import spec_version
from .model import LOWER_BOUND_SLOS, AreaRow, GateVerdict, failures_by_rule, slo_status
from .secrets import Secrets

SCHEMA = "oms-harness/verdict/1"
VERDICT_FILE = "verdict.json"


def _counts(row: AreaRow) -> dict[str, Any]:
    return {
        "passed": row.passed,
        "failed": row.failed,
        "not_judged": row.not_judged,
        "skipped": row.skipped,
        "spec_gaps": row.spec_gaps,
        "total": row.total,
    }


def verdict_document(verdict: GateVerdict) -> dict[str, Any]:
    """The JSON-ready verdict (no file I/O; redact before writing)."""
    load = verdict.load
    slos = []
    for slo in load.slos if load is not None else ():
        status, _ = slo_status(slo, load.generator_bound if load is not None else False)
        slos.append(
            {
                "name": slo.name,
                "measured": slo.measured,
                "limit": slo.limit,
                "unit": slo.unit,
                "bound": "min" if slo.name in LOWER_BOUND_SLOS else "max",
                "status": status,
                "detail": slo.detail,
            }
        )
    return {
        "schema": SCHEMA,
        "exit_code": verdict.exit_code,
        "verdict": verdict.headline,
        "passed": verdict.exit_code == 0,
        "target": verdict.target,
        "seed": verdict.seed,
        "spec_version": spec_version(),
        "harness_version": __version__,
        "elapsed_s": round(verdict.elapsed_s, 3),
        "counts": _counts(verdict.totals),
        "areas": [{"area": row.area, **_counts(row), "ok": row.ok} for row in verdict.rows],
        "failed_rules": [
            {"rule": rule, "count": len(items), "checks": [test_id for test_id, _ in items]}
            for rule, items in failures_by_rule(verdict).items()
        ],
        "failures": [
            {"rule": rule, "check": test_id, "reason": reason}
            for rule, items in failures_by_rule(verdict).items()
            for test_id, reason in items
        ],
        "slos": slos,
        "load": None
        if load is None
        else {
            "scenario": load.scenario,
            "exit_code": load.exit_code,
            "requests": load.requests,
            "target_rps": load.target_rps,
            "achieved_rps": load.achieved_rps,
            "generator_bound": load.generator_bound,
            "failures_by_reason": dict(load.failures),
            "contract_violations": {
                "count": sum(load.contract_violations.values()),
                "by_rule": dict(
                    sorted(load.contract_violations.items(), key=lambda item: (-item[1], item[0]))
                ),
            },
        },
        "load_skipped": verdict.load_skipped if load is None else None,
        "spec_gaps": list(verdict.conformance.spec_gaps) if verdict.conformance else [],
        "problem": verdict.problem,
        # the comparison with --baseline and the drift verdict, exactly as summary.json has
        # them (None when not asked for / not judged)
        "regression": dict(load.regression) if load is not None and load.regression else None,
        "drift": dict(load.drift) if load is not None and load.drift else None,
    }


def write_verdict(path: Path, verdict: GateVerdict, secrets: Secrets) -> Path:
    """Write ``verdict.json`` with every string redacted (the JSON stays valid)."""
    text = secrets.scrub(json.dumps(verdict_document(verdict), indent=2, ensure_ascii=False))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n", encoding="utf-8")
    return path
