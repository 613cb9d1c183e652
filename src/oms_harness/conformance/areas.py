"""Which suite (area) a test belongs to, from its module: the runner's per-area verdict rows."""

from __future__ import annotations

AREAS: dict[str, str] = {
    "test_fuzz.py": "fuzz",
    "test_currency.py": "currency",
    "test_decimal_format.py": "decimal",
    "test_customer_ids.py": "customer-id",
    "test_error_bodies.py": "error-bodies",
    "test_updated_at.py": "updated-at",
    "test_auth.py": "auth",
    "test_spec_gaps.py": "spec-gaps",
}
AREA_ORDER = tuple(AREAS.values())
SEMANTIC_MODULES = tuple(name for name, area in AREAS.items() if area != "fuzz")
FUZZ_MODULES = ("test_fuzz.py",)


def area_of(nodeid: str) -> str:
    """``test_auth.py::test_x[...]`` -> ``auth``; unknown modules map to ``other``."""
    module = nodeid.split("::", 1)[0].rsplit("/", 1)[-1]
    return AREAS.get(module, "other")
