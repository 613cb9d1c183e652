"""Allure results the gate adds beside the conformance suites' own.

The suites write their results through allure-pytest; this module writes what no pytest
run produces: the run's environment, the CI executor, the categories that sort failures
for a reviewer, one result per load SLO (measured vs limit, with the load summary and plot
attached), and a result for a target that could not be tested at all; and it gives every
result that links into the pinned spec the linked section as an attachment, because a
relative link cannot be followed from a report opened from disk. The format is Allure's
documented results format, read by Allure 2 and 3 alike.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
import shutil
import time
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from .. import host
from .._version import __version__
from ..contract.spec import load_spec, spec_version
from .secrets import Secrets

ANY_STATUS = ("failed", "broken", "passed", "skipped")

CATEGORIES: tuple[dict[str, Any], ...] = (
    {
        "name": "Target unavailable",
        "description": "The target did not answer or rejected the credentials: nothing was judged.",
        "matchedStatuses": ["broken", "failed"],
        "messageRegex": r"[\s\S]*(Target unavailable|unreachable|cannot reach|did not answer|"
        r"[Cc]onnection refused|ConnectError|ConnectTimeout|credentials rejected)[\s\S]*",
    },
    {
        "name": "Generator-bound",
        "description": "The load generator could not keep the schedule: latency figures are "
        "not trusted and an SLO pass is not reported as a pass.",
        "matchedStatuses": ["broken", "failed", "skipped"],
        "messageRegex": r"[\s\S]*Generator-bound[\s\S]*",
    },
    {
        "name": "SLO breach",
        "description": "A load SLO was missed: the message gives measured value and limit.",
        "matchedStatuses": ["failed"],
        "messageRegex": r"[\s\S]*SLO breach[\s\S]*",
    },
    {
        "name": "Spec gap",
        "description": "Behaviour the spec leaves open, reported as a finding, not a failure "
        "(status skipped, so no count takes it for a pass).",
        "matchedStatuses": list(ANY_STATUS),
        "messageRegex": r"^Spec gap: [\s\S]*",
    },
    {
        "name": "Contract violation",
        "description": "The target broke a promise of the pinned contract.",
        "matchedStatuses": ["failed"],
    },
)
"""First match wins (Allure 2 and 3); regexes written to mean the same in Java and JS."""

SPEC_GAP_TAG = "spec-gap"
"""The ``tag`` label the spec-gap suite puts on its findings (skipped, ``Spec gap: ...``)."""
RULE_LABEL = "rule"
"""The label naming a failure's first broken rule (conformance and SLO results)."""
GROUPED_BY_RULE = frozenset({"Contract violation", "SLO breach"})
"""Categories whose failures Allure 3 groups by rule id, not by message (each message
names its own URL and values, so grouping by message gives one group per test)."""


def allure3_categories() -> list[dict[str, Any]]:
    """:data:`CATEGORIES` in Allure 3's own form, which can also match on and group by labels."""
    rules = []
    for category in CATEGORIES:
        matcher: dict[str, Any] = {"statuses": list(category["matchedStatuses"])}
        if "messageRegex" in category:
            matcher["message"] = category["messageRegex"]
        matchers = [matcher]
        rule: dict[str, Any] = {"name": category["name"], "matchers": matchers}
        if category["name"] == "Spec gap":
            matchers.append({"labels": {"tag": f"^{SPEC_GAP_TAG}$"}})
        if category["name"] in GROUPED_BY_RULE:
            rule["groupBy"] = [{"label": RULE_LABEL}]
            rule["groupByMessage"] = False
        rules.append(rule)
    return rules


def prepare_results_dir(results_dir: Path) -> None:
    """Empty the results of the previous run, keeping ``history/`` (trends between runs)."""
    results_dir.mkdir(parents=True, exist_ok=True)
    for entry in results_dir.iterdir():
        if entry.name == "history":
            continue
        if entry.is_dir():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def _properties_escape(text: str) -> str:
    """Java ``.properties`` escaping for a value (keys here are plain identifiers)."""
    out = text.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")
    return out.replace("=", "\\=").replace(":", "\\:")


def write_environment(results_dir: Path, values: Mapping[str, str], secrets: Secrets) -> Path:
    """``environment.properties``: shown on the report's overview."""
    path = results_dir / "environment.properties"
    lines = [f"{key}={_properties_escape(secrets.scrub(value))}" for key, value in values.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def environment_values(target: str, spec_version: str, seed: int | None) -> dict[str, str]:
    """The standard environment table (target must already be a public URL)."""
    return {
        "target": target,
        "spec.version": spec_version,
        "harness.version": __version__,
        "seed": "random" if seed is None else str(seed),
        "python": host.python_name(),
        "platform": host.platform_name(),
    }


def executor_from_ci(environ: Mapping[str, str]) -> dict[str, Any] | None:
    """Allure's ``executor.json`` from CI variables (GitHub, GitLab, Jenkins); None locally."""
    if environ.get("GITHUB_ACTIONS") == "true" and environ.get("GITHUB_RUN_ID"):
        server = environ.get("GITHUB_SERVER_URL", "https://github.com")
        repo = environ.get("GITHUB_REPOSITORY", "")
        run_url = f"{server}/{repo}/actions/runs/{environ['GITHUB_RUN_ID']}"
        return _executor(
            "GitHub Actions",
            "github",
            url=f"{server}/{repo}",
            build_order=environ.get("GITHUB_RUN_NUMBER"),
            build_name=f"{environ.get('GITHUB_WORKFLOW', 'workflow')} "
            f"#{environ.get('GITHUB_RUN_NUMBER', '')}".strip(),
            build_url=run_url,
        )
    if environ.get("GITLAB_CI") == "true" and environ.get("CI_PIPELINE_URL"):
        return _executor(
            "GitLab CI",
            "gitlab",
            url=environ.get("CI_PROJECT_URL"),
            build_order=environ.get("CI_PIPELINE_IID"),
            build_name=f"{environ.get('CI_PROJECT_NAME', 'pipeline')} "
            f"#{environ.get('CI_PIPELINE_IID', '')}".strip(),
            build_url=environ.get("CI_JOB_URL") or environ["CI_PIPELINE_URL"],
        )
    if environ.get("JENKINS_URL") and environ.get("BUILD_URL"):
        return _executor(
            "Jenkins",
            "jenkins",
            url=environ.get("JENKINS_URL"),
            build_order=environ.get("BUILD_NUMBER"),
            build_name=environ.get("BUILD_TAG") or environ.get("JOB_NAME"),
            build_url=environ["BUILD_URL"],
        )
    return None


def _executor(
    name: str,
    kind: str,
    *,
    url: str | None,
    build_order: str | None,
    build_name: str | None,
    build_url: str,
) -> dict[str, Any]:
    executor: dict[str, Any] = {"name": name, "type": kind, "buildUrl": build_url}
    if url:
        executor["url"] = url
    if build_name:
        executor["buildName"] = build_name
    if build_order and build_order.isdigit():
        executor["buildOrder"] = int(build_order)
    return executor


def write_executor(results_dir: Path, environ: Mapping[str, str]) -> Path | None:
    """``executor.json`` when running under a known CI, so the report links the run."""
    executor = executor_from_ci(environ)
    if executor is None:
        return None
    path = results_dir / "executor.json"
    path.write_text(json.dumps(executor, indent=2) + "\n", encoding="utf-8")
    return path


def write_categories(results_dir: Path) -> Path:
    """``categories.json`` (Allure 2 reads it; Allure 3 gets the same rules via its config)."""
    path = results_dir / "categories.json"
    path.write_text(json.dumps(list(CATEGORIES), indent=2) + "\n", encoding="utf-8")
    return path


def _stable_id(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def attach_copy(results_dir: Path, source: Path, name: str) -> dict[str, str] | None:
    """A fresh copy of a file as one result's attachment; None if it does not exist.

    Never share one attachment file between results: Allure 3 links a file to one result
    only, and every other result that names it shows "Failed to load attachment".
    """
    if not source.is_file():
        return None
    target = results_dir / f"{uuid.uuid4()}-attachment{source.suffix}"
    shutil.copyfile(source, target)
    mime = mimetypes.guess_type(source.name)[0] or "text/plain"
    return {"name": name, "source": target.name, "type": mime}


def attach_text(results_dir: Path, text: str, name: str, mime: str) -> dict[str, str]:
    """``text`` as a new attachment file of one result."""
    suffix = {"application/json": ".json", "text/csv": ".csv"}.get(mime, ".txt")
    target = results_dir / f"{uuid.uuid4()}-attachment{suffix}"
    target.write_text(text, encoding="utf-8")
    return {"name": name, "source": target.name, "type": mime}


def write_result(
    results_dir: Path,
    *,
    full_name: str,
    name: str,
    status: str,
    message: str | None = None,
    trace: str | None = None,
    labels: Sequence[tuple[str, str]] = (),
    parameters: Sequence[tuple[str, str]] = (),
    attachments: Sequence[dict[str, str]] = (),
    description: str | None = None,
    start_ms: int | None = None,
    stop_ms: int | None = None,
    steps: Sequence[dict[str, Any]] = (),
) -> Path:
    """One ``*-result.json`` in Allure's results format."""
    now = int(time.time() * 1000)
    result: dict[str, Any] = {
        "uuid": str(uuid.uuid4()),
        "historyId": _stable_id(full_name),
        "testCaseId": _stable_id(full_name),
        "fullName": full_name,
        "name": name,
        "status": status,
        "stage": "finished",
        "start": start_ms if start_ms is not None else now,
        "stop": stop_ms if stop_ms is not None else now,
        "labels": [{"name": k, "value": v} for k, v in labels],
        "parameters": [{"name": k, "value": v} for k, v in parameters],
        "attachments": list(attachments),
        "steps": list(steps),
    }
    if message is not None or trace is not None:
        result["statusDetails"] = {"message": message or "", "trace": trace or ""}
    if description:
        result["description"] = description
    path = results_dir / f"{result['uuid']}-result.json"
    path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return path


def write_problem_result(results_dir: Path, *, phase: str, message: str, secrets: Secrets) -> Path:
    """A broken result for a phase that stopped the gate (target unavailable, bad input)."""
    return write_result(
        results_dir,
        full_name=f"oms_harness.gate.{phase}",
        name=f"{phase} completed",
        status="broken",
        message=secrets.scrub(message),
        labels=[
            ("epic", "Gate"),
            ("feature", phase),
            ("severity", "blocker"),
            ("parentSuite", "oms-harness gate"),
            ("suite", phase),
            ("framework", "oms-harness"),
        ],
    )


SPEC_LINK_PREFIX = "spec/openapi.yaml#"
"""How the suites link into the pinned spec (a JSON pointer after the ``#``)."""


def spec_section(pointer: str, document: Mapping[str, Any]) -> Any:
    """The part of ``document`` a JSON pointer (RFC 6901) names; KeyError if none."""
    node: Any = document
    for raw in pointer.split("/")[1:] if pointer else []:
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, list):
            if not token.isdigit() or int(token) >= len(node):
                raise KeyError(pointer)
            node = node[int(token)]
        elif isinstance(node, Mapping) and token in node:
            node = node[token]
        else:
            raise KeyError(pointer)
    return node


def attach_spec_sections(results_dir: Path, document: Mapping[str, Any] | None = None) -> int:
    """Attach the spec section each result links to; return how many results got one.

    Each result gets its own file (Allure 3 links a file to one result only: a file shared
    by many shows as "Failed to load attachment" on all but one). Idempotent: a result
    that already has its section attached is left alone.
    """
    spec = document if document is not None else load_spec()
    version = spec_version(dict(spec))
    updated = 0
    for path in sorted(results_dir.glob("*-result.json")):
        result = json.loads(path.read_text(encoding="utf-8"))
        pointers = [
            str(link.get("url", ""))[len(SPEC_LINK_PREFIX) :]
            for link in result.get("links", [])
            if str(link.get("url", "")).startswith(SPEC_LINK_PREFIX)
        ]
        have = {str(a.get("name")) for a in result.get("attachments", [])}
        added = False
        for pointer in dict.fromkeys(pointers):
            if f"spec {pointer}" in have:
                continue
            owner = str(result.get("uuid", path.name))
            attachment = _write_section(results_dir, pointer, spec, version, owner)
            if attachment is not None:
                result.setdefault("attachments", []).append(attachment)
                added = True
        if added:
            path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
            updated += 1
    return updated


def _write_section(
    results_dir: Path, pointer: str, spec: Mapping[str, Any], version: str, owner: str
) -> dict[str, str] | None:
    try:
        section = spec_section(pointer, spec)
    except KeyError:
        return None
    header = (
        f"# spec/openapi.yaml#{pointer}\n# pinned contract {version}; the whole document is "
        f"under Overview > Global Attachments\n"
    )
    body = yaml.safe_dump(section, sort_keys=False, allow_unicode=True, width=100)
    target = results_dir / f"spec-{_stable_id(owner + pointer)}-attachment.yaml"
    target.write_text(header + body, encoding="utf-8")
    return {"name": f"spec {pointer}", "source": target.name, "type": "text/yaml"}
