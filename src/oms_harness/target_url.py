"""A target's base URL, normalised exactly as the HTTP client will send it.

The production guard, the ``Host`` header, Locust's ``--host`` and every report must agree on
one host. ``urlsplit`` and httpx do not: httpx maps ``api。polygon。technology`` (ideographic
full stops) to ``api.polygon.technology`` before it sends, so a guard judging the raw text
can be bypassed. Here the host is normalised once (IDNA 2008 with the UTS-46 mapping:
full-width letters and dots, case, a trailing dot) and every layer uses the result.

Userinfo is refused outright: httpx would send it as Basic auth instead of the bearer token,
and it would show on a process command line. The refusal never repeats the URL.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import idna

from .errors import ProfileError

SCHEMES = {"http": 80, "https": 443}
_HOST_LABEL = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$")
_FORBIDDEN = re.compile(r"[\x00-\x20\x7f\\]")


@dataclass(frozen=True)
class TargetURL:
    """A validated base URL; ``base_url`` is what requests are built from."""

    scheme: str
    host: str
    """ASCII, lower case, no trailing dot; an IPv6 literal without brackets."""
    port: int
    path: str
    """Without a trailing slash ('' for the root)."""

    @property
    def default_port(self) -> bool:
        return SCHEMES[self.scheme] == self.port

    @property
    def authority(self) -> str:
        """``host[:port]`` as the ``Host`` header carries it (the default port omitted)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.default_port else f"{host}:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://{self.authority}{self.path}"

    def __str__(self) -> str:
        return self.base_url


def _bad(what: str, reason: str) -> ProfileError:
    return ProfileError(f"{what}: {reason}")


def normalise_host(raw: str, what: str = "base_url") -> str:
    """The host as it goes on the wire; refuses what cannot be sent unambiguously."""
    if "%" in raw:
        raise _bad(what, "the host is percent-encoded; write it plainly")
    if raw.startswith("["):
        if not raw.endswith("]"):
            raise _bad(what, "invalid IPv6 literal (no closing bracket)")
        literal = raw[1:-1]
        if "%" in literal or not literal:
            raise _bad(what, "invalid IPv6 literal")
        try:
            return str(ipaddress.IPv6Address(literal))
        except ValueError:
            raise _bad(what, "invalid IPv6 literal") from None
    if "[" in raw or "]" in raw:
        raise _bad(what, "invalid IPv6 literal (brackets must enclose the whole host)")
    if not raw:
        raise _bad(what, "no host")
    text = raw
    if not raw.isascii():  # UTS-46: full-width letters and dots, ideographic full stops, case
        try:
            text = idna.encode(raw, uts46=True).decode("ascii")
        except (idna.IDNAError, UnicodeError, ValueError):
            raise _bad(what, "the host is not a valid internationalised host name") from None
    host = text.lower().rstrip(".")
    labels = host.split(".")
    if not host or not all(_HOST_LABEL.match(label) for label in labels):
        raise _bad(what, "the host is not a valid host name")
    if all(label.isdigit() for label in labels):
        try:
            return str(ipaddress.IPv4Address(host))
        except ValueError:
            raise _bad(what, "invalid IPv4 address") from None
    return host


def _split_authority(netloc: str, what: str) -> tuple[str, str | None]:
    if netloc.startswith("["):
        end = netloc.find("]")
        if end < 0:
            raise _bad(what, "invalid IPv6 literal (no closing bracket)")
        host, rest = netloc[: end + 1], netloc[end + 1 :]
        if rest and not rest.startswith(":"):
            raise _bad(what, "unexpected text after the IPv6 literal")
        return host, rest[1:] if rest else None
    host, colon, port = netloc.rpartition(":")
    return (host, port) if colon else (netloc, None)


def _port(text: str | None, scheme: str, what: str) -> int:
    if text is None or text == "":
        return SCHEMES[scheme]
    if not text.isascii() or not text.isdigit():
        raise _bad(what, f"the port {text!r} is not a number")
    port = int(text)
    if not 1 <= port <= 65535:
        raise _bad(what, f"the port {port} is out of range (1 to 65535)")
    return port


def parse_target_url(url: str, what: str = "base_url") -> TargetURL:
    """Validate and normalise ``url`` (raises :class:`ProfileError`, exit 2, one line)."""
    if not isinstance(url, str) or not url.strip():
        raise _bad(what, "empty URL")
    text = url.strip()
    if _FORBIDDEN.search(text):
        raise _bad(what, "the URL contains spaces, control characters or backslashes")
    scheme, sep, rest = text.partition("://")
    scheme = scheme.lower()
    if not sep or scheme not in SCHEMES:
        raise _bad(what, "not an http(s) URL (scheme http:// or https:// expected)")
    netloc = rest.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    if "@" in netloc:
        raise _bad(
            what,
            "the URL carries userinfo, credentials before '@' (refused: they would be sent "
            "as Basic auth and shown on command lines; use token_env or api_key_env)",
        )
    if "?" in rest or "#" in rest:
        raise _bad(what, "a base URL takes no query or fragment")
    host_text, port_text = _split_authority(netloc, what)
    host = normalise_host(host_text, what)
    port = _port(port_text, scheme, what)
    path = rest[len(netloc) :].rstrip("/")
    if not path.isascii():
        raise _bad(what, "the path must be ASCII (percent-encode it)")
    return TargetURL(scheme=scheme, host=host, port=port, path=path)


def public_url(url: str) -> str:
    """``url`` without userinfo, query or fragment (any of them may carry a credential), for
    reports; an IPv6 host keeps its brackets. A string with no host is returned as it is."""
    parts = urlsplit(url)
    if not parts.hostname:
        return url
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    authority = host if parts.port is None else f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, authority, parts.path, "", ""))
