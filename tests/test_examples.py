"""The examples users copy must stay valid as the harness evolves."""

from __future__ import annotations

from pathlib import Path

from oms_harness.profile import load_profile


def test_sandbox_profile_example_loads(repo_root: Path) -> None:
    profile = load_profile(repo_root / "examples" / "sandbox-profile.toml")
    assert profile.base_url == "https://sandbox-api.polygon.technology/v0.9"
    assert profile.credentials.token is None  # a token never lives in a shared file
    assert profile.credentials.token_env == "OMS_TOKEN"
    assert set(profile.customers) == {"funded"}
    assert profile.supported_currencies == ("USD", "EUR", "GBP")
