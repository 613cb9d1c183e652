"""False alarms and detections of the regression verdict, sequential vs interleaved A/B.

Three local reference servers: two identical ones (``--latency 10ms``) and a candidate whose
latency *as the harness measures it* is 20% higher. The harness measures the server's delay
plus the client's, the loopback's and the machine's queueing, which on a shared host is
several ms and moves; +20% of the server delay alone (12 ms vs 10 ms) is diluted to +7-15%
measured. So the effect is defined on the measured baseline: each round starts with the
no-change sequential pair, whose corrected p50 ``M`` (both runs pooled) is the baseline's
measured median latency at that moment, and the candidate is (re)started with a fixed delay
of ``10 ms + 0.2 * M``, i.e. the baseline's measured median latency plus 20%. For each
mode, N pairs with no change (false alarm when the verdict is "regression") and N pairs
with the +20% candidate (detected when it is):

* sequential: run A, then run B, each ``--seconds`` long, compared as two stored runs
  (``oms-harness load --baseline``);
* sequential with sides of several runs (``seq, k+m runs``: 3+1, 5+1, 3+3): each
  sequential pair judged again with its A and the k - 1 runs of the baseline server before
  it, against its B and the m - 1 B runs of the same kind of pair before it (from earlier
  pairs, minutes apart), each side pooled and the intervals widened to the run-to-run spread
  as ``--baseline-runs`` sides are (``regression/spread.py``); no extra load. The B runs of
  earlier +20% pairs had the candidate delay of their own pair (within 0.1-0.2 ms);
* interleaved: one run of twice ``--seconds`` alternating 1 s slices between A and B
  (``oms-harness compare --ab``), so each target gets ``--seconds`` of load.

The four kinds of pair are run in rotation (sequential no-change, interleaved no-change,
sequential +20%, interleaved +20%, ...), so a change in machine load over the bench hits
every mode alike. Rates come with Wilson 95% intervals (``scipy.stats.binomtest``): 20 pairs
cannot show a 5% false-alarm rate precisely, and the table says so. A run the harness
declares invalid (generator-bound, or the A/B generators not starting together) is counted
apart, not as a pass or a failure.

    .venv/bin/python bench/regression.py [--pairs 20] [--seconds 10] [--rate 100]
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np
from scipy.stats import binomtest

from oms_harness.errors import HarnessError
from oms_harness.load import runner
from oms_harness.local_target import local_reference
from oms_harness.regression.compare import REGRESSION, Comparison, compare_runs
from oms_harness.regression.interleave import compare_interleaved, run_interleaved
from oms_harness.regression.runs import StoredRun, read_run
from oms_harness.regression.settings import RegressionSettings
from oms_harness.regression.stats import make_blocks, percentile_figure
from oms_harness.target import as_target

VARIANTS = ((3, 1), (5, 1), (3, 3))
"""(baseline runs, candidate runs): each sequential pair judged again with sides of that
many runs, from this pair and the pairs before it (no extra load)."""
MODES = ("sequential", *(f"seq, {k}+{m} runs" for k, m in VARIANTS), "interleaved")
KINDS = (
    ("sequential", "same"),
    ("interleaved", "same"),
    ("sequential", "slower"),
    ("interleaved", "slower"),
)


def sequential(
    a, b, seconds: float, rate: float, root: Path, settings, change: str
) -> tuple[str, list]:
    """The verdict of run A then run B, and the two runs (empty when one is invalid); also
    the verdicts of ``VARIANTS``: this A and B with the runs of the same kind before them."""
    runs = []
    for profile in (a, b):
        result = runner.run_load(
            profile, scenario="steady", rate=rate, duration=seconds, echo=False, output_root=root
        )
        if result.exit_code == 4:
            return "invalid", []
        runs.append(read_run(result.report_dir))
    UNGUARDED.append(compare_runs(runs[0], runs[1], unguarded(settings)).regressed)
    verdict = describe(compare_runs(runs[0], runs[1], settings))
    for k, m in VARIANTS:
        side_a = with_earlier(runs[0], A_RUNS, k)
        side_b = with_earlier(runs[1], B_RUNS[change], m)
        if side_a is not None and side_b is not None:
            MULTI[(k, m)] = (
                compare_runs(side_a, side_b, settings).regressed,
                compare_runs(side_a, side_b, unguarded(settings)).regressed,
            )
    for pool, run in ((A_RUNS, runs[0]), (B_RUNS[change], runs[1])):
        pool.append(run)
        del pool[: -max(k for k, _ in VARIANTS)]
    return verdict, runs


def with_earlier(run: StoredRun, before: list[StoredRun], k: int) -> StoredRun | None:
    """``run`` as a side of ``k`` runs, the newest ``k - 1`` of ``before`` as its earlier
    ones (as ``--save-baseline NAME --baseline-runs k`` keeps them), or None: too few yet."""
    if k == 1:
        return run
    if len(before) < k - 1:
        return None
    return dataclasses.replace(run, earlier=tuple(reversed(before[len(before) - (k - 1) :])))


A_RUNS: list[StoredRun] = []
"""The last valid runs of the baseline server as A, oldest first."""
B_RUNS: dict[str, list[StoredRun]] = {"same": [], "slower": []}
"""The last valid B runs of each kind of pair, oldest first."""
MULTI: dict[tuple[int, int], tuple[bool, bool]] = {}
"""The last sequential pair judged with sides of (k, m) runs: (regression, regression with
stall detection off)."""


def multi_mode(variant: tuple[int, int]) -> str:
    return MODES[1 + VARIANTS.index(variant)]


def measured_p50_ms(runs: list[StoredRun]) -> float:
    """Corrected p50 of the runs' measured intervals pooled (the comparison's own figure)."""
    intervals = [i for run in runs for i in run.intervals]
    blocks = make_blocks(intervals, 1, runs[0].interval_s)
    return float(percentile_figure(blocks, 50.0)(np.ones((1, blocks.size)))[0])


def interleaved(a, b, seconds: float, rate: float, root: Path, settings) -> str:
    done = run_interleaved(
        (as_target(a), as_target(b)),
        scenario="steady",
        rate=rate,
        duration=2 * seconds,
        slice_s=1.0,
        settings=settings,
        output_root=root,
        run_options={},
        echo=lambda _text: None,
    )
    if 4 in done.exit_codes:
        return "invalid"
    again = compare_interleaved(done.a, done.b, unguarded(settings), slice_s=1.0)
    UNGUARDED.append(again.regressed)
    return describe(done.comparison)


UNGUARDED: list[bool] = []
"""Each comparison judged again on the same runs with stall detection off (the verdict a
regression, or not), to show what the stall figure changes."""


def unguarded(settings: RegressionSettings) -> RegressionSettings:
    return dataclasses.replace(settings, stall_factor=0.0)


FIGURES: list[dict[str, object]] = []
"""Every comparison's figures (change, interval, verdict, reason), for the JSON record."""


def describe(comparison: Comparison) -> str:
    """The verdict, and which figures regressed (for the record)."""
    document = comparison.to_json()
    FIGURES.append({"figures": document["figures"], "stalls": document["stalls"]})
    regressed = [f.change.figure for f in comparison.figures if f.verdict == REGRESSION]
    regressed += ["per-kind"] if comparison.regressed_kinds else []
    regressed += ["stalls"] if comparison.stalls is not None and comparison.stalls.regressed else []
    return f"regression ({', '.join(regressed)})" if regressed else comparison.verdict


def rate_line(hits: int, n: int) -> str:
    if n == 0:
        return "-"
    ci = binomtest(hits, n).proportion_ci(confidence_level=0.95, method="wilson")
    return f"{hits}/{n} = {hits / n:.0%} [{ci.low:.0%}, {ci.high:.0%}]"


def print_table(
    outcomes: dict[tuple[str, str], Counter[str]],
    hits: Callable[[str, str, Counter[str]], int],
    *,
    invalid: bool = False,
) -> None:
    """One line per mode: ``hits`` of the judged pairs with no change, then with the slower
    candidate (invalid runs are not judged)."""
    for mode in MODES:
        cells = []
        for change in ("same", "slower"):
            counts = outcomes[(mode, change)]
            judged = sum(v for k, v in counts.items() if k != "invalid")
            cells.append(f"{rate_line(hits(mode, change, counts), judged):<32}")
        spoilt = outcomes[(mode, "same")]["invalid"] + outcomes[(mode, "slower")]["invalid"]
        print(f"{mode:<14} {' '.join(cells)}" + (f" {spoilt}" if invalid else ""))


class LoadSampler:
    """The machine's 1-minute load average every ``period`` seconds, for the record."""

    def __init__(self, period: float = 30.0) -> None:
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(period,), daemon=True)

    def _run(self, period: float) -> None:
        while True:
            self.samples.append(os.getloadavg()[0])
            if self._stop.wait(period):
                return

    def __enter__(self) -> LoadSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def line(self) -> str:
        if not self.samples:
            return "load average: not sampled"
        values = np.asarray(self.samples)
        return (
            f"load average (1 min, every 30 s, {values.size} samples): mean {values.mean():.1f}, "
            f"from {values.min():.1f} to {values.max():.1f}"
        )


class Candidate:
    """The slower server, restarted whenever the delay it must add changes."""

    def __init__(self, stack: contextlib.ExitStack) -> None:
        self.stack = stack
        self.inner: contextlib.ExitStack | None = None
        self.delay_ms = 0.0
        self.profile: object = None

    def set_delay(self, delay_ms: float) -> None:
        delay_ms = round(delay_ms, 1)
        if self.inner is not None and abs(delay_ms - self.delay_ms) < 0.05:
            return
        if self.inner is not None:
            self.inner.close()
        self.inner = self.stack.enter_context(contextlib.ExitStack())
        server = self.inner.enter_context(
            local_reference(serve_args=["--latency", f"{delay_ms:g}ms"])
        )
        self.profile, self.delay_ms = server.profile, delay_ms


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--latency-ms", type=float, default=10.0)
    parser.add_argument(
        "--effect",
        type=float,
        default=0.2,
        help="candidate's extra latency, as a share of the baseline's measured p50",
    )
    parser.add_argument("--json", type=Path, help="write the raw outcomes here")
    parser.add_argument(
        "--keep-runs", type=Path, metavar="DIR", help="copy every run directory here"
    )
    parser.add_argument(
        "--only",
        metavar="MODE,CHANGE",
        help="one cell, e.g. interleaved,slower (diagnosis; the default runs all four)",
    )
    args = parser.parse_args()
    settings = RegressionSettings()
    root = Path(tempfile.mkdtemp(prefix="bench-regression-"))
    outcomes: dict[tuple[str, str], Counter[str]] = {
        (mode, change): Counter() for mode in MODES for change in ("same", "slower")
    }
    without: Counter[tuple[str, str]] = Counter()  # regressions with stall detection off
    details: list[dict[str, object]] = []
    started = time.monotonic()
    fixed = ["--latency", f"{args.latency_ms:g}ms"]
    baseline_p50: list[float] = []
    sampler = LoadSampler()
    try:
        with (
            sampler,
            contextlib.ExitStack() as stack,
            local_reference(serve_args=fixed) as base_server,
            local_reference(serve_args=fixed) as twin_server,
        ):
            base, twin = base_server.profile, twin_server.profile
            candidate = Candidate(stack)
            kinds = [k for k in KINDS if not args.only or ",".join(k) == args.only]
            if ("sequential", "same") not in kinds:  # calibrate once from a run pair
                _, runs = sequential(base, base, args.seconds, args.rate, root, settings, "same")
                FIGURES.clear()
                UNGUARDED.clear()
                baseline_p50.append(measured_p50_ms(runs) if runs else args.latency_ms)
            seeding = max(k for k, _ in VARIANTS) - 1
            while any(m == "sequential" for m, _ in kinds) and len(A_RUNS) < seeding:
                # the first pairs' baselines of several runs: earlier runs of the baseline
                # server (the candidate sides of several runs start with the third pair)
                result = runner.run_load(
                    base, scenario="steady", rate=args.rate, duration=args.seconds,
                    echo=False, output_root=root,
                )  # fmt: skip
                if result.exit_code != 4:
                    A_RUNS.append(read_run(result.report_dir))
            for pair in range(args.pairs):
                for mode, change in kinds:
                    if change == "slower":  # + effect x the baseline's measured p50, now
                        extra = args.effect * baseline_p50[-1]
                        candidate.set_delay(args.latency_ms + extra)
                    try:
                        if mode == "sequential":
                            b = base if change == "same" else candidate.profile
                            verdict, runs = sequential(
                                base, b, args.seconds, args.rate, root, settings, change
                            )
                            if change == "same" and runs:
                                baseline_p50.append(measured_p50_ms(runs))
                            elif change == "same" and not baseline_p50:
                                baseline_p50.append(args.latency_ms)
                        else:
                            b = twin if change == "same" else candidate.profile
                            verdict = interleaved(base, b, args.seconds, args.rate, root, settings)
                    except HarnessError as exc:  # counted apart, like an invalid run
                        print(f"  not judged: {exc}", flush=True)
                        verdict = "invalid"
                        if mode == "sequential" and change == "same" and not baseline_p50:
                            baseline_p50.append(args.latency_ms)
                    outcomes[(mode, change)][verdict.split(" (")[0]] += 1
                    multi = dict(MULTI) if verdict != "invalid" else {}
                    MULTI.clear()
                    for variant, (flagged, flagged_off) in multi.items():
                        cell = (multi_mode(variant), change)
                        outcomes[cell]["regression" if flagged else "ok"] += 1
                        without[cell] += int(flagged_off)
                    off = UNGUARDED.pop() if UNGUARDED and verdict != "invalid" else None
                    UNGUARDED.clear()
                    if off is not None:
                        without[(mode, change)] += int(off)
                    slower = change == "slower"
                    details.append(
                        {
                            "pair": pair,
                            "mode": mode,
                            "change": change,
                            "verdict": verdict,
                            "baseline_p50_ms": round(baseline_p50[-1], 3),
                            "candidate_delay_ms": candidate.delay_ms if slower else None,
                            "regression_without_stall_detection": off,
                            **{f"regression_{k}+{m}_runs": v[0] for (k, m), v in multi.items()},
                            **(FIGURES.pop() if FIGURES else {}),
                        }
                    )
                    print(
                        f"[{time.monotonic() - started:6.0f} s] pair {pair + 1}/{args.pairs} "
                        f"{mode:<11} {change:<6}: {verdict}"
                        + (
                            f" (baseline p50 {baseline_p50[-1]:.2f} ms, candidate delay "
                            f"{candidate.delay_ms:g} ms)"
                            if slower
                            else ""
                        ),
                        flush=True,
                    )
                if args.keep_runs:  # every run directory, to judge again with other rules
                    shutil.copytree(root, args.keep_runs / f"round-{pair:02d}", dirs_exist_ok=True)
                shutil.rmtree(root, ignore_errors=True)
                root.mkdir(parents=True, exist_ok=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(
        f"\n{args.pairs} pairs per cell, {args.seconds:g} s of load per target and pair, "
        f"{args.rate:g} req/s, server delay {args.latency_ms:g} ms; candidate +{args.effect:.0%} "
        f"of the baseline's measured p50 (median {np.median(baseline_p50):.2f} ms, range "
        f"{min(baseline_p50):.2f}-{max(baseline_p50):.2f}); "
        f"minimum effect {settings.min_effect_pct:g}% and {settings.min_effect_ms:g} ms; "
        f"{time.monotonic() - started:.0f} s in all"
    )
    print(sampler.line())
    stalled: Counter[str] = Counter()
    for d in details:
        st = d.get("stalls") or {}
        if st.get("excluded"):
            stalled[str(d["mode"])] += int(st["a"]["stalled"]) + int(st["b"]["stalled"])
    print(
        "stalled units left out: "
        f"sequential {stalled['sequential']}, interleaved {stalled['interleaved']}"
    )
    print(f"{'mode':<14} {'false alarms (no change)':<32} {'detections (+effect)':<32} invalid")
    print_table(outcomes, lambda mode, change, counts: counts["regression"], invalid=True)
    print("the same runs judged with stall detection off (--stall-factor 0):")
    print_table(outcomes, lambda mode, change, counts: without[(mode, change)])
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "totals": {f"{m} {c}": dict(v) for (m, c), v in outcomes.items()},
                    "load_average": sampler.samples,
                    "pairs": details,
                },
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
