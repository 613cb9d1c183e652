"""Allure results written by the gate: environment, executor, categories, SLO results."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from oms_harness.report import allure
from oms_harness.report.allure_load import failures_by_cause, percentile_table, write_load_results
from oms_harness.report.model import slo_status
from oms_harness.report.secrets import Secrets

TOKEN = "tok_ZXhhbXBsZS1zZWNyZXQtdG9rZW4tMTIzNDU2"


def _results(results_dir: Path) -> list[dict[str, Any]]:
    return [
        json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(results_dir.glob("*-result.json"))
    ]


def _category(message: str, status: str) -> str | None:
    """Which category Allure files a result under: the first whose rule matches."""
    for category in allure.CATEGORIES:
        if status not in category["matchedStatuses"]:
            continue
        regex = category.get("messageRegex")
        if regex is None or re.fullmatch(regex, message):
            return str(category["name"])
    return None


def test_prepare_keeps_history_only(tmp_path: Path) -> None:
    results = tmp_path / "allure-results"
    (results / "history").mkdir(parents=True)
    (results / "history" / "history.jsonl").write_text("{}\n", encoding="utf-8")
    (results / "old-result.json").write_text("{}", encoding="utf-8")
    (results / "sub").mkdir()
    allure.prepare_results_dir(results)
    assert [p.name for p in results.iterdir()] == ["history"]
    assert (results / "history" / "history.jsonl").is_file()


def test_environment_properties_escaped_and_redacted(tmp_path: Path) -> None:
    values = allure.environment_values("http://127.0.0.1:9/v0.9", "v26.05.28-0001", 7)
    values["note"] = f"a=b:c {TOKEN}"
    path = allure.write_environment(tmp_path, values, Secrets().with_value(TOKEN))
    text = path.read_text(encoding="utf-8")
    assert "target=http\\://127.0.0.1\\:9/v0.9" in text
    assert "spec.version=v26.05.28-0001" in text
    assert "seed=7" in text
    assert "python=" in text
    assert "harness.version=" in text
    assert "note=a\\=b\\:c [redacted]" in text
    assert TOKEN not in text


def test_environment_seed_random_when_unknown() -> None:
    assert allure.environment_values("u", "v", None)["seed"] == "random"


def test_executor_from_github_actions() -> None:
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_REPOSITORY": "acme/oms",
        "GITHUB_RUN_ID": "123",
        "GITHUB_RUN_NUMBER": "17",
        "GITHUB_WORKFLOW": "gate",
    }
    executor = allure.executor_from_ci(env)
    assert executor == {
        "name": "GitHub Actions",
        "type": "github",
        "url": "https://github.com/acme/oms",
        "buildUrl": "https://github.com/acme/oms/actions/runs/123",
        "buildName": "gate #17",
        "buildOrder": 17,
    }


def test_executor_from_gitlab_and_jenkins() -> None:
    gitlab = allure.executor_from_ci(
        {"GITLAB_CI": "true", "CI_PIPELINE_URL": "https://gl/p/1", "CI_PIPELINE_IID": "5"}
    )
    assert gitlab is not None
    assert (gitlab["type"], gitlab["buildUrl"], gitlab["buildOrder"]) == (
        "gitlab",
        "https://gl/p/1",
        5,
    )
    jenkins = allure.executor_from_ci({"JENKINS_URL": "https://j/", "BUILD_URL": "https://j/b/9"})
    assert jenkins is not None
    assert jenkins["buildUrl"] == "https://j/b/9"


def test_no_executor_outside_ci(tmp_path: Path) -> None:
    assert allure.write_executor(tmp_path, {"CI": "true"}) is None
    assert not (tmp_path / "executor.json").exists()


def test_categories_file_has_the_five_categories(tmp_path: Path) -> None:
    categories = json.loads(allure.write_categories(tmp_path).read_text(encoding="utf-8"))
    assert [c["name"] for c in categories] == [
        "Target unavailable",
        "Generator-bound",
        "SLO breach",
        "Spec gap",
        "Contract violation",
    ]


@pytest.mark.parametrize(
    ("message", "status", "category"),
    [
        (
            "Target unavailable: cannot reach target http://x: ConnectError",
            "broken",
            "Target unavailable",
        ),
        (
            "Generator-bound: not judged; p95_ms: measured 3 ms, limit 250 ms",
            "broken",
            "Generator-bound",
        ),
        ("[slo.p95_ms] SLO breach: p95_ms: measured 320 ms, limit 250 ms", "failed", "SLO breach"),
        ("Spec gap: unsupported currency XXX answered 400", "skipped", "Spec gap"),
        (
            "AssertionError: default currency was EUR\nassert 'EUR' == 'USD'",
            "failed",
            "Contract violation",
        ),
        ("SLO met: p95_ms: measured 3 ms, limit 250 ms", "passed", None),
    ],
)
def test_categories_sort_messages(message: str, status: str, category: str | None) -> None:
    assert _category(message, status) == category


def test_slo_status_messages_land_in_their_categories(fake: Any) -> None:
    breach = next(s for s in fake.load(breach=True).slos if s.name == "p95_ms")
    assert _category(slo_status(breach, False)[1], "failed") == "SLO breach"
    status, message = slo_status(breach, True)
    assert (status, _category(message, status)) == ("broken", "Generator-bound")


def test_load_results_one_per_slo_with_evidence(tmp_path: Path, fake: Any) -> None:
    results_dir = tmp_path / "results"
    results_dir.mkdir()
    load = fake.load(breach=True)
    write_load_results(results_dir, load, Secrets())
    results = _results(results_dir)
    by_name = {r["fullName"].rsplit(".", 1)[-1]: r for r in results}
    assert set(by_name) == {"p95_ms", "p99_ms", "error_rate", "min_rps", "generator_health"}
    p95 = by_name["p95_ms"]
    assert p95["status"] == "failed"
    assert p95["statusDetails"]["message"] == (
        "[slo.p95_ms] SLO breach: p95_ms: measured 320 ms, limit 250 ms"
    )
    # identity: the scenario only, so History follows the SLO across runs
    assert p95["parameters"] == [{"name": "scenario", "value": "smoke"}]
    assert [step["name"] for step in p95["steps"]] == ["measured 320 ms", "limit ≤ 250 ms"]
    assert "measured 320 ms" in p95["description"]
    assert by_name["min_rps"]["name"] == "SLO min_rps ≥ 40 req/s"
    assert by_name["p99_ms"]["status"] == "passed"
    assert by_name["generator_health"]["status"] == "passed"
    labels = {(label["name"], label["value"]) for label in p95["labels"]}
    assert {("epic", "Load"), ("feature", "SLOs"), ("severity", "critical")} <= labels
    assert ("rule", "slo.p95_ms") in labels
    attachments = {a["name"]: a for a in p95["attachments"]}
    plot = "latency, throughput and errors plot"
    assert set(attachments) >= {"load summary.json", plot, "failures by cause"}
    assert attachments[plot]["type"] == "image/png"
    for attachment in attachments.values():
        assert (results_dir / attachment["source"]).is_file()
    assert (results_dir / attachments[plot]["source"]).read_bytes().startswith(b"\x89PNG")
    assert len({r["historyId"] for r in results}) == len(results)
    # no attachment file is shared between results (Allure 3 would link it to one only)
    sources = [a["source"] for r in results for a in r["attachments"]]
    assert len(sources) == len(set(sources))


def test_slo_identity_does_not_depend_on_the_measured_value(tmp_path: Path, fake: Any) -> None:
    first, second = tmp_path / "one", tmp_path / "two"
    first.mkdir()
    second.mkdir()
    write_load_results(first, fake.load(breach=True), Secrets())
    write_load_results(second, fake.load(), Secrets())

    def identities(results_dir: Path) -> dict[str, tuple[str, str]]:
        return {
            r["fullName"]: (r["historyId"], json.dumps(r["parameters"]))
            for r in _results(results_dir)
        }

    assert identities(first) == identities(second)


def test_failures_by_cause_keeps_contract_violations_apart_by_rule() -> None:
    text = failures_by_cause(
        {"timeout": 1, "HTTP 503 undocumented": 2},
        {"response.schema": 5, "decimal.grammar": 1},
        {"[response.schema] value 1 wrong": 3, "[response.schema] value 2 wrong": 2},
    )
    lines = text.splitlines()
    assert lines[0].startswith("6 answers broke a contract rule")
    assert lines[2].split() == ["5", "[response.schema]"]
    assert lines[3].split()[0] == "3"
    assert lines[5].split() == ["1", "[decimal.grammar]"]
    errors = lines.index(next(ln for ln in lines if "failed requests" in ln))
    assert lines[errors].startswith("3 failed requests (error_rate")
    assert lines[errors + 2].split() == ["2", "HTTP", "503", "undocumented"]
    assert failures_by_cause({}) == "no failed requests, no contract violation\n"


def test_percentile_table_marks_what_the_samples_cannot_resolve() -> None:
    row = {"count": 400, "p50": 1.0, "p90": 2.0, "p95": 3.0, "p99": 4.0, "p99.9": 9.0, "max": 9.0}
    table = percentile_table({"latency_ms": {"corrected": row, "raw": row}})
    assert "9*" in table
    assert "4*" not in table
    assert "p99.9: beyond what 400 samples resolve" in table


def test_generator_bound_never_reports_a_pass(tmp_path: Path, fake: Any) -> None:
    write_load_results(tmp_path, fake.load(generator_bound=True), Secrets())
    statuses = {r["status"] for r in _results(tmp_path)}
    assert statuses == {"broken"}


def test_load_summary_attachment_is_redacted(tmp_path: Path, fake: Any) -> None:
    load = fake.load()
    assert load.summary_path is not None
    load.summary_path.write_text(json.dumps({"header": f"Bearer {TOKEN}"}), encoding="utf-8")
    results_dir = tmp_path / "results"
    results_dir.mkdir()
    write_load_results(results_dir, load, Secrets().with_value(TOKEN))
    for path in results_dir.iterdir():
        assert TOKEN.encode() not in path.read_bytes()


def test_problem_result_is_broken_and_redacted(tmp_path: Path) -> None:
    allure.write_problem_result(
        tmp_path,
        phase="preflight",
        message=f"Target unavailable: rejected {TOKEN}",
        secrets=Secrets().with_value(TOKEN),
    )
    (result,) = _results(tmp_path)
    assert result["status"] == "broken"
    assert TOKEN not in json.dumps(result)
    assert _category(result["statusDetails"]["message"], "broken") == "Target unavailable"


def test_allure3_categories_match_spec_gap_findings_by_tag() -> None:
    rules = {rule["name"]: rule for rule in allure.allure3_categories()}
    assert list(rules) == [c["name"] for c in allure.CATEGORIES]
    assert {"labels": {"tag": "^spec-gap$"}} in rules["Spec gap"]["matchers"]
    assert rules["SLO breach"]["matchers"] == [
        {"statuses": ["failed"], "message": allure.CATEGORIES[2]["messageRegex"]}
    ]


def _linked_result(results_dir: Path, name: str, pointer: str) -> Path:
    path = allure.write_result(results_dir, full_name=name, name=name, status="failed")
    result = json.loads(path.read_text(encoding="utf-8"))
    result["links"] = [
        {"name": f"spec {pointer}", "url": f"spec/openapi.yaml#{pointer}", "type": "link"}
    ]
    path.write_text(json.dumps(result), encoding="utf-8")
    return path


def test_spec_links_get_their_section_attached_once(tmp_path: Path) -> None:
    """Allure 3 shows only http(s) links as links: the section must travel as an attachment."""
    pointer = "/paths/~1customers~1{id}~1balance/get/parameters/1"
    first = _linked_result(tmp_path, "a", pointer)
    second = _linked_result(tmp_path, "b", pointer)
    other = _linked_result(tmp_path, "c", "/info")
    unknown = _linked_result(tmp_path, "d", "/paths/~1nope")
    assert allure.attach_spec_sections(tmp_path) == 3
    assert allure.attach_spec_sections(tmp_path) == 0  # idempotent
    attached = {
        path: json.loads(path.read_text(encoding="utf-8"))["attachments"]
        for path in (first, second, other, unknown)
    }
    assert attached[unknown] == []
    # each result owns its file: Allure 3 links a shared file to one result only
    assert attached[first][0]["name"] == attached[second][0]["name"]
    assert attached[first][0]["source"] != attached[second][0]["source"]
    (section,) = attached[first]
    assert section["name"] == f"spec {pointer}"
    assert section["type"] == "text/yaml"
    text = (tmp_path / section["source"]).read_text(encoding="utf-8")
    assert text.startswith(f"# spec/openapi.yaml#{pointer}\n")
    assert "name: estimatedBalanceCurrencyCode" in text
    assert "version:" in (tmp_path / attached[other][0]["source"]).read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("pointer", "expected"),
    [("", {"a": [1, {"b/c": 2}]}), ("/a/1/b~1c", 2), ("/a/0", 1)],
)
def test_spec_section_follows_json_pointers(pointer: str, expected: Any) -> None:
    assert allure.spec_section(pointer, {"a": [1, {"b/c": 2}]}) == expected


@pytest.mark.parametrize("pointer", ["/x", "/a/2", "/a/x"])
def test_spec_section_unknown_pointer(pointer: str) -> None:
    with pytest.raises(KeyError):
        allure.spec_section(pointer, {"a": [1, {"b/c": 2}]})
