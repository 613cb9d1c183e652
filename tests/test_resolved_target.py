"""One resolved target: built once, preflighted once, with its secrets and credentials."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from oms_harness.contract.typeid import new_customer_id
from oms_harness.errors import ProfileError, TargetUnavailableError, UsageError
from oms_harness.profile import Credentials, TargetProfile, parse_profile
from oms_harness.target import resolve_target

FUNDED = new_customer_id()
TOKEN = "tok_target_dGFyZ2V0LXRva2Vu"


class _Handler(BaseHTTPRequestHandler):
    status = 200
    seen: list[str] = []  # noqa: RUF012 - shared by design, reset per server

    def do_GET(self) -> None:
        type(self).seen.append(self.headers.get("Authorization", ""))
        body = json.dumps({"error": "x"}).encode()
        self.send_response(type(self).status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


@contextmanager
def _server(status: int) -> Iterator[tuple[str, list[str]]]:
    handler = type("Handler", (_Handler,), {"status": status, "seen": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v0.9", handler.seen
    finally:
        server.shutdown()
        server.server_close()


def _profile(base_url: str, **creds: str) -> TargetProfile:
    return TargetProfile(
        base_url=base_url,
        credentials=Credentials(**creds) if creds else Credentials(token=TOKEN),
        customers={"funded": FUNDED},
    )


def test_the_preflight_runs_once_and_its_result_is_shared() -> None:
    with _server(200) as (url, seen):
        target = resolve_target(_profile(url))
        assert target.token() == TOKEN
        assert target.ready().status == 200
        assert target.token() == TOKEN
    assert seen == [f"Bearer {TOKEN}"]


def test_a_preflight_failure_is_shared_too() -> None:
    with _server(401) as (url, seen):
        target = resolve_target(_profile(url))
        for _ in range(3):
            with pytest.raises(TargetUnavailableError, match="rejected the configured credentials"):
                target.token()
    assert len(seen) == 1


def test_a_funded_customer_unknown_to_the_target_is_a_profile_error() -> None:
    with _server(404) as (url, _):
        target = resolve_target(_profile(url))
        with pytest.raises(ProfileError) as info:
            target.token()
    message = str(info.value)
    assert "funded" in message
    assert FUNDED in message
    assert "404" in message
    assert info.value.exit_code == 2


@pytest.mark.parametrize("status", [200, 422, 500, 502, 503])
def test_other_answers_for_the_funded_customer_are_left_to_the_suites(status: int) -> None:
    with _server(status) as (url, _):
        assert resolve_target(_profile(url)).ready().status == status


def test_the_url_is_normalised_once_and_handed_down() -> None:
    target = resolve_target(_profile("HTTP://LocalHost:80/v0.9/"))
    assert target.base_url == "http://localhost/v0.9"
    assert target.profile.base_url == target.base_url
    assert target.url.authority == "localhost"


def test_production_is_refused_when_load_is_sent_only() -> None:
    production = _profile("https://api\uff0epolygon\uff0etechnology/v0.9")
    resolve_target(production)  # conformance sends no load: the guard does not apply
    with pytest.raises(UsageError, match=r"production host api\.polygon\.technology"):
        resolve_target(production, allow_production=False)
    assert resolve_target(production, allow_production=True).host == "api.polygon.technology"


def test_secrets_are_collected_at_resolve_time_with_their_encoded_forms() -> None:
    profile = _profile(
        "http://127.0.0.1:9/v0.9", api_key_env="K", api_secret_env="S", token_env="T"
    )
    target = resolve_target(profile, environ={"K": "key/with+chars", "S": "s3cr3t=value"})
    values = target.secrets.values()
    assert {"key/with+chars", "key%2Fwith%2Bchars", "s3cr3t=value", "s3cr3t%3Dvalue"} <= values
    assert "czNjcjN0PXZhbHVl" in values  # base64 of the secret
    assert target.auth.exchanges
    assert "s3cr3t" not in repr(target) + repr(target.auth) + repr(target.secrets)
    assert target.credential_env == ("T", "K", "S")


def test_an_unset_credential_is_a_profile_error_at_resolve_time() -> None:
    with pytest.raises(ProfileError, match="OMS_UNSET_TOKEN"):
        resolve_target(_profile("http://127.0.0.1:9", token_env="OMS_UNSET_TOKEN"), environ={})


def test_output_paths_are_checked_before_any_request(tmp_path: Path) -> None:
    from oms_harness.target import output

    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(UsageError, match="--report-dir"):
        resolve_target(
            parse_profile(
                {"base_url": "http://127.0.0.1:9", "token": TOKEN, "customers": {"funded": FUNDED}}
            ),
            outputs=output(blocker / "sub", "--report-dir", directory=True),
        )
    resolve_target(
        _profile("http://127.0.0.1:9"),
        outputs=output(tmp_path / "new" / "dir", "--x", directory=True),
    )
    assert not (tmp_path / "new").exists()  # checked, not created
    assert list(tmp_path.iterdir()) == [blocker]  # the write probe leaves nothing behind


class _ExchangeHandler(BaseHTTPRequestHandler):
    """POST /auth/token mints token-0, token-1, ...; GET accepts only the newest token."""

    minted: list[str] = []  # noqa: RUF012 - per-server state, set by the factory below

    def _answer(self, status: int, body: dict[str, object]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["content-length"]))
        type(self).minted.append(f"token-{len(type(self).minted)}")
        self._answer(200, {"accessToken": type(self).minted[-1], "expiresIn": 3600})

    def do_GET(self) -> None:
        newest = f"Bearer {type(self).minted[-1]}" if len(type(self).minted) > 1 else ""
        ok = self.headers.get("Authorization") == newest
        self._answer(200 if ok else 401, {"error": "x"})

    def log_message(self, format: str, *args: object) -> None:
        return


def test_the_preflight_exchanges_again_once_after_a_401() -> None:
    handler = type("Handler", (_ExchangeHandler,), {"minted": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/v0.9"
        profile = _profile(url, api_key_env="K", api_secret_env="S")
        target = resolve_target(profile, environ={"K": "key-123456", "S": "secret-123456"})
        assert target.token() == "token-1"
    finally:
        server.shutdown()
        server.server_close()
    assert handler.minted == ["token-0", "token-1"]
    assert {"token-0", "token-1"} <= target.secrets.values()
