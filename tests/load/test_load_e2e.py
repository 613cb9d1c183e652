"""`oms-harness load` end to end: a Locust subprocess against the local reference and its faults.

Each run is a few seconds. Figures are asserted as ratios with generous bounds, never as
wall-clock times.
"""

from __future__ import annotations

import csv
import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from oms_harness.load.names import parse_progress
from oms_harness.local_target import LocalTarget, local_reference
from oms_harness.profile import Credentials, render_profile

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

RUN_TIMEOUT_S = 180


def load(*args: str, cwd: Path, timeout: float = RUN_TIMEOUT_S) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "oms_harness", "load", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def only_report(root: Path) -> Path:
    dirs = [p for p in root.iterdir() if p.is_dir()]
    assert len(dirs) == 1, dirs
    return dirs[0]


def summary_of(root: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((only_report(root) / "summary.json").read_text())
    return data


def assert_locust_agrees(report: Path, summary: dict[str, Any]) -> None:
    """Locust's CSV tables count every request and failure summary.json counts (its
    failures are the errors and the contract violations together)."""
    failed = summary["errors"]["total"] + summary["contract_violations"]["count"]
    with (report / "locust_stats.csv").open(newline="") as handle:
        rows = {row["Name"]: row for row in csv.DictReader(handle)}
    assert int(rows["Aggregated"]["Request Count"]) == summary["achieved"]["requests"]
    assert int(rows["Aggregated"]["Failure Count"]) == failed
    with (report / "locust_failures.csv").open(newline="") as handle:
        occurrences = sum(int(row["Occurrences"]) for row in csv.DictReader(handle))
    assert occurrences == failed


def verdicts(summary: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {v["name"]: v for v in summary["slo"]["verdicts"]}


def assert_no_token(target: LocalTarget, root: Path, *texts: str) -> None:
    token = target.profile.credentials.token
    assert token
    files = [p for p in root.rglob("*") if p.is_file()]
    assert files
    for path in files:
        assert token.encode() not in path.read_bytes(), f"token leaked into {path}"
    for text in texts:
        assert token not in text


def test_clean_reference_smoke_passes_with_every_output(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    with local_reference(workdir=tmp_path / "ref") as target:
        result = load(
            "--profile",
            str(target.profile_path),
            "--duration",
            "3s",
            "--report-dir",
            str(reports),
            cwd=tmp_path,
        )
        assert result.returncode == 0, result.stdout + result.stderr[-3000:]
        assert "verdict: pass (exit 0)" in result.stdout
        report = only_report(reports)
        for name in (
            "summary.json", "results.json", "latency-corrected.hgrm", "latency-raw.hgrm",
            "latency.png", "locust.html", "locust_stats.csv", "locust_failures.csv", "locust.log",
        ):  # fmt: skip
            assert (report / name).is_file(), name
            assert (report / name).stat().st_size > 0, name
        assert (report / "latency.png").read_bytes().startswith(b"\x89PNG")
        summary = summary_of(reports)
        assert summary["verdict"] == "pass"
        assert summary["errors"]["total"] == 0
        assert summary["contract_violations"] == {
            "count": 0,
            "rate": 0.0,
            "by_rule": {},
            "by_reason": {},
        }
        assert summary["achieved"]["requests"] == summary["plan"]["planned_requests"] == 150
        assert not summary["generator"]["bound"]
        for kind in ("corrected", "raw"):
            row = summary["latency_ms"][kind]
            assert row["count"] == 150
            assert (
                row["p50"] <= row["p90"] <= row["p95"] <= row["p99"] <= row["p99.9"] <= row["max"]
            )
        assert set(summary["statuses"]) == {"200", "400", "404"}
        assert all(v["passed"] for v in summary["slo"]["verdicts"])
        stats = (report / "locust_stats.csv").read_text()
        for customer in target.profile.customers.values():  # ids never become stat rows
            assert customer not in stats
        assert "/customers/{id}/balance [funded USD -> 200]" in stats
        assert_locust_agrees(report, summary)
        assert_no_token(target, tmp_path / "reports", result.stdout, result.stderr)


def test_added_latency_above_the_p95_slo_fails_naming_the_breach(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    with local_reference(workdir=tmp_path / "ref", serve_args=["--latency", "120ms"]) as target:
        result = load(
            "--profile", str(target.profile_path), "--rate", "20", "--duration", "3s",
            "--slo-p95-ms", "60", "--report-dir", str(reports), cwd=tmp_path,
        )  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr[-3000:]
    assert "p95_ms:" in result.stdout
    assert "BREACHED" in result.stdout
    by_name = verdicts(summary_of(reports))
    assert not by_name["p95_ms"].get("passed")
    assert by_name["p95_ms"]["measured"] >= 120
    assert by_name["error_rate"]["passed"]
    assert summary_of(reports)["verdict"] == "slo-breach"


def test_provider_errors_above_the_error_budget_fail(tmp_path: Path) -> None:
    """Two processes: Locust's own tables, merged on its master, agree with the summary."""
    reports = tmp_path / "reports"
    serve = ["--provider-error-rate", "0.3", "--fault-seed", "7"]
    with local_reference(workdir=tmp_path / "ref", serve_args=serve) as target:
        result = load(
            "--profile", str(target.profile_path), "--rate", "40", "--duration", "3s",
            "--processes", "2", "--report-dir", str(reports), cwd=tmp_path,
        )  # fmt: skip
        assert_no_token(target, reports, result.stdout, result.stderr)
    assert result.returncode == 1, result.stdout + result.stderr[-3000:]
    summary = summary_of(reports)
    assert not verdicts(summary)["error_rate"]["passed"]
    assert summary["errors"]["rate"] > 0.05
    assert "status 502 (provider_error), expected 200" in summary["errors"]["by_reason"]
    assert "error_rate:" in result.stdout
    assert_locust_agrees(only_report(reports), summary)


def test_a_contract_violation_under_load_fails_by_rule_id_not_as_errors(tmp_path: Path) -> None:
    """A format bug is its own figure: error_rate stays met, contract_violations breaks."""
    reports = tmp_path / "reports"
    with local_reference(workdir=tmp_path / "ref", mutant="exponent-notation") as target:
        result = load(
            "--profile", str(target.profile_path), "--duration", "2s",
            "--report-dir", str(reports), cwd=tmp_path,
        )  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr[-3000:]
    summary = summary_of(reports)
    by_name = verdicts(summary)
    assert by_name["error_rate"]["passed"]
    assert summary["errors"]["total"] == 0
    assert not by_name["contract_violations"]["passed"]
    violations = summary["contract_violations"]
    assert set(violations["by_rule"]) == {"decimal.grammar"}
    assert violations["count"] == violations["by_rule"]["decimal.grammar"] > 0
    assert all(reason.startswith("[decimal.grammar]") for reason in violations["by_reason"])
    assert "contract_violations:" in result.stdout
    assert "(decimal.grammar x" in result.stdout
    assert_locust_agrees(only_report(reports), summary)


def test_periodic_stall_corrected_percentiles_match_the_analytic_value(tmp_path: Path) -> None:
    """The server pauses 1 s every 3 s; 200 req/s for 9 s (three whole periods).

    A third of the requests arrive during a stall and wait for its end, uniformly 0..1 s:
    P(latency > x) = (1 - x) / 3, so p95 = 0.85 s and p99 = 0.97 s. With only 4 requests in
    flight (plenty outside stalls), the raw service time hides the stall, as a closed-loop
    tool would.
    """
    reports = tmp_path / "reports"
    serve = ["--stall", "1s", "--stall-every", "3s"]
    with local_reference(workdir=tmp_path / "ref", serve_args=serve) as target:
        result = load(
            "--profile", str(target.profile_path), "--scenario", "steady", "--rate", "200",
            "--duration", "9s", "--users", "4", "--report-dir", str(reports), cwd=tmp_path,
        )  # fmt: skip
    summary = summary_of(reports)
    assert result.returncode == 1, result.stdout + result.stderr[-3000:]  # p95 SLO breached
    assert not summary["generator"]["bound"], summary["generator"]
    corrected, raw = summary["latency_ms"]["corrected"], summary["latency_ms"]["raw"]
    assert corrected["count"] == 1800
    analytic = {"p95": 850.0, "p99": 970.0}
    for name, value in analytic.items():
        assert 0.85 * value <= corrected[name] <= 1.15 * value, (name, corrected, raw)
    assert raw["p95"] < 0.25 * analytic["p95"], raw
    assert raw["p99"] < 0.5 * analytic["p99"], raw
    assert summary["generator"]["late_sends"] > 0


def test_an_in_flight_cap_too_small_makes_the_result_invalid(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    with local_reference(workdir=tmp_path / "ref", serve_args=["--latency", "50ms"]) as target:
        result = load(
            "--profile", str(target.profile_path), "--rate", "60", "--duration", "3s",
            "--users", "1", "--report-dir", str(reports), cwd=tmp_path,
        )  # fmt: skip
    assert result.returncode == 4, result.stdout + result.stderr[-3000:]
    summary = summary_of(reports)
    assert summary["verdict"] == "generator-bound"
    assert summary["generator"]["bound"]
    assert "raise --max-in-flight" in " ".join(summary["generator"]["invalid_reasons"])
    assert "RESULT INVALID" in result.stdout


def test_two_processes_without_a_target_merge_into_one_result(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    result = load(
        "--processes", "2", "--duration", "3s", "--report-dir", str(reports), cwd=tmp_path
    )
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    results = json.loads((only_report(reports) / "results.json").read_text())
    assert sorted(results["processes"]) == ["worker-0", "worker-1"]
    assert results["processes_reported"] == 2
    planned = [p["planned"] for p in results["processes"].values()]
    assert sum(planned) == 150
    assert max(planned) - min(planned) <= 1
    assert summary_of(reports)["latency_ms"]["corrected"]["count"] == 150


def test_spike_runs_shaped_over_two_processes_and_ends_by_itself(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    with local_reference(workdir=tmp_path / "ref") as target:
        result = load(
            "--profile", str(target.profile_path), "--scenario", "spike", "--rate", "60",
            "--duration", "4s", "--processes", "2", "--report-dir", str(reports), cwd=tmp_path,
        )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    summary = summary_of(reports)
    assert summary["plan"]["peak_rps"] == 60
    # 12 req/s for 1.6 s, 60 req/s for 0.8 s, 12 req/s for 1.6 s
    assert summary["plan"]["planned_requests"] == 86
    assert summary["achieved"]["requests"] == 86
    assert "Shape test" in (only_report(reports) / "locust.log").read_text()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_master_and_worker_commands_run_a_distributed_test(tmp_path: Path) -> None:
    port = str(_free_port())
    with local_reference(workdir=tmp_path / "ref") as target:
        profile = str(target.profile_path)
        worker = subprocess.Popen(
            [
                sys.executable, "-m", "oms_harness", "load", "--worker",
                "--master-host", "127.0.0.1",
                "--master-port", port, "--profile", profile, "--report-dir", str(tmp_path / "w"),
            ],
            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        try:
            result = load(
                "--master", "--expect-workers", "1", "--master-port", port, "--profile", profile,
                "--duration", "3s", "--report-dir", str(tmp_path / "m"), cwd=tmp_path,
            )  # fmt: skip
            worker_out, _ = worker.communicate(timeout=60)
        finally:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
        assert_no_token(target, tmp_path / "m", result.stdout)
        assert_no_token(target, tmp_path / "w", worker_out)
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    assert worker.returncode == 0, worker_out
    summary = summary_of(tmp_path / "m")
    assert summary["latency_ms"]["corrected"]["count"] == 150


DEV_KEY = "sk_sdbx_local_dev_key"
DEV_SECRET = "sk_sdbx_local_dev_secret"  # the local reference's documented dev secret


def _sent_so_far(reports: Path) -> int:
    """Requests sent according to the latest progress record in the run's Locust log."""
    sent = 0
    for log in reports.glob("*/locust.log"):
        for line in log.read_text(errors="replace").splitlines():
            record = parse_progress(line)
            if record is not None:
                sent = int(record.get("sent", 0))
    return sent


def test_client_credentials_are_exchanged_again_after_a_401_mid_run(tmp_path: Path) -> None:
    """The reference restarts mid-run on the same port with a new signing key: the token the
    generator holds turns into 401s, so it exchanges its API key again and retries."""
    port = str(_free_port())
    reports = tmp_path / "reports"
    env = {
        **{k: v for k, v in os.environ.items() if k != "OMS_TOKEN"},
        "LOAD_TEST_KEY": DEV_KEY,
        "LOAD_TEST_SECRET": DEV_SECRET,
    }
    with local_reference(workdir=tmp_path / "ref1", serve_args=["--port", port]) as first:
        creds = Credentials(api_key_env="LOAD_TEST_KEY", api_secret_env="LOAD_TEST_SECRET")
        profile = tmp_path / "client-credentials.toml"
        profile.write_text(render_profile(replace(first.profile, credentials=creds)))
        run = subprocess.Popen(
            [
                sys.executable, "-m", "oms_harness", "load", "--profile", str(profile),
                "--rate", "30", "--duration", "20s", "--report-dir", str(reports),
            ],  # 20 s: the restart falls well inside the run, even on a busy machine
            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        try:
            # the run is under way with the first server's token: the first progress record
            # (after 5 s) has requests in it; a bounded wait, however slow Locust starts
            deadline = time.monotonic() + 120
            while not _sent_so_far(reports) and time.monotonic() < deadline:
                time.sleep(0.2)
        except BaseException:
            run.kill()
            raise
    try:
        with local_reference(workdir=tmp_path / "ref2", serve_args=["--port", port]):
            output, _ = run.communicate(timeout=RUN_TIMEOUT_S)
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
    assert run.returncode in (0, 1), output[-3000:]  # requests during the restart may fail
    summary = summary_of(reports)
    assert summary["auth"]["token_reexchanges_after_401"] >= 1, summary["auth"]
    assert summary["auth"]["token_exchange_errors"] == 0
    assert "401" not in summary["statuses"], summary["statuses"]
    assert not [r for r in summary["errors"]["by_reason"] if "401" in r]
    assert summary["statuses"]["200"] > 0
    for path in reports.rglob("*"):
        if path.is_file():
            assert DEV_SECRET.encode() not in path.read_bytes(), f"secret leaked into {path}"
    assert DEV_SECRET not in output


def test_balances_that_move_are_judged_only_where_the_profile_says_they_are_stable(
    tmp_path: Path,
) -> None:
    """Like a sandbox valuing at live prices: its own profile (no pinned values, not stable)
    passes under load; the same server declared stable fails by balance.repeat-agrees."""
    with local_reference(workdir=tmp_path / "ref", variant="moving-prices") as target:
        moving = load(
            "--profile", str(target.profile_path), "--duration", "2s",
            "--report-dir", str(tmp_path / "moving"), cwd=tmp_path,
        )  # fmt: skip
        stable = tmp_path / "stable.toml"
        stable.write_text(render_profile(replace(target.profile, stable_balances=True)))
        declared = load(
            "--profile", str(stable), "--duration", "2s",
            "--report-dir", str(tmp_path / "declared"), cwd=tmp_path,
        )  # fmt: skip
    assert moving.returncode == 0, moving.stdout + moving.stderr[-3000:]
    assert summary_of(tmp_path / "moving")["contract_violations"]["count"] == 0
    assert declared.returncode == 1, declared.stdout + declared.stderr[-3000:]
    violations = summary_of(tmp_path / "declared")["contract_violations"]
    assert set(violations["by_rule"]) == {"balance.repeat-agrees"}
