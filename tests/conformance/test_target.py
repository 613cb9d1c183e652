"""The suites' target: read from the environment, roles, and a reproducible `missing` id."""

from __future__ import annotations

from pathlib import Path

import pytest

from oms_harness.conformance.target import SuiteTarget, target_from_env, unknown_customer_id
from oms_harness.contract import typeid
from oms_harness.errors import ProfileError
from oms_harness.profile import parse_profile, render_profile

FUNDED = "cst_01h455vb4pex5vsknk084sn02q"


def _profile_file(tmp_path: Path, **customers: str) -> Path:
    profile = parse_profile(
        {"base_url": "http://127.0.0.1:9/v0.9", "customers": {"funded": FUNDED, **customers}}
    )
    path = tmp_path / "p.toml"
    path.write_text(render_profile(profile), encoding="utf-8")
    return path


def test_reads_profile_token_seed_and_budget(tmp_path: Path) -> None:
    env = {
        "OMS_HARNESS_PROFILE": str(_profile_file(tmp_path)),
        "OMS_HARNESS_TOKEN": "tok-from-env",
        "OMS_HARNESS_SEED": "42",
        "OMS_HARNESS_MAX_EXAMPLES": "17",
    }
    target = target_from_env(env)
    assert (target.token, target.seed, target.max_examples) == ("tok-from-env", 42, 17)
    assert target.authorization == "Bearer tok-from-env"
    assert "tok-from-env" not in repr(target)


def test_without_profile_or_token_is_a_profile_error(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="OMS_HARNESS_PROFILE"):
        target_from_env({})
    with pytest.raises(ProfileError, match="no token"):
        target_from_env({"OMS_HARNESS_PROFILE": str(_profile_file(tmp_path))})


def test_missing_id_is_valid_reproducible_and_yields_to_the_profile(tmp_path: Path) -> None:
    assert typeid.is_customer_id(unknown_customer_id(3))
    assert unknown_customer_id(3) == unknown_customer_id(3) != unknown_customer_id(4)
    profile = parse_profile({"base_url": "http://x/v0.9", "customers": {"funded": FUNDED}})
    assert SuiteTarget(profile, "t", seed=3).customer("missing") == unknown_customer_id(3)
    named = parse_profile(
        {"base_url": "http://x/v0.9", "customers": {"funded": FUNDED, "missing": FUNDED[:-1] + "r"}}
    )
    assert SuiteTarget(named, "t").customer("missing") == FUNDED[:-1] + "r"


def test_expectations_carry_every_role_with_an_id() -> None:
    unprovisioned = FUNDED[:-1] + "s"
    profile = parse_profile(
        {
            "base_url": "http://x/v0.9",
            "customers": {"funded": FUNDED, "unprovisioned": unprovisioned},
        }
    )
    target = SuiteTarget(profile, "t", seed=99)
    expect = target.expectations
    assert expect.role_of(FUNDED) == "funded"
    assert expect.role_of(unprovisioned) == "unprovisioned"
    assert expect.role_of(unknown_customer_id(99)) == "missing"
    assert expect.role_of(unknown_customer_id(98)) is None
    assert target.customer("empty") is None
