"""Target profiles: the user-facing TOML description of a target.

Keys and meanings are a promise to users (see the conformance issue / README): ``base_url``,
``token`` / ``token_env`` / ``api_key_env`` + ``api_secret_env``, ``[customers]`` roles,
``[currencies] supported``, ``[expected.<role>]``, and the load tables ``[slo]``/``[load]``.
Every mistake becomes a :class:`ProfileError`: one line, exit code 2.
"""

from __future__ import annotations

import math
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .contract import decimal_string, spec, typeid
from .contract.roles import ROLE_STATUS as ROLE_STATUS  # re-exported: lives in contract/
from .errors import ProfileError
from .target_url import parse_target_url

ROLES = tuple(ROLE_STATUS)
"""Customer roles a profile may name; only ``funded`` is required."""

ROLE_MEANINGS = {
    "funded": "exists, provisioned, has balances (200)",
    "empty": "provisioned, no provider balances (200 without updatedAt)",
    "unprovisioned": "provider account not provisioned (422)",
    "provider_error": "provider fails (502)",
    "provider_unreachable": "provider unreachable (503)",
    "missing": "valid TypeID that does not exist (404)",
}

DEFAULT_TOKEN_ENV = "OMS_TOKEN"
_TOP_LEVEL_KEYS = {
    "name",
    "base_url",
    "token",
    "token_env",
    "expired_token",
    "api_key_env",
    "api_secret_env",
    "stable_balances",
    "customers",
    "currencies",
    "expected",
    "slo",
    "load",
}
_SLO_KEYS = {"p95_ms", "p99_ms", "error_rate", "min_rps", "contract_violations"}


@dataclass(frozen=True)
class Credentials:
    """Where the bearer token comes from. ``token`` is never printed (see ``__repr__``)."""

    token: str | None = None
    token_env: str = DEFAULT_TOKEN_ENV
    api_key_env: str | None = None
    api_secret_env: str | None = None
    expired_token: str | None = None
    """Optional: a token the target itself signed that has expired (the auth suite sends it)."""

    def __repr__(self) -> str:
        inline = "[redacted]" if self.token else None
        expired = "[redacted]" if self.expired_token else None
        return (
            f"Credentials(token={inline}, token_env={self.token_env!r}, "
            f"api_key_env={self.api_key_env!r}, api_secret_env={self.api_secret_env!r}, "
            f"expired_token={expired})"
        )

    @property
    def uses_client_credentials(self) -> bool:
        return self.token is None and self.api_key_env is not None


@dataclass(frozen=True)
class TargetProfile:
    """A validated target: where it is, how to authenticate, which ids play which role."""

    base_url: str
    credentials: Credentials = field(default_factory=Credentials)
    customers: Mapping[str, str] = field(default_factory=dict)
    supported_currencies: tuple[str, ...] = field(
        default_factory=lambda: (spec.default_currency(),)
    )
    expected: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    stable_balances: bool = False
    """The target's balances do not move during a run (test data, no live FX): the same
    question must then get the same value. Off by default: a real sandbox's estimated
    balances follow market prices, and judging them for equality would cry wolf."""
    slo: Mapping[str, float] = field(default_factory=dict)
    load: Mapping[str, Any] = field(default_factory=dict)
    name: str = "target"
    source: Path | None = None

    def customer(self, role: str) -> str | None:
        return self.customers.get(role)

    def with_overrides(
        self, base_url: str | None = None, token: str | None = None
    ) -> TargetProfile:
        """Command-line ``--base-url`` and ``--token`` win over the file."""
        profile = self
        if base_url is not None:
            profile = replace(profile, base_url=_check_base_url(base_url, what="--base-url"))
        if token is not None:
            profile = replace(profile, credentials=replace(profile.credentials, token=token))
        return profile

    @property
    def host(self) -> str:
        return parse_target_url(self.base_url).host


def _fail(source: Path | None, message: str) -> ProfileError:
    where = f"profile {source}" if source else "profile"
    return ProfileError(f"{where}: {message}")


def _check_base_url(url: str, source: Path | None = None, what: str = "base_url") -> str:
    """The URL normalised as the HTTP client sends it (see :mod:`.target_url`)."""
    try:
        return parse_target_url(url, what).base_url
    except ProfileError as exc:
        raise (_fail(source, str(exc)) if source else exc) from None


def _string(raw: Mapping[str, Any], key: str, source: Path | None) -> str | None:
    value = raw.get(key)
    if value is not None and (not isinstance(value, str) or not value):
        raise _fail(source, f"{key} must be a non-empty string")
    return value


def _bool(raw: Mapping[str, Any], key: str, source: Path | None) -> bool:
    value = raw.get(key, False)
    if not isinstance(value, bool):
        raise _fail(source, f"{key} must be true or false")
    return value


def parse_profile(raw: Mapping[str, Any], source: Path | None = None) -> TargetProfile:
    """Validate a parsed TOML table into a :class:`TargetProfile`."""
    unknown = sorted(set(raw) - _TOP_LEVEL_KEYS)
    if unknown:
        raise _fail(
            source, f"unknown key {unknown[0]!r} (known: {', '.join(sorted(_TOP_LEVEL_KEYS))})"
        )
    base_url = _string(raw, "base_url", source)
    if base_url is None:
        raise _fail(source, "base_url is required")
    credentials = Credentials(
        token=_string(raw, "token", source),
        token_env=_string(raw, "token_env", source) or DEFAULT_TOKEN_ENV,
        api_key_env=_string(raw, "api_key_env", source),
        api_secret_env=_string(raw, "api_secret_env", source),
        expired_token=_string(raw, "expired_token", source),
    )
    if (credentials.api_key_env is None) != (credentials.api_secret_env is None):
        raise _fail(source, "api_key_env and api_secret_env go together")
    return TargetProfile(
        base_url=_check_base_url(base_url, source),
        credentials=credentials,
        customers=_parse_customers(raw.get("customers"), source),
        supported_currencies=_parse_currencies(raw.get("currencies"), source),
        expected=_parse_expected(raw.get("expected"), source),
        stable_balances=_bool(raw, "stable_balances", source),
        slo=_parse_slo(raw.get("slo"), source),
        load=_table(raw.get("load", {}), "load", source),
        name=_string(raw, "name", source) or (source.stem if source else "target"),
        source=source,
    )


def _table(value: Any, name: str, source: Path | None) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(source, f"[{name}] must be a table")
    return value


def _parse_customers(value: Any, source: Path | None) -> dict[str, str]:
    customers = _table(value, "customers", source) if value is not None else {}
    for role, customer_id in customers.items():
        if role not in ROLES:
            raise _fail(source, f"unknown customer role {role!r} (known: {', '.join(ROLES)})")
        if not isinstance(customer_id, str) or not typeid.is_customer_id(customer_id):
            raise _fail(source, f"customers.{role} = {customer_id!r} is not a cst TypeID")
    if "funded" not in customers:
        raise _fail(source, "[customers] needs a `funded` customer")
    return dict(customers)


def _parse_currencies(value: Any, source: Path | None) -> tuple[str, ...]:
    if value is None:
        return (spec.default_currency(),)
    table = _table(value, "currencies", source)
    supported = table.get("supported", [spec.default_currency()])
    if (
        not isinstance(supported, list)
        or not supported
        or not all(
            isinstance(c, str) and len(c) == 3 and c.isalpha() and c.isupper() for c in supported
        )
    ):
        raise _fail(source, "currencies.supported must be a non-empty list of ISO 4217 codes")
    return tuple(dict.fromkeys(supported))


def _parse_expected(value: Any, source: Path | None) -> dict[str, dict[str, str]]:
    if value is None:
        return {}
    expected: dict[str, dict[str, str]] = {}
    for role, by_currency in _table(value, "expected", source).items():
        if role not in ROLES:
            raise _fail(source, f"unknown role {role!r} in [expected]")
        for currency, amount in _table(by_currency, f"expected.{role}", source).items():
            if not isinstance(amount, str) or not decimal_string.is_decimal_string(amount):
                raise _fail(
                    source, f'expected.{role}.{currency} must be a decimal string like "2400.30"'
                )
        expected[role] = dict(by_currency)
    return expected


def _parse_slo(value: Any, source: Path | None) -> dict[str, float]:
    if value is None:
        return {}
    slo: dict[str, float] = {}
    for key, limit in _table(value, "slo", source).items():
        if key not in _SLO_KEYS:
            raise _fail(source, f"unknown SLO {key!r} (known: {', '.join(sorted(_SLO_KEYS))})")
        if (
            isinstance(limit, bool)
            or not isinstance(limit, int | float)
            or not math.isfinite(limit)
            or limit < 0
        ):
            raise _fail(source, f"slo.{key} must be a non-negative number")
        slo[key] = float(limit)
    return slo


def load_profile(path: Path) -> TargetProfile:
    """Read and validate a profile file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise _fail(path, "file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(path, f"cannot read: {exc}") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _fail(path, f"invalid TOML: {exc}") from None
    return parse_profile(raw, path)


def resolve_profile(
    path: Path | None, base_url: str | None = None, token: str | None = None
) -> TargetProfile | None:
    """The profile a command runs against; None means "start the embedded reference"."""
    if path is None and base_url is None:
        return None
    if path is None:
        raise ProfileError(
            "--base-url needs --profile too (the profile names the customers per role)"
        )
    return load_profile(path).with_overrides(base_url=base_url, token=token)


def static_token(credentials: Credentials, environ: Mapping[str, str] | None = None) -> str | None:
    """The bearer token from ``token`` or ``token_env``; None when client credentials are used.

    Raises :class:`ProfileError` when no source of a token is configured or set.
    """
    env = os.environ if environ is None else environ
    if credentials.token:
        return credentials.token
    if env.get(credentials.token_env):
        return env[credentials.token_env]
    if credentials.uses_client_credentials:
        for name in (credentials.api_key_env, credentials.api_secret_env):
            if name and not env.get(name):
                raise ProfileError(f"environment variable {name} is not set (api credentials)")
        return None
    raise ProfileError(
        f"no token: set environment variable {credentials.token_env}, "
        "or give --token, or configure api_key_env/api_secret_env"
    )


def _toml_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_profile(profile: TargetProfile) -> str:
    """Serialise a profile to TOML (used by ``serve --write-profile``)."""
    lines = [
        f"# oms-harness target profile: {profile.name}",
        f"name = {_toml_string(profile.name)}",
    ]
    lines.append(f"base_url = {_toml_string(profile.base_url)}")
    creds = profile.credentials
    if creds.token:
        lines.append(f"token = {_toml_string(creds.token)}")
    if creds.token_env != DEFAULT_TOKEN_ENV:
        lines.append(f"token_env = {_toml_string(creds.token_env)}")
    if creds.expired_token:
        lines.append(f"expired_token = {_toml_string(creds.expired_token)}")
    if creds.api_key_env and creds.api_secret_env:
        lines.append(f"api_key_env = {_toml_string(creds.api_key_env)}")
        lines.append(f"api_secret_env = {_toml_string(creds.api_secret_env)}")
    if profile.stable_balances:
        lines.append("stable_balances = true")
    lines += ["", "[customers]"]
    lines += [f"{role} = {_toml_string(cid)}" for role, cid in profile.customers.items()]
    lines += ["", "[currencies]"]
    lines.append(
        "supported = [" + ", ".join(_toml_string(c) for c in profile.supported_currencies) + "]"
    )
    for role, by_currency in profile.expected.items():
        lines += ["", f"[expected.{role}]"]
        lines += [
            f"{currency} = {_toml_string(amount)}" for currency, amount in by_currency.items()
        ]
    if profile.slo:
        lines += ["", "[slo]"]
        lines += [f"{key} = {value!r}" for key, value in profile.slo.items()]
    return "\n".join(lines) + "\n"
