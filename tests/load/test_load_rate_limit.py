"""A 429 with Retry-After pauses the whole generator, and the summary reports it."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from oms_harness.contract.typeid import new_customer_id
from oms_harness.load.checks import retry_after_seconds

FUNDED = new_customer_id()
TOKEN = "rate-limit-test-token-0123456789"
RETRY_AFTER_S = 2
LIMITED_WINDOW_S = 0.5


class _Handler(BaseHTTPRequestHandler):
    """Answers 429 for half a second after the first load request, then valid balances."""

    protocol_version = "HTTP/1.1"
    seen: ClassVar[int] = 0
    limited: ClassVar[int] = 0
    window_start: ClassVar[float | None] = None
    lock = threading.Lock()

    def do_GET(self) -> None:
        with self.lock:
            type(self).seen += 1
            if self.seen == 2:  # the first request after the harness's preflight
                type(self).window_start = time.monotonic()
            start = self.window_start
            limit = start is not None and time.monotonic() - start < LIMITED_WINDOW_S
            if limit:
                type(self).limited += 1
        if limit:
            self._send(429, {"error": "slow down"}, {"Retry-After": str(RETRY_AFTER_S)})
            return
        body = {
            "data": {
                "customerId": FUNDED,
                "estimatedBalanceCurrencyCode": "USD",
                "estimatedBalanceValue": "10.00",
            }
        }
        self._send(200, body, {})

    def _send(self, status: int, body: object, headers: dict[str, str]) -> None:
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def limiting_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v0.9"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.e2e
@pytest.mark.slow
def test_retry_after_pauses_sending_and_is_reported(tmp_path: Path, limiting_server: str) -> None:
    profile = tmp_path / "target.toml"
    profile.write_text(
        f'base_url = "{limiting_server}"\ntoken = "{TOKEN}"\n[customers]\nfunded = "{FUNDED}"\n'
        "[load.weights]\nmissing = 0\nmalformed = 0\nempty = 0\n"
    )
    reports = tmp_path / "reports"
    result = subprocess.run(
        [
            sys.executable, "-m", "oms_harness", "load", "--profile", str(profile), "--rate", "50",
            "--duration", "4s", "--users", "10", "--report-dir", str(reports),
        ],
        capture_output=True, text=True, timeout=120, cwd=tmp_path, check=False,
    )  # fmt: skip
    assert result.returncode in (0, 1), result.stdout + result.stderr[-2000:]
    summary = json.loads(next(reports.glob("*/summary.json")).read_text())
    limited = summary["rate_limiting"]["responses_429"]
    # ignoring Retry-After would have drawn ~25 answers of 429 in the half-second window
    assert 1 <= limited <= 5
    assert limited == _Handler.limited
    assert summary["rate_limiting"]["retry_after_honoured_s"] >= RETRY_AFTER_S
    assert "rate limited" in result.stdout
    assert summary["achieved"]["requests"] == 200
    for path in reports.rglob("*"):
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes()


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("2", 2.0), ("0.5", 0.5), (None, 1.0), ("", 1.0), ("soon", 1.0), ("-3", 0.0), ("9999", 60.0)],
)
def test_retry_after_values(value: str | None, seconds: float) -> None:
    assert retry_after_seconds(value) == seconds


def test_retry_after_http_date() -> None:
    assert retry_after_seconds("Thu, 01 Jan 1970 00:00:10 GMT", now=5.0) == pytest.approx(5.0)
