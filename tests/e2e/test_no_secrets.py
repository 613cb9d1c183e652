"""No credential in anything the gate writes: reports, HTML, JSON, XML, CSV, logs.

The gate authenticates with client credentials (API key and secret from the environment,
exchanged at the reference's ``/auth/token``), so both a long-lived secret and a live bearer
token are in play. Every file under the report directory is read as bytes and searched for
the secret, the key, and any JWT at all (the exchanged token, or a tampered copy carrying
its claims); the single-file HTML embeds its attachments base64-encoded, so those are
decoded and searched too. The gate's own last-resort sweep must not have had to fix
anything either.
"""

from __future__ import annotations

import base64
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from oms_harness.local_target import local_reference
from oms_harness.reference.auth import DEV_API_KEY, DEV_API_SECRET
from oms_harness.report.embedded import searchable_views
from oms_harness.report.render import allure_command

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

JWT = re.compile(rb"eyJ[A-Za-z0-9_-]{2,}\.eyJ[A-Za-z0-9_-]{2,}")


def _client_credentials_profile(inline_profile: Path, target: Path) -> None:
    lines = [
        line
        for line in inline_profile.read_text(encoding="utf-8").splitlines()
        if not line.startswith("token")
    ]
    at = lines.index("[customers]")
    lines[at:at] = [
        'api_key_env = "OMS_TEST_API_KEY"',
        'api_secret_env = "OMS_TEST_API_SECRET"',
        "",
    ]
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_gate_writes_no_secret_anywhere(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    profile = tmp_path / "client-credentials.toml"
    with local_reference(workdir=tmp_path / "ref") as target:
        _client_credentials_profile(target.profile_path, profile)
        env = {
            **os.environ,
            "OMS_TEST_API_KEY": DEV_API_KEY,
            "OMS_TEST_API_SECRET": DEV_API_SECRET,
            "GITHUB_STEP_SUMMARY": str(reports / "step-summary.md"),
        }
        env.pop("OMS_TOKEN", None)
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "oms_harness",
                "gate",
                "--profile",
                str(profile),
                "--report-dir",
                str(reports),
                "--max-examples",
                "50",
            ],
            capture_output=True,
            text=True,
            timeout=300,
            cwd=tmp_path,
            env=env,
            stdin=subprocess.DEVNULL,
            check=False,
        )
        inline_token = target.profile.credentials.token
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    assert "redacted a credential" not in result.stderr, result.stderr
    files = [p for p in reports.rglob("*") if p.is_file()]
    suffixes = {p.suffix for p in files}
    assert {".json", ".xml", ".md", ".csv", ".properties"} <= suffixes, suffixes
    needles = [DEV_API_SECRET.encode(), DEV_API_KEY.encode()]
    if inline_token:
        needles.append(inline_token.encode())
    if allure_command() is not None:  # the single file, whose attachments are base64
        assert (reports / "allure-report" / "index.html").is_file()
    embedded = 0
    for path in files:
        for name, data in searchable_views(path.read_bytes()):
            where = f"{path.relative_to(reports)} {name}".strip()
            embedded += bool(name)
            for needle in needles:
                assert needle not in data, f"credential in {where}"
            match = JWT.search(data)
            assert match is None, f"a JWT in {where}"
    if allure_command() is not None:
        assert embedded > 100  # the decoding really saw the embedded results and attachments
    for stream in (result.stdout, result.stderr):
        assert DEV_API_SECRET not in stream
        assert JWT.search(stream.encode()) is None


@pytest.mark.parametrize("where", ["flag", "profile"])
def test_a_password_in_the_url_is_refused_and_never_written(tmp_path: Path, where: str) -> None:
    """``user:p%40ss@host``: refused up front (httpx would send it as Basic auth, and Locust's
    ``--host`` would show it in ``ps``); nothing the run wrote or printed carries it."""
    password = "p%40ssw0rd-in-url"
    basic = base64.b64encode(b"user:p@ssw0rd-in-url").decode()  # what httpx would have sent
    forms = [password, "p@ssw0rd-in-url", basic]
    with local_reference(workdir=tmp_path / "ref") as target:
        url = target.base_url.replace("http://", f"http://user:{password}@")
        profile = tmp_path / "p.toml"
        text = target.profile_path.read_text(encoding="utf-8")
        if where == "profile":
            text = text.replace(f'base_url = "{target.base_url}"', f'base_url = "{url}"')
            assert password in text
        profile.write_text(text, encoding="utf-8")
        argv = ["gate", "--profile", str(profile), "--report-dir", str(tmp_path / "reports")]
        if where == "flag":
            argv += ["--base-url", url]
        result = subprocess.run(
            [sys.executable, "-m", "oms_harness", *argv, "--max-examples", "5"],
            capture_output=True,
            text=True,
            timeout=300,
            cwd=tmp_path,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    assert result.returncode == 2, result.stderr
    assert "userinfo" in result.stderr
    output = result.stdout + result.stderr
    written = [p for p in (tmp_path / "reports").rglob("*") if p.is_file()]
    for form in forms:
        assert form not in output
        for path in written:
            assert form.encode() not in path.read_bytes(), path
