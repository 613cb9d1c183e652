"""The credential sweep: a secret in any written file is found and replaced."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from oms_harness.profile import Credentials, TargetProfile
from oms_harness.redaction import snapshot, written_since
from oms_harness.report.secrets import Secrets, profile_secrets, sweep

TOKEN = "tok_ZXhhbXBsZS1zZWNyZXQtdG9rZW4tMTIzNDU2"
SECRET = "sk_live_0123456789abcdefSECRET"


def test_profile_secrets_collects_every_source() -> None:
    profile = TargetProfile(
        base_url="http://127.0.0.1:1/v0.9",
        credentials=Credentials(token=TOKEN, api_key_env="K", api_secret_env="S"),
        customers={},
    )
    secrets = profile_secrets(profile, {"K": "key_abcdefgh", "S": SECRET, "OMS_TOKEN": "envtok123"})
    # each value with its encoded forms (URL, base64), and the key:secret pair as Basic carries it
    assert {TOKEN, "key_abcdefgh", SECRET, "envtok123"} <= secrets.values
    assert base64.b64encode(f"key_abcdefgh:{SECRET}".encode()).decode() in secrets.values
    assert TOKEN not in repr(secrets)


def test_short_values_are_not_secrets() -> None:
    assert Secrets().with_value("abc").with_value("").with_value(None).values == frozenset()


def test_sweep_fixes_text_and_binary_files(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    clean = tmp_path / "clean.txt"
    clean.write_text("nothing here", encoding="utf-8")
    text = tmp_path / "sub" / "log.txt"
    text.write_text(f"Authorization: Bearer {TOKEN}\nsecret={SECRET}", encoding="utf-8")
    binary = tmp_path / "blob.bin"
    binary.write_bytes(b"\x00\xff" + TOKEN.encode() + b"\x00")
    fixed = sweep([tmp_path], Secrets().with_value(TOKEN).with_value(SECRET))
    assert sorted(fixed) == sorted([text, binary])
    for path in (text, binary):
        data = path.read_bytes()
        assert TOKEN.encode() not in data
        assert SECRET.encode() not in data
        assert b"[redacted]" in data
    assert clean.read_text(encoding="utf-8") == "nothing here"


def test_sweep_without_secrets_or_files(tmp_path: Path) -> None:
    assert sweep([tmp_path / "missing"], Secrets().with_value(TOKEN)) == []
    assert sweep([tmp_path], Secrets()) == []


def test_scrub_also_catches_jwt_shapes() -> None:
    unsigned = ".".join(
        base64.urlsafe_b64encode(json.dumps(part).encode()).decode().rstrip("=")
        for part in ({"alg": "none"}, {"sub": "x"})
    )
    token = f"{unsigned}."  # an alg-none JWT, built at run time
    assert Secrets().scrub(f"alg none token {token} sent") == "alg none token [redacted] sent"


def test_written_since_ignores_untouched_files(tmp_path: Path) -> None:
    user = tmp_path / "my-profile.toml"
    user.write_text(f'token = "{TOKEN}"\n', encoding="utf-8")
    kept = tmp_path / "sub" / "old.log"
    kept.parent.mkdir()
    kept.write_text("old", encoding="utf-8")
    rewritten = tmp_path / "sub" / "summary.md"
    rewritten.write_text("old", encoding="utf-8")
    before = snapshot(tmp_path)
    rewritten.write_text("new and longer", encoding="utf-8")
    new = tmp_path / "new.txt"
    new.write_text("x", encoding="utf-8")
    assert sorted(written_since(before, tmp_path)) == sorted([rewritten, new])
    assert written_since(before, tmp_path, exclude=[new]) == [rewritten]


def test_a_replaced_file_counts_as_written(tmp_path: Path) -> None:
    """Same size, replaced by rename (what atomic writers do): a new inode is a write."""
    path = tmp_path / "index.html"
    path.write_text("aaaa", encoding="utf-8")
    before = snapshot(tmp_path)
    fresh = tmp_path / "fresh"
    fresh.write_text("bbbb", encoding="utf-8")
    fresh.replace(path)
    assert written_since(before, tmp_path) == [path]


def test_snapshot_of_a_missing_dir_is_empty(tmp_path: Path) -> None:
    assert snapshot(tmp_path / "missing") == {}
