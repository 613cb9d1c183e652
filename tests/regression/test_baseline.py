"""The baseline store: save, replace, resolve by name or path, refuse bad names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from runfactory import lognormal_intervals, write_run

from oms_harness.errors import UsageError
from oms_harness.regression import baseline
from oms_harness.regression.runs import RunUnreadableError


def _run(tmp_path: Path, name: str = "run", median: float = 10.0) -> Path:
    return write_run(tmp_path / name, lognormal_intervals(5, 10, median, seed=1))


def test_save_copies_the_run_and_describes_it(tmp_path: Path) -> None:
    root = tmp_path / "baselines"
    saved = baseline.save(_run(tmp_path), "release-1.2", root)
    assert saved == root / "release-1.2"
    for name in ("results.json", "summary.json", "plan.json", "baseline.json"):
        assert (saved / name).is_file()
    meta = json.loads((saved / "baseline.json").read_text())
    assert meta["name"] == "release-1.2"
    assert meta["target_kind"] == "loopback"
    assert meta["spec_version"]
    assert set(meta["machine"]) >= {"cpus", "platform", "python", "hostname"}
    assert baseline.available(root) == ["release-1.2"]
    assert baseline.resolve("release-1.2", root).label == "release-1.2"


def test_saving_again_replaces_the_baseline_whole(tmp_path: Path) -> None:
    root = tmp_path / "baselines"
    baseline.save(_run(tmp_path, "one", 10.0), "main", root)
    baseline.save(_run(tmp_path, "two", 20.0), "main", root)
    meta = json.loads((root / "main" / "baseline.json").read_text())
    assert meta["source_run"].endswith("two")
    assert sorted(p.name for p in root.iterdir()) == ["main"]  # no staging leftovers


def test_resolve_accepts_any_run_directory(tmp_path: Path) -> None:
    run = _run(tmp_path)
    assert baseline.resolve(str(run), tmp_path / "nowhere").path == run


def test_unknown_baseline_lists_the_known_ones(tmp_path: Path) -> None:
    root = tmp_path / "baselines"
    baseline.save(_run(tmp_path), "v1", root)
    with pytest.raises(UsageError, match=r"no baseline or run directory 'v2'.*v1"):
        baseline.resolve("v2", root)


@pytest.mark.parametrize("name", ["", ".hidden", "../x", "a/b", "a b", "x" * 101, "-dash"])
def test_bad_names_are_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(UsageError, match="baseline name"):
        baseline.save(_run(tmp_path), name, tmp_path / "baselines")
    assert not (tmp_path / "baselines").exists()


def test_a_directory_that_is_no_run_is_not_saved(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(RunUnreadableError):
        baseline.save(tmp_path / "empty", "x", tmp_path / "baselines")
    assert baseline.available(tmp_path / "baselines") == []
