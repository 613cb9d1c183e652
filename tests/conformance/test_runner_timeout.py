"""The suites run under a time limit: a target that stops answering cannot hang the run."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from oms_harness.conformance.runner import ENV_TIMEOUT, default_timeout, run_conformance
from oms_harness.contract import typeid
from oms_harness.errors import UsageError
from oms_harness.profile import TargetProfile, parse_profile

TOKEN = "hanging-target-token"


class _AnswersOnceThenHangs(BaseHTTPRequestHandler):
    """The preflight's request gets a balance; every later one waits until the test ends."""

    served = 0
    release = threading.Event()

    def do_GET(self) -> None:
        type(self).served += 1
        if type(self).served > 1:
            self.release.wait()
            return
        body = json.dumps({"data": {"estimatedBalanceValue": "1.00"}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def hanging_target() -> Iterator[TargetProfile]:
    _AnswersOnceThenHangs.served = 0
    _AnswersOnceThenHangs.release = threading.Event()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _AnswersOnceThenHangs)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield parse_profile(
            {
                "base_url": f"http://127.0.0.1:{server.server_address[1]}/v0.9",
                "token": TOKEN,
                "customers": {"funded": typeid.new_customer_id()},
            }
        )
    finally:
        _AnswersOnceThenHangs.release.set()
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.mark.e2e
def test_hanging_target_is_stopped_at_the_limit_and_exits_3(
    hanging_target: TargetProfile, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_conformance(hanging_target, only="semantic", max_examples=1, seed=1, timeout=4)
    out = capsys.readouterr().out
    assert result.exit_code == 3, out
    assert result.unavailable
    assert result.failures == []
    assert result.passed == 0  # the test cut short at the limit is not a pass
    assert result.unavailable_reason.startswith("the suites did not finish within 4 s")
    assert ENV_TIMEOUT in result.unavailable_reason
    assert "conformance TARGET UNAVAILABLE" in out
    assert TOKEN not in out


def test_limit_grows_with_the_fuzz_budget() -> None:
    assert default_timeout(1000) > default_timeout(200) > default_timeout(1) >= 600


@pytest.mark.parametrize("value", ["soon", "0", "-5"])
def test_bad_limit_from_the_environment_is_a_usage_error(
    hanging_target: TargetProfile, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv(ENV_TIMEOUT, value)
    with pytest.raises(UsageError, match=ENV_TIMEOUT if value == "soon" else "positive"):
        run_conformance(hanging_target, max_examples=1)
    assert _AnswersOnceThenHangs.served == 0  # rejected before touching the target
