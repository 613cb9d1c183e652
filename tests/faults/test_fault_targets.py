"""Misbehaving targets through `conformance`, `load` and `gate`: exit 3, one line, no traceback.

Every fake target is in-process on 127.0.0.1 (see fakes.py). The preflight deadline is 2 s
here (``OMS_HARNESS_PREFLIGHT_TIMEOUT``), so a target that accepts and never answers, or
trickles its answer, ends the command instead of holding it; each test also runs under its
own deadline (conftest.py). Nothing asserts on wall time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import fakes
import pytest

from oms_harness.cli import main
from oms_harness.contract.typeid import new_customer_id

TOKEN = "tok_faults_ZmF1bHQtdG9rZW4tdmFsdWU"
FUNDED = new_customer_id()

Fault = Callable[[], AbstractContextManager[int]]


@contextmanager
def _closed() -> Iterator[int]:
    yield fakes.closed_port()


FAULTS: dict[str, tuple[Fault, str]] = {
    "closed-port": (_closed, "http"),
    "never-answers": (lambda: fakes.fake_target(fakes.never_answers), "http"),
    "trickles-body": (lambda: fakes.fake_target(fakes.trickles_body), "http"),
    "trickles-headers": (lambda: fakes.fake_target(fakes.trickles_headers), "http"),
    "garbage-bytes": (lambda: fakes.fake_target(fakes.garbage), "http"),
    "connection-reset": (lambda: fakes.fake_target(fakes.resets), "http"),
    "tls-to-plain-port": (lambda: fakes.fake_target(fakes.plain_http), "https"),
    "50-mb-body": (lambda: fakes.fake_target(fakes.huge_body), "http"),
    "3-s-per-answer": (lambda: fakes.fake_target(fakes.slow_answer), "http"),
}


def _profile(tmp: Path, port: int, scheme: str) -> str:
    path = tmp / "fault.toml"
    path.write_text(
        f'base_url = "{scheme}://127.0.0.1:{port}/v0.9"\ntoken = "{TOKEN}"\n'
        f'[customers]\nfunded = "{FUNDED}"\n',
        encoding="utf-8",
    )
    return str(path)


def _argv(command: str, profile: str, tmp: Path) -> list[str]:
    if command == "conformance":
        return ["conformance", "--profile", profile, "--junitxml", str(tmp / "j.xml")]
    if command == "load":
        return ["load", "--profile", profile, "--report-dir", str(tmp / "load")]
    return ["gate", "--profile", profile, "--report-dir", str(tmp / "r"), "--no-render"]


def _error_lines(command: str, err: str) -> list[str]:
    """The lines that state the stop (the gate also prints its progress lines on stderr)."""
    lines = [line for line in err.splitlines() if line.strip()]
    return [line for line in lines if "stopped:" in line] if command == "gate" else lines


@pytest.mark.parametrize("command", ["conformance", "load", "gate"])
@pytest.mark.parametrize("fault", FAULTS, ids=FAULTS.keys())
def test_a_faulty_target_exits_3_with_one_line(
    fault: str, command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    serve, scheme = FAULTS[fault]
    with serve() as port:
        code = main(_argv(command, _profile(tmp_path, port, scheme), tmp_path))
    err = capsys.readouterr().err
    assert code == 3, err
    assert "Traceback" not in err
    assert len(_error_lines(command, err)) == 1, err
    assert TOKEN not in err


def _reference_profile(tmp: Path, port: int, source: Path) -> str:
    text = source.read_text(encoding="utf-8")
    lines = [
        f'base_url = "http://127.0.0.1:{port}/v0.9"' if line.startswith("base_url") else line
        for line in text.splitlines()
    ]
    path = tmp / "proxied.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("command", "answer_for_s", "extra"),
    [
        ("load", 4.0, ["--rate", "20", "--duration", "10s"]),
        ("conformance", 1.0, ["--max-examples", "2", "--seed", "1"]),
        ("gate", 1.0, ["--max-examples", "2", "--seed", "1"]),
    ],
)
def test_a_target_that_stops_answering_mid_run_exits_3(
    command: str,
    answer_for_s: float,
    extra: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from urllib.parse import urlsplit

    from oms_harness.local_target import local_reference

    monkeypatch.setenv("OMS_HARNESS_PREFLIGHT_TIMEOUT", "10")
    with local_reference() as reference:
        parts = urlsplit(reference.base_url)
        assert parts.port is not None
        upstream = ("127.0.0.1", parts.port)
        with fakes.dying_proxy(upstream, answer_for_s=answer_for_s) as port:
            profile = _reference_profile(tmp_path, port, reference.profile_path)
            code = main([*_argv(command, profile, tmp_path), *extra])
    captured = capsys.readouterr()
    assert code == 3, captured.out + captured.err
    assert "Traceback" not in captured.err
    assert "unavailable" in (captured.out + captured.err).lower()
    if command == "load":
        assert "stopped answering during the run" in captured.out


@pytest.mark.parametrize("command", ["conformance", "load", "gate"])
def test_a_target_that_does_not_know_the_funded_customer_exits_2(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with fakes.fake_target(fakes.not_found) as port:
        code = main(_argv(command, _profile(tmp_path, port, "http"), tmp_path))
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    lines = _error_lines(command, err)
    assert len(lines) == 1, err
    assert "funded" in lines[0]
    assert FUNDED in lines[0]
    assert "404" in lines[0]


def test_the_preflight_timeout_flag_bounds_a_silent_target(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OMS_HARNESS_PREFLIGHT_TIMEOUT")
    with fakes.fake_target(fakes.never_answers) as port:
        argv = _argv("conformance", _profile(tmp_path, port, "http"), tmp_path)
        code = main([*argv, "--preflight-timeout", "0.5"])
    err = capsys.readouterr().err
    assert code == 3, err
    assert "within 0.5 s" in err
