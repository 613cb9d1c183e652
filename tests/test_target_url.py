"""Base URLs normalised as httpx sends them, and the production guard judging that form."""

from __future__ import annotations

import httpx
import pytest

from oms_harness.errors import ProfileError, UsageError
from oms_harness.load.plan import build_plan
from oms_harness.target import check_production
from oms_harness.target_url import parse_target_url, public_url


def fullwidth(text: str) -> str:
    """ASCII letters and dots as their full-width forms (U+FF01..U+FF5E)."""
    return "".join(chr(ord(c) + 0xFEE0) if c.isalpha() or c == "." else c for c in text)


PRODUCTION_SPELLINGS = [
    "https://api.polygon.technology/v0.9",
    "https://API.Polygon.Technology/v0.9",
    "https://api.polygon.technology./v0.9",
    "https://api\u3002polygon\u3002technology/v0.9",  # ideographic full stop
    "https://api\uff0epolygon\uff0etechnology/v0.9",  # full-width full stop
    "https://api\uff61polygon\uff61technology/v0.9",  # half-width ideographic full stop
    "https://" + fullwidth("api") + ".polygon.technology/v0.9",  # full-width letters
    "https://" + fullwidth("API.POLYGON.TECHNOLOGY") + "/v0.9",
    "https://api.polygon.technology:443/v0.9",
    "http://api.polygon.technology/v0.9",
    "https://eu.api.polygon.technology/v0.9",
    "https://api.polygon.technology\u3002/v0.9",
    "HTTPS://api.polygon.technology/v0.9/",
    "https://api\u200b.polygon.technology/v0.9",  # UTS-46 drops a zero-width space
]


@pytest.mark.parametrize("url", PRODUCTION_SPELLINGS)
def test_every_spelling_of_production_is_refused(url: str) -> None:
    parsed = parse_target_url(url)
    assert parsed.host.endswith("api.polygon.technology")
    with pytest.raises(UsageError, match="refusing to load-test the production host"):
        check_production(parsed, allow_production=False)
    with pytest.raises(UsageError, match="production"):  # what a load run's plan checks
        build_plan(parsed, scenario="smoke", allow_production=False)
    check_production(parsed, allow_production=True)


@pytest.mark.parametrize("url", PRODUCTION_SPELLINGS)
def test_the_normalised_url_is_what_httpx_sends(url: str) -> None:
    parsed = parse_target_url(url)
    sent = httpx.Request("GET", parsed.base_url + "/x")
    assert sent.url.host == parsed.host
    assert sent.headers["Host"] == parsed.authority


@pytest.mark.parametrize(
    "url",
    [
        "https://api%2Epolygon.technology/v0.9",
        "https://api%2epolygon%2etechnology/v0.9",
        "https://%61pi.polygon.technology/v0.9",
        "https://api.polygon.technology%00.example/v0.9",
    ],
)
def test_percent_encoded_hosts_are_refused(url: str) -> None:
    with pytest.raises(ProfileError, match="percent-encoded"):
        parse_target_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://xn--.polygon.technology/v0.9",
        "https://a..b/v0.9",
        "https://-api.polygon.technology/v0.9",
        "https://ap\u0000i.polygon.technology/v0.9",
    ],
)
def test_hosts_that_do_not_normalise_are_refused(url: str) -> None:
    with pytest.raises(ProfileError):
        parse_target_url(url)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:8080/v0.9/", "http://127.0.0.1:8080/v0.9"),
        ("http://LOCALHOST:80/v0.9", "http://localhost/v0.9"),
        (
            "https://Sandbox-API.polygon.technology/v0.9",
            "https://sandbox-api.polygon.technology/v0.9",
        ),
        ("http://[::1]:9000/v0.9", "http://[::1]:9000/v0.9"),
        ("http://[0:0:0:0:0:0:0:1]/v0.9", "http://[::1]/v0.9"),
        ("http://bücher.example/v0.9", "http://xn--bcher-kva.example/v0.9"),
        ("http://my_host.internal:8080", "http://my_host.internal:8080"),
    ],
)
def test_normal_form(url: str, expected: str) -> None:
    assert parse_target_url(url).base_url == expected


def test_sandbox_is_not_production() -> None:
    check_production(
        parse_target_url("https://sandbox-api.polygon.technology/v0.9"), allow_production=False
    )
    check_production(
        parse_target_url("https://api.polygon.technology.evil.example"), allow_production=False
    )


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://[::1/v0.9", "IPv6"),
        ("http://[::1", "IPv6"),
        ("http://[:::1]/v0.9", "IPv6"),
        ("http://[fe80::1%25eth0]/v0.9", "percent-encoded"),
        ("http://::1/v0.9", "IPv6|port|host"),
        ("http://127.0.0.1:99999/v0.9", "out of range"),
        ("http://127.0.0.1:0/v0.9", "out of range"),
        ("http://127.0.0.1:-1/v0.9", "not a number"),
        ("http://127.0.0.1:80a/v0.9", "not a number"),
        ("ftp://127.0.0.1/v0.9", "http"),
        ("127.0.0.1:8080/v0.9", "http"),
        ("//127.0.0.1/v0.9", "http"),
        ("http:///v0.9", "host"),
        ("http://127.0.0.1/v0.9?k=1", "query"),
        ("http://127.0.0.1/v0.9#top", "fragment"),
        ("http://127.0.0.1/v 0.9", "spaces"),
        ("http://999.1.1.1/v0.9", "IPv4"),
        ("", "empty"),
    ],
)
def test_bad_urls_are_one_line_profile_errors(url: str, reason: str) -> None:
    with pytest.raises(ProfileError, match=reason) as info:
        parse_target_url(url)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    "url",
    [
        "http://user:p%40ss@127.0.0.1:8080/v0.9",
        "http://user@127.0.0.1/v0.9",
        "https://:hunter2secret@api.polygon.technology/v0.9",
        "http://a:b@c@127.0.0.1/v0.9",
    ],
)
def test_userinfo_is_refused_without_echoing_it(url: str) -> None:
    with pytest.raises(ProfileError, match="userinfo") as info:
        parse_target_url(url)
    for secret in ("p%40ss", "p@ss", "hunter2secret", "user:", "a:b"):
        assert secret not in str(info.value)


@pytest.mark.parametrize(
    ("url", "public"),
    [
        ("https://user:pa55word@sandbox.example/v0.9", "https://sandbox.example/v0.9"),
        ("http://127.0.0.1:8080/v0.9?token=abc", "http://127.0.0.1:8080/v0.9"),
        ("https://user:pw@h.example:8443/v0.9?k=1#f", "https://h.example:8443/v0.9"),
        ("http://127.0.0.1:8080/v0.9", "http://127.0.0.1:8080/v0.9"),
        ("http://user:pw@[::1]:8080/v0.9", "http://[::1]:8080/v0.9"),
        ("not a url", "not a url"),
    ],
)
def test_public_url_drops_what_may_carry_a_credential(url: str, public: str) -> None:
    assert public_url(url) == public
