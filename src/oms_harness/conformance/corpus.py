"""The corpus of invalid customer ids: every one must answer 400 ``invalid customer id``.

The same near misses are built on each real customer of the profile too
(:func:`real_near_misses`), and malformed percent-escapes are sent raw on the wire.

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
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote_to_bytes

import yaml

from ..contract import typeid

VECTORS_FILE = Path(__file__).with_name("typeid_invalid.yml")
BASE_ID = "cst_01h455vb4pex5vsknk084sn02q"
"""A valid customer id (the TypeID spec's own example suffix); variants of it are invalid."""
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


def near_misses(customer_id: str, label: str = "") -> list[InvalidId]:
    """Every transformation of the corpus applied to one valid id (names prefixed ``label-``).

    A server that folds case, trims blanks or decodes leniently *before* looking a customer
    up only shows it on ids that exist, so these run on the profile's real customers too.
    Results that happen to be valid ids (upper-casing a digit) are left out.
    """
    prefix, _, s = customer_id.partition("_")
    cid = f"{prefix}_{s}"
    raw = [
        ("prefix-user", f"usr_{s}", "another resource's prefix"),
        ("prefix-cus", f"cus_{s}", "a near-miss prefix"),
        ("prefix-cs", f"cs_{s}", "prefix too short"),
        ("prefix-csts", f"csts_{s}", "prefix too long"),
        ("prefix-none", s, "a bare suffix has no cst prefix"),
        ("prefix-hyphen", f"{prefix}-{s}", "hyphen instead of underscore"),
        ("prefix-double-underscore", f"{prefix}__{s}", "prefix ends with an underscore"),
        ("upper-prefix", f"{prefix.upper()}_{s}", "upper-case prefix"),
        ("upper-mixed-prefix", f"{prefix.capitalize()}_{s}", "mixed-case prefix"),
        ("upper-suffix", f"{prefix}_{s.upper()}", "upper-case suffix"),
        ("upper-all", cid.upper(), "the whole id in upper case"),
        ("upper-one-char", f"{prefix}_{s[:-1]}{s[-1].upper()}", "one upper-case character"),
        ("length-25", f"{prefix}_{s[:-1]}", "suffix of 25 characters"),
        ("length-27", f"{cid}0", "suffix of 27 characters"),
        ("length-0", f"{prefix}_", "empty suffix"),
        ("non-ascii-suffix", f"{prefix}_{s[:-1]}é", "non-ASCII letter in the suffix"),
        ("non-ascii-cyrillic-prefix", f"\u0441st_{s}", "Cyrillic look-alike in the prefix"),
        ("non-ascii-fullwidth-digit", f"{prefix}_{s[:-1]}\uff17", "full-width digit"),
        ("non-ascii-emoji", f"{prefix}_{s[:-2]}🙂", "emoji in the suffix"),
        ("zero-width-space", f"{cid}\u200b", "trailing zero-width space"),
        ("trailing-space", f"{cid} ", "trailing blank"),
        ("leading-space", f" {cid}", "leading blank"),
        ("tab", f"{prefix}_{s[:13]}\t{s[14:]}", "tab inside the suffix"),
        ("trailing-tab", f"{cid}\t", "trailing tab"),
        ("plus", f"{prefix}_{s[:-1]}+", "plus sign"),
        ("percent-literal", f"{prefix}_{s[:-3]}%41", "a literal percent escape in the id"),
        ("double-encoded", f"%63st_{s}", "percent-encoded twice: decodes to '%63st_…'"),
        ("nul-byte", f"{prefix}_{s[:-1]}\x00", "NUL character"),
        ("newline", f"{cid}\n", "trailing newline"),
        ("carriage-return", f"{cid}\r", "trailing carriage return"),
    ]
    entries = [_entry(name, value, why) for name, value, why in raw]
    entries += [
        InvalidId(
            "invalid-utf8", f"{prefix}_{s[:-1]}%FF", "percent-encoded byte that is not UTF-8"
        ),
        InvalidId("overlong-utf8", f"{prefix}_{s[:-2]}%C0%AF", "overlong UTF-8 sequence"),
    ]
    entries += [
        InvalidId(f"raw-escape-{name}", segment, f"malformed percent-escape sent raw: {why}")
        for name, segment, why in _raw_escapes(cid)
    ]
    for letter in "ilou":
        for shown in (letter, letter.upper()):
            entries.append(
                _entry(
                    f"ambiguous-{letter}" + ("-upper" if shown != letter else ""),
                    f"{prefix}_{s[:10]}{shown}{s[11:]}",
                    f"Crockford excludes {shown!r}",
                )
            )
    for first in typeid.ALPHABET[8:]:
        entries.append(
            _entry(
                f"first-char-{first}",
                f"{prefix}_{first}{s[1:]}",
                f"first suffix character {first!r} > 7 overflows 128 bits",
            )
        )
    named = [
        replace(e, name=f"{label}-{e.name}", why=f"{e.why} (on the {label} customer's id)")
        if label
        else e
        for e in entries
    ]
    return [e for e in named if is_invalid(e) and e.decoded != customer_id.encode()]


def _raw_escapes(cid: str) -> list[tuple[str, str, str]]:
    """Malformed escapes, written to the wire as they are (the client does not re-encode)."""
    return [
        ("zz", f"{cid}%zz", "'%zz' is no hex escape"),
        ("one-digit", f"{cid[:-1]}%4", "'%4' has one hex digit"),
        ("trailing", f"{cid}%", "a trailing '%'"),
        ("double", f"{cid}%%", "'%%'"),
        ("g0", f"{cid[:-2]}%G0", "'%G0' is no hex escape"),
        ("inside", f"{cid[:8]}%zz{cid[8:]}", "'%zz' inside the suffix"),
        ("alone", "%", "the id is a lone '%'"),
    ]


def _fixed() -> list[InvalidId]:
    """Invalid ids that are not transformations of a valid one."""
    return [
        _entry("prefix-uuid", "cst_01890a5d-ac96-774b-bcce-b302099a8057", "a UUID, not base32"),
        _entry(
            "very-long",
            "cst_" + ("0123456789abcdefghjkmnpqrstvwxyz" * 64)[:LONG_ID_LENGTH],
            f"a {LONG_ID_LENGTH}-character suffix",
        ),
    ]


@functools.cache
def invalid_ids() -> tuple[InvalidId, ...]:
    """The whole corpus, unique by path segment, in a stable order."""
    seen: dict[str, InvalidId] = {}
    for entry in (*_official(), *near_misses(BASE_ID), *_fixed()):
        seen.setdefault(entry.segment, entry)
    return tuple(seen.values())


def real_near_misses(customers: Mapping[str, str]) -> tuple[InvalidId, ...]:
    """Near misses of each real customer's id (role -> id), unique by path segment."""
    seen: dict[str, InvalidId] = {}
    for role, customer_id in customers.items():
        if typeid.is_customer_id(customer_id):
            for entry in near_misses(customer_id, role):
                seen.setdefault(entry.segment, entry)
    return tuple(seen.values())


def is_invalid(entry: InvalidId) -> bool:
    """True when the decoded id is indeed no customer id (the corpus tests assert it)."""
    try:
        text = entry.decoded.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return not typeid.is_customer_id(text)
