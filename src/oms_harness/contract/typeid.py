"""TypeID grammar (spec v0.3.0) and the customer-id rule built on it.

A TypeID is ``prefix_suffix``: the prefix is at most 63 lower-case ASCII letters or
underscores (not starting or ending with ``_``), the suffix is 26 characters of lower-case
Crockford base32 whose first character is ``0``-``7`` (130 bits may hold only 128).
Customer ids are TypeIDs whose prefix is exactly ``cst``.
"""

from __future__ import annotations

import os
import re
import time
import uuid

ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
"""Crockford base32, lower case, without i, l, o and u."""

CUSTOMER_PREFIX = "cst"
SUFFIX_LENGTH = 26
MAX_PREFIX_LENGTH = 63

_DECODE = {char: value for value, char in enumerate(ALPHABET)}
_SUFFIX_RE = re.compile(r"[0-7][0-9a-hjkmnp-tv-z]{25}\Z")
_PREFIX_RE = re.compile(r"(?:[a-z](?:[a-z_]{0,61}[a-z])?)?\Z")
_CUSTOMER_ID_RE = re.compile(r"cst_[0-7][0-9a-hjkmnp-tv-z]{25}\Z")


class TypeIDError(ValueError):
    """Raised when a string is not a valid TypeID."""


def encode_suffix(value: uuid.UUID) -> str:
    """Encode a UUID's 128 bits as the 26-character base32 suffix."""
    number = value.int
    chars = []
    for _ in range(SUFFIX_LENGTH):
        chars.append(ALPHABET[number & 0x1F])
        number >>= 5
    return "".join(reversed(chars))


def decode_suffix(suffix: str) -> uuid.UUID:
    """Decode a 26-character suffix into its UUID, rejecting anything off-grammar."""
    if not _SUFFIX_RE.match(suffix):
        raise TypeIDError(f"invalid TypeID suffix: {suffix!r}")
    number = 0
    for char in suffix:
        number = (number << 5) | _DECODE[char]
    return uuid.UUID(int=number)


def parse(text: str) -> tuple[str, uuid.UUID]:
    """Split a TypeID into ``(prefix, uuid)`` or raise :class:`TypeIDError`."""
    prefix, separator, suffix = text.rpartition("_")
    if not separator:
        suffix = text
    elif not prefix:
        raise TypeIDError("a TypeID with an empty prefix has no separator")
    if len(prefix) > MAX_PREFIX_LENGTH or not _PREFIX_RE.match(prefix):
        raise TypeIDError(f"invalid TypeID prefix: {prefix!r}")
    return prefix, decode_suffix(suffix)


def is_valid(text: str) -> bool:
    """True when ``text`` is a TypeID with any prefix."""
    try:
        parse(text)
    except TypeIDError:
        return False
    return True


def encode(prefix: str, value: uuid.UUID) -> str:
    """Build the canonical TypeID string for ``prefix`` and ``value``."""
    if len(prefix) > MAX_PREFIX_LENGTH or not _PREFIX_RE.match(prefix):
        raise TypeIDError(f"invalid TypeID prefix: {prefix!r}")
    suffix = encode_suffix(value)
    return f"{prefix}_{suffix}" if prefix else suffix


def is_customer_id(text: str) -> bool:
    """True when ``text`` is a ``cst`` TypeID: the contract's only valid customer id."""
    return _CUSTOMER_ID_RE.match(text) is not None


CUSTOMER_ID_PATTERN = _CUSTOMER_ID_RE.pattern.removesuffix(r"\Z")
"""The customer-id grammar as an anchor-free regular expression (for JSON Schema)."""


def uuid7(unix_ms: int | None = None, random_bytes: bytes | None = None) -> uuid.UUID:
    """A UUIDv7 (RFC 9562): 48-bit millisecond timestamp, version 7, variant 10, random bits."""
    millis = time.time_ns() // 1_000_000 if unix_ms is None else unix_ms
    rand = os.urandom(10) if random_bytes is None else random_bytes
    if len(rand) != 10:
        raise ValueError("uuid7 needs exactly 10 random bytes")
    value = (millis & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= (int.from_bytes(rand[:2], "big") & 0x0FFF) << 64
    value |= 0b10 << 62
    value |= int.from_bytes(rand[2:], "big") & ((1 << 62) - 1)
    return uuid.UUID(int=value)


def new_customer_id() -> str:
    """A fresh ``cst`` TypeID over a UUIDv7, as new customer ids are minted."""
    return encode(CUSTOMER_PREFIX, uuid7())
