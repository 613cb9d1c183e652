"""What a run writes: only its own files are redacted, and no PytestWarning noise."""

from __future__ import annotations

import contextlib
import io
import os
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from oms_harness.conformance.results import ConformanceResult
from oms_harness.conformance.runner import run_conformance
from oms_harness.local_target import local_reference
from oms_harness.redaction import REDACTED, Redactor, snapshot, written_since

SECRET = "opaque-secret-value-123"


@dataclass(frozen=True)
class Run:
    result: ConformanceResult
    output: str
    token: str
    junit: Path
    alluredir: Path
    kept: dict[Path, tuple[bytes, int]]
    """Files that were in the results directory before the run: content and mtime."""


def _write(path: Path, text: str) -> tuple[bytes, int]:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(1_600_000_000_000_000_000, 1_600_000_000_000_000_000))
    return path.read_bytes(), path.stat().st_mtime_ns


@pytest.fixture(scope="module")
def semantic_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    """One semantic run of the clean reference into a results directory the user already
    keeps files in (a profile holding the very token the run uses, notes, an old result)."""
    root = tmp_path_factory.mktemp("outputs")
    alluredir = root / "allure"
    with local_reference() as reference:
        token = reference.profile.credentials.token
        assert token
        kept = {
            path: _write(path, text)
            for path, text in {
                alluredir
                / "target.toml": f'base_url = "{reference.base_url}"\ntoken = "{token}"\n',
                alluredir / "notes" / "NOTES.md": f"curl -H 'Authorization: Bearer {SECRET}'\n",
                alluredir / "old-result.json": f'{{"token": "{token}"}}',
            }.items()
        }
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            result = run_conformance(
                reference.profile,
                seed=5,
                max_examples=5,
                only="semantic",
                junitxml=root / "junit.xml",
                alluredir=alluredir,
            )
        yield Run(result, out.getvalue(), token, root / "junit.xml", alluredir, kept)


@pytest.mark.e2e
def test_pre_existing_files_are_left_byte_for_byte(semantic_run: Run) -> None:
    assert semantic_run.result.exit_code == 0, semantic_run.output
    for path, (content, mtime_ns) in semantic_run.kept.items():
        assert path.read_bytes() == content, path
        assert path.stat().st_mtime_ns == mtime_ns, path


@pytest.mark.e2e
def test_files_the_run_wrote_hold_no_token(semantic_run: Run) -> None:
    written = [semantic_run.junit]
    written += [p for p in semantic_run.alluredir.rglob("*") if p.is_file()]
    written = [p for p in written if p not in semantic_run.kept]
    assert len(written) > 10
    for path in written:
        assert semantic_run.token not in path.read_text(encoding="utf-8", errors="replace"), path


@pytest.mark.e2e
def test_no_pytest_warnings_and_spec_gaps_still_counted(semantic_run: Run) -> None:
    assert "PytestWarning" not in semantic_run.output
    assert "warnings summary" not in semantic_run.output
    assert semantic_run.result.spec_gaps
    tree = ET.parse(semantic_run.junit)
    root = tree.getroot()
    gaps = [p.get("value") for p in root.iter("property") if p.get("name") == "spec_gap"]
    assert sorted(gaps) == sorted(semantic_run.result.spec_gaps)
    # xunit2 (the family the runner writes) has no <properties> inside a <testcase>.
    assert all(case.find("properties") is None for case in root.iter("testcase"))
    # each finding sits in the suite of the area it was counted in
    for suite in root.iter("testsuite"):
        found = [p for p in suite.iter("property") if p.get("name") == "spec_gap"]
        area = semantic_run.result.areas.get(suite.get("name", ""))
        assert area is not None, suite.get("name")
        assert bool(found) == bool(area.spec_gaps), suite.get("name")


def test_redacting_what_was_written_skips_unchanged_files(tmp_path: Path) -> None:
    untouched = tmp_path / "user.toml"
    untouched.write_text(f'token = "{SECRET}"\n', encoding="utf-8")
    modified = tmp_path / "rewritten.json"
    modified.write_text("{}", encoding="utf-8")
    before = snapshot(tmp_path, tmp_path / "absent.xml")
    modified.write_text(f'{{"auth": "{SECRET}!"}}', encoding="utf-8")
    created = tmp_path / "sub" / "new-result.json"
    created.parent.mkdir()
    created.write_text(f"Bearer {SECRET}", encoding="utf-8")

    redact = Redactor([SECRET])
    changed = sum(redact.file(path) for path in written_since(before, tmp_path))

    assert changed == 2
    assert untouched.read_text(encoding="utf-8") == f'token = "{SECRET}"\n'
    assert modified.read_text(encoding="utf-8") == f'{{"auth": "{REDACTED}!"}}'
    assert SECRET not in created.read_text(encoding="utf-8")
