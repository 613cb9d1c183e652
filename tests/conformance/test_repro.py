"""The reproduction command names the same target, seed, budget and suite."""

from __future__ import annotations

import shlex
from dataclasses import replace
from pathlib import Path

from oms_harness.conformance.repro import LOCAL_REFERENCE_NAME, _without_userinfo, repro_command
from oms_harness.profile import TargetProfile, parse_profile

FUNDED = "cst_01h2xcejqtf2nbrexx3vqjhp41"


def _profile(**raw: object) -> TargetProfile:
    base = {"base_url": "https://sandbox.example/v0.9", "customers": {"funded": FUNDED}}
    return parse_profile({**base, **raw})


def test_a_profile_file_is_named() -> None:
    profile = replace(_profile(), source=Path("profiles/sand box.toml"))
    command = repro_command(profile, seed=7, max_examples=50, only="fuzz")
    assert shlex.split(command) == [
        "oms-harness",
        "conformance",
        "--profile",
        "profiles/sand box.toml",
        "--seed",
        "7",
        "--max-examples",
        "50",
        "--only",
        "fuzz",
    ]


def test_a_base_url_without_its_userinfo() -> None:
    command = repro_command(_profile(), seed=1, max_examples=2, only="fuzz")
    assert "--base-url https://sandbox.example/v0.9 " in command
    # a command line is visible to every user of the machine
    assert _without_userinfo("https://u:p@h.example:8443/v0.9?k=s") == "https://h.example:8443/v0.9"
    assert _without_userinfo("http://[::1]:8080/v0.9") == "http://[::1]:8080/v0.9"


def test_the_embedded_reference_needs_no_target() -> None:
    profile = replace(_profile(), name=LOCAL_REFERENCE_NAME, source=Path("/tmp/x.toml"))
    command = repro_command(profile, seed=3, max_examples=4, only="fuzz")
    assert command == "oms-harness conformance --seed 3 --max-examples 4 --only fuzz"


def test_the_reference_writes_the_name_repro_looks_for() -> None:
    from oms_harness.reference.describe import PROFILE_NAME

    assert PROFILE_NAME == LOCAL_REFERENCE_NAME
