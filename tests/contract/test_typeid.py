"""The TypeID grammar against the official vectors (tests/data/typeid, spec v0.3.0)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from oms_harness.contract import typeid

DATA = Path(__file__).resolve().parent.parent / "data" / "typeid"


def _vectors(name: str) -> list[dict[str, Any]]:
    loaded: list[dict[str, Any]] = yaml.safe_load((DATA / name).read_text(encoding="utf-8"))
    return loaded


VALID = _vectors("valid.yml")
INVALID = _vectors("invalid.yml")


def test_the_vector_files_are_not_empty() -> None:
    assert len(VALID) >= 5
    assert len(INVALID) >= 15


@pytest.mark.parametrize("case", VALID, ids=[c["name"] for c in VALID])
def test_valid_vector_decodes_to_its_prefix_and_uuid(case: dict[str, Any]) -> None:
    assert typeid.parse(case["typeid"]) == (case["prefix"], uuid.UUID(case["uuid"]))


@pytest.mark.parametrize("case", VALID, ids=[c["name"] for c in VALID])
def test_valid_vector_encodes_from_its_prefix_and_uuid(case: dict[str, Any]) -> None:
    assert typeid.encode(case["prefix"], uuid.UUID(case["uuid"])) == case["typeid"]


@pytest.mark.parametrize("case", INVALID, ids=[c["name"] for c in INVALID])
def test_invalid_vector_is_rejected(case: dict[str, Any]) -> None:
    with pytest.raises(typeid.TypeIDError):
        typeid.parse(case["typeid"])
    assert not typeid.is_valid(case["typeid"])


@pytest.mark.parametrize("case", VALID, ids=[c["name"] for c in VALID])
def test_valid_vector_moved_to_the_cst_prefix_is_a_customer_id(case: dict[str, Any]) -> None:
    suffix = case["typeid"].rpartition("_")[2]
    assert typeid.is_customer_id(f"cst_{suffix}")


@pytest.mark.parametrize("case", INVALID, ids=[c["name"] for c in INVALID])
def test_invalid_vector_moved_to_the_cst_prefix_is_no_customer_id(case: dict[str, Any]) -> None:
    text = case["typeid"]
    candidate = f"cst_{text.rpartition('_')[2]}" if "_" in text else text
    if typeid.is_valid(candidate):  # only the prefix was wrong: the suffix itself is fine
        assert typeid.is_customer_id(candidate)
        assert not typeid.is_customer_id(text)
    else:
        assert not typeid.is_customer_id(candidate)


@pytest.mark.parametrize(
    "text",
    [
        "cst_01KSPY4BG0EJEVZS1E5PZJ5GDX",  # upper case
        "CST_01kspy4bg0ejevzs1e5pzj5gdx",
        "usr_01kspy4bg0ejevzs1e5pzj5gdx",  # other prefix
        "01kspy4bg0ejevzs1e5pzj5gdx",  # no prefix
        "cst_01kspy4bg0ejevzs1e5pzj5gd",  # 25 characters
        "cst_01kspy4bg0ejevzs1e5pzj5gdxx",  # 27 characters
        "cst_81kspy4bg0ejevzs1e5pzj5gdx",  # first character above 7
        "cst_01kspy4bg0ejevzs1e5pzj5gdi",  # ambiguous letters
        "cst_01kspy4bg0ejevzs1e5pzj5gdl",
        "cst_01kspy4bg0ejevzs1e5pzj5gdo",
        "cst_01kspy4bg0ejevzs1e5pzj5gdu",
        "cst_01kspy4bg0ejevzs1e5pzj5gdé",  # non-ASCII
        "cst_01kspy4bg0ejevzs1e5pzj5gdx\n",
        "",
    ],
)
def test_off_grammar_customer_ids_are_rejected(text: str) -> None:
    assert not typeid.is_customer_id(text)


@given(st.uuids())
def test_encode_then_parse_round_trips(value: uuid.UUID) -> None:
    text = typeid.encode("cst", value)
    assert typeid.is_customer_id(text)
    assert typeid.parse(text) == ("cst", value)


def test_new_customer_ids_are_uuidv7() -> None:
    ids = {typeid.new_customer_id() for _ in range(50)}
    assert len(ids) == 50
    for text in ids:
        prefix, value = typeid.parse(text)
        assert prefix == "cst"
        assert value.version == 7
        assert value.variant == uuid.RFC_4122
