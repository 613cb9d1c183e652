"""Time the full conformance gate against a plain `schemathesis run`, in one run.

Both target the same local reference, with the same example count and seed. The plain run
uses the pinned spec as is (untightened), all checks, no profile: it is what a user gets
from schemathesis alone. The token reaches schemathesis through a config file that reads an
environment variable, never through the command line.

    .venv/bin/python bench/conformance_vs_schemathesis.py [--max-examples 200] [--seed 1]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from oms_harness._resources import spec_path
from oms_harness.conformance.runner import run_conformance
from oms_harness.local_target import local_reference
from oms_harness.redaction import Redactor

TOKEN_ENV = "OMS_BENCH_TOKEN"


def plain_schemathesis(
    base_url: str, token: str, max_examples: int, seed: int
) -> tuple[float, int, str]:
    """Seconds, exit code and summary line of `schemathesis run` over the verbatim spec."""
    with tempfile.TemporaryDirectory(prefix="bench-st-") as workdir:
        config = Path(workdir) / "schemathesis.toml"
        config.write_text(
            f'headers = {{ Authorization = "Bearer ${{{TOKEN_ENV}}}" }}\n', encoding="utf-8"
        )
        command = [
            str(Path(sys.executable).with_name("schemathesis")),
            "--config-file",
            str(config),
            "--no-color",
            "run",
            str(spec_path()),
            "--url",
            base_url,
            "--checks",
            "all",
            "--max-examples",
            str(max_examples),
            "--seed",
            str(seed),
            "--continue-on-failure",  # generate the full budget, like the gate does
            "--report-dir",
            str(Path(workdir) / "report"),
        ]
        env = {**os.environ, TOKEN_ENV: token}
        started = time.monotonic()
        completed = subprocess.run(
            command, cwd=workdir, env=env, capture_output=True, text=True, check=False
        )
        elapsed = time.monotonic() - started
    output = Redactor([token])(completed.stdout + completed.stderr)
    lines = [line.strip() for line in output.splitlines()]
    generated = [line for line in lines if re.search(r"\d+ generated", line)]
    kinds = [line.lstrip("❌ ").strip() for line in lines if re.match(r"❌ ST\d+", line)]
    summary = "; ".join(generated[-1:] + kinds) or output.strip()[-200:]
    return elapsed, completed.returncode, summary


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-examples", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with local_reference() as reference:
        started = time.monotonic()
        result = run_conformance(
            reference.profile, max_examples=args.max_examples, seed=args.seed, echo=False
        )
        ours = time.monotonic() - started
        token = reference.profile.credentials.token or ""
        theirs, code, summary = plain_schemathesis(
            reference.base_url, token, args.max_examples, args.seed
        )
    print(f"examples per fuzz test: {args.max_examples}, seed {args.seed}")
    print(
        f"oms-harness conformance : {ours:6.1f} s  exit {result.exit_code}  "
        f"({result.checks_run} checks, {result.failed} failed, {len(result.spec_gaps)} spec gaps)"
    )
    print(f"schemathesis run (plain): {theirs:6.1f} s  exit {code}  ({summary})")
    print(f"ratio conformance / plain schemathesis: {ours / theirs:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
