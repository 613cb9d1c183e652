"""RFC 3339 ``date-time`` (the spec's ``format: date-time``), parsed strictly.

``datetime.fromisoformat`` accepts far more than RFC 3339 (no offset, week dates, spaces
as separators), so the grammar is checked first with the RFC's own ABNF.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_RFC3339_RE = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})[Tt](?P<time>\d{2}:\d{2}:\d{2})(?P<frac>\.\d+)?"
    r"(?P<offset>[Zz]|[+-]\d{2}:\d{2})\Z"
)


def parse(text: str) -> datetime:
    """Parse an RFC 3339 date-time into an aware UTC datetime or raise ``ValueError``."""
    match = _RFC3339_RE.match(text)
    if match is None:
        raise ValueError(f"not an RFC 3339 date-time: {text!r}")
    offset = match["offset"].upper()
    frac = (match["frac"] or "")[:7]  # "." and at most 6 digits: microsecond precision
    normalised = f"{match['date']}T{match['time']}{frac}{'+00:00' if offset == 'Z' else offset}"
    try:
        parsed = datetime.fromisoformat(normalised)
    except ValueError as exc:  # e.g. month 13, hour 25
        raise ValueError(f"not an RFC 3339 date-time: {text!r}") from exc
    return parsed.astimezone(UTC)


def is_rfc3339(text: str) -> bool:
    """True when ``text`` is a valid RFC 3339 date-time."""
    try:
        parse(text)
    except ValueError:
        return False
    return True


def format_utc(moment: datetime) -> str:
    """Render an aware datetime as RFC 3339 in UTC with a ``Z`` suffix."""
    moment = moment.astimezone(UTC)
    text = moment.isoformat(timespec="milliseconds" if moment.microsecond else "seconds")
    return text.replace("+00:00", "Z")


def in_future(moment: datetime, now: datetime, skew: timedelta) -> bool:
    """True when ``moment`` lies after ``now`` by more than the tolerated clock skew."""
    return moment - now > skew
