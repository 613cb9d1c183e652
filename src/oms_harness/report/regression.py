"""A regression comparison (and a drift verdict) as report material.

One Allure result per compared figure (p50, p95, p99, throughput) with both values and the
interval as parameters and the comparison JSON and PNG attached, plus one per request kind
(its percentiles as parameters) and one for the stall count; a Markdown section for
``summary.md`` (or a job summary); ``comparison.json`` beside them. Kept apart from the
gate's own writers so the regression work touches them only through a small hook.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..regression import plot
from ..regression.compare import (
    IMPROVEMENT,
    NOT_JUDGED,
    REGRESSION,
    Comparison,
    FigureVerdict,
    KindComparison,
)
from ..regression.drift import DriftVerdict
from ..regression.runs import StoredRun
from ..regression.stalls import StallVerdict
from ..regression.stats import Change
from .allure import attach_copy, write_result

COMPARISON_FILE = "comparison.json"
PLOT_FILE = "regression.png"
MARKDOWN_FILE = "regression.md"
ALLURE_DIR = "allure-results"
EPIC = "Load"
FEATURE = "Regression vs baseline"


def _status(verdict: str) -> str:
    return {REGRESSION: "failed", NOT_JUDGED: "skipped"}.get(verdict, "passed")


def _interval(figure: FigureVerdict) -> str:
    c = figure.change
    return f"[{c.low * 100:+.1f}%, {c.high * 100:+.1f}%]"


def _kind_status(kind: KindComparison) -> str:
    if kind.regressed:
        return "failed"
    return "skipped" if all(f.verdict == NOT_JUDGED for f in kind.figures) else "passed"


def _labels(story: str) -> list[tuple[str, str]]:
    return [
        ("epic", EPIC),
        ("feature", FEATURE),
        ("story", story),
        ("severity", "critical"),
        ("parentSuite", "oms-harness"),
        ("suite", "regression"),
        ("framework", "oms-harness"),
    ]


def write_allure(
    results_dir: Path, comparison: Comparison, attachments: Sequence[Path] = ()
) -> list[Path]:
    """One result per figure; a regression fails, no change and improvement pass."""
    results_dir.mkdir(parents=True, exist_ok=True)

    def attached() -> list[dict[str, str]]:
        """Fresh copies for one result (Allure 3 links an attachment file to one result)."""
        return [a for a in (attach_copy(results_dir, p, p.name) for p in attachments) if a]

    written = []
    for figure in comparison.figures:
        c = figure.change
        interval = f"[{c.low * 100:+.1f}%, {c.high * 100:+.1f}%]"
        message = (
            f"{c.figure}: {c.a:.3f} -> {c.b:.3f} {c.unit} ({c.relative * 100:+.1f}%, "
            f"{c.confidence:.0%} interval {interval}): {figure.verdict} ({figure.reason})"
        )
        written.append(
            write_result(
                results_dir,
                full_name=f"oms_harness.regression.{comparison.mode}.{c.figure}",
                name=f"Regression check {c.figure} ({comparison.mode})",
                status=_status(figure.verdict),
                message=message,
                labels=_labels(c.figure),
                parameters=[
                    ("A (baseline)", f"{c.a:.3f} {c.unit}"),
                    ("B (candidate)", f"{c.b:.3f} {c.unit}"),
                    ("change", f"{c.relative * 100:+.2f}%"),
                    (f"{c.confidence:.0%} interval", interval),
                    ("method", c.method),
                    ("A run", comparison.a),
                    ("B run", comparison.b),
                    *_spread_parameters(c),
                    (
                        "minimum effect",
                        f"{comparison.settings.min_effect_pct:g}% and "
                        f"{comparison.settings.min_effect_ms:g} ms",
                    ),
                ],
                attachments=attached(),
                description=(
                    "Change of the corrected-latency percentile (or throughput) from A to B, "
                    "with a block-bootstrap confidence interval over the measured intervals."
                ),
            )
        )
    for kind in comparison.kinds:
        judged = [f for f in kind.figures if f.verdict != NOT_JUDGED]
        summary = "; ".join(
            f"{f.change.figure} {f.change.relative * 100:+.1f}% {_interval(f)} {f.verdict}"
            for f in judged
        )
        written.append(
            write_result(
                results_dir,
                full_name=f"oms_harness.regression.{comparison.mode}.kind.{kind.kind}",
                name=f"Regression check {kind.kind} ({comparison.mode})",
                status=_kind_status(kind),
                message=f"{kind.kind}: {summary or 'too few answers to judge any percentile'}",
                labels=_labels("per request kind"),
                parameters=[
                    (
                        f.change.figure,
                        f"{f.change.a:.3f} -> {f.change.b:.3f} {f.change.unit} "
                        f"({f.change.relative * 100:+.1f}%, {_interval(f)}): {f.verdict}",
                    )
                    for f in kind.figures
                ]
                + [("interval level", f"{kind.confidence:.2%} (Bonferroni over the kinds)")],
                attachments=attached(),
                description=(
                    "Corrected-latency percentiles of one request kind, A to B, over the same "
                    "blocks as the overall figures; a regression here fails the comparison."
                ),
            )
        )
    if comparison.stalls is not None:
        written.append(_stall_result(results_dir, comparison, comparison.stalls, attached()))
    return written


def _stall_result(
    results_dir: Path,
    comparison: Comparison,
    stalls: StallVerdict,
    attachments: list[dict[str, str]],
) -> Path:
    """The stall figure: how many units of each run stalled, and whether B stalls more."""
    return write_result(
        results_dir,
        full_name=f"oms_harness.regression.{comparison.mode}.stalls",
        name=f"Regression check stalls ({comparison.mode})",
        status=_status(stalls.verdict),
        message=f"stalls: {_stall_counts(stalls)}: {stalls.verdict} ({stalls.reason})",
        labels=_labels("stalls"),
        parameters=[
            ("A (baseline)", f"{len(stalls.a.numbers)} of {stalls.a.units} units stalled"),
            ("B (candidate)", f"{len(stalls.b.numbers)} of {stalls.b.units} units stalled"),
            ("stalled when", f"p99 > {stalls.factor:g} x the run's median per-unit p99"),
            ("test", stalls.test),
            ("p-value", "-" if stalls.test == "-" else f"{stalls.p_value:.3g}"),
            ("left out of the other figures", "yes" if stalls.excluded else "no"),
            ("A run", comparison.a),
            ("B run", comparison.b),
        ],
        attachments=attachments,
        description=(
            "A unit (a one-second interval, or a slice of an A/B run) whose p99 is a multiple "
            "of its run's median is a pause, of the host or of the target: it is left out of "
            "the percentile and throughput figures and counted here, so one pause of a shared "
            "machine does not carry a run's p95 and a target that keeps pausing still fails."
        ),
    )


def _stall_counts(stalls: StallVerdict) -> str:
    return (
        f"{len(stalls.a.numbers)}/{stalls.a.units} -> {len(stalls.b.numbers)}/{stalls.b.units}"
        " units stalled"
    )


def markdown(comparison: Comparison | None, drift: DriftVerdict | None = None) -> str:
    """The ``summary.md`` section."""
    lines = ["## Regression check", ""]
    if comparison is not None:
        icon = {REGRESSION: "❌", IMPROVEMENT: "✅"}.get(comparison.verdict, "✅")
        lines += [
            f"{icon} **{comparison.verdict}** ({comparison.mode}): A = `{comparison.a}`, "
            f"B = `{comparison.b}`; minimum effect {comparison.settings.min_effect_pct:g}% "
            f"and {comparison.settings.min_effect_ms:g} ms, "
            f"{comparison.settings.confidence:.0%} intervals",
            "",
            "| figure | A | B | change | interval | verdict |",
            "| --- | ---: | ---: | ---: | --- | --- |",
        ]
        for figure in comparison.figures:
            c = figure.change
            lines.append(
                f"| {c.figure} | {c.a:.3f} {c.unit} | {c.b:.3f} {c.unit} | "
                f"{c.relative * 100:+.1f}% | [{c.low * 100:+.1f}%, {c.high * 100:+.1f}%] | "
                f"{figure.verdict} |"
            )
        if comparison.stalls is not None:
            st = comparison.stalls
            test = "-" if st.test == "-" else f"{st.test}, p = {st.p_value:.3g}"
            lines.append(
                f"| stalls | {len(st.a.numbers)}/{st.a.units} units | "
                f"{len(st.b.numbers)}/{st.b.units} units | "
                f"{(st.b.share - st.a.share) * 100:+.0f} points | {test} | {st.verdict} |"
            )
        lines += _kind_lines(comparison)
        lines += [f"\n_{note}_" for note in comparison.notes]
    if drift is not None:
        lines += ["", f"**Drift**: {drift.verdict} ({drift.reason})"]
        for t in drift.trends:
            lines.append(f"* {t.series}: {t.reason}")
    return "\n".join(lines) + "\n"


def _spread_parameters(change: Change) -> list[tuple[str, str]]:
    """A baseline of several runs: the figure in each, and the interval their spread gives."""
    if change.spread is None:
        return []
    sp = change.spread
    values = ", ".join(f"{v:.3f}" for v in sp.values)
    return [
        (f"A in each of its {len(sp.values)} runs", f"{values} {change.unit}"),
        (
            "run-to-run prediction interval",
            f"[{sp.low * 100:+.1f}%, {sp.high * 100:+.1f}%] (spread {sp.spread * 100:.1f}%)",
        ),
    ]


def _kind_lines(comparison: Comparison) -> list[str]:
    """Per request kind: every judged percentile (too few answers: counted, not listed)."""
    if not comparison.kinds:
        return []
    level = comparison.kinds[0].confidence
    headline = (
        f"regression in {', '.join(f'`{k}`' for k in comparison.regressed_kinds)}"
        if comparison.regressed_kinds
        else "no kind regressed"
    )
    lines = [
        "",
        f"Per request kind ({len(comparison.kinds)} kinds, {level:.2%} intervals): {headline}",
        "",
        "| kind | figure | A | B | change | interval | verdict |",
        "| --- | --- | ---: | ---: | ---: | --- | --- |",
    ]
    skipped = 0
    for kind in comparison.kinds:
        for figure in kind.figures:
            if figure.verdict == NOT_JUDGED:
                skipped += 1
                continue
            c = figure.change
            lines.append(
                f"| `{kind.kind}` | {c.figure} | {c.a:.3f} ms | {c.b:.3f} ms | "
                f"{c.relative * 100:+.1f}% | {_interval(figure)} | {figure.verdict} |"
            )
    if skipped:
        lines.append(f"\n_{skipped} per-kind percentile(s) not judged: too few answers_")
    return lines


def write_outputs(
    directory: Path, comparison: Comparison, a: StoredRun, b: StoredRun
) -> dict[str, str]:
    """comparison.json, regression.png, regression.md and allure-results/ in ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    document: dict[str, Any] = comparison.to_json()
    json_path = directory / COMPARISON_FILE
    json_path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    outputs = {"comparison": COMPARISON_FILE}
    png: Path | None = directory / PLOT_FILE
    try:
        plot.render(png, comparison, a, b)  # type: ignore[arg-type]
        outputs["plot"] = PLOT_FILE
    except (OSError, ValueError) as exc:  # a plot is a convenience, never the verdict
        print(f"  (no regression plot: {type(exc).__name__}: {exc})", flush=True)
        png = None
    (directory / MARKDOWN_FILE).write_text(markdown(comparison), encoding="utf-8")
    outputs["markdown"] = MARKDOWN_FILE
    write_allure(directory / ALLURE_DIR, comparison, [json_path, *([png] if png else [])])
    outputs["allure_results"] = ALLURE_DIR
    return outputs
