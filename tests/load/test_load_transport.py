"""The transport's self-check and its public fallback, in Locust's own (gevent) world.

Importing Locust monkey-patches a process, so each check runs in a subprocess against the
local reference: once with every touchpoint present (the fast path), once with one deleted
(what a Locust or geventhttpclient release that moved it would look like), once forced.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from oms_harness.local_target import LocalTarget, local_reference

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SCRIPT = textwrap.dedent(
    """
    import json, sys
    import locust  # monkey-patches, as in a real run
    from locust.env import Environment
    from geventhttpclient import connectionpool
    from locust.stats import StatsCSVFileWriter
    from oms_harness.load import transport
    from oms_harness.load.traffic import RequestKind

    base_url, token, customer, remove, force = sys.argv[1:6]
    if remove:
        owner, _, name = remove.rpartition(".")
        target = {
            "ConnectionPool": connectionpool.ConnectionPool,
            "StatsCSVFileWriter": StatsCSVFileWriter,
        }[owner]
        delattr(target, name)
    kind = RequestKind("funded", "funded", customer, None, 200, 1.0)
    env = Environment(events=locust.events)
    env.create_local_runner()
    missing = transport.self_check()
    chosen, warning = transport.open_transport(
        base_url, [kind], environment=env, max_in_flight=2, timeout_s=5.0,
        force_public=bool(force),
    )
    chosen.use_token(token)
    answers = [chosen.send(0) for _ in range(3)]
    settled = 0
    for answer in answers:
        if answer.settle is not None:
            answer.settle(None)
            settled += 1
    stats = env.stats.get("funded", "GET")
    chosen.close()
    print(json.dumps({
        "missing": missing, "transport": chosen.name, "warning": warning,
        "statuses": [a.status for a in answers], "settled": settled,
        "json": [a.content_type for a in answers], "locust_requests": stats.num_requests,
        "body_has_customer": all(customer.encode() in a.body for a in answers),
    }))
    """
)


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalTarget]:
    with local_reference(workdir=tmp_path_factory.mktemp("ref")) as running:
        yield running


def run(target: LocalTarget, remove: str = "", force: str = "") -> dict[str, object]:
    token = target.profile.credentials.token or ""
    funded = target.profile.customer("funded") or ""
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, target.base_url, token, funded, remove, force],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    data: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    return data


def test_every_touchpoint_is_present_in_the_installed_versions(target: LocalTarget) -> None:
    data = run(target)
    assert data["missing"] == []
    assert data["transport"] == "raw"
    assert data["warning"] == ""
    assert data["statuses"] == [200, 200, 200]
    assert data["body_has_customer"] is True
    assert data["settled"] == 0  # the fast path leaves Locust's stats to the generator


def test_a_missing_touchpoint_falls_back_to_the_public_path_with_a_warning(
    target: LocalTarget,
) -> None:
    # a release that renamed a private helper the fast path uses (and the public one does not)
    data = run(target, remove="StatsCSVFileWriter._stats_history_data_rows")
    assert data["missing"] == ["locust.stats.StatsCSVFileWriter._stats_history_data_rows"]
    assert data["transport"] == "fasthttp"
    assert "_stats_history_data_rows not found" in str(data["warning"])
    assert "FastHttpSession" in str(data["warning"])
    # the public path answers the same, and counts each request in Locust's stats itself
    assert data["statuses"] == [200, 200, 200]
    assert data["body_has_customer"] is True
    assert data["settled"] == 3
    assert data["locust_requests"] == 3


def test_the_public_path_can_be_chosen_without_a_warning(target: LocalTarget) -> None:
    data = run(target, force="1")
    assert data["missing"] == []
    assert data["transport"] == "fasthttp"
    assert data["warning"] == ""
    assert data["statuses"] == [200, 200, 200]


def test_a_run_on_the_public_path_is_judged_the_same(target: LocalTarget, tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    result = subprocess.run(
        [sys.executable, "-m", "oms_harness", "load", "--profile", str(target.profile_path),
         "--duration", "3s", "--transport", "fasthttp", "--report-dir", str(reports)],
        capture_output=True, text=True, timeout=180, cwd=tmp_path, check=False,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    summary = json.loads(next(reports.glob("*/summary.json")).read_text())
    assert summary["generator"]["transport"] == "fasthttp"
    assert summary["generator"]["warnings"] == []
    assert summary["errors"]["total"] == 0
    assert summary["achieved"]["requests"] == summary["plan"]["planned_requests"]
