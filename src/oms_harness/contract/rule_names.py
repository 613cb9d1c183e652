"""The stable name of a failed check, read from a failure message.

Every contract rule reports itself as ``[rule-id] sentence`` (:class:`rules.Violation`), and
the reports group, label and count failures by that id. This is the one place that reads
the ids back out of text, so moving the ids to a registry changes only this module.
"""

from __future__ import annotations

import re

_RULE_ID = re.compile(r"\[([a-z0-9][a-z0-9.\-_]*)\]")
UNNAMED = "unnamed"
"""The name of a failure that carries no rule id (a crash, a collection error)."""


def rule_ids(text: str) -> list[str]:
    """The rule ids a message names, first mention first, each once."""
    return list(dict.fromkeys(_RULE_ID.findall(text)))


def check_name(text: str) -> str:
    """The stable name of the first check a message names (``unnamed`` when none)."""
    found = rule_ids(text)
    return found[0] if found else UNNAMED
