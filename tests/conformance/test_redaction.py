"""Redaction: no token survives in headers, free text, curl lines or files."""

from __future__ import annotations

from pathlib import Path

import jwt
import pytest

from oms_harness.redaction import REDACTED, Redactor, redact_authorization, redact_headers

TOKEN = jwt.encode({"sub": "x"}, "harness-test-signing-key-32-bytes!", algorithm="HS256")
"""A real JWT, minted at import (deterministic for xdist): no token text is committed."""


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (f"Bearer {TOKEN}", f"Bearer {REDACTED}"),
        ("Basic dXNlcjpwYXNz", f"Basic {REDACTED}"),
        (TOKEN, REDACTED),
        ("Bearer", "Bearer"),
        ("Bearer ", "Bearer "),
    ],
)
def test_authorization_keeps_scheme_drops_credential(value: str, expected: str) -> None:
    assert redact_authorization(value) == expected


def test_only_sensitive_headers_are_redacted() -> None:
    headers = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json"}
    assert redact_headers(headers) == [
        ("Authorization", f"Bearer {REDACTED}"),
        ("Accept", "application/json"),
    ]


def test_known_secret_is_removed_anywhere() -> None:
    redact = Redactor(["opaque-secret-value"])
    assert "opaque-secret-value" not in redact("x=opaque-secret-value;y")


def test_jwt_shaped_strings_are_removed_even_when_unknown() -> None:
    tampered = TOKEN[:-3] + "AAA"
    text = Redactor()(f"token {tampered} and alg none {TOKEN.rsplit('.', 1)[0]}.")
    assert "eyJzdWIiOiJ4In0" not in text


@pytest.mark.parametrize(
    "line",
    [
        "curl -H 'Authorization: Bearer opaque-123456' http://x",
        '{"Authorization": "Token opaque-123456"}',
        "authorization=opaque-123456",
    ],
)
def test_authorization_values_in_text_are_removed(line: str) -> None:
    assert "opaque-123456" not in Redactor()(line)


def test_short_strings_are_not_treated_as_secrets() -> None:
    assert Redactor(["abc"])("abc abc") == "abc abc"


def test_tree_rewrites_only_files_with_secrets(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    dirty = tmp_path / "sub" / "result.json"
    dirty.write_text(f'{{"header": "Bearer {TOKEN}"}}', encoding="utf-8")
    clean = tmp_path / "clean.txt"
    clean.write_text("nothing to see", encoding="utf-8")
    assert Redactor([TOKEN]).tree(tmp_path) == 1
    assert TOKEN not in dirty.read_text(encoding="utf-8")
    assert clean.read_text(encoding="utf-8") == "nothing to see"


def test_a_variable_named_in_a_curl_is_kept() -> None:
    """``$OMS_TOKEN`` is the variable's name, not a secret: the pasted curl must still run."""
    line = 'curl -H "Authorization: Bearer $OMS_TOKEN" https://h/x'
    assert Redactor(["a-real-token-value"])(line) == line
    assert Redactor()('-H "Authorization: Bearer ${OMS_TOKEN}"').endswith('${OMS_TOKEN}"')
    assert "[redacted]" in Redactor()("Authorization: Bearer $OMS_TOKEN-and-more")


def test_json_text_stays_valid_json() -> None:
    """In JSON text an Authorization value ends at the backslash of its escaped quote."""
    import json

    document = json.dumps({"trace": 'curl -H "Authorization: Bearer abcdefgh" x'})
    redacted = Redactor()(document)
    assert json.loads(redacted)["trace"] == 'curl -H "Authorization: Bearer [redacted]" x'
