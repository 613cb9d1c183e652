"""The baseline store: a finished run, copied under a name with what it was measured on.

``reports/baselines/NAME/`` (or ``--baseline-dir DIR``) holds the run's ``results.json``
(per-interval HDR histograms), ``summary.json``, ``plan.json`` (the request mix), the
``.hgrm`` files, and ``baseline.json``: the name, when and from which run it was saved, the
harness and spec versions, the target kind and the machine's facts. Saving replaces a
baseline of the same name atomically (write beside it, then rename).

A baseline may keep more than one run (``keep``: ``--baseline-runs K``, ``[regression]
baseline_runs``): saving then moves the current run under ``earlier/<saved-at>/`` and drops
the oldest beyond ``K``, so the comparison can see the spread between runs (``spread.py``).
A run of another shape than the runs kept is refused (exit 2): they would never compare.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .. import host
from .._version import __version__
from ..contract.spec import spec_version
from ..errors import UsageError
from ..load.results import RESULTS_FILE
from ..load.summary import HGRM_CORRECTED, HGRM_RAW, SUMMARY_FILE
from .comparable import IncomparableRunsError, differences
from .runs import EARLIER_DIR, META_FILE, PLAN_FILE, StoredRun, read_run, target_kind

DEFAULT_DIR = Path("reports/baselines")
COPIED = (RESULTS_FILE, SUMMARY_FILE, PLAN_FILE, HGRM_CORRECTED, HGRM_RAW)
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}\Z")


def check_name(name: str) -> str:
    if not _NAME.match(name):
        raise UsageError(
            f"baseline name {name!r}: use letters, digits, '.', '_' or '-' "
            "(starting with a letter or digit, at most 100)"
        )
    return name


def machine_facts() -> dict[str, Any]:
    """What the figures depend on besides the target (never a secret, never the user)."""
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:  # pragma: no cover - not on Linux/macOS
        load = []
    return {
        "hostname": host.node_name(),
        "cpus": os.cpu_count(),
        "platform": host.platform_name(),
        "python": sys.version.split()[0],
        "load_average_at_save": load,
    }


def save(run_dir: Path, name: str, root: Path = DEFAULT_DIR, *, keep: int = 1) -> Path:
    """Copy the finished run ``run_dir`` into ``root/name`` and describe it; with ``keep``
    above 1, the runs saved before under that name stay (the newest ``keep`` in all)."""
    check_name(name)
    run = read_run(run_dir)
    _ = run.intervals  # refuses a run without per-interval histograms before writing anything
    target = root / name
    staging = root / f".{name}.saving"
    kept = _kept_runs(target, run, name, keep)
    try:
        root.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        for file in COPIED:
            source = run_dir / file
            if source.exists():
                shutil.copy2(source, staging / file)
        meta = {
            "name": name,
            "saved_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "source_run": str(run_dir),
            "scenario": run.scenario,
            "plan": run.summary.get("plan", {}),
            "target_kind": target_kind(str(run.summary.get("target", {}).get("base_url", ""))),
            "harness_version": __version__,
            "spec_version": spec_version(),
            "machine": machine_facts(),
        }
        (staging / META_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        _copy_earlier(kept, staging / EARLIER_DIR)
        old = root / f".{name}.replaced"
        shutil.rmtree(old, ignore_errors=True)
        if target.exists():
            target.rename(old)
        staging.rename(target)
        shutil.rmtree(old, ignore_errors=True)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise UsageError(f"cannot save baseline {name!r} under {root}: {exc}") from None
    return target


def _kept_runs(target: Path, run: StoredRun, name: str, keep: int) -> list[StoredRun]:
    """The runs of baseline ``name`` that stay beside ``run``, newest first."""
    current = existing(name, target.parent) if keep > 1 else None
    if current is None:
        return []
    found = differences(current, run)
    if found:
        raise IncomparableRunsError(cannot_join(name, found))
    return list(current.runs[: keep - 1])


def cannot_join(name: str, found: list[str]) -> str:
    return (
        f"baseline {name!r} keeps runs that this run cannot join: {'; '.join(found)} "
        "(save it under another name, or with --baseline-runs 1 to replace them)"
    )


def existing(name: str, root: Path = DEFAULT_DIR) -> StoredRun | None:
    """The baseline saved under ``name``, if any (a broken one counts as none: saving
    replaces it)."""
    if not (root / name / META_FILE).exists():
        return None
    try:
        return read_run(root / name, label=name)
    except UsageError:
        return None


def _copy_earlier(runs: list[StoredRun], into: Path) -> None:
    """Each run's files into ``into/<saved-at>/`` (names sort oldest first; ``runs`` are
    newest first, so they are written oldest first and a clash of seconds keeps the order)."""
    if not runs:
        return
    into.mkdir()
    for run in reversed(runs):
        stamp = str(run.meta.get("saved_at", "")).replace("-", "").replace(":", "")
        stamp = stamp.replace("+0000", "Z") or "unknown"
        folder = into / stamp
        n = 1
        while folder.exists():
            n += 1
            folder = into / f"{stamp}-{n:02d}"
        folder.mkdir()
        for file in (*COPIED, META_FILE):
            if (run.path / file).exists():
                shutil.copy2(run.path / file, folder / file)


def held_runs(saved: Path) -> int:
    """How many runs the baseline directory ``saved`` holds (counted, not read)."""
    earlier = saved / EARLIER_DIR
    extra = [p for p in earlier.iterdir() if p.is_dir()] if earlier.is_dir() else []
    return 1 + len(extra)


def available(root: Path) -> list[str]:
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / META_FILE).exists())


def resolve(reference: str, root: Path = DEFAULT_DIR) -> StoredRun:
    """A baseline name under ``root``, or any run/baseline directory (a path)."""
    as_path = Path(reference)
    if as_path.is_dir() and (as_path / RESULTS_FILE).exists():
        return read_run(as_path, label=str(as_path))
    if _NAME.match(reference) and (root / reference).is_dir():
        return read_run(root / reference, label=reference)
    known = available(root)
    raise UsageError(
        f"no baseline or run directory {reference!r} "
        + (f"(baselines in {root}: {', '.join(known)})" if known else f"(no baselines in {root})")
    )
