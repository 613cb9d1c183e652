"""requirements.lock: what make, tox and CI install, so CI runs what the transport was
verified with. It must pin every dependency of pyproject.toml (regenerate: ``make lock``)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

from oms_harness.load import transport


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins(repo_root: Path) -> dict[str, str]:
    text = (repo_root / "requirements.lock").read_text(encoding="utf-8")
    pins = {}
    for line in text.splitlines():
        match = re.match(r"([A-Za-z0-9_.\-]+)==([^\s;]+)", line)
        if match:
            pins[_canonical(match[1])] = match[2]
    return pins


def test_the_lock_pins_every_dependency_of_pyproject(repo_root: Path) -> None:
    project = tomllib.loads((repo_root / "pyproject.toml").read_text(encoding="utf-8"))
    wanted = project["project"]["dependencies"] + project["project"]["optional-dependencies"]["dev"]
    pins = _pins(repo_root)
    for spec in wanted:
        requirement = Requirement(spec)
        name = _canonical(requirement.name)
        assert name in pins, f"{name} is not in requirements.lock: run `make lock`"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"{name}=={pins[name]} in requirements.lock is outside {requirement.specifier}: "
            "run `make lock`"
        )


def test_the_lock_pins_the_versions_the_transport_was_verified_with(repo_root: Path) -> None:
    pins = _pins(repo_root)
    verified = dict(part.split() for part in transport.VERIFIED.split(", "))
    assert verified == {name: pins[name] for name in verified}
