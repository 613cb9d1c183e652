"""oms-harness: conformance and load testing for the Polygon OMS balance endpoint.

The public API is what this module exports; everything behind an underscore or in a
sub-package not listed here may change without notice.
"""

from ._version import __version__
from .contract import (
    BalanceRequest,
    DecimalPlacesTracker,
    Violation,
    check_balance_response,
    check_error_response,
    check_exact_error,
)
from .errors import HarnessError, ProfileError, TargetUnavailableError, UsageError
from .exit_codes import ExitCode

__all__ = [
    "BalanceRequest",
    "DecimalPlacesTracker",
    "ExitCode",
    "HarnessError",
    "ProfileError",
    "TargetUnavailableError",
    "UsageError",
    "Violation",
    "__version__",
    "check_balance_response",
    "check_error_response",
    "check_exact_error",
]
