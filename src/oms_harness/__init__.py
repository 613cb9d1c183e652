"""oms-harness: conformance and load testing for the Polygon OMS balance endpoint.

The public API is what this module exports; everything behind an underscore or in a
sub-package not listed here may change without notice.
"""

from ._version import __version__
from .contract import (
    RULES,
    Answer,
    AnswerHistory,
    BalanceRequest,
    Expectations,
    Sent,
    Violation,
    check_exact_error,
    judge,
    rule,
)
from .errors import HarnessError, ProfileError, TargetUnavailableError, UsageError
from .exit_codes import ExitCode

__all__ = [
    "RULES",
    "Answer",
    "AnswerHistory",
    "BalanceRequest",
    "ExitCode",
    "Expectations",
    "HarnessError",
    "ProfileError",
    "Sent",
    "TargetUnavailableError",
    "UsageError",
    "Violation",
    "__version__",
    "check_exact_error",
    "judge",
    "rule",
]
