"""--principal: parsing, precedence (CLI, environment, ini), usage errors, redaction, the embedded run's seeded principals."""

from __future__ import annotations

import pytest

from kibana_conformance.authz import SEEDED_PRINCIPALS, Principal, canonical
from kibana_conformance.embedded import embedded_settings
from kibana_conformance.mock import MockServer
from kibana_conformance.options import BY_DEST, Settings, SettingsError, build_settings, resolve_option

from .helpers import PASSWORD, USERNAME, WITHOUT_COVERAGE

ACTIVATE = """
from kibana_conformance.plugin import activate

def pytest_configure(config):
    activate(config)
"""

SHOW = """
def test_show(kibana_run):
    names = ",".join(sorted(p.name for p in kibana_run.settings.principals))
    print(f"PRINCIPALS {names}")
"""


def _settings(*texts: str):
    return build_settings({"kibana_principal": list(texts)})


def test_api_key_and_basic_principals_are_parsed_and_their_secrets_registered() -> None:
    settings = _settings("lists-all=ApiKey:aWQ6a2V5c2VjcmV0", "fleet-settings-read+integrations-read=basic:reader:pa:ss")
    assert settings.principal("lists-all") == Principal("lists-all", api_key="aWQ6a2V5c2VjcmV0")
    # The name is canonical (privileges in the order of the document's list); the password may hold ':'.
    assert settings.principal("integrations-read+fleet-settings-read") == Principal("integrations-read+fleet-settings-read", username="reader", password="pa:ss")
    assert {"aWQ6a2V5c2VjcmV0", "pa:ss"} <= set(settings.secrets)
    assert "aWQ6a2V5c2VjcmV0" not in repr(settings)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("lists-all", "expected NAME=ApiKey:KEY or NAME=basic:USER:PASSWORD"),
        ("=ApiKey:k", "expected NAME=ApiKey:KEY"),
        ("lists-all=Bearer:tok3n", "expected NAME=ApiKey:KEY or NAME=basic:USER:PASSWORD for principal 'lists-all'"),
        ("lists-all=basic:useronly", "for principal 'lists-all'"),
        ("lists-all=ApiKey:", "for principal 'lists-all'"),
        ("fleet-everything=ApiKey:k", "unknown privilege 'fleet-everything'"),
    ],
)
def test_bad_principals_are_one_line_errors_without_the_secret(text: str, message: str) -> None:
    with pytest.raises(SettingsError) as raised:
        _settings(text)
    assert str(raised.value).startswith("--principal: ")
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)
    assert "tok3n" not in str(raised.value)


def test_a_principal_given_twice_is_refused() -> None:
    with pytest.raises(SettingsError, match="given twice"):
        _settings("lists-all=ApiKey:a", "lists-all=ApiKey:b")


def test_environment_is_comma_separated_and_the_command_line_wins() -> None:
    option = BY_DEST["kibana_principal"]
    env = {"KIBANA_CONFORMANCE_PRINCIPALS": "lists-all=ApiKey:k1, none=basic:u:p"}
    assert resolve_option(option, [], env, ["cases-read=ApiKey:k3"]) == ["lists-all=ApiKey:k1", "none=basic:u:p"]
    assert resolve_option(option, ["fleet-all=ApiKey:k2"], env, ["cases-read=ApiKey:k3"]) == ["fleet-all=ApiKey:k2"]
    assert resolve_option(option, [], {}, ["cases-read=ApiKey:k3"]) == ["cases-read=ApiKey:k3"]


def test_names_are_canonical() -> None:
    assert canonical("event:write+manage_own_api_key") == "manage_own_api_key+event:write"
    assert canonical("none") == "none"


def test_the_embedded_run_gets_every_seeded_principal_and_keeps_given_ones() -> None:
    given = Principal("lists-all", api_key="mine-key")
    settings = embedded_settings(Settings(principals=(given,), secrets=("mine-key",)))
    assert {p.name for p in settings.principals} == set(SEEDED_PRINCIPALS)
    assert settings.principal("lists-all") == given
    assert all(p.password in settings.secrets for p in settings.principals if p.password)


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest(ACTIVATE)
    pytester.makepyfile(SHOW)
    return pytester


def test_cli_beats_environment_beats_ini(suite: pytest.Pytester, mock_server: MockServer, monkeypatch: pytest.MonkeyPatch) -> None:
    suite.makeini("[pytest]\nkibana_principals =\n    cases-read=ApiKey:from-ini\n")
    common = ["-s", "--base-url", mock_server.url, "--username", USERNAME, "--password", PASSWORD]
    result = suite.runpytest_inprocess(*common)
    assert "PRINCIPALS cases-read" in result.stdout.str(), result.stdout.str()
    monkeypatch.setenv("KIBANA_CONFORMANCE_PRINCIPALS", "lists-all=ApiKey:from-env,none=basic:u:from-env")
    result = suite.runpytest_inprocess(*common)
    assert "PRINCIPALS lists-all,none" in result.stdout.str()
    result = suite.runpytest_inprocess(*common, "--principal", "fleet-all=ApiKey:from-cli")
    assert "PRINCIPALS fleet-all" in result.stdout.str()


def test_a_bad_principal_is_a_usage_error(suite: pytest.Pytester) -> None:
    result = suite.runpytest_inprocess("--principal", "lists-all=Bearer:s3cret")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--principal: expected NAME=ApiKey:KEY or NAME=basic:USER:PASSWORD" in result.stderr.str()
    assert "Traceback" not in result.stderr.str()
    assert "s3cret" not in result.stdout.str() + result.stderr.str()


def test_a_live_run_uses_the_given_principals_skips_the_others_and_leaks_no_secret(tmp_path, mock_server: MockServer) -> None:
    import base64
    import subprocess
    import sys

    from kibana_conformance.mock.config import principal_user

    lists, none = principal_user("lists-all"), principal_user("none")
    result = subprocess.run(
        [
            sys.executable, "-m", "kibana_conformance.cli", "run", *WITHOUT_COVERAGE, "--base-url", mock_server.url, "--username", USERNAME, "--password", PASSWORD,
            "--principal", f"lists-all=basic:{lists.username}:{lists.password}", "--principal", f"none=basic:{none.username}:{none.password}",
            "--operation", "put-exception-lists-items,get-fleet-epm-packages", "--report-dir", str(tmp_path / "reports"),
            "--", "-k", "authorization", "-rs",
        ],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    printed = result.stdout + result.stderr
    assert result.returncode == 0, printed[-3000:]
    assert "needs the principal 'integrations-read', and none was given: pass --principal integrations-read=ApiKey:KEY" in printed
    assert "needs the principal 'lists-all'" not in printed
    import json

    results = json.loads((tmp_path / "reports" / "results.json").read_text())
    text = json.dumps(results)
    assert '"authorization"' in text
    files = [p for p in (tmp_path / "reports").rglob("*") if p.is_file()]
    for secret in (lists.password, none.password, base64.b64encode(f"{lists.username}:{lists.password}".encode()).decode()):
        assert secret not in printed
        assert [str(p) for p in files if secret.encode() in p.read_bytes()] == []
