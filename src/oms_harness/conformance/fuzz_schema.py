"""The spec as the fuzzer sees it: tightened in memory, never edited on disk.

The pinned document leaves ``id`` and ``estimatedBalanceCurrencyCode`` as bare strings, so a
correct server's legitimate 400 for a random id would trip ``positive_data_acceptance`` and
a random currency would land in what the spec leaves open. Instead of switching checks off,
the cause is fixed: positive generation draws ids from the TypeID grammar (plus the
profile's ids, as examples and as an ``enum`` branch so fuzzing reaches every role) and
currencies from the profile's supported codes. Negative generation keeps malformed ids and
leaves the currency out (the spec-gap suite probes unsupported codes on purpose).
"""

from __future__ import annotations

import copy
from typing import Any

from ..contract import spec, typeid
from .target import SuiteTarget

ID_PATTERN = f"^{typeid.CUSTOMER_ID_PATTERN}$"
ID_LENGTH = len("cst_") + typeid.SUFFIX_LENGTH


def _id_grammar() -> dict[str, Any]:
    # The length bounds exclude a trailing newline that a Python-flavoured `$` would allow.
    return {
        "type": "string",
        "pattern": ID_PATTERN,
        "minLength": ID_LENGTH,
        "maxLength": ID_LENGTH,
    }


def tightened_spec(target: SuiteTarget, *, negative: bool) -> dict[str, Any]:
    """A deep copy of the pinned spec with ``id`` and the currency constrained."""
    document = copy.deepcopy(spec.load_spec())
    operation = spec.balance_operation(document)
    ids = dict(target.roles())
    parameters = []
    for parameter in operation.get("parameters", []):
        name, location = parameter.get("name"), parameter.get("in")
        if location == "path" and name == spec.id_parameter():
            parameter["schema"] = _id_grammar()
            if not negative:
                parameter["schema"] = {
                    "type": "string",
                    "anyOf": [{"enum": sorted(ids.values())}, _id_grammar()],
                }
                parameter["examples"] = {role: {"value": cid} for role, cid in ids.items()}
        elif location == "query" and name == spec.currency_parameter():
            if negative:
                continue
            codes = list(target.profile.supported_currencies)
            parameter["schema"] = {"type": "string", "enum": codes}
            parameter["examples"] = {code: {"value": code} for code in codes}
        parameters.append(parameter)
    operation["parameters"] = parameters
    document["servers"] = [{"url": target.base_url, "description": "target under test"}]
    return document
