"""Target profiles: every mistake is one ProfileError line; tokens never show in a repr."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from oms_harness.contract import typeid
from oms_harness.errors import ProfileError
from oms_harness.exit_codes import ExitCode
from oms_harness.profile import (
    Credentials,
    load_profile,
    parse_profile,
    render_profile,
    resolve_profile,
    static_token,
)

FUNDED = typeid.new_customer_id()


def _raw(**extra: object) -> dict[str, object]:
    return {"base_url": "http://127.0.0.1:1/v0.9", "customers": {"funded": FUNDED}, **extra}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"customers": {"funded": FUNDED}}, "base_url is required"),
        (_raw(customers={}), "needs a `funded` customer"),
        (_raw(customers={"funded": FUNDED, "vip": FUNDED}), "unknown customer role 'vip'"),
        (_raw(customers={"funded": "cst_01H9Xa8F5dN6mP3q"}), "is not a cst TypeID"),
        (_raw(currencies={"supported": ["usd"]}), "ISO 4217"),
        (_raw(expected={"funded": {"USD": "2400.3e0"}}), "decimal string"),
        (_raw(base_url="ftp://x"), r"not an http\(s\) URL"),
        (_raw(surprise=1), "unknown key 'surprise'"),
        (_raw(api_key_env="K"), "go together"),
        (_raw(stable_balances="yes"), "stable_balances must be true or false"),
    ],
)
def test_invalid_profiles_raise_one_line(raw: dict[str, object], message: str) -> None:
    with pytest.raises(ProfileError, match=message) as info:
        parse_profile(raw)
    assert "\n" not in str(info.value)
    assert info.value.exit_code == ExitCode.USAGE


def test_missing_file_and_bad_toml(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="file not found"):
        load_profile(tmp_path / "absent.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("base_url = ", encoding="utf-8")
    with pytest.raises(ProfileError, match="invalid TOML"):
        load_profile(bad)


def test_unset_token_env_is_a_profile_error() -> None:
    with pytest.raises(ProfileError, match="OMS_NOPE"):
        static_token(Credentials(token_env="OMS_NOPE"), environ={})


def test_token_env_and_inline_token() -> None:
    assert static_token(Credentials(token_env="T"), environ={"T": "abc"}) == "abc"
    assert static_token(Credentials(token="inline", token_env="T"), environ={"T": "x"}) == "inline"


def test_render_round_trips_including_expired_token(tmp_path: Path) -> None:
    profile = parse_profile(
        _raw(
            token="secret-token",
            expired_token="old-token",
            currencies={"supported": ["USD", "EUR"]},
            expected={"funded": {"USD": "2400.30"}},
            stable_balances=True,
        )
    )
    assert not parse_profile(_raw()).stable_balances  # a live sandbox's values move
    path = tmp_path / "p.toml"
    path.write_text(render_profile(profile), encoding="utf-8")
    again = load_profile(path)
    assert again.credentials.token == "secret-token"
    assert again.credentials.expired_token == "old-token"
    assert again.supported_currencies == ("USD", "EUR")
    assert again.expected == {"funded": {"USD": "2400.30"}}
    assert again.stable_balances
    assert tomllib.loads(path.read_text(encoding="utf-8"))["customers"] == {"funded": FUNDED}


def test_repr_never_shows_tokens() -> None:
    creds = Credentials(token="secret-token", expired_token="old-token")
    assert "secret-token" not in repr(creds)
    assert "old-token" not in repr(creds)


def test_command_line_overrides(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text(render_profile(parse_profile(_raw(token="file-token"))), encoding="utf-8")
    profile = resolve_profile(path, base_url="http://127.0.0.1:2/v0.9/", token="cli-token")
    assert profile is not None
    assert profile.base_url == "http://127.0.0.1:2/v0.9"
    assert profile.credentials.token == "cli-token"
    assert resolve_profile(None) is None
    with pytest.raises(ProfileError, match="--base-url needs --profile"):
        resolve_profile(None, base_url="http://127.0.0.1:2")
