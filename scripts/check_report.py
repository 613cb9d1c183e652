#!/usr/bin/env python3
"""Open the single-file Allure report in headless Chromium, check what it shows, screenshot it.

Proves what a reviewer sees when they open ``reports/allure-report/index.html`` from disk:

* the overview lists the suites (every epic in the results) and the totals;
* for a failed run, the first failing check opens with its request and response expanded
  (and the Authorization value redacted);
* a result that links into the spec shows the linked spec section as an attachment, and the
  whole pinned spec is under Overview > Global Attachments (Allure 3 shows only http(s)
  links as links, so the relative spec links cannot be followed from disk);
* no attachment is "missed": none is flagged so in the embedded data, and every result's
  page, visited one by one with every attachment expanded, shows no "Failed to load
  attachment" (with ``--sample N``: every failed or broken result, at least one of every
  suite, area and category, and a fixed-seed sample of N of the rest; the default visits
  every result);
* a failed semantic check shows its request, the response pretty-printed, and a curl that
  pastes (``$OMS_TOKEN``, never the token); a failed SLO shows its plot;
* with ``--min-history N``: an SLO's History tab lists at least N earlier runs;
* the page makes no request beyond ``file:``/``data:``/``blob:`` URLs (no analytics, no CDN).

Chromium is driven over ``--remote-debugging-pipe`` (the DevTools protocol on fds 3/4), so
only the standard library and oms-harness are needed, and runs with everything that could
phone home switched off, in a throwaway profile.
Debian: ``apt-get update && apt-get install -y chromium``.

    python scripts/check_report.py reports/allure-report/index.html --out reports/screenshots \
        [--min-history 1] [--sample N [--sample-seed S]]

Prints a JSON verdict; exits 0 when every check holds, 1 when one fails, 2 when Chromium or
the report is missing.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, BinaryIO

from oms_harness.contract.registry import SLO_CHECK_PREFIX
from oms_harness.report.embedded import embedded_files

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--no-first-run",
    "--no-default-browser-check",
    "--hide-scrollbars",
    "--remote-debugging-pipe",
)
LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:")
SPEC_SECTION_MARK = "# spec/openapi.yaml#"
"""First line of a spec-section attachment (``oms_harness.report.allure``)."""
_EXPAND_ATTACHMENTS = (
    "Array.from(document.querySelectorAll('button span[class*=\"arrow-button\"]'))"
    ".filter(s => !s.querySelector('svg[class*=\"--opened\"]'))"  # a click would close it
    ".map(s => { s.closest('button').click(); return 1; }).length"
)


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def embedded_results(single_file: Path) -> list[dict[str, Any]]:
    """The test results embedded in the single-file report (one base64 JSON each)."""
    return [
        json.loads(content)
        for name, content in embedded_files(single_file.read_bytes())
        if name.startswith("data/test-results/") and name.endswith(".json")
    ]


def with_spec_section(results: list[dict[str, Any]]) -> dict[str, Any] | None:
    """A result that carries a spec-section attachment (failed ones first)."""
    found = [
        r
        for r in results
        if any(
            str(link.get("name", "")).startswith("spec ")
            for link in _attachment_links(r.get("steps", []))
        )
    ]
    found.sort(key=lambda r: r.get("status") not in ("failed", "broken"))
    return found[0] if found else None


def _attachment_links(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    links: list[dict[str, Any]] = []
    for step in steps:
        if step.get("type") == "attachment" and isinstance(step.get("link"), dict):
            links.append(step["link"])
        links += _attachment_links(step.get("steps", []))
    return links


def missed_attachments(results: list[dict[str, Any]]) -> list[str]:
    """``result name: attachment name`` for every attachment Allure could not link."""
    return [
        f"{r.get('name')}: {link.get('name')}"
        for r in results
        for link in _attachment_links(r.get("steps", []))
        if link.get("missed")
    ]


def _label(result: dict[str, Any], name: str) -> str:
    return next(
        (str(lb.get("value")) for lb in result.get("labels", []) if lb.get("name") == name), ""
    )


def failed_semantic(results: list[dict[str, Any]]) -> dict[str, Any] | None:
    """A failed contract check with an HTTP exchange (not fuzz, not load)."""
    found = [
        r
        for r in results
        if r.get("status") == "failed"
        and _label(r, "epic") != "Load"
        and _label(r, "feature") != "Fuzz"
        and any(link.get("name") == "curl" for link in _attachment_links(r.get("steps", [])))
    ]
    return sorted(found, key=lambda r: str(r.get("name")))[0] if found else None


def slo_result(results: list[dict[str, Any]], status: str | None = None) -> dict[str, Any] | None:
    """An SLO result (failed ones when ``status`` says so), p95 first."""
    found = [
        r
        for r in results
        if _label(r, "feature") == "SLOs" and (status is None or r.get("status") == status)
    ]
    found.sort(key=lambda r: ("p95" not in str(r.get("fullName")), str(r.get("fullName"))))
    return found[0] if found else None


def first_failed(results: list[dict[str, Any]]) -> dict[str, Any] | None:
    failed = [r for r in results if r.get("status") in ("failed", "broken")]
    failed.sort(key=lambda r: (r.get("status") != "failed", str(r.get("name"))))
    return failed[0] if failed else None


SAMPLE_GROUPS = ("epic", "feature", "suite", "rule")
"""Labels whose every value a sampled visit still covers: suite (epic and suite), area
(feature) and category (the rule id Allure groups contract violations by)."""


def to_visit(
    results: list[dict[str, Any]], sample: int | None = None, seed: int = 0
) -> list[dict[str, Any]]:
    """The results with an attachment whose pages get visited: all of them (``sample``
    None), or every failed or broken one, then at least one per value of each
    :data:`SAMPLE_GROUPS` label, then ``sample`` of the rest drawn with ``seed``. The order
    is by full name (result ids are random per run), so one report gives one selection."""
    candidates = [r for r in results if _attachment_links(r.get("steps", []))]
    candidates.sort(key=lambda r: (str(r.get("fullName")), str(r.get("name")), str(r.get("id"))))
    if sample is None:
        return candidates
    chosen = [r for r in candidates if r.get("status") in ("failed", "broken")]
    covered = {key for r in chosen for key in _groups(r)}
    for result in candidates:
        keys = _groups(result)
        if not keys <= covered:  # a failed one covers its own groups already
            chosen.append(result)
            covered |= keys
    picked = {id(r) for r in chosen}
    rest = [r for r in candidates if id(r) not in picked]
    chosen += random.Random(seed).sample(rest, min(sample, len(rest)))
    return chosen


def _groups(result: dict[str, Any]) -> set[tuple[str, str]]:
    return {(name, _label(result, name)) for name in SAMPLE_GROUPS if _label(result, name)}


def epics(results: list[dict[str, Any]]) -> list[str]:
    found = {
        str(label.get("value"))
        for r in results
        for label in r.get("labels", [])
        if label.get("name") == "epic"
    }
    return sorted(found)


class DevTools:
    """A minimal DevTools-protocol client over Chromium's debugging pipe."""

    def __init__(self, browser: str, profile_dir: Path) -> None:
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()

        def wire_fds() -> None:  # in the child: fd 3 reads commands, fd 4 writes replies
            os.dup2(to_chrome_r, 3)
            os.dup2(from_chrome_w, 4)

        self.process = subprocess.Popen(
            [browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile_dir}", "about:blank"],
            preexec_fn=wire_fds,
            pass_fds=(3, 4),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._writer: BinaryIO = os.fdopen(self._to_chrome, "wb", buffering=0)
        self._reader: BinaryIO = os.fdopen(self._from_chrome, "rb", buffering=0)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []
        self.session: str | None = None

    def call(
        self, method: str, params: dict[str, Any] | None = None, *, browser: bool = False
    ) -> Any:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if self.session and not browser:
            message["sessionId"] = self.session
        self._writer.write(json.dumps(message).encode() + b"\0")
        while True:
            reply = self._receive()
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def _receive(self) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            chunk = self._reader.read(1 << 16)
            if not chunk:
                raise RuntimeError("chromium closed the debugging pipe")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        message: dict[str, Any] = json.loads(raw)
        return message

    def open_page(self, width: int, height: int) -> None:
        target = self.call("Target.createTarget", {"url": "about:blank"}, browser=True)
        attached = self.call(
            "Target.attachToTarget", {"targetId": target["targetId"], "flatten": True}, browser=True
        )
        self.session = attached["sessionId"]
        self.call("Network.enable")
        self.call("Page.enable")
        self.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        return result.get("result", {}).get("value")

    def wait_for(self, expression: str, timeout_s: float = 20.0) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.evaluate(expression):
                return True
            time.sleep(0.2)
        return False

    def text(self) -> str:
        return str(self.evaluate("document.body ? document.body.innerText : ''") or "")

    def screenshot(self, path: Path) -> int:
        data = base64.b64decode(self.call("Page.captureScreenshot", {"format": "png"})["data"])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return len(data)

    def requested_urls(self) -> list[str]:
        return [
            str(e["params"]["request"]["url"])
            for e in self.events
            if e.get("method") == "Network.requestWillBeSent"
        ]

    def close(self) -> None:
        with contextlib.suppress(RuntimeError, OSError):
            self.call("Browser.close", browser=True)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._writer.close()
        self._reader.close()


_TAB = "!!document.querySelector('[data-testid=\"test-result-tab-{tab}\"]')"
_LOADING = "document.querySelectorAll('[class*=\"test-result-spinner\"]').length === 0"
"""No attachment still loading (the navigation tree keeps spinners of its own)."""
_FAILED_TO_LOAD = "Failed to load attachment"
_HAS_ATTACHMENTS = "document.querySelectorAll('button span[class*=\"arrow-button\"]').length > 0"


def open_result(tools: DevTools, url: str, result: dict[str, Any], tab: str) -> bool:
    """Navigate to one result's tab and expand every attachment; True once it shows.

    The Attachments tab lists only the attachments Allure could link; a missed one shows,
    as "Failed to load attachment", only on the Overview tab, in the body of the result.
    """
    tools.call("Page.navigate", {"url": f"{url}#/{result['id']}/{tab}"})
    name = json.dumps(str(result.get("name", ""))[:60])
    shown = tools.wait_for(_TAB.format(tab=tab) + f" && document.body.innerText.includes({name})")
    if tab in ("attachments", "overview") and shown:
        tools.wait_for(_HAS_ATTACHMENTS, timeout_s=5)
        tools.evaluate(_EXPAND_ATTACHMENTS)
        tools.wait_for(_LOADING, timeout_s=10)
    return shown


def check(
    report: Path,
    out: Path,
    browser: str,
    width: int,
    height: int,
    min_history: int = 0,
    sample: int | None = None,
    sample_seed: int = 0,
) -> dict[str, Any]:
    """Every check and screenshot; the verdict as a JSON-ready dict."""
    results = embedded_results(report)
    failed = failed_semantic(results) or first_failed(results)
    url = report.as_uri()
    verdict: dict[str, Any] = {"report": str(report), "checks": {}, "screenshots": {}}
    checks: dict[str, bool] = verdict["checks"]
    missed = missed_attachments(results)
    checks["no attachment missed in the data"] = not missed
    verdict["missed_attachments_count"] = len(missed)
    verdict["missed_attachments"] = missed[:20]
    with tempfile.TemporaryDirectory(prefix="oms-chromium-") as profile_dir:
        tools = DevTools(browser, Path(profile_dir))
        try:
            tools.open_page(width, height)
            tools.call("Page.navigate", {"url": url})
            checks["overview rendered"] = tools.wait_for(
                "document.body && document.body.innerText.includes('Total')"
            )
            text = tools.text()
            checks["overview lists every suite"] = all(epic in text for epic in epics(results))
            verdict["epics"] = epics(results)
            verdict["screenshots"]["overview"] = str(out / "overview.png")
            tools.screenshot(out / "overview.png")
            if failed is not None:
                verdict["failed_check"] = failed.get("name")
                checks["failed check opens"] = open_result(tools, url, failed, "attachments")
                checks["request and response shown"] = tools.wait_for(
                    "document.body.innerText.includes('HTTP ')"
                    " && /authorization: Bearer \\[redacted\\]/i.test(document.body.innerText)"
                )
                path = out / "failed-check.png"
                tools.screenshot(path)
                verdict["screenshots"]["failed check"] = str(path)
            _check_failed_semantic(tools, url, results, out, verdict)
            _check_failed_slo(tools, url, results, out, verdict)
            _check_categories(tools, url, results, out, verdict)
            _check_spec(tools, url, results, out, verdict)
            _check_every_result(tools, url, results, verdict, sample, sample_seed)
            if min_history:
                _check_history(tools, url, results, out, verdict, min_history)
            remote = [u for u in tools.requested_urls() if not u.startswith(LOCAL_SCHEMES)]
            checks["no network requests"] = not remote
            verdict["remote_requests"] = remote[:10]
        finally:
            tools.close()
    verdict["ok"] = all(checks.values())
    return verdict


def _check_every_result(
    tools: DevTools,
    url: str,
    results: list[dict[str, Any]],
    verdict: dict[str, Any],
    sample: int | None = None,
    sample_seed: int = 0,
) -> None:
    """Visit each result with an attachment (its Overview, where a missed attachment shows),
    or the sample :func:`to_visit` draws, expand them all, and look for a load failure."""
    failing: list[str] = []
    visiting = to_visit(results, sample, sample_seed)
    visited = 0
    for result in visiting:
        visited += 1
        if not open_result(tools, url, result, "overview"):
            failing.append(f"{result.get('name')}: page did not open")
        elif _FAILED_TO_LOAD in tools.text():
            failing.append(f"{result.get('name')}: {_FAILED_TO_LOAD}")
    every = to_visit(results)
    failed = [r for r in every if r.get("status") in ("failed", "broken")]
    groups = {key for r in every for key in _groups(r)}
    visited_groups = {key for r in visiting for key in _groups(r)}
    verdict["results_with_attachments"] = len(every)
    verdict["results_visited"] = visited
    verdict["visited"] = "all" if sample is None else f"sample {sample}, seed {sample_seed}"
    seen = {id(r) for r in visiting}
    verdict["failed_not_visited"] = [str(r.get("name")) for r in failed if id(r) not in seen]
    verdict["groups_not_visited"] = sorted(f"{k}={v}" for k, v in groups - visited_groups)
    verdict["attachments_failing_count"] = len(failing)
    verdict["attachments_failing"] = failing[:20]
    verdict["checks"]["every attachment loads"] = visited > 0 and not failing


def _check_failed_semantic(
    tools: DevTools, url: str, results: list[dict[str, Any]], out: Path, verdict: dict[str, Any]
) -> None:
    """A failed check is actionable: request, indented response, a curl that pastes."""
    result = failed_semantic(results)
    if result is None:
        return
    verdict["failed_semantic"] = result.get("name")
    open_result(tools, url, result, "attachments")
    text = tools.text()
    verdict["checks"]["failure is actionable"] = (
        "HTTP " in text
        and bool(re.search(r"\n\s{2,}\"data\": \{", text))  # the body is indented
        and "Authorization: Bearer $OMS_TOKEN" in text
        and str(result.get("error", {}).get("message", "")).startswith("[")
    )
    tools.screenshot(out / "failed-semantic.png")
    verdict["screenshots"]["failed semantic check"] = str(out / "failed-semantic.png")


def _check_failed_slo(
    tools: DevTools, url: str, results: list[dict[str, Any]], out: Path, verdict: dict[str, Any]
) -> None:
    """A failed SLO shows its plot and the failures by cause."""
    result = slo_result(results, "failed")
    if result is None:
        return
    verdict["failed_slo"] = result.get("name")
    open_result(tools, url, result, "attachments")
    verdict["checks"]["failed SLO shows its plot"] = tools.wait_for(
        "Array.from(document.images).some(i => i.complete && i.naturalWidth > 300)"
        " && ['answers broke a contract rule', 'failed requests (error_rate',"
        " 'no failed requests'].some(t => document.body.innerText.includes(t))"
    )
    tools.screenshot(out / "failed-slo.png")
    verdict["screenshots"]["failed SLO"] = str(out / "failed-slo.png")


_OPEN_CATEGORY = (
    "(() => {{ const el = Array.from(document.querySelectorAll('*')).find(e =>"
    " e.childElementCount === 0 && e.textContent.trim() === {name}); if (el) el.click();"
    " return !!el; }})()"
)


def _check_categories(
    tools: DevTools, url: str, results: list[dict[str, Any]], out: Path, verdict: dict[str, Any]
) -> None:
    """Contract violations are grouped by rule id (each message names its own URL)."""
    rules = sorted({_label(r, "rule") for r in results if r.get("status") == "failed"} - {""})
    conformance = [rule for rule in rules if not rule.startswith(SLO_CHECK_PREFIX)]
    if not conformance:
        return
    tools.call("Page.navigate", {"url": f"{url}#categories"})
    name = json.dumps("Contract violation")
    tools.wait_for(f"document.body.innerText.includes({name})")
    tools.evaluate(_OPEN_CATEGORY.format(name=name))
    shown = tools.wait_for(
        " && ".join(f"document.body.innerText.includes({json.dumps(r)})" for r in conformance)
    )
    verdict["rules_in_categories"] = conformance
    verdict["checks"]["categories grouped by rule"] = shown
    tools.screenshot(out / "categories.png")
    verdict["screenshots"]["categories"] = str(out / "categories.png")


def _check_history(
    tools: DevTools,
    url: str,
    results: list[dict[str, Any]],
    out: Path,
    verdict: dict[str, Any],
    min_history: int,
) -> None:
    """An SLO keeps one identity across runs: its History tab lists the earlier runs."""
    result = slo_result(results)
    checks: dict[str, bool] = verdict["checks"]
    checks[f"SLO history has {min_history}+ entries"] = False
    if result is None:
        return
    open_result(tools, url, result, "history")
    counted = "document.querySelectorAll('[data-testid=\"test-result-history-item\"]').length"
    tools.wait_for(f"{counted} >= {min_history}", timeout_s=10)
    entries = int(tools.evaluate(counted) or 0)
    verdict["history_slo"] = result.get("name")
    verdict["history_entries"] = entries
    checks[f"SLO history has {min_history}+ entries"] = entries >= min_history
    tools.screenshot(out / "slo-history.png")
    verdict["screenshots"]["SLO history"] = str(out / "slo-history.png")


def _check_spec(
    tools: DevTools, url: str, results: list[dict[str, Any]], out: Path, verdict: dict[str, Any]
) -> None:
    """The spec a result links to is readable inside the report, offline."""
    checks: dict[str, bool] = verdict["checks"]
    linked = with_spec_section(results)
    checks["spec section attached"] = False
    if linked is not None:
        verdict["spec_check"] = linked.get("name")
        open_result(tools, url, linked, "attachments")
        checks["spec section attached"] = tools.wait_for(
            f"document.body.innerText.includes({json.dumps(SPEC_SECTION_MARK)})"
        )
        tools.screenshot(out / "spec-section.png")
        verdict["screenshots"]["spec section"] = str(out / "spec-section.png")
    tools.call("Page.navigate", {"url": f"{url}#globalAttachments"})
    tools.wait_for("!!document.querySelector('[data-testid=\"nav-tab-globalAttachments\"]')")
    tools.evaluate(_EXPAND_ATTACHMENTS)
    checks["spec in global attachments"] = tools.wait_for(
        "document.body.innerText.includes('openapi.yaml')"
        " && /^openapi: 3/m.test(document.body.innerText)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("report", type=Path, help="the single-file index.html")
    parser.add_argument("--out", type=Path, default=Path("reports/screenshots"))
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--height", type=int, default=1100)
    parser.add_argument(
        "--min-history",
        type=int,
        default=0,
        metavar="N",
        help="require an SLO's History tab to list at least N earlier runs",
    )
    parser.add_argument(
        "--sample",
        type=int,
        default=None,
        metavar="N",
        help=(
            "visit every failed or broken result, one of every suite, area and category, "
            "and N of the rest (default: visit every result)"
        ),
    )
    parser.add_argument(
        "--sample-seed", type=int, default=0, metavar="S", help="seed of --sample (default 0)"
    )
    args = parser.parse_args(argv)
    if args.sample is not None and args.sample < 0:
        parser.error("--sample must be 0 or more")
    browser = chromium()
    if browser is None:
        print("chromium not found: apt-get update && apt-get install -y chromium", file=sys.stderr)
        return 2
    report = args.report.resolve()
    if not report.is_file():
        print(f"no report at {report}", file=sys.stderr)
        return 2
    verdict = check(
        report,
        args.out.resolve(),
        browser,
        args.width,
        args.height,
        args.min_history,
        args.sample,
        args.sample_seed,
    )
    print(json.dumps(verdict, indent=2))
    return 0 if verdict["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
