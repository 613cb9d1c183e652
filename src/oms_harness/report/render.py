"""Render the Allure results to HTML with Allure 3 (npm package ``allure``, pinned).

One ``allure generate`` run with two instances of the awesome plugin produces both
outputs: a single self-contained ``index.html`` that opens from disk (for a CI artifact or
an e-mail) and the multi-file report under ``site/`` for serving. The history file lives
in ``<results>/history/`` so trends survive runs; each run adds one entry, however often
its results are rendered (the entry's id is kept beside the results). The pinned spec is
a global attachment (Overview → Global Attachments), so it travels inside the single file:
Allure 3 shows only http(s) links as links, so the results' relative spec links cannot be
followed, and each such result carries its spec section instead
(:func:`oms_harness.report.allure.attach_spec_sections`). Allure's awesome template always
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

from .._resources import spec_path
from ..child_env import tool_env
from .allure import allure3_categories

ALLURE_TIMEOUT_S = 300.0
HISTORY_FILE = Path("history") / "history.jsonl"
HISTORY_LIMIT = 20
RUN_ENTRY_FILE = Path("oms-harness-history-entry.json")
"""Among the results (so a new gate run clears it): the history entry their render added."""
SPEC_NAME = "openapi.yaml"

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
    staging: Path,
    history: Path,
    report_name: str,
    history_limit: int,
    global_attachments: Sequence[str] = (),
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
        "globalAttachments": list(global_attachments),
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
    # absolute: Allure runs in the staging directory
    results_dir, report_dir = results_dir.resolve(), report_dir.resolve()
    history = results_dir / HISTORY_FILE
    history.parent.mkdir(parents=True, exist_ok=True)
    report_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = report_dir.parent / f".{report_dir.name}.staging"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        recorded = recorded_entry(results_dir)
        history_used = history if recorded is None else _history_without(history, recorded, staging)
        shutil.copyfile(spec_path(), staging / SPEC_NAME)
        config = staging / "allurerc.json"
        config.write_text(
            json.dumps(
                _allure_config(
                    staging / "out", history_used, report_name, history_limit, [SPEC_NAME]
                )
            ),
            encoding="utf-8",
        )
        argv = [*cli, "generate", "--config", str(config), str(results_dir)]
        _run_allure(argv, timeout_s, cwd=staging)
        single = staging / "out" / "single" / "index.html"
        site = staging / "out" / "site"
        if not single.is_file() or not (site / "index.html").is_file():
            raise RenderError("allure generate finished but wrote no awesome report")
        if recorded is None:
            _record_entry(results_dir, history)
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


def recorded_entry(results_dir: Path) -> str | None:
    """The id of the history entry these results already added, if they were rendered."""
    try:
        data = json.loads((results_dir / RUN_ENTRY_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    entry = data.get("historyEntry") if isinstance(data, dict) else None
    return entry if isinstance(entry, str) else None


def _history_entries(history: Path) -> list[str]:
    try:
        text = history.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    return [line for line in text.splitlines() if line.strip()]


def _entry_id(line: str) -> str | None:
    try:
        entry = json.loads(line)
    except ValueError:
        return None
    uuid = entry.get("uuid") if isinstance(entry, dict) else None
    return uuid if isinstance(uuid, str) else None


def _history_without(history: Path, entry: str, staging: Path) -> Path:
    """A throw-away copy of the history without ``entry``: a re-render adds no trend point."""
    copy = staging / "history.jsonl"
    kept = [line for line in _history_entries(history) if _entry_id(line) != entry]
    copy.write_text("".join(f"{line}\n" for line in kept), encoding="utf-8")
    return copy


def _record_entry(results_dir: Path, history: Path) -> None:
    entries = _history_entries(history)
    entry = _entry_id(entries[-1]) if entries else None
    if entry is not None:
        (results_dir / RUN_ENTRY_FILE).write_text(
            json.dumps({"historyEntry": entry}) + "\n", encoding="utf-8"
        )


def _run_allure(argv: list[str], timeout_s: float, *, cwd: Path | None = None) -> None:
    # an allow-list: Node never sees a token, an API key or a secret
    env = tool_env({"NO_COLOR": "1", "FORCE_COLOR": "0", "CI": os.environ.get("CI", "")})
    try:
        completed = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            env=env,
            stdin=subprocess.DEVNULL,
            cwd=cwd,
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
