"""Files embedded in Allure 3's single-file report, decoded.

The single ``index.html`` carries every data file and attachment base64-encoded, as
``d("data/attachments/<id>.txt","<base64>")``: a plain byte search of the HTML cannot see
a credential inside an attachment, so every check that greps the report decodes these too.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator

EMBEDDED_FILE = re.compile(rb'd\("(?P<name>data/[^"]+)","(?P<data>[A-Za-z0-9+/=]*)"\)')
"""One embedded file of the awesome plugin's single-file report."""


def embedded_files(html: bytes) -> Iterator[tuple[str, bytes]]:
    """``(name, decoded content)`` of every file embedded in a single-file report."""
    for match in EMBEDDED_FILE.finditer(html):
        try:
            content = base64.b64decode(match.group("data"), validate=True)
        except (binascii.Error, ValueError):
            continue
        yield match.group("name").decode("ascii", errors="replace"), content


def searchable_views(data: bytes) -> Iterator[tuple[str, bytes]]:
    """The raw bytes (named ``""``), then each embedded file decoded, for a secret search."""
    yield "", data
    if b'd("data/' in data:
        yield from embedded_files(data)
