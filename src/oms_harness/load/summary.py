"""Turn the merged results into the run's outputs: summary.json, .hgrm files, the PNG, a table.

Everything written here derives from ``results.json`` (which the Locust master wrote) and the
run's plan; nothing here knows the token.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .._version import __version__
from ..target_url import public_url
from . import histograms
from .health import GeneratorHealth
from .slo import SloVerdict

SUMMARY_FILE = "summary.json"
PLOT_FILE = "latency.png"
HGRM_CORRECTED = "latency-corrected.hgrm"
HGRM_RAW = "latency-raw.hgrm"


def latency_tables(results: Mapping[str, Any]) -> dict[str, dict[str, float | int | None]]:
    hists = results["histograms"]
    return {
        "corrected": histograms.percentiles_ms(histograms.decode(hists["corrected"])),
        "raw": histograms.percentiles_ms(histograms.decode(hists["raw"])),
        "send_lag": histograms.percentiles_ms(histograms.decode(hists["send_lag"])),
    }


def measured_figures(
    results: Mapping[str, Any],
    latency: Mapping[str, Mapping[str, float | int | None]],
    window_s: float,
) -> dict[str, float | None]:
    """The figures the SLOs judge: corrected p95/p99, error rate, contract violations,
    served throughput.

    ``error_rate`` counts errors only (transport failures, timeouts, unexpected 5xx, 429s);
    answers that break a contract rule are ``contract_violations``, a count of their own.
    Throughput counts completed answers over the planned window, or over the time until the
    last answer when the run had to stretch past it.
    """
    counters = results.get("counters", {})
    completed = int(counters.get("completed", 0))
    unfinished = int(counters.get("unfinished", 0))
    requests = completed + unfinished
    failures = sum(int(n) for n in results.get("failures", {}).values())
    span = max(window_s, float(results.get("done_span_s", 0.0)))
    corrected = latency["corrected"]
    p95, p99 = corrected.get("p95"), corrected.get("p99")
    return {
        "p95_ms": float(p95) if p95 is not None else None,
        "p99_ms": float(p99) if p99 is not None else None,
        "error_rate": round(failures / requests, 6) if requests else None,
        "contract_violations": float(violation_count(results)) if requests else None,
        "min_rps": round(completed / span, 3) if span > 0 else None,
    }


def violation_count(results: Mapping[str, Any]) -> int:
    return sum(int(n) for n in results.get("contract_violations", {}).values())


def violation_detail(results: Mapping[str, Any]) -> str:
    """``decimal.grammar x3, balance.expected x1`` (most frequent first)."""
    by_rule = results.get("contract_violations", {})
    ordered = sorted(by_rule.items(), key=lambda item: (-int(item[1]), item[0]))
    return ", ".join(f"{rule} x{count}" for rule, count in ordered)


def verdict_name(exit_code: int) -> str:
    return {0: "pass", 1: "slo-breach", 4: "generator-bound"}.get(exit_code, "error")


def build_summary(
    *,
    scenario: str,
    base_url: str,
    started_at: str,
    plan: Mapping[str, Any],
    results: Mapping[str, Any],
    latency: Mapping[str, Any],
    measured: Mapping[str, float | None],
    limits: Mapping[str, float],
    verdicts: Sequence[SloVerdict],
    health: GeneratorHealth,
    invalid_reasons: Sequence[str],
    exit_code: int,
    outputs: Mapping[str, str],
) -> dict[str, Any]:
    counters = results.get("counters", {})
    failures = results.get("failures", {})
    completed = int(counters.get("completed", 0))
    unfinished = int(counters.get("unfinished", 0))
    requests = completed + unfinished
    return {
        "harness_version": __version__,
        "scenario": scenario,
        "target": {"base_url": public_url(base_url)},
        "started_at": started_at,
        "verdict": verdict_name(exit_code),
        "exit_code": exit_code,
        "plan": dict(plan),
        "achieved": {
            "sent_rps": health.achieved_rps,
            "served_rps": measured.get("min_rps"),
            "requests": requests,
            "completed": completed,
            "unfinished": unfinished,
            "sent": int(counters.get("sent", 0)),
            "unsent": max(int(counters.get("planned", 0)) - int(counters.get("sent", 0)), 0),
        },
        "latency_ms": dict(latency),
        "errors": {
            "total": sum(int(n) for n in failures.values()),
            "rate": measured.get("error_rate"),
            "by_reason": dict(failures),
            "transport_errors": int(counters.get("transport_errors", 0)),
        },
        "contract_violations": {
            "count": violation_count(results),
            "rate": round(violation_count(results) / requests, 6) if requests else None,
            "by_rule": dict(results.get("contract_violations", {})),
            "by_reason": dict(results.get("contract_reasons", {})),
        },
        "statuses": results.get("statuses", {}),
        "check_cache": results.get("check_cache", {}),
        "request_kinds": results.get("kinds", {}),
        "rate_limiting": {
            "responses_429": int(counters.get("rate_limited", 0)),
            "retry_after_honoured_s": results.get("retry_after_s", 0.0),
        },
        "auth": {
            "token_refreshes": int(counters.get("token_refreshes", 0)),
            "token_reexchanges_after_401": int(counters.get("token_reexchanges", 0)),
            "token_exchange_errors": int(counters.get("token_errors", 0)),
        },
        "slo": {
            "limits": dict(limits),
            "measured": dict(measured),
            "verdicts": [v.to_json() for v in verdicts],
            "latency_basis": "corrected (from the intended start time)",
        },
        "generator": {
            **health.to_json(),
            **cpu_per_request(results),
            **transport_in_use(results),
            "invalid_reasons": list(invalid_reasons),
        },
        "outputs": dict(outputs),
    }


def cpu_per_request(results: Mapping[str, Any]) -> dict[str, float | None]:
    """The generator's CPU time over the run (all processes), and per answered request.

    Process CPU time (user + system, syscalls included) from the first send to the final
    report, so it does not depend on how busy the machine was.
    """
    seconds = float(results.get("cpu_seconds", 0.0))
    completed = int(results.get("counters", {}).get("completed", 0))
    return {
        "cpu_seconds": round(seconds, 3),
        "cpu_us_per_request": round(seconds / completed * 1e6, 1) if completed else None,
    }


def transport_in_use(results: Mapping[str, Any]) -> dict[str, Any]:
    """Which HTTP path the processes used (``raw``: the fast one; ``fasthttp``: Locust's
    public ``FastHttpSession``, after a failed self-check) and the warnings that said why;
    ``parser_fallbacks``: answers of the fast path that were not the common shape, read by
    geventhttpclient's full parser instead of the transport's own reader."""
    processes = results.get("processes", {}).values()
    used = sorted({str(p.get("transport", "raw")) for p in processes}) or ["raw"]
    warnings = sorted(
        {str(p["transport_warning"]) for p in processes if p.get("transport_warning")}
    )
    fallbacks = int(results.get("counters", {}).get("transport_fallbacks", 0))
    return {
        "transport": used[0] if len(used) == 1 else "mixed",
        "warnings": warnings,
        "parser_fallbacks": fallbacks,
    }


def write_summary(path: Path, summary: Mapping[str, Any]) -> None:
    path.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")


def format_report(summary: Mapping[str, Any]) -> str:
    """The human verdict: targets, achieved, corrected vs raw, the SLO table, health."""
    plan, achieved = summary["plan"], summary["achieved"]
    corrected, raw = summary["latency_ms"]["corrected"], summary["latency_ms"]["raw"]
    gen = summary["generator"]
    lines = [
        f"load {summary['scenario']}: planned {plan['target_rps']:g} req/s"
        + (f" (peak {plan['peak_rps']:g})" if plan["peak_rps"] != plan["target_rps"] else "")
        + " for "
        f"{plan['duration_s']:g} s ({plan['planned_requests']} requests) "
        f"at {summary['target']['base_url']}",
        f"  sent {achieved['sent_rps']:g} req/s, served {achieved['served_rps']} req/s, "
        f"{achieved['requests']} requests, {summary['errors']['total']} failed, "
        f"{summary['contract_violations']['count']} contract violations",
        "  latency ms      "
        + "  ".join(f"{k:>8}" for k in ("p50", "p90", "p95", "p99", "p99.9", "max")),
    ]
    unresolved: set[str] = set()
    for name, row in (("corrected", corrected), ("raw", raw)):
        count = int(row.get("count") or 0)
        cells = []
        for k in ("p50", "p90", "p95", "p99", "p99.9", "max"):
            value = row.get(k)
            mark = "*" if value is not None and histograms.beyond_samples(k, count) else ""
            unresolved.update([k] if mark else [])
            cells.append(f"{value}{mark}".rjust(8) if value is not None else f"{'-':>8}")
        lines.append(f"  {name:<14}" + "  ".join(cells))
    if unresolved:
        names = ", ".join(sorted(unresolved))
        lines.append(
            f"  * {names}: beyond what {int(corrected.get('count') or 0)} samples resolve "
            "(shown as the largest sample)"
        )
    lines.append("  SLOs (latency judged on corrected figures):")
    lines += [f"    {v['description']}" for v in summary["slo"]["verdicts"]]
    for reason, count in list(summary["errors"]["by_reason"].items())[:8]:
        lines.append(f"  failure x{count}: {reason}")
    for reason, count in list(summary["contract_violations"]["by_reason"].items())[:8]:
        lines.append(f"  contract violation x{count}: {reason}")
    if summary["rate_limiting"]["responses_429"]:
        rl = summary["rate_limiting"]
        lines.append(
            f"  rate limited: {rl['responses_429']} x 429, paused {rl['retry_after_honoured_s']} s "
            "as Retry-After asked"
        )
    cpu = gen.get("cpu_mean_percent")
    lines.append(
        f"  generator: cpu mean {cpu if cpu is not None else '-'}%, "
        f"peak in flight {gen['max_in_flight']} of {gen['in_flight_cap']}, "
        f"late sends {gen['late_sends']}"
    )
    lines += [f"  WARNING {warning}" for warning in gen.get("warnings", [])]
    lines += [f"  RESULT INVALID: {reason}" for reason in gen["invalid_reasons"]]
    lines.append(f"  verdict: {summary['verdict']} (exit {summary['exit_code']})")
    return "\n".join(lines)
