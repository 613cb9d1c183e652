"""False alarms and detections of the regression verdict, sequential vs interleaved A/B.

Three local reference servers: two identical ones (``--latency 10ms``) and a candidate with
the latency 20% higher (``12ms``). For each mode, N pairs with no change (false alarm when
the verdict is "regression") and N pairs with the +20% candidate (detected when it is):

* sequential: run A, then run B, each ``--seconds`` long, compared as two stored runs
  (``oms-harness load --baseline``);
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
import json
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from scipy.stats import binomtest

from oms_harness.errors import HarnessError
from oms_harness.load import runner
from oms_harness.local_target import local_reference
from oms_harness.regression.compare import REGRESSION, Comparison, compare_runs
from oms_harness.regression.interleave import run_interleaved
from oms_harness.regression.runs import read_run
from oms_harness.regression.settings import RegressionSettings

KINDS = (
    ("sequential", "same"),
    ("interleaved", "same"),
    ("sequential", "slower"),
    ("interleaved", "slower"),
)


def sequential(a, b, seconds: float, rate: float, root: Path, settings) -> str:
    runs = []
    for profile in (a, b):
        result = runner.run_load(
            profile, scenario="steady", rate=rate, duration=seconds, echo=False, output_root=root
        )
        if result.exit_code == 4:
            return "invalid"
        runs.append(read_run(result.report_dir))
    return describe(compare_runs(runs[0], runs[1], settings))


def interleaved(a, b, seconds: float, rate: float, root: Path, settings) -> str:
    done = run_interleaved(
        (a, b),
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
    return describe(done.comparison)


FIGURES: list[dict[str, object]] = []
"""Every comparison's figures (change, interval, verdict, reason), for the JSON record."""


def describe(comparison: Comparison) -> str:
    """The verdict, and which figures regressed (for the record)."""
    FIGURES.append({"figures": comparison.to_json()["figures"]})
    regressed = [f.change.figure for f in comparison.figures if f.verdict == REGRESSION]
    return f"regression ({', '.join(regressed)})" if regressed else comparison.verdict


def rate_line(hits: int, n: int) -> str:
    if n == 0:
        return "-"
    ci = binomtest(hits, n).proportion_ci(confidence_level=0.95, method="wilson")
    return f"{hits}/{n} = {hits / n:.0%} [{ci.low:.0%}, {ci.high:.0%}]"


@contextlib.contextmanager
def servers(latency_ms: float, effect: float) -> Iterator[tuple[object, object, object]]:
    slower = f"{latency_ms * (1 + effect):g}ms"
    with (
        local_reference(serve_args=["--latency", f"{latency_ms:g}ms"]) as base,
        local_reference(serve_args=["--latency", f"{latency_ms:g}ms"]) as twin,
        local_reference(serve_args=["--latency", slower]) as candidate,
    ):
        yield base.profile, twin.profile, candidate.profile


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--latency-ms", type=float, default=10.0)
    parser.add_argument("--effect", type=float, default=0.2, help="candidate's extra latency")
    parser.add_argument("--json", type=Path, help="write the raw outcomes here")
    parser.add_argument(
        "--only",
        metavar="MODE,CHANGE",
        help="one cell, e.g. interleaved,slower (diagnosis; the default runs all four)",
    )
    args = parser.parse_args()
    settings = RegressionSettings()
    root = Path(tempfile.mkdtemp(prefix="bench-regression-"))
    outcomes: dict[tuple[str, str], Counter[str]] = {k: Counter() for k in KINDS}
    details: list[dict[str, object]] = []
    started = time.monotonic()
    try:
        with servers(args.latency_ms, args.effect) as (base, twin, candidate):
            kinds = [k for k in KINDS if not args.only or ",".join(k) == args.only]
            for pair in range(args.pairs):
                for mode, change in kinds:
                    try:
                        if mode == "sequential":
                            b = base if change == "same" else candidate
                            verdict = sequential(base, b, args.seconds, args.rate, root, settings)
                        else:
                            b = twin if change == "same" else candidate
                            verdict = interleaved(base, b, args.seconds, args.rate, root, settings)
                    except HarnessError as exc:  # counted apart, like an invalid run
                        print(f"  not judged: {exc}", flush=True)
                        verdict = "invalid"
                    outcomes[(mode, change)][verdict.split(" (")[0]] += 1
                    details.append(
                        {
                            "pair": pair,
                            "mode": mode,
                            "change": change,
                            "verdict": verdict,
                            **(FIGURES.pop() if FIGURES else {}),
                        }
                    )
                    print(
                        f"[{time.monotonic() - started:6.0f} s] pair {pair + 1}/{args.pairs} "
                        f"{mode:<11} {change:<6}: {verdict}",
                        flush=True,
                    )
                shutil.rmtree(root, ignore_errors=True)
                root.mkdir(parents=True, exist_ok=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(
        f"\n{args.pairs} pairs per cell, {args.seconds:g} s of load per target and pair, "
        f"{args.rate:g} req/s, latency {args.latency_ms:g} ms vs +{args.effect:.0%}; "
        f"minimum effect {settings.min_effect_pct:g}% and {settings.min_effect_ms:g} ms; "
        f"{time.monotonic() - started:.0f} s in all"
    )
    print(f"{'mode':<12} {'false alarms (no change)':<32} {'detections (+effect)':<32} invalid")
    for mode in ("sequential", "interleaved"):
        same, slower = outcomes[(mode, "same")], outcomes[(mode, "slower")]
        judged_same = sum(v for k, v in same.items() if k != "invalid")
        judged_slower = sum(v for k, v in slower.items() if k != "invalid")
        print(
            f"{mode:<12} {rate_line(same['regression'], judged_same):<32} "
            f"{rate_line(slower['regression'], judged_slower):<32} "
            f"{same['invalid'] + slower['invalid']}"
        )
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "totals": {f"{m} {c}": dict(v) for (m, c), v in outcomes.items()},
                    "pairs": details,
                },
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
