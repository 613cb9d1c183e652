"""`--seed` reproduces a fuzz run: the same seed sends the same requests, another does not."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from oms_harness.conformance.runner import pytest_command
from oms_harness.local_target import local_reference

RECORDER = """
import os
from oms_harness.conformance import fuzz

SENT = []


def pytest_configure(config):
    fuzz.http_session().hooks["response"].append(
        lambda r, *a, **k: SENT.append(r.request.method + " " + r.request.url)
    )


def pytest_unconfigure(config):
    with open(os.environ["RECORD_TO"], "w") as handle:
        handle.write("\\n".join(SENT))
"""


@pytest.mark.e2e
@pytest.mark.slow
def test_same_seed_same_requests(tmp_path: Path) -> None:
    (tmp_path / "fuzz_recorder.py").write_text(RECORDER, encoding="utf-8")
    command = pytest_command(only="fuzz", extra=("-p", "fuzz_recorder"))
    sent: dict[str, str] = {}
    with local_reference() as reference:
        for name, seed in (("a", 5), ("b", 5), ("c", 6)):
            record = tmp_path / f"{name}.txt"
            env = {
                **os.environ,
                "OMS_HARNESS_PROFILE": str(reference.profile_path),
                "OMS_HARNESS_SEED": str(seed),
                "OMS_HARNESS_MAX_EXAMPLES": "20",
                "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
                "PYTHONPATH": str(tmp_path),
                "RECORD_TO": str(record),
            }
            env.pop("PYTEST_ADDOPTS", None)
            done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True)
            assert done.returncode == 0, done.stdout[-2000:]
            sent[name] = record.read_text(encoding="utf-8")
    assert sent["a"].count("\n") > 20
    assert sent["a"] == sent["b"]
    assert sent["a"] != sent["c"]
