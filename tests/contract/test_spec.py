"""The pinned spec: valid OpenAPI, the expected version, and what the rules derive from it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from openapi_spec_validator import validate

from oms_harness._resources import spec_path
from oms_harness.contract import spec


def test_pinned_spec_is_valid_openapi() -> None:
    validate(yaml.safe_load(spec_path().read_text(encoding="utf-8")))


def test_pinned_version_is_deliberate() -> None:
    # A spec update must be a deliberate change: bump PINNED_VERSION with it.
    assert spec.spec_version() == spec.PINNED_VERSION == "v26.05.28-0001"


def test_spec_is_verbatim_copy_of_the_seed(repo_root: Path) -> None:
    seed = repo_root.parent / "shared" / "seed" / "customer-balance-endpoint.md"
    if not seed.exists():
        pytest.skip("../shared/seed is not beside this checkout")
    text = seed.read_text(encoding="utf-8")
    start = text.index("\n", text.index("````yaml")) + 1
    assert spec_path().read_text(encoding="utf-8") == text[start : text.index("````", start)]


def test_documented_statuses() -> None:
    assert spec.documented_statuses() == {200, 400, 401, 404, 422, 502, 503}


@pytest.mark.parametrize(
    ("status", "error", "code"),
    [
        (400, "invalid customer id", None),
        (401, "unauthorized", None),
        (404, "customer not found", None),
        (
            422,
            "provider account not provisioned for this customer",
            "provider_user_account_not_found",
        ),
        (502, None, "provider_error"),
        (503, "upstream provider unreachable", "provider_unreachable"),
    ],
)
def test_exact_strings_come_from_the_component_schemas(
    status: int, error: str | None, code: str | None
) -> None:
    assert spec.exact_error_text(status) == error
    assert spec.error_code(status) == code


def test_undocumented_status_has_no_schema() -> None:
    with pytest.raises(spec.SpecError):
        spec.response_schema(500)


def test_malformed_spec_is_a_spec_error(tmp_path: Path) -> None:
    broken = tmp_path / "openapi.yaml"
    broken.write_text("openapi: [unclosed", encoding="utf-8")
    with pytest.raises(spec.SpecError, match="cannot read"):
        spec.load_spec(broken)
    other = tmp_path / "other.yaml"
    other.write_text("openapi: 3.0.3\npaths: {}\n", encoding="utf-8")
    with pytest.raises(spec.SpecError, match="does not define"):
        spec.load_spec(other)
