"""The contract of ``GET /customers/{id}/balance`` as pure rules (no I/O but the spec file)."""

from . import decimal_string, rfc3339, spec, typeid
from .rules import (
    DEFAULT_CURRENCY,
    BalanceRequest,
    DecimalPlacesTracker,
    Violation,
    check_balance_response,
    check_content_type,
    check_error_response,
    check_exact_error,
    check_status_documented,
    check_updated_at_absent,
    parse_json,
    schema_violations,
)

__all__ = [
    "DEFAULT_CURRENCY",
    "BalanceRequest",
    "DecimalPlacesTracker",
    "Violation",
    "check_balance_response",
    "check_content_type",
    "check_error_response",
    "check_exact_error",
    "check_status_documented",
    "check_updated_at_absent",
    "decimal_string",
    "parse_json",
    "rfc3339",
    "schema_violations",
    "spec",
    "typeid",
]
