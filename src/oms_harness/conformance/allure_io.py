"""Allure output of the semantic suites: request/response/curl attachments and spec-gap marks.

``allure`` calls are no-ops when the allure plugin is not active, so the suites call these
unconditionally. Everything attached has passed through redaction already.
"""

from __future__ import annotations

import allure

from ..report.allure import SPEC_GAP_TAG
from .exchange import Exchange

SPEC_GAP_PROPERTY = "spec_gap"
"""pytest ``user_properties`` key the runner counts as a spec-gap finding."""
SPEC_DOC = "spec/openapi.yaml"
"""Links point into the pinned document by JSON pointer (relative: the report ships beside it)."""


def spec_link(pointer: str) -> str:
    """A link target for a part of the pinned spec, e.g. ``/components/schemas/X``."""
    return f"{SPEC_DOC}#{pointer}"


def attach_exchange(exchange: Exchange) -> None:
    """One Allure step per HTTP exchange, with the request, the response and a curl line."""
    with allure.step(exchange.describe()):
        allure.attach(
            exchange.render_request(), name="request", attachment_type=allure.attachment_type.TEXT
        )
        allure.attach(
            exchange.render_response(),
            name=f"response {exchange.status}",
            attachment_type=allure.attachment_type.TEXT,
        )
        allure.attach(exchange.curl, name="curl", attachment_type=allure.attachment_type.TEXT)


def attach_raw_body(exchange: Exchange) -> None:
    """The failing answer's body exactly as received: what a wire-format rule judged."""
    allure.attach(
        exchange.render_raw_body(),
        name=f"response body, raw ({len(exchange.body)} bytes)",
        attachment_type=allure.attachment_type.TEXT,
    )


def mark_spec_gap(finding: str) -> None:
    """Label the running test's Allure result as a spec-gap finding."""
    allure.dynamic.tag(SPEC_GAP_TAG)  # type: ignore[no-untyped-call]
    allure.dynamic.label("finding", SPEC_GAP_TAG)  # type: ignore[no-untyped-call]
    allure.attach(finding, name="spec gap", attachment_type=allure.attachment_type.TEXT)
