"""Bad input of every kind: exit 2 and exactly one line on stderr, never a traceback.

The CLI runs in-process (``cli.main``) so the matrix stays fast; a few cases run as real
subprocesses too, to prove the installed entry point behaves the same. No case may reach
the network: the profiles point at a closed loopback port, so a case the harness wrongly
accepted would fail with exit 3 instead of passing.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from oms_harness.cli import main
from oms_harness.contract.typeid import new_customer_id

FUNDED = new_customer_id()
TOKEN = "tok_matrix_c2VjcmV0LXRva2Vu"
GOOD = (
    f'base_url = "http://127.0.0.1:9/v0.9"\ntoken = "{TOKEN}"\n[customers]\nfunded = "{FUNDED}"\n'
)

Build = Callable[[Path], list[str]]


def _profile(tmp: Path, text: str | bytes, name: str = "p.toml") -> str:
    path = tmp / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return str(path)


def _with(top: str = "", tables: str = "", base: str = "http://127.0.0.1:9/v0.9") -> str:
    return (
        f'base_url = "{base}"\ntoken = "{TOKEN}"\n{top}\n[customers]\nfunded = "{FUNDED}"\n{tables}'
    )


def _file(tmp: Path) -> Path:
    path = tmp / "a-file"
    path.write_text("x", encoding="utf-8")
    return path


BROKEN_PROFILES: dict[str, str | bytes] = {
    "toml-no-value": "base_url = \n",
    "toml-open-table": "[customers\n",
    "toml-no-key": '= "x"\n',
    "toml-duplicate-key": 'base_url = "http://a"\nbase_url = "http://b"\n',
    "toml-bad-string": 'base_url = "http://a\n',
    "toml-not-utf8": b'base_url = "\xff\xfe"\n',
    "empty-file": "",
    "base-url-int": f'base_url = 1\n[customers]\nfunded = "{FUNDED}"\n',
    "base-url-list": f'base_url = []\n[customers]\nfunded = "{FUNDED}"\n',
    "base-url-empty": f'base_url = ""\n[customers]\nfunded = "{FUNDED}"\n',
    "token-int": _with("token_env = 5"),
    "token-env-bool": _with("token_env = true"),
    "name-int": _with("name = 1"),
    "expired-token-int": _with("expired_token = 3"),
    "customers-string": f'base_url = "http://127.0.0.1:9"\ntoken = "{TOKEN}"\ncustomers = "x"\n',
    "funded-int": f'base_url = "http://127.0.0.1:9"\ntoken = "{TOKEN}"\n[customers]\nfunded = 3\n',
    "funded-not-typeid": f'base_url = "http://127.0.0.1:9"\ntoken = "{TOKEN}"\n'
    '[customers]\nfunded = "cst_nope"\n',
    "funded-missing": f'base_url = "http://127.0.0.1:9"\ntoken = "{TOKEN}"\n[customers]\n',
    "base-url-missing": f'token = "{TOKEN}"\n[customers]\nfunded = "{FUNDED}"\n',
    "unknown-key": _with("colour = 'blue'"),
    "unknown-role": _with(tables=f'vip = "{FUNDED}"\n'),
    "currencies-list": _with("currencies = []"),
    "currencies-string": _with(tables='[currencies]\nsupported = "USD"\n'),
    "currencies-lower": _with(tables='[currencies]\nsupported = ["usd"]\n'),
    "currencies-empty": _with(tables="[currencies]\nsupported = []\n"),
    "slo-int": _with("slo = 1"),
    "slo-string": _with(tables='[slo]\np95_ms = "fast"\n'),
    "slo-negative": _with(tables="[slo]\np95_ms = -1\n"),
    "slo-nan": _with(tables="[slo]\np95_ms = nan\n"),
    "slo-inf": _with(tables="[slo]\np99_ms = inf\n"),
    "slo-bool": _with(tables="[slo]\nerror_rate = true\n"),
    "slo-unknown": _with(tables="[slo]\np50_ms = 3\n"),
    "expected-int": _with("expected = 1"),
    "expected-float": _with(tables="[expected.funded]\nUSD = 2400.3\n"),
    "expected-bad-decimal": _with(tables='[expected.funded]\nUSD = "2,400.30"\n'),
    "expected-unknown-role": _with(tables='[expected.vip]\nUSD = "1.00"\n'),
    "load-not-table": _with("load = 1"),
    "api-key-without-secret": _with('api_key_env = "K"'),
    "api-secret-without-key": _with('api_secret_env = "S"'),
    "no-token-anywhere": f'base_url = "http://127.0.0.1:9"\ntoken_env = "OMS_MATRIX_UNSET"\n'
    f'[customers]\nfunded = "{FUNDED}"\n',
}

BAD_URLS = [
    "http://[::1",
    "http://[::1/v0.9",
    "http://[:::1]/v0.9",
    "http://[::1]x/v0.9",
    "http://127.0.0.1:99999/v0.9",
    "http://127.0.0.1:0/v0.9",
    "http://127.0.0.1:8o8o/v0.9",
    "ftp://127.0.0.1/v0.9",
    "127.0.0.1:8080/v0.9",
    "http:///v0.9",
    "http://user:p%40ss@127.0.0.1:9/v0.9",
    "http://token@127.0.0.1:9/v0.9",
    "http://127.0.0.1:9/v0.9?key=1",
    "http://127.0.0.1:9/v0.9#frag",
    "http://api%2Epolygon.technology/v0.9",
    "http://exa mple.com/v0.9",
    "http://999.1.1.1/v0.9",
    "http://a..b/v0.9",
    "http://xn--.example/v0.9",
]


def _profile_case(text: str | bytes) -> Build:
    return lambda tmp: ["conformance", "--profile", _profile(tmp, text)]


def _url_in_profile(url: str) -> Build:
    return lambda tmp: ["load", "--profile", _profile(tmp, _with(base=url.replace('"', "")))]


def _url_flag(command: str, url: str) -> Build:
    return lambda tmp: [command, "--profile", _profile(tmp, GOOD), "--base-url", url]


def _flags(command: str, *flags: str, profile: bool = True) -> Build:
    def build(tmp: Path) -> list[str]:
        target = ["--profile", _profile(tmp, GOOD)] if profile else []
        return [command, *target, *flags]

    return build


def _path_flag(command: str, flag: str, kind: str) -> Build:
    """An output path that cannot be written: a file where a directory goes, or below a file."""

    def build(tmp: Path) -> list[str]:
        blocker = _file(tmp)
        path = {"file": blocker, "below-file": blocker / "sub" / "x", "dir": tmp}[kind]
        return [command, "--profile", _profile(tmp, GOOD), flag, str(path)]

    return build


CASES: dict[str, Build] = {
    **{f"profile-{name}": _profile_case(text) for name, text in BROKEN_PROFILES.items()},
    **{f"profile-url-{i}": _url_in_profile(url) for i, url in enumerate(BAD_URLS)},
    **{f"conformance-base-url-{i}": _url_flag("conformance", u) for i, u in enumerate(BAD_URLS)},
    **{f"gate-base-url-{i}": _url_flag("gate", u) for i, u in enumerate(BAD_URLS[:8])},
    "profile-missing-file": lambda tmp: ["conformance", "--profile", str(tmp / "nope.toml")],
    "profile-is-directory": lambda tmp: ["conformance", "--profile", str(tmp)],
    "base-url-without-profile": _flags("conformance", "--base-url", "http://h", profile=False),
    "token-without-profile": _flags("conformance", "--token", "t-123456", profile=False),
    "gate-token-without-profile": _flags("gate", "--token", "t-123456", profile=False),
    "max-examples-zero": _flags("conformance", "--max-examples", "0"),
    "max-examples-word": _flags("conformance", "--max-examples", "many"),
    "seed-negative": _flags("conformance", "--seed", "-1"),
    "only-unknown": _flags("conformance", "--only", "everything"),
    "timeout-zero": _flags("conformance", "--timeout", "0"),
    "timeout-nan": _flags("conformance", "--timeout", "nan"),
    "timeout-inf": _flags("conformance", "--timeout", "inf"),
    "junitxml-is-dir": _path_flag("conformance", "--junitxml", "dir"),
    "junitxml-below-file": _path_flag("conformance", "--junitxml", "below-file"),
    "alluredir-is-file": _path_flag("conformance", "--alluredir", "file"),
    "alluredir-below-file": _path_flag("conformance", "--alluredir", "below-file"),
    "load-report-dir-is-file": _path_flag("load", "--report-dir", "file"),
    "load-report-dir-below-file": _path_flag("load", "--report-dir", "below-file"),
    "gate-report-dir-is-file": _path_flag("gate", "--report-dir", "file"),
    "gate-report-dir-below-file": _path_flag("gate", "--report-dir", "below-file"),
    "judge-missing-file": lambda tmp: ["load", "--judge", str(tmp / "none.json")],
    "judge-report-dir-below-file": lambda tmp: [
        "load",
        "--judge",
        str(_file(tmp)),
        "--report-dir",
        str(tmp / "a-file" / "sub"),
    ],
    "serve-write-profile-below-file": lambda tmp: [
        "serve",
        "--port",
        "0",
        "--write-profile",
        str(_file(tmp) / "p.toml"),
    ],
    "preflight-timeout-zero": _flags("conformance", "--preflight-timeout", "0"),
    "preflight-timeout-word": _flags("gate", "--preflight-timeout", "soon"),
    "preflight-timeout-inf": _flags("load", "--preflight-timeout", "inf"),
    "scenario-unknown": _flags("load", "--scenario", "tsunami"),
    "rate-zero": _flags("load", "--rate", "0"),
    "rate-negative": _flags("load", "--rate", "-5"),
    "rate-nan": _flags("load", "--rate", "nan"),
    "rate-word": _flags("load", "--rate", "fast"),
    "rate-over-cap": _flags("load", "--rate", "100000"),
    "duration-zero": _flags("load", "--duration", "0s"),
    "duration-word": _flags("load", "--duration", "long"),
    "duration-negative": _flags("load", "--duration", "-5s"),
    "duration-unit": _flags("load", "--duration", "5x"),
    "duration-over-cap": _flags("load", "--duration", "5h"),
    "ramp-up-word": _flags("load", "--ramp-up", "soon"),
    "users-zero": _flags("load", "--users", "0"),
    "processes-zero": _flags("load", "--processes", "0"),
    "processes-over-cap": _flags("load", "--processes", "1000"),
    "max-rate-zero": _flags("load", "--max-rate", "0"),
    "max-duration-word": _flags("load", "--max-duration", "forever"),
    "slo-p95-negative": _flags("load", "--slo-p95-ms", "-1"),
    "slo-error-rate-over-1": _flags("load", "--slo-error-rate", "2"),
    "master-and-worker": _flags("load", "--master", "--worker", "--master-host", "h"),
    "worker-without-master-host": _flags("load", "--worker"),
    "load-production": lambda tmp: [
        "load",
        "--profile",
        _profile(tmp, _with(base="https://api\u3002polygon\u3002technology/v0.9")),
    ],
    "gate-production": lambda tmp: [
        "gate",
        "--profile",
        _profile(tmp, _with(base="https://\uff41\uff50\uff49.polygon.technology/v0.9")),
        "--report-dir",
        str(tmp / "r"),
    ],
    "gate-scenario-unknown": _flags("gate", "--load-scenario", "tsunami"),
    "gate-max-examples-zero": _flags("gate", "--max-examples", "0"),
    "serve-port-range": _flags("serve", "--port", "99999", profile=False),
    "serve-latency": _flags("serve", "--latency", "slowly", profile=False),
    "serve-error-rate": _flags("serve", "--provider-error-rate", "2", profile=False),
    "serve-mutant": _flags("serve", "--mutant", "nope", profile=False),
    "serve-variant": _flags("serve", "--variant", "nope", profile=False),
    "serve-stall": _flags("serve", "--stall", "abc", profile=False),
    "serve-header-timeout": _flags("serve", "--header-timeout", "0", profile=False),
    "load-baseline-missing": _flags("load", "--baseline", "nope", "--baseline-dir", "."),
    "load-save-baseline-path": _flags("load", "--save-baseline", "../elsewhere"),
    "load-min-effect-negative": _flags("load", "--min-effect-pct", "-1"),
    "load-confidence-over-1": _flags("load", "--confidence", "2"),
    "load-resamples-zero": _flags("load", "--resamples", "0"),
    "load-stall-factor-one": _flags("load", "--stall-factor", "1"),
    "compare-stall-factor-word": _flags("compare", "a", "b", "--stall-factor", "x", profile=False),
    "load-drift-min-duration-word": _flags("load", "--drift-min-duration", "long"),
    "load-regression-unknown-key": lambda tmp: [
        "load",
        "--profile",
        _profile(tmp, _with(tables="[regression]\nmin_effect = 5\n")),
    ],
    "load-regression-word": lambda tmp: [
        "load",
        "--profile",
        _profile(tmp, _with(tables='[regression]\nmin_effect_pct = "ten"\n')),
    ],
    "gate-baseline-with-skip-load": lambda tmp: [
        "gate",
        "--profile",
        _profile(tmp, GOOD),
        "--skip-load",
        "--save-baseline",
        "b1",
        "--report-dir",
        str(tmp / "r"),
    ],
    "compare-runs-missing": lambda tmp: ["compare", str(tmp / "a"), str(tmp / "b")],
    "compare-not-a-run": lambda tmp: ["compare", str(tmp), str(tmp)],
    "compare-ab-flag-without-ab": lambda tmp: ["compare", str(tmp), str(tmp), "--rate", "5"],
    "compare-ab-profile-missing": lambda tmp: [
        "compare",
        "--ab",
        str(tmp / "a.toml"),
        str(tmp / "b.toml"),
    ],
    "compare-ab-slice-word": lambda tmp: [
        "compare",
        "--ab",
        _profile(tmp, GOOD, "a.toml"),
        _profile(tmp, GOOD, "b.toml"),
        "--slice",
        "soon",
        "--report-dir",
        str(tmp / "r"),
    ],
    "compare-ab-too-few-slices": lambda tmp: [
        "compare",
        "--ab",
        _profile(tmp, GOOD, "a.toml"),
        _profile(tmp, GOOD, "b.toml"),
        "--duration",
        "4s",
        "--report-dir",
        str(tmp / "r"),
    ],
    "compare-ab-production": lambda tmp: [
        "compare",
        "--ab",
        _profile(tmp, GOOD, "a.toml"),
        _profile(tmp, _with(base="https://api.polygon.technology/v0.9"), "b.toml"),
        "--report-dir",
        str(tmp / "r"),
    ],
    "compare-ab-report-dir-below-file": lambda tmp: [
        "compare",
        "--ab",
        _profile(tmp, GOOD, "a.toml"),
        _profile(tmp, GOOD, "b.toml"),
        "--report-dir",
        str(_file(tmp) / "sub"),
    ],
    "report-no-results": lambda tmp: ["report", "--report-dir", str(tmp)],
    "report-port-word": _flags("report", "--port", "eighty", profile=False),
    "unknown-command": _flags("explode", profile=False),
    "unknown-flag": _flags("conformance", "--frobnicate"),
    "no-command": lambda tmp: [],
}


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own exit (one line: see cli._Parser)
        code = int(exc.code or 0)
    return code, capsys.readouterr().err


def test_the_matrix_is_large_enough() -> None:
    assert len(CASES) >= 100


@pytest.mark.parametrize("build", CASES.values(), ids=CASES.keys())
def test_bad_input_exits_2_with_one_line(
    build: Build,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OMS_MATRIX_UNSET", raising=False)
    monkeypatch.chdir(tmp_path)  # nothing lands in the checkout
    code, err = _run(build(tmp_path), capsys)
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2, err
    assert len(lines) == 1, err
    assert "Traceback" not in err
    for secret in (TOKEN, "p%40ss", "p@ss"):
        assert secret not in err


SUBPROCESS_CASES = [
    "profile-url-0",
    "conformance-base-url-10",
    "profile-toml-not-utf8",
    "alluredir-below-file",
    "duration-word",
    "load-production",
]


@pytest.mark.parametrize("name", SUBPROCESS_CASES)
def test_the_installed_command_behaves_the_same(name: str, tmp_path: Path) -> None:
    argv = CASES[name](tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "oms_harness", *argv],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
