"""The invalid-id corpus: every entry is invalid, and it covers what the issue lists."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import yaml

from oms_harness.conformance.corpus import (
    BASE_ID,
    LONG_ID_LENGTH,
    VECTORS_FILE,
    invalid_ids,
    is_invalid,
    near_misses,
    official_vectors,
    real_near_misses,
)
from oms_harness.contract import typeid


def test_base_id_is_a_valid_customer_id() -> None:
    assert typeid.is_customer_id(BASE_ID)


def test_every_entry_is_not_a_customer_id() -> None:
    valid = [entry.name for entry in invalid_ids() if not is_invalid(entry)]
    assert valid == []


def test_entries_are_unique_and_named_uniquely() -> None:
    entries = invalid_ids()
    assert len({e.segment for e in entries}) == len(entries)
    assert len({e.name for e in entries}) == len(entries)


def test_segments_are_percent_encoded_path_segments() -> None:
    for entry in invalid_ids():
        assert "/" not in entry.segment
        assert entry.segment.isascii()
        assert " " not in entry.segment


def test_shipped_vectors_equal_the_projects_copy(data_dir: Path) -> None:
    ours = yaml.safe_load(VECTORS_FILE.read_text(encoding="utf-8"))
    theirs = yaml.safe_load((data_dir / "typeid" / "invalid.yml").read_text(encoding="utf-8"))
    assert ours == theirs


def test_every_official_vector_is_in_the_corpus_as_is() -> None:
    segments = {e.segment for e in invalid_ids()}
    for vector in official_vectors():
        assert quote(vector["typeid"], safe="") in segments, vector["name"]


def test_prefix_vectors_are_moved_to_cst() -> None:
    names = {e.name for e in invalid_ids()}
    wanted = {
        "typeid-suffix-short-cst",
        "typeid-suffix-overflow-cst",
        "typeid-prefix-uppercase-cst",
    }
    assert wanted <= names
    moved = [e for e in invalid_ids() if e.name == "typeid-suffix-overflow-cst"]
    assert moved[0].decoded == b"cst_8zzzzzzzzzzzzzzzzzzzzzzzzz"


def test_covers_each_listed_category() -> None:
    decoded = [e.decoded for e in invalid_ids()]
    suffixes = [d[4:] for d in decoded if d.startswith(b"cst_")]
    assert {len(s) for s in suffixes} >= {25, 27}
    firsts = {s[:1].decode() for s in suffixes if len(s) == 26 and s.isascii()}
    assert set(typeid.ALPHABET[8:]) <= firsts
    for letter in b"ilou":
        assert any(letter in s for s in suffixes if len(s) == 26)
    assert any(d.startswith(b"CST_") for d in decoded)
    assert any(not d.isascii() for d in decoded)
    assert any(b"%" in d for d in decoded)
    assert any(len(d) >= LONG_ID_LENGTH for d in decoded)
    other_prefixes = {d.split(b"_")[0] for d in decoded if b"_" in d} - {b"cst"}
    assert {b"usr", b"cus"} <= other_prefixes


def test_non_utf8_entries_are_displayed_encoded() -> None:
    entry = next(e for e in invalid_ids() if e.name == "invalid-utf8")
    assert entry.display.endswith("%FF")


REAL = {
    "funded": "cst_01jyq8rrj8fz0b1t3p2d5dj0kg",
    "empty": "cst_7zzzzzzzzzzzzzzzzzzzzzzzzz",
}


def test_raw_malformed_escapes_are_sent_as_they_are() -> None:
    segments = {e.name: e.segment for e in invalid_ids()}
    for name, escape in [
        ("raw-escape-zz", "%zz"),
        ("raw-escape-one-digit", "%4"),
        ("raw-escape-double", "%%"),
        ("raw-escape-g0", "%G0"),
    ]:
        assert escape in segments[name]
    assert segments["raw-escape-trailing"].endswith("%")
    assert segments["raw-escape-alone"] == "%"


def test_every_transformation_is_applied_to_each_real_customer() -> None:
    base = {e.name for e in near_misses(BASE_ID)}
    misses = real_near_misses(REAL)
    by_role = {
        role: {e.name.removeprefix(f"{role}-") for e in misses if e.name.startswith(f"{role}-")}
        for role in REAL
    }
    assert by_role["funded"] == base
    # what does not depend on the id ("cst_", a lone "%") is sent once, for the first role
    assert base - by_role["empty"] == {"length-0", "raw-escape-alone"}
    assert all(is_invalid(e) for e in misses)
    assert len({e.segment for e in misses}) == len(misses)
    upper = next(e for e in misses if e.name == "funded-upper-all")
    assert upper.decoded == REAL["funded"].upper().encode()
    blank = next(e for e in misses if e.name == "empty-trailing-space")
    assert blank.decoded == REAL["empty"].encode() + b" "
    assert "on the empty customer's id" in blank.why


def test_a_transformation_that_leaves_a_valid_id_is_dropped() -> None:
    digit_last = "cst_01jyq8rrj8fz0b1t3p2d5dj0k0"  # upper-casing "0" changes nothing
    names = {e.name for e in near_misses(digit_last)}
    assert "upper-one-char" not in names
    assert "upper-suffix" in names


def test_near_misses_of_ids_that_are_not_customer_ids_are_not_built() -> None:
    assert real_near_misses({"funded": "not-an-id"}) == ()
