"""The pinned OpenAPI document and the JSON Schemas the contract rules derive from it.

Error-body rules are never restated by hand: they are the spec's own component schemas,
so a changed enum in the spec changes every check that uses it.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from .._resources import spec_path

PINNED_VERSION = "v26.05.28-0001"
BALANCE_PATH = "/customers/{id}/balance"
BALANCE_METHOD = "get"


class SpecError(ValueError):
    """The OpenAPI document is unreadable or lacks what the harness relies on."""


@functools.cache
def load_spec(path: Path | None = None) -> dict[str, Any]:
    """Parse the OpenAPI document (the pinned one unless ``path`` is given)."""
    source = path or spec_path()
    try:
        document = yaml.safe_load(source.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise SpecError(f"cannot read OpenAPI document {source}: {exc}") from exc
    if not isinstance(document, dict) or "paths" not in document:
        raise SpecError(f"{source} is not an OpenAPI document")
    try:
        document["paths"][BALANCE_PATH][BALANCE_METHOD]
    except (KeyError, TypeError) as exc:
        raise SpecError(f"{source} does not define GET {BALANCE_PATH}") from exc
    return dict(document)


def spec_version(document: dict[str, Any] | None = None) -> str:
    """The ``info.version`` of the document."""
    return str((document or load_spec())["info"]["version"])


def balance_operation(document: dict[str, Any] | None = None) -> dict[str, Any]:
    """The ``GET /customers/{id}/balance`` operation object."""
    operation: dict[str, Any] = (document or load_spec())["paths"][BALANCE_PATH][BALANCE_METHOD]
    return operation


def documented_statuses(document: dict[str, Any] | None = None) -> frozenset[int]:
    """HTTP statuses the balance operation documents."""
    return frozenset(int(code) for code in balance_operation(document)["responses"])


def response_schema(status: int, document: dict[str, Any] | None = None) -> dict[str, Any]:
    """A self-contained JSON Schema for the ``application/json`` body of ``status``.

    The component ``$ref`` is kept and the spec's ``components`` travel along, so the
    validator resolves references exactly as written in the document.
    """
    doc = document or load_spec()
    try:
        response = balance_operation(doc)["responses"][str(status)]
        schema = response["content"]["application/json"]["schema"]
    except KeyError as exc:
        raise SpecError(f"the spec documents no JSON body for status {status}") from exc
    return {**schema, "components": doc.get("components", {})}


def schema_name(status: int, document: dict[str, Any] | None = None) -> str:
    """The component name behind a status' body (``UnauthorizedErrorBody`` for 401)."""
    ref = str(response_schema(status, document).get("$ref", ""))
    return ref.rsplit("/", 1)[-1]


def component_schema(name: str, document: dict[str, Any] | None = None) -> dict[str, Any]:
    """A component schema by name, with the spec's components attached for ``$ref``."""
    doc = document or load_spec()
    return {"$ref": f"#/components/schemas/{name}", "components": doc.get("components", {})}


def exact_error_text(status: int, document: dict[str, Any] | None = None) -> str | None:
    """The single ``error`` string a status' schema allows, or None when it is free text."""
    doc = document or load_spec()
    name = schema_name(status, doc)
    properties = doc["components"]["schemas"][name].get("properties", {})
    enum = properties.get("error", {}).get("enum")
    return str(enum[0]) if enum and len(enum) == 1 else None


def error_code(status: int, document: dict[str, Any] | None = None) -> str | None:
    """The single ``code`` a status' schema allows, or None when it has no code."""
    doc = document or load_spec()
    name = schema_name(status, doc)
    properties = doc["components"]["schemas"][name].get("properties", {})
    enum = properties.get("code", {}).get("enum")
    return str(enum[0]) if enum and len(enum) == 1 else None


# -- strings and names the harness takes from the spec (read here once, never re-typed) ---


@functools.cache
def _parameter(location: str) -> dict[str, Any]:
    for parameter in balance_operation().get("parameters", []):
        if isinstance(parameter, dict) and parameter.get("in") == location:
            return parameter
    raise SpecError(f"GET {BALANCE_PATH} has no {location} parameter")


@functools.cache
def id_parameter() -> str:
    """The path parameter that carries the customer id (``id``)."""
    return str(_parameter("path")["name"])


@functools.cache
def currency_parameter() -> str:
    """The query parameter that selects the currency (``estimatedBalanceCurrencyCode``)."""
    return str(_parameter("query")["name"])


_DEFAULT_CURRENCY = re.compile(r"Defaults to ([A-Z]{3}) when the query param is omitted")


@functools.cache
def default_currency() -> str:
    """The currency of an answer without the query parameter, from the value's description."""
    schema = load_spec()["components"]["schemas"]["CustomerBalanceAggregate"]
    value = schema["properties"]["data"]["properties"]["estimatedBalanceValue"]
    found = _DEFAULT_CURRENCY.search(" ".join(str(value.get("description", "")).split()))
    if found is None:
        raise SpecError("the spec no longer says which currency is the default")
    return found[1]


@functools.cache
def base_path() -> str:
    """The API's base path from the spec's first server (``/v0.9``), without a trailing /."""
    servers = load_spec().get("servers") or [{}]
    return urlsplit(str(servers[0].get("url", ""))).path.rstrip("/")


def balance_path(segment: str) -> str:
    """The operation's path (below the base URL) for an already percent-encoded id."""
    return BALANCE_PATH.replace("{" + id_parameter() + "}", segment)
