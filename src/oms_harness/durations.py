"""The one duration grammar of the harness: ``1m30s``, ``250ms``, ``2h``, ``0.5s`` or ``30``.

``--duration``, ``--ramp-up``, ``--max-duration``, the reference's ``--stall`` /
``--stall-every`` / ``--latency`` and duration values in a profile all read durations here,
so one spelling works everywhere. A duration is one or more ``<number><unit>`` parts with
units ``h``, ``m``, ``s``, ``ms`` in that order (each at most once), or a bare number of
seconds.
"""

from __future__ import annotations

import math
import re

from .errors import UsageError

_PART = re.compile(r"(\d+(?:\.\d+)?|\.\d+)(ms|h|m|s)")
_BARE = re.compile(r"\d+(?:\.\d+)?|\.\d+")
_SCALE = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
_ORDER = ("h", "m", "s", "ms")
EXAMPLES = "e.g. 30s, 1m30s, 250ms, 2h"


def parse_duration(text: str, what: str = "duration", *, allow_zero: bool = False) -> float:
    """``text`` as seconds; a :class:`UsageError` naming ``what`` when it is not a duration."""
    value = text.strip().lower()
    bound = "zero or more" if allow_zero else "positive"
    if value.startswith("-") and len(value) > 1:
        raise UsageError(f"{what}: duration {text!r} must be {bound}")
    seconds = float(value) if _BARE.fullmatch(value) else _parse_parts(value, text, what)
    if math.isinf(seconds) or seconds < 0 or (seconds == 0 and not allow_zero):
        raise UsageError(f"{what}: duration {text!r} must be {bound}")
    return seconds


def _parse_parts(value: str, text: str, what: str) -> float:
    seconds, position, last_unit = 0.0, 0, -1
    while position < len(value):
        match = _PART.match(value, position)
        if match is None or _ORDER.index(match[2]) <= last_unit:
            raise UsageError(f"{what}: invalid duration {text!r} ({EXAMPLES})")
        last_unit = _ORDER.index(match[2])
        seconds += float(match[1]) * _SCALE[match[2]]
        position = match.end()
    if position == 0:
        raise UsageError(f"{what}: invalid duration {text!r} ({EXAMPLES})")
    return seconds


def format_duration(seconds: float) -> str:
    """A short human form of ``seconds`` for progress lines: ``1m05s``, ``42s``, ``0.5s``."""
    if seconds < 60:
        return f"{seconds:.0f}s" if seconds >= 10 or seconds == int(seconds) else f"{seconds:.1f}s"
    minutes, rest = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m{rest:02d}s" if hours else f"{minutes}m{rest:02d}s"
