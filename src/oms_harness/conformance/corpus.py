"""The corpus of invalid customer ids: every one must answer 400 ``invalid customer id``.

Built from the official TypeID invalid vectors (v0.3.0, Apache 2.0, jetify-com/typeid, copied
beside this module as ``typeid_invalid.yml``), each also moved onto the ``cst`` prefix, plus
the ways a customer id goes wrong in practice: other prefixes, upper case, a first suffix
character above ``7`` (more than 128 bits), Crockford's excluded letters, off-by-one lengths,
non-ASCII look-alikes, percent-encoded junk and a very long id.

Each entry carries the path segment exactly as sent (already percent-encoded), so ids that
are not even valid UTF-8 after decoding can be expressed.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote_to_bytes

import yaml

from ..contract import typeid

VECTORS_FILE = Path(__file__).with_name("typeid_invalid.yml")
BASE_ID = "cst_01h455vb4pex5vsknk084sn02q"
"""A valid customer id (the TypeID spec's own example suffix); variants of it are invalid."""
_SUFFIX = BASE_ID.removeprefix("cst_")
LONG_ID_LENGTH = 2048


@dataclass(frozen=True)
class InvalidId:
    """One invalid id: a stable name, the encoded path segment, and why it is invalid."""

    name: str
    segment: str
    why: str

    @property
    def decoded(self) -> bytes:
        """The id the server sees after percent-decoding."""
        return unquote_to_bytes(self.segment)

    @property
    def display(self) -> str:
        """The id for humans: decoded when it is text, else the encoded form."""
        try:
            text = self.decoded.decode("utf-8")
        except UnicodeDecodeError:
            return self.segment
        return text if text.isprintable() and len(text) <= 80 else repr(text[:80])


def _entry(name: str, raw: str, why: str) -> InvalidId:
    return InvalidId(name, quote(raw, safe=""), why)


def _to_cst_prefix(value: str) -> str | None:
    for original, moved in (("préfix", "cśt"), ("PREFIX", "CST"), ("prefix", "cst")):
        if original in value:
            return value.replace(original, moved)
    return None


def official_vectors() -> list[dict[str, Any]]:
    """The TypeID spec's invalid vectors, as shipped."""
    data = yaml.safe_load(VECTORS_FILE.read_text(encoding="utf-8"))
    return [dict(item) for item in data]


def _official() -> list[InvalidId]:
    entries = []
    for vector in official_vectors():
        name, value, why = vector["name"], vector["typeid"], vector["description"]
        entries.append(_entry(f"typeid-{name}", value, why))
        moved = _to_cst_prefix(value)
        if moved is not None:
            entries.append(_entry(f"typeid-{name}-cst", moved, f"{why} (on the cst prefix)"))
    return entries


def _variants() -> list[InvalidId]:
    s = _SUFFIX
    entries = [
        _entry("prefix-user", f"usr_{s}", "another resource's prefix"),
        _entry("prefix-cus", f"cus_{s}", "a near-miss prefix"),
        _entry("prefix-cs", f"cs_{s}", "prefix too short"),
        _entry("prefix-csts", f"csts_{s}", "prefix too long"),
        _entry("prefix-none", s, "a bare suffix has no cst prefix"),
        _entry("prefix-hyphen", f"cst-{s}", "hyphen instead of underscore"),
        _entry("prefix-double-underscore", f"cst__{s}", "prefix ends with an underscore"),
        _entry("prefix-uuid", "cst_01890a5d-ac96-774b-bcce-b302099a8057", "a UUID, not base32"),
        _entry("upper-prefix", f"CST_{s}", "upper-case prefix"),
        _entry("upper-mixed-prefix", f"Cst_{s}", "mixed-case prefix"),
        _entry("upper-suffix", f"cst_{s.upper()}", "upper-case suffix"),
        _entry("upper-one-char", f"cst_{s[:-1]}{s[-1].upper()}", "one upper-case character"),
        _entry("length-25", f"cst_{s[:-1]}", "suffix of 25 characters"),
        _entry("length-27", f"cst_{s}0", "suffix of 27 characters"),
        _entry("length-0", "cst_", "empty suffix"),
        _entry("non-ascii-suffix", f"cst_{s[:-1]}é", "non-ASCII letter in the suffix"),
        _entry("non-ascii-cyrillic-prefix", f"\u0441st_{s}", "Cyrillic look-alike in the prefix"),
        _entry("non-ascii-fullwidth-digit", f"cst_{s[:-1]}\uff17", "full-width digit"),
        _entry("non-ascii-emoji", f"cst_{s[:-2]}🙂", "emoji in the suffix"),
        _entry("zero-width-space", f"cst_{s}\u200b", "trailing zero-width space"),
        _entry("trailing-space", f"cst_{s} ", "trailing blank"),
        _entry("leading-space", f" cst_{s}", "leading blank"),
        _entry("tab", f"cst_{s[:13]}\t{s[14:]}", "tab inside the suffix"),
        _entry("plus", f"cst_{s[:-1]}+", "plus sign"),
        _entry("percent-literal", f"cst_{s[:-3]}%41", "a literal percent escape in the id"),
        _entry("double-encoded", f"%63st_{s}", "percent-encoded twice: decodes to '%63st_…'"),
        _entry("nul-byte", f"cst_{s[:-1]}\x00", "NUL character"),
        _entry("newline", f"cst_{s}\n", "trailing newline"),
        InvalidId("invalid-utf8", f"cst_{s[:-1]}%FF", "percent-encoded byte that is not UTF-8"),
        InvalidId("overlong-utf8", f"cst_{s[:-2]}%C0%AF", "overlong UTF-8 sequence"),
        _entry(
            "very-long",
            "cst_" + ("0123456789abcdefghjkmnpqrstvwxyz" * 64)[:LONG_ID_LENGTH],
            f"a {LONG_ID_LENGTH}-character suffix",
        ),
    ]
    for letter in "ilou":
        entries.append(
            _entry(
                f"ambiguous-{letter}",
                f"cst_{s[:10]}{letter}{s[11:]}",
                f"Crockford excludes {letter!r}",
            )
        )
        entries.append(
            _entry(
                f"ambiguous-{letter}-upper",
                f"cst_{s[:10]}{letter.upper()}{s[11:]}",
                f"Crockford excludes {letter.upper()!r}",
            )
        )
    for first in typeid.ALPHABET[8:]:
        entries.append(
            _entry(
                f"first-char-{first}",
                f"cst_{first}{s[1:]}",
                f"first suffix character {first!r} > 7 overflows 128 bits",
            )
        )
    return entries


@functools.cache
def invalid_ids() -> tuple[InvalidId, ...]:
    """The whole corpus, unique by path segment, in a stable order."""
    seen: dict[str, InvalidId] = {}
    for entry in (*_official(), *_variants()):
        seen.setdefault(entry.segment, entry)
    return tuple(seen.values())


def is_invalid(entry: InvalidId) -> bool:
    """True when the decoded id is indeed no customer id (the corpus tests assert it)."""
    try:
        text = entry.decoded.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return not typeid.is_customer_id(text)
