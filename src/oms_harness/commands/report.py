"""`oms-harness report [--serve]`: render the Allure report again from existing results.

Rendering needs Node and the pinned npm package (``npm ci``); serving does not: the
multi-file report is plain static files, served by Python on 127.0.0.1 only. Rendering the
same results again adds no history entry (see :mod:`oms_harness.report.render`).
"""

from __future__ import annotations

import argparse
import functools
import http.server
import signal
import sys
import threading
from pathlib import Path

from ..errors import UsageError
from ..exit_codes import ExitCode
from ..report.render import RenderError, allure_command, how_to_render, render_report

DEFAULT_REPORT_DIR = Path("reports")
LOOPBACK = "127.0.0.1"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--report-dir",
        type=Path,
        default=DEFAULT_REPORT_DIR,
        metavar="DIR",
        help="the gate's report directory (default: reports)",
    )
    parser.add_argument(
        "--serve", action="store_true", help=f"serve the multi-file report on {LOOPBACK}"
    )
    parser.add_argument(
        "--port", type=int, default=0, help="port for --serve (default: a free one)"
    )
    parser.add_argument(
        "--no-render", action="store_true", help="with --serve: serve what is there, render nothing"
    )


def run(args: argparse.Namespace) -> int:
    report_dir: Path = args.report_dir
    results = report_dir / "allure-results"
    html_dir = report_dir / "allure-report"
    if not args.no_render:
        if not results.is_dir() or not any(results.glob("*-result.json")):
            raise UsageError(f"no Allure results in {results}: run `oms-harness gate` first")
        if allure_command() is None:
            print(how_to_render(results), file=sys.stderr)
            return int(ExitCode.USAGE)
        try:
            outcome = render_report(results, html_dir)
        except RenderError as exc:
            raise UsageError(str(exc)) from None
        print(outcome.note)
    if args.serve:
        return _serve(html_dir / "site", args.port)
    return int(ExitCode.OK)


def _serve(site: Path, port: int) -> int:
    if not (site / "index.html").is_file():
        raise UsageError(f"no rendered report in {site}: run `oms-harness report` first")
    handler = functools.partial(_QuietHandler, directory=str(site))
    try:
        server = http.server.ThreadingHTTPServer((LOOPBACK, port), handler)
    except OSError as exc:
        raise UsageError(f"cannot listen on {LOOPBACK}:{port}: {exc.strerror}") from None
    # Ctrl-C must stop the server even when this process started with SIGINT ignored
    # (a background job of a non-interactive shell)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.default_int_handler)
    with server:
        bound = server.server_address[1]
        print(f"serving the report on http://{LOOPBACK}:{bound}/ (Ctrl-C stops)", flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            print("oms-harness report: interrupted", file=sys.stderr)
            return int(ExitCode.INTERRUPTED)  # the README's promise for Ctrl-C
    return int(ExitCode.OK)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Static files without a log line per request."""

    def log_message(self, format: str, *args: object) -> None:
        return
