"""What generator processes report, and how the master merges it into one result.

A process report is plain JSON-able data (histograms travel encoded), so it crosses Locust's
master/worker messaging unchanged. Merging is exact: histograms add, counters sum, and
per-interval histograms line up on absolute interval numbers (``epoch // interval``).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, cast

from . import histograms

RESULTS_FILE = "results.json"
RESULTS_LOG_PREFIX = "oms-harness-results: "
"""With ``results_path = "-"`` the master logs the merged results on one line with this prefix
(a Kubernetes job's pod may be gone before a file could be copied out)."""
COUNTERS = (
    "planned",
    "sent",
    "completed",
    "unfinished",
    "late_sends",
    "max_in_flight",
    "users",
    "rate_limited",
    "token_refreshes",
    "token_reexchanges",
    "token_errors",
    "transport_errors",
    "transport_fallbacks",
)


def merge_interval_maps(
    maps: Iterable[Mapping[str, Any]],
) -> dict[str, dict[str, Any]]:
    """Gather encoded interval histograms (merged later, lazily) and error counts by interval
    number. An interval is ``[corrected, raw]``, optionally followed by its errors and by
    ``{request kind: corrected}`` (older workers send fewer fields)."""
    merged: dict[str, dict[str, Any]] = {}
    for intervals in maps:
        for key, entry in intervals.items():
            slot = merged.setdefault(
                str(key), {"corrected": [], "raw": [], "failures": 0, "kinds": {}}
            )
            slot["corrected"].append(entry[0])
            slot["raw"].append(entry[1])
            slot["failures"] += int(entry[2]) if len(entry) > 2 else 0
            for name, encoded in (entry[3] if len(entry) > 3 else {}).items():
                slot["kinds"].setdefault(name, []).append(encoded)
    return merged


def merge_reports(
    reports: Mapping[str, Mapping[str, Any]], meta: Mapping[str, Any]
) -> dict[str, Any]:
    """One result from every process's final report (plus interval parts sent earlier)."""
    failures: Counter[str] = Counter()
    violations: Counter[str] = Counter()
    violation_reasons: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    kinds: dict[str, Counter[str]] = {}
    totals: Counter[str] = Counter()
    retry_after = 0.0
    cpu_seconds = 0.0
    done_span = 0.0
    cache: Counter[str] = Counter()
    for report in reports.values():
        done_span = max(done_span, float(report.get("done_span_s", 0.0)))
        cache.update(report.get("check_cache", {}))
        failures.update(report.get("failures", {}))
        violations.update(report.get("contract_violations", {}))
        violation_reasons.update(report.get("contract_reasons", {}))
        statuses.update(report.get("statuses", {}))
        for name, counts in report.get("kinds", {}).items():
            kinds.setdefault(name, Counter()).update(counts)
        for key in COUNTERS:
            totals[key] += int(report.get(key, 0))
        retry_after += float(report.get("retry_after_s", 0.0))
        cpu_seconds += float(report.get("cpu_seconds", 0.0))
    corrected = histograms.merge(r["corrected"] for r in reports.values())
    raw = histograms.merge(r["raw"] for r in reports.values())
    lag = histograms.merge(r["lag"] for r in reports.values() if r.get("lag"))
    intervals = merge_interval_maps(r.get("intervals", {}) for r in reports.values())
    interval_rows = []
    for key in sorted(intervals, key=int):
        corr = histograms.merge(intervals[key]["corrected"], histograms.INTERVAL_FIGURES)
        rawi = histograms.merge(intervals[key]["raw"], histograms.INTERVAL_FIGURES)
        interval_rows.append(
            {
                "interval": int(key),
                "corrected": histograms.percentiles_ms(corr),
                "raw": histograms.percentiles_ms(rawi),
                "failures": intervals[key]["failures"],
                # the corrected histograms themselves (overall and per request kind):
                # regression statistics pool intervals
                "corrected_hdr": histograms.encode(corr),
                "kinds_hdr": {
                    name: histograms.encode(histograms.merge(parts, histograms.INTERVAL_FIGURES))
                    for name, parts in sorted(intervals[key]["kinds"].items())
                },
            }
        )
    return {
        **dict(meta),
        "counters": dict(totals),
        "retry_after_s": round(retry_after, 3),
        "cpu_seconds": round(cpu_seconds, 4),
        "done_span_s": round(done_span, 3),
        "check_cache": dict(cache),
        "failures": dict(failures.most_common()),
        "contract_violations": dict(violations.most_common()),
        "contract_reasons": dict(violation_reasons.most_common()),
        "statuses": dict(sorted(statuses.items())),
        "kinds": {name: dict(c) for name, c in sorted(kinds.items())},
        "histograms": {
            "corrected": histograms.encode(corrected),
            "raw": histograms.encode(raw),
            "send_lag": histograms.encode(lag),
        },
        "intervals": interval_rows,
        "processes": {
            name: {
                "cpu_samples": list(r.get("cpu_samples", [])),
                "planned": int(r.get("planned", 0)),
                "sent": int(r.get("sent", 0)),
                "send_span_s": float(r.get("send_span_s", 0.0)),
                "users": int(r.get("users", 0)),
                "max_in_flight": int(r.get("max_in_flight", 0)),
                "late_sends": int(r.get("late_sends", 0)),
                "t0_epoch": r.get("t0_epoch"),
                "cpu_seconds": float(r.get("cpu_seconds", 0.0)),
                "transport": str(r.get("transport", "raw")),
                "transport_warning": str(r.get("transport_warning", "")),
                # each process's own histograms: the merged ones above are exactly their sum
                "histograms": {"corrected": r["corrected"], "raw": r["raw"]},
            }
            for name, r in sorted(reports.items())
        },
    }


def write_results(path: Path, merged: Mapping[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(merged, indent=1), encoding="utf-8")
    tmp.replace(path)


def read_results(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def extract_results(text: str) -> dict[str, Any]:
    """Results from a ``results.json`` text or from a master log holding the results line."""
    if text.lstrip().startswith("{"):
        data: dict[str, Any] = json.loads(text)
        return data
    for line in reversed(text.splitlines()):
        _, found, payload = line.partition(RESULTS_LOG_PREFIX)
        if found:
            return cast(dict[str, Any], json.loads(payload))
    raise ValueError(f"no results: neither JSON nor a log line starting {RESULTS_LOG_PREFIX!r}")
