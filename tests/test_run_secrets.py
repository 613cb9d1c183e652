"""Run secrets: every form a credential can travel in, and child environments without them."""

from __future__ import annotations

import base64

from oms_harness.child_env import child_env, tool_env
from oms_harness.redaction import REDACTED
from oms_harness.run_secrets import RunSecrets, encoded_forms


def test_encoded_forms_cover_url_and_base64_encodings() -> None:
    forms = encoded_forms("p@ss word/1")
    assert {"p@ss word/1", "p%40ss%20word%2F1", "p%40ss+word%2F1"} <= forms
    assert base64.b64encode(b"p@ss word/1").decode() in forms


def test_a_pair_is_kept_as_basic_auth_carries_it() -> None:
    secrets = RunSecrets()
    secrets.add_pair("api-user", "p@ssword")
    basic = base64.b64encode(b"api-user:p@ssword").decode()
    assert basic in secrets.values()
    assert secrets.scrub(f"Authorization: Basic {basic}") == f"Authorization: Basic {REDACTED}"
    assert secrets.scrub("curl https://h/?k=p%40ssword") == f"curl https://h/?k={REDACTED}"


def test_short_values_are_not_secrets() -> None:
    secrets = RunSecrets(["abc", None, ""])
    assert secrets.values() == frozenset()
    assert "redacted" in repr(RunSecrets(["a-long-secret"]))


def test_child_env_drops_credentials_by_name_and_value() -> None:
    secrets = RunSecrets(["tok-123456789"])
    environ = {
        "PATH": "/bin",
        "OMS_TOKEN": "anything",
        "COPY": "prefix tok-123456789",
        "OMS_HARNESS_PROFILE": "/x",
        "KEEP": "me",
    }
    env = child_env(secrets, credential_env=["OMS_TOKEN"], environ=environ, extra={"NEW": "1"})
    assert env == {"PATH": "/bin", "KEEP": "me", "NEW": "1"}


def test_tool_env_is_an_allow_list() -> None:
    environ = {"PATH": "/bin", "HOME": "/h", "LC_ALL": "C", "NODE_OPTIONS": "-x", "MY_TOKEN": "t"}
    assert tool_env({"CI": "1"}, environ) == {
        "PATH": "/bin",
        "HOME": "/h",
        "LC_ALL": "C",
        "NODE_OPTIONS": "-x",
        "CI": "1",
    }
