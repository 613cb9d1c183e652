"""One plan, every Locust invocation: local argv, container settings, the Kubernetes manifest."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import pytest
import yaml

from oms_harness._resources import load_dir
from oms_harness.errors import UsageError
from oms_harness.load import kubernetes
from oms_harness.load.names import (
    PLAN_JSON_ENV,
    SHAPE_ENV,
    AgentOptions,
    AgentPlan,
    parse_progress,
    progress_record,
)
from oms_harness.load.plan import Distribution, LoadPlan, build_plan, container_plan, worker_argv
from oms_harness.profile import load_profile
from oms_harness.target_url import parse_target_url

URL = parse_target_url("http://127.0.0.1:8080/v0.9")
EXAMPLE = ("steady", 400.0, 60.0, 4)
"""The plan load/k8s/locusttest.yaml shows: steady, 400 req/s, 60 s, 4 workers."""


def value(argv: list[str], flag: str) -> str:
    return argv[argv.index(flag) + 1]


def test_local_argv_carries_the_plan_once() -> None:
    plan = build_plan(URL, scenario="steady", rate=80, duration=20, processes=2)
    argv = plan.locust_argv(Path("lf.py"), Path("/r"), local_port=5599)
    assert argv[:5] == [sys.executable, "-m", "locust", "-f", "lf.py"]
    assert value(argv, "--host") == URL.base_url
    assert json.loads(value(argv, "--oms-schedule")) == [[20.0, 80.0, 80.0]]
    assert value(argv, "--oms-max-in-flight") == str(plan.in_flight) == "160"
    assert value(argv, "--processes") == "2"
    assert value(argv, "--master-bind-port") == value(argv, "--master-port") == "5599"
    assert value(argv, "--run-time") == "35s"  # 20 s + 10 s drain + 5 s margin
    assert value(argv, "--csv") == "/r/locust"
    assert argv.count("--oms-schedule") == 1


def test_a_master_plan_listens_where_asked_and_a_shape_sets_users_itself() -> None:
    dist = Distribution("master", expect_workers=3, bind_host="10.0.0.1", port=6000)
    plan = build_plan(URL, scenario="spike", distribution=dist)
    argv = plan.locust_argv(Path("lf.py"), Path("/r"))
    assert value(argv, "--master-bind-host") == "10.0.0.1"
    assert value(argv, "--expect-workers") == "3"
    assert plan.workers == 3
    assert "--users" not in argv  # the load shape runs and ends the ramp or spike
    assert "--run-time" not in argv
    assert "--processes" not in argv


def test_the_agent_reads_back_what_the_runner_wrote() -> None:
    plan = build_plan(URL, scenario="ramp", rate=30, duration=12, users=40)
    options = plan.agent_options
    argv = options.to_argv()
    assert all(" " not in a for a in argv)  # container args are split on whitespace

    class Parsed:
        oms_schedule = value(argv, "--oms-schedule")
        oms_max_in_flight = int(value(argv, "--oms-max-in-flight"))
        oms_interval = float(value(argv, "--oms-interval"))
        oms_drain = float(value(argv, "--oms-drain"))
        oms_timeout = float(value(argv, "--oms-timeout"))
        oms_transport = "auto"

    assert AgentOptions.from_parsed(Parsed()) == options
    agent = AgentPlan(kinds=(), results_path="-")
    assert AgentPlan.from_environment({PLAN_JSON_ENV: agent.dumps(compact=True)}) == agent
    with pytest.raises(RuntimeError, match="OMS_HARNESS_LOAD_PLAN"):
        AgentPlan.from_environment({})


def test_worker_argv_leaves_the_plan_to_the_master() -> None:
    argv = worker_argv(Path("lf.py"), master_host="m", master_port=7, processes=2)
    assert argv == [
        sys.executable, "-m", "locust", "-f", "lf.py",
        "--worker", "--master-host", "m", "--master-port", "7", "--processes", "2",
    ]  # fmt: skip


def test_too_few_in_flight_slots_for_the_processes_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="--max-in-flight"):
        build_plan(URL, users=1, processes=2)


def test_shaped_container_settings_enable_the_shape() -> None:
    profile = load_profile(Path("examples/sandbox-profile.toml"))
    settings = container_plan(profile, scenario="ramp", workers=2).container_settings()
    assert settings[SHAPE_ENV] == "1"
    assert "--users" not in shlex.split(settings["locust_args"])


def _example_plan(repo_root: Path) -> LoadPlan:
    profile = load_profile(repo_root / "examples" / "sandbox-profile.toml")
    scenario, rate, duration, workers = EXAMPLE
    return container_plan(profile, scenario=scenario, rate=rate, duration=duration, workers=workers)


def test_the_kubernetes_example_is_the_manifest_of_its_plan(repo_root: Path) -> None:
    """Regenerate with: oms-harness load --print-kubernetes --profile
    examples/sandbox-profile.toml --scenario steady --rate 400 --duration 60s
    --expect-workers 4 > load/k8s/locusttest.yaml"""
    plan = _example_plan(repo_root)
    rendered = kubernetes.render(plan, load_dir() / "locustfile.py")
    committed = (repo_root / "load" / "k8s" / "locusttest.yaml").read_text(encoding="utf-8")
    assert committed == rendered
    configmap, test = yaml.safe_load_all(rendered)
    assert configmap["data"]["locustfile.py"] == (load_dir() / "locustfile.py").read_text()
    assert test["spec"]["args"].split() == plan.container_args()
    assert shlex.split(plan.container_settings()["locust_args"]) == plan.container_args()
    env = {e["name"]: e["value"] for e in test["spec"]["env"]}
    assert env[PLAN_JSON_ENV] == plan.container_settings()[PLAN_JSON_ENV]
    assert env["OMS_HARNESS_LOAD_TOKEN"] == "${OMS_TOKEN}"  # substituted at apply time


def test_progress_records_round_trip() -> None:
    record = {"elapsed_s": 5.0, "sent": 10, "p95_ms": None}
    assert parse_progress("[2026] INFO " + progress_record(record)) == record
    assert parse_progress("nothing here") is None
    assert parse_progress(progress_record({}) + "garbage") is None


def test_profile_durations_use_the_one_grammar() -> None:
    from oms_harness.load.plan import profile_durations

    assert profile_durations({"duration": "1m30s", "ramp_up": 5, "weights": {}}) == {
        "duration": 90.0,
        "ramp_up": 5.0,
    }
    with pytest.raises(UsageError, match=r"profile \[load\] duration"):
        profile_durations({"duration": "soon"})
    with pytest.raises(UsageError, match="must be a duration"):
        profile_durations({"ramp_up": True})


def test_a_profile_duration_is_the_default_of_a_load_run(
    tmp_path: Path, repo_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from oms_harness import cli

    text = (repo_root / "examples" / "sandbox-profile.toml").read_text()
    path = tmp_path / "p.toml"
    path.write_text(text + '\n[load]\nduration = "1m30s"\n')

    def schedule(*args: str) -> object:
        assert cli.main(["load", "--profile", str(path), "--print-container-settings", *args]) == 0
        argv = shlex.split(json.loads(capsys.readouterr().out)["locust_args"])
        return json.loads(value(argv, "--oms-schedule"))

    assert schedule("--rate", "10") == [[90.0, 10.0, 10.0]]
    assert schedule("--rate", "10", "--duration", "20s") == [[20.0, 10.0, 10.0]]
