"""Settings for Locust containers (Kubernetes): the plan and master args, never the token."""

from __future__ import annotations

import json
import shlex

from oms_harness.contract.typeid import new_customer_id
from oms_harness.load.runner import PLAN_JSON_ENV, container_settings
from oms_harness.profile import parse_profile


def test_settings_carry_plan_and_schedule_but_no_token() -> None:
    token = "container-settings-secret-token"
    profile = parse_profile(
        {
            "base_url": "https://sandbox-api.polygon.technology/v0.9",
            "token": token,
            "customers": {"funded": new_customer_id()},
        }
    )
    settings = container_settings(profile, scenario="steady", rate=400, duration=60, workers=4)
    assert token not in json.dumps(settings)
    plan = json.loads(settings[PLAN_JSON_ENV])
    assert plan["results_path"] == "-"
    assert {k["name"] for k in plan["kinds"]} >= {"/customers/{id}/balance [funded USD -> 200]"}
    args = shlex.split(settings["locust_args"])
    assert args[args.index("--expect-workers") + 1] == "4"
    assert json.loads(args[args.index("--oms-schedule") + 1]) == [[60.0, 400.0, 400.0]]
    assert args[args.index("--host") + 1] == profile.base_url
