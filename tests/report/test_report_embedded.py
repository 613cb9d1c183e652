"""A credential inside the single-file report's base64-embedded attachments is found."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from oms_harness.report.embedded import embedded_files, searchable_views
from oms_harness.report.secrets import Secrets, embedded_leaks

TOKEN = "tok_ZXhhbXBsZS1zZWNyZXQtdG9rZW4tMTIzNDU2"


def _single_file(attachment: str) -> bytes:
    """The shape of Allure 3.18's single file: data files as ``d("name","base64")`` calls."""
    result = base64.b64encode(json.dumps({"name": "t", "status": "failed"}).encode()).decode()
    blob = base64.b64encode(attachment.encode()).decode()
    return (
        '<html><script>window.allure={};</script><script>d("data/test-results/ab12.json",'
        f'"{result}"),d("data/attachments/95b469b7c6e3.txt","{blob}")</script></html>'
    ).encode()


def test_embedded_files_are_decoded() -> None:
    files = dict(embedded_files(_single_file("GET /v0.9 HTTP/1.1")))
    assert files["data/attachments/95b469b7c6e3.txt"] == b"GET /v0.9 HTTP/1.1"
    assert json.loads(files["data/test-results/ab12.json"])["status"] == "failed"


def test_a_token_inside_an_embedded_attachment_is_found() -> None:
    html = _single_file(f"authorization: Bearer {TOKEN}")
    assert TOKEN.encode() not in html  # a plain byte grep cannot see it
    hits = [name for name, data in searchable_views(html) if TOKEN.encode() in data]
    assert hits == ["data/attachments/95b469b7c6e3.txt"]


def test_embedded_leaks_names_the_file_and_the_attachment(tmp_path: Path) -> None:
    leaking = tmp_path / "index.html"
    leaking.write_bytes(_single_file(f"token={TOKEN}"))
    clean = tmp_path / "clean.html"
    clean.write_bytes(_single_file("authorization: Bearer [redacted]"))
    secrets = Secrets().with_value(TOKEN)
    assert embedded_leaks([leaking, clean], secrets) == [
        (leaking, "data/attachments/95b469b7c6e3.txt")
    ]
    assert embedded_leaks([leaking], Secrets()) == []


def test_plain_files_have_one_view() -> None:
    assert list(searchable_views(b"plain text")) == [("", b"plain text")]
