"""Which area a test's outcome counts in: the area of the rule that broke, else its suite's.

A failure is filed under the area of the first rule the judge names in it (registry ids
look ``[decimal.grammar] ...``), so a dropped trailing zero counts in ``decimal`` whichever
suite noticed it. A pass, a skip, or a failure no rule explains (a schemathesis built-in
check, a crash) counts in the area of the suite module.
"""

from __future__ import annotations

from ..contract import registry

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
"""Suite module -> its area."""
AREA_ORDER = ("fuzz", *registry.AREAS, "spec-gaps")
"""The order reviewers read areas in (the same in the CLI table and the report)."""
SEMANTIC_MODULES = tuple(name for name, area in AREAS.items() if area != "fuzz")
FUZZ_MODULES = ("test_fuzz.py",)


def area_of(nodeid: str, rules: list[str] | None = None) -> str:
    """The area of the first broken rule, else ``test_auth.py::…`` -> ``auth`` (else other)."""
    if rules:
        return registry.area_of(rules[0])
    module = nodeid.split("::", 1)[0].rsplit("/", 1)[-1]
    return AREAS.get(module, "other")
