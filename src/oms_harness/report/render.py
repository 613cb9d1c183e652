"""Render the Allure results to HTML with Allure 3 (npm package ``allure``, pinned).

One ``allure generate`` run with two instances of the awesome plugin produces both
outputs: a single self-contained ``index.html`` that opens from disk (for a CI artifact or
an e-mail) and the multi-file report under ``site/`` for serving. The history file lives
in ``<results>/history/`` so trends survive re-renders. Allure's awesome template always
embeds a Google Analytics tag; it is stripped and the output is checked for it, because a
report opened from a CI artifact must not call home. Without Node or the package the
results stay on disk and the caller prints how to render them: never a gate failure.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .allure import allure3_categories

ALLURE_TIMEOUT_S = 300.0
HISTORY_FILE = Path("history") / "history.jsonl"
HISTORY_LIMIT = 20

_ANALYTICS_MARKERS = ("googletagmanager", "google-analytics", "gtag(")
_GTAG_LOADER = re.compile(
    r"<script\b[^>]*\bsrc=\"https://www\.googletagmanager\.com/[^\"]*\"[^>]*>\s*</script>\s*",
    re.IGNORECASE,
)
_INLINE_SCRIPT = re.compile(r"<script>(?P<body>(?:(?!</script>).)*)</script>\s*", re.DOTALL)
_CHECKOUT_ROOT = Path(__file__).resolve().parents[3]


class RenderError(RuntimeError):
    """Allure ran but produced no usable report (message is one line)."""


@dataclass(frozen=True)
class RenderOutcome:
    """What happened; ``note`` is a line for the terminal and the summary."""

    rendered: bool
    single_file: Path | None
    site_dir: Path | None
    note: str


def strip_analytics(html: str) -> str:
    """Remove the awesome template's Google Analytics loader and its inline config script."""
    html = _GTAG_LOADER.sub("", html)

    def drop_gtag(match: re.Match[str]) -> str:
        return "" if "gtag(" in match.group("body") else match.group(0)

    return _INLINE_SCRIPT.sub(drop_gtag, html)


def analytics_left(html: str) -> list[str]:
    """The analytics markers still present (empty once stripped)."""
    return [marker for marker in _ANALYTICS_MARKERS if marker in html]


def allure_command(
    search_roots: Sequence[Path] | None = None, environ: Mapping[str, str] | None = None
) -> list[str] | None:
    """The command that runs the pinned Allure 3 CLI, or None if Node or the package is missing.

    Looks in ``$OMS_HARNESS_ALLURE`` (a path to Allure 3's ``cli.js`` or its bin), then in
    ``node_modules`` of the working directory and of the checkout.
    """
    env = os.environ if environ is None else environ
    node = shutil.which("node", path=env.get("PATH"))
    if node is None:
        return None
    explicit = env.get("OMS_HARNESS_ALLURE")
    if explicit:
        return [node, explicit] if Path(explicit).is_file() else None
    roots = list(search_roots) if search_roots is not None else [Path.cwd(), _CHECKOUT_ROOT]
    for root in roots:
        cli = root / "node_modules" / "allure" / "cli.js"
        if cli.is_file():
            return [node, str(cli)]
    return None


def how_to_render(results_dir: Path) -> str:
    """One line that tells a user how to get the HTML report later."""
    return (
        f"HTML report not rendered (Node.js or the npm package `allure` is missing); results "
        f"kept in {results_dir}. To render: install Node.js 20+, run `npm ci` in the "
        f"oms-harness checkout, then `oms-harness report`."
    )


def _allure_config(
    staging: Path, history: Path, report_name: str, history_limit: int
) -> dict[str, object]:
    awesome = "@allurereport/plugin-awesome"
    options = {
        "reportName": report_name,
        "reportLanguage": "en",
        "groupBy": ["epic", "feature"],
        "stepTreeExpansion": "expanded",
    }
    return {
        "name": report_name,
        "output": str(staging),
        "historyPath": str(history),
        "historyLimit": history_limit,
        "categories": allure3_categories(),
        "plugins": {
            "single": {"import": awesome, "options": {**options, "singleFile": True}},
            "site": {"import": awesome, "options": {**options, "singleFile": False}},
        },
    }


def render_report(
    results_dir: Path,
    report_dir: Path,
    *,
    report_name: str = "oms-harness gate",
    command: list[str] | None = None,
    history_limit: int = HISTORY_LIMIT,
    timeout_s: float = ALLURE_TIMEOUT_S,
) -> RenderOutcome:
    """Render ``results_dir`` into ``report_dir`` (``index.html`` + ``site/``).

    Returns an outcome rather than raising when Allure is unavailable; raises
    :class:`RenderError` when Allure runs and fails, so a broken install is noticed.
    """
    cli = command if command is not None else allure_command()
    if cli is None:
        return RenderOutcome(False, None, None, how_to_render(results_dir))
    if not results_dir.is_dir():
        raise RenderError(f"no Allure results in {results_dir}: run `oms-harness gate` first")
    history = results_dir / HISTORY_FILE
    history.parent.mkdir(parents=True, exist_ok=True)
    report_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = report_dir.parent / f".{report_dir.name}.staging"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        config = staging / "allurerc.json"
        config.write_text(
            json.dumps(_allure_config(staging / "out", history, report_name, history_limit)),
            encoding="utf-8",
        )
        _run_allure([*cli, "generate", "--config", str(config), str(results_dir)], timeout_s)
        single = staging / "out" / "single" / "index.html"
        site = staging / "out" / "site"
        if not single.is_file() or not (site / "index.html").is_file():
            raise RenderError("allure generate finished but wrote no awesome report")
        for html in (single, site / "index.html"):
            _strip_file(html)
        shutil.rmtree(report_dir, ignore_errors=True)
        report_dir.mkdir(parents=True)
        shutil.move(single, report_dir / "index.html")
        shutil.move(site, report_dir / "site")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return RenderOutcome(
        True,
        report_dir / "index.html",
        report_dir / "site",
        f"Report: {report_dir / 'index.html'} (single file, opens from disk)",
    )


def _run_allure(argv: list[str], timeout_s: float) -> None:
    env = {**os.environ, "NO_COLOR": "1", "FORCE_COLOR": "0", "CI": os.environ.get("CI", "")}
    try:
        completed = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            env=env,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise RenderError(f"allure generate did not finish within {timeout_s:.0f} s") from None
    except OSError as exc:
        raise RenderError(f"cannot run allure: {exc}") from None
    if completed.returncode != 0:
        tail = (completed.stderr or completed.stdout).strip().splitlines()[-1:] or ["no output"]
        raise RenderError(f"allure generate exited {completed.returncode}: {tail[0]}")


def _strip_file(path: Path) -> None:
    html = strip_analytics(path.read_text(encoding="utf-8"))
    left = analytics_left(html)
    if left:
        raise RenderError(f"analytics still in {path.name} after stripping: {', '.join(left)}")
    path.write_text(html, encoding="utf-8")
