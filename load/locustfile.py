"""Locust entry point of `oms-harness load`: the open-model balance scenarios.

Run it through `oms-harness load` (it writes the plan, passes the token by environment and
turns the results into summary.json, .hgrm, a PNG and an SLO verdict). Running `locust -f`
on it directly works too, given OMS_HARNESS_LOAD_PLAN and the --oms-* options; see
load/README.md. All logic lives in oms_harness.load.agent, so this file stays a thin shim.
"""

import os

from oms_harness.load.agent import OpenModelUser


class BalanceUser(OpenModelUser):
    """GET /customers/{id}/balance at the planned arrival rate, every answer checked."""


if os.environ.get("OMS_HARNESS_LOAD_SHAPE") == "1":
    # Locust picks up any LoadTestShape in this module, so it is defined only when wanted.
    from oms_harness.load.agent import ArrivalShape

    class RampOrSpike(ArrivalShape):
        """Ramp and spike scenarios end by themselves once their stages are done."""
