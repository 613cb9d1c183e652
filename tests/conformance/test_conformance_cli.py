"""`oms-harness conformance` end to end: exit codes 0/2/3, one-line errors, no secret leaks."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from oms_harness.cli import main
from oms_harness.contract import typeid
from oms_harness.local_target import LocalTarget, local_reference

FUNDED = typeid.new_customer_id()


@pytest.fixture(scope="module")
def reference() -> Iterator[LocalTarget]:
    with local_reference() as target:
        yield target


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _profile(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def test_missing_profile_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["conformance", "--profile", str(tmp_path / "nope.toml")]) == 2
    assert "file not found" in _one_line_error(capsys)


def test_bad_toml_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    profile = _profile(tmp_path / "bad.toml", 'base_url = "http://127.0.0.1:1/v0.9\n[customers\n')
    assert main(["conformance", "--profile", str(profile)]) == 2
    assert "invalid TOML" in _one_line_error(capsys)


def test_unknown_role_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    profile = _profile(
        tmp_path / "role.toml",
        f'base_url = "http://127.0.0.1:1/v0.9"\ntoken = "x"\n[customers]\n'
        f'funded = "{FUNDED}"\nvip = "{FUNDED}"\n',
    )
    assert main(["conformance", "--profile", str(profile)]) == 2
    assert "unknown customer role 'vip'" in _one_line_error(capsys)


def test_unset_token_env_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OMS_HARNESS_TEST_UNSET", raising=False)
    profile = _profile(
        tmp_path / "env.toml",
        f'base_url = "http://127.0.0.1:1/v0.9"\ntoken_env = "OMS_HARNESS_TEST_UNSET"\n'
        f'[customers]\nfunded = "{FUNDED}"\n',
    )
    assert main(["conformance", "--profile", str(profile)]) == 2
    assert "OMS_HARNESS_TEST_UNSET" in _one_line_error(capsys)


def test_closed_port_exits_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    profile = _profile(
        tmp_path / "closed.toml",
        f'base_url = "http://127.0.0.1:{_closed_port()}/v0.9"\ntoken = "some-token"\n'
        f'[customers]\nfunded = "{FUNDED}"\n',
    )
    assert main(["conformance", "--profile", str(profile)]) == 3
    assert "cannot reach" in _one_line_error(capsys)


@pytest.mark.e2e
def test_wrong_token_exits_3(reference: LocalTarget, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        ["conformance", "--profile", str(reference.profile_path), "--token", "not-the-token"]
    )
    assert code == 3
    line = _one_line_error(capsys)
    assert "rejected the configured credentials" in line
    assert "not-the-token" not in line


@pytest.mark.e2e
@pytest.mark.slow
def test_clean_reference_passes_without_leaking_the_token(
    reference: LocalTarget, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    junit = tmp_path / "junit.xml"
    allure_dir = tmp_path / "allure"
    code = main(
        [
            "conformance",
            "--profile",
            str(reference.profile_path),
            "--seed",
            "1234",
            "--max-examples",
            "30",
            "--junitxml",
            str(junit),
            "--alluredir",
            str(allure_dir),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "conformance PASSED" in out
    assert "seed 1234" in out
    assert "spec gaps" in out
    assert "<testcase" in junit.read_text(encoding="utf-8")
    written = [junit, *allure_dir.rglob("*")]
    token = reference.profile.credentials.token
    assert token
    for path in written:
        if path.is_file():
            assert token not in path.read_text(encoding="utf-8", errors="replace"), path
    assert token not in out
    results = "".join(p.read_text(encoding="utf-8") for p in allure_dir.glob("*-result.json"))
    assert '"spec-gap"' in results
    assert "curl" in "".join(p.read_text(encoding="utf-8") for p in allure_dir.glob("*attachment*"))
