"""Locate the files the harness ships beside its code: the pinned spec, suites, scenarios.

In a checkout (editable install) they live at the repository's top level; in a wheel, hatch
copies them under ``oms_harness/_bundled``. Either way there is exactly one copy.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent
_BUNDLED = _PACKAGE_DIR / "_bundled"
_CHECKOUT = _PACKAGE_DIR.parent.parent


def _locate(relative: str) -> Path:
    for root in (_BUNDLED, _CHECKOUT):
        candidate = root / relative
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"oms-harness installation is missing {relative}")


def spec_path() -> Path:
    """The pinned OpenAPI document (``spec/openapi.yaml``)."""
    return _locate("spec/openapi.yaml")


def conformance_dir() -> Path:
    """The pytest suites of the conformance gate (``conformance/``)."""
    return _locate("conformance")


def load_dir() -> Path:
    """The Locust scenarios (``load/``)."""
    return _locate("load")
