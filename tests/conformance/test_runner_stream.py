"""What the runner relays of pytest's output: progress, never the failure sections."""

from __future__ import annotations

import io

import pytest

from oms_harness.conformance import progress
from oms_harness.conformance.runner import _stream
from oms_harness.redaction import Redactor

PYTEST_OUTPUT = f"""\
..F.s
{progress.PREFIX}{{"done":5,"total":5,"failed":1}}
=================================== FAILURES ===================================
_________________________ test_default_currency_is_usd _________________________
Traceback (most recent call last):
E   Failed: [currency.default] EUR, not USD
=============================== warnings summary ===============================
conformance/test_x.py::test_y
  PytestWarning: something the harness developers must see
!!!!!!!!!!!!!!!!!!! Interrupted: the time limit was reached !!!!!!!!!!!!!!!!!!!
1 failed, 3 passed, 1 skipped in 1.23s
"""


def test_failure_sections_are_not_relayed_but_warnings_and_the_end_are(
    capsys: pytest.CaptureFixture[str],
) -> None:
    last = _stream(io.StringIO(PYTEST_OUTPUT), Redactor([]), echo=True)
    out = capsys.readouterr().out
    assert "Traceback" not in out
    assert "EUR, not USD" not in out  # the runner's summary names each failure once
    assert "FAILURES" not in out
    assert "PytestWarning" in out
    assert "Interrupted: the time limit was reached" in out
    assert "1 failed, 3 passed, 1 skipped" in out
    assert "5/5" in out or "5 of 5" in out, out
    assert last.startswith("1 failed, 3 passed")


def test_an_interruption_inside_a_failure_section_still_shows(
    capsys: pytest.CaptureFixture[str],
) -> None:
    text = "= FAILURES =\nE   boom\n!!! Interrupted: 1 error during collection !!!\n"
    _stream(io.StringIO(text), Redactor([]), echo=True)
    out = capsys.readouterr().out
    assert "boom" not in out
    assert "Interrupted: 1 error during collection" in out
