"""The pytest plugin, self-tested with pytester: options, precedence, selection, early abort."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from kibana_conformance import exit_codes
from kibana_conformance.mock import MockServer

from .helpers import PASSWORD, USERNAME

ACTIVATE = """
from kibana_conformance.plugin import activate

def pytest_configure(config):
    activate(config)
"""

SHOW_SETTINGS = """
def test_show(kibana_run):
    s = kibana_run.settings
    print(f"SETTINGS max_examples={s.max_examples} timeout={s.timeout} space={s.space} user={s.username}")
"""


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest(ACTIVATE)
    return pytester


def _settings_line(result: pytest.RunResult) -> str:
    line = next(line for line in result.outlines if "SETTINGS " in line)
    return line[line.index("SETTINGS ") :].rstrip(".")


def test_options_have_their_own_help_group(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--help")
    text = result.stdout.str()
    assert "Kibana conformance suite" in text
    for flag in ("--base-url", "--api-key", "--username", "--password", "--space", "--max-examples", "--seed", "--area", "--operation", "--timeout", "--ca-cert", "--insecure"):
        assert flag in text


def test_cli_beats_environment_beats_ini(suite: pytest.Pytester, mock_server: MockServer, monkeypatch: pytest.MonkeyPatch) -> None:
    suite.makeini("[pytest]\nkibana_max_examples = 7\nkibana_timeout = 3\nkibana_space = from-ini\n")
    suite.makepyfile(SHOW_SETTINGS)
    monkeypatch.setenv("KIBANA_URL", mock_server.url)
    monkeypatch.setenv("KIBANA_USERNAME", USERNAME)
    monkeypatch.setenv("KIBANA_PASSWORD", PASSWORD)
    monkeypatch.setenv("KIBANA_CONFORMANCE_TIMEOUT", "4")
    monkeypatch.setenv("KIBANA_SPACE", "from-env")
    result = suite.runpytest_inprocess("-s", "--space", "from-cli")
    assert result.ret == 0, result.stdout.str()
    assert _settings_line(result) == f"SETTINGS max_examples=7 timeout=4.0 space=from-cli user={USERNAME}"


def test_report_header_names_target_seed_and_schema_version(suite: pytest.Pytester, mock_server: MockServer) -> None:
    suite.makepyfile(SHOW_SETTINGS)
    result = suite.runpytest_inprocess("--base-url", mock_server.url, "--username", USERNAME, "--password", PASSWORD, "--seed", "42")
    header = result.stdout.str()
    assert f"target {mock_server.url}" in header
    assert "seed 42, schema version 000_77863d4e6b7d5556+" in header
    assert PASSWORD not in header


AREA_TESTS = """
import pytest

@pytest.mark.requirement("T-FLEET", category="scenarios", operation="put-fleet-settings")
def test_fleet(kibana):
    pass

@pytest.mark.requirement("T-APM", category="scenarios", operation="post-apm-agent-keys")
def test_apm(kibana):
    pass

@pytest.mark.requirement("T-CASES", category="scenarios", operation="get-cases-configure")
def test_cases(kibana):
    pass
"""


@pytest.mark.parametrize(
    ("selection", "selected"),
    [
        (["--area", "fleet,apm"], {"test_fleet", "test_apm"}),
        (["--operation", "get-cases-configure"], {"test_cases"}),
        (["--requirement", "T-APM,T-CASES"], {"test_apm", "test_cases"}),
        ([], {"test_fleet", "test_apm", "test_cases"}),
    ],
)
def test_area_and_operation_select_tests(suite: pytest.Pytester, mock_server: MockServer, selection: list[str], selected: set[str]) -> None:
    suite.makepyfile(AREA_TESTS)
    result = suite.runpytest_inprocess("--base-url", mock_server.url, "--username", USERNAME, "--password", PASSWORD, "-v", *selection)
    passed = {name for name in ("test_fleet", "test_apm", "test_cases") if f"::{name} PASSED" in result.stdout.str()}
    assert passed == selected


VERSIONED_TESTS = """
import pytest

@pytest.mark.requirement("T-LATER", category="scenarios", operation="put-fleet-settings", since="99.0")
def test_later(kibana):
    pass

@pytest.mark.requirement("T-GONE", category="scenarios", operation="put-fleet-settings", until="9.0")
def test_gone(kibana):
    pass

@pytest.mark.requirement("T-NOW", category="scenarios", operation="put-fleet-settings", since="8.0", until="99")
def test_now(kibana):
    pass
"""


@pytest.mark.parametrize(
    ("version", "passed", "skipped"),
    [([], {"test_now"}, {"test_later", "test_gone"}), (["--kibana-version", "99.1"], {"test_later"}, {"test_gone", "test_now"})],
    ids=["from-status", "given"],
)
def test_requirements_outside_the_target_version_are_skipped_with_the_reason(
    suite: pytest.Pytester, mock_server: MockServer, version: list[str], passed: set[str], skipped: set[str]
) -> None:
    """The mock says Kibana 9.1.0 in /api/status; --kibana-version overrides it."""
    suite.makepyfile(VERSIONED_TESTS)
    result = suite.runpytest_inprocess("--base-url", mock_server.url, "--username", USERNAME, "--password", PASSWORD, "-v", "-rs", *version)
    out = result.stdout.str()
    assert {n for n in ("test_later", "test_gone", "test_now") if f"::{n} PASSED" in out} == passed
    assert {n for n in ("test_later", "test_gone", "test_now") if f"::{n} SKIPPED" in out} == skipped
    if not version:
        assert "requirement T-LATER holds since Kibana 99.0; the target is 9.1.0" in out


def test_an_unknown_requirement_is_a_usage_error(suite: pytest.Pytester, mock_server: MockServer) -> None:
    suite.makepyfile(AREA_TESTS)
    result = suite.runpytest_inprocess("--base-url", mock_server.url, "--username", USERNAME, "--password", PASSWORD, "--requirement", "T-APM,T-NOPE")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--requirement: unknown requirement 'T-NOPE'" in result.stderr.str()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--area", "nowhere"], "--area: unknown area 'nowhere'"),
        (["--operation", "get-nothing"], "--operation: unknown operation 'get-nothing'"),
        (["--api-key", "k", "--username", "u", "--password", "p"], "use either --api-key or --username/--password"),
        (["--username", "u"], "--username and --password go together"),
        (["--base-url", "ftp://x"], "--base-url: expected an http(s) URL"),
        (["--base-url", "http://user:pw@x"], "put credentials in --username/--password"),
        (["--max-examples", "many"], "--max-examples: expected a number"),
        (["--space", "Not A Space"], "--space: a space id is"),
        (["--ca-cert", "/nonexistent.pem"], "--ca-cert: no such file"),
        (["--resource", "bogus=1"], "--resource: unknown name 'bogus'"),
        (["--base-url", "http://x/?password=s3cret"], "--base-url: give Kibana's base URL without a query"),
        (["--base-url", "http://x/#s3cret"], "--base-url: give Kibana's base URL without a query"),
        (["--timeout", "nan"], "--timeout: expected a positive finite number"),
        (["--timeout", "inf"], "--timeout: expected a positive finite number"),
        (["--max-rps", "nan"], "--max-rps: expected a positive finite number"),
        (["--max-rps", "-1"], "--max-rps: expected a positive finite number"),
        (["--kibana-version", "latest"], "--kibana-version: expected a version such as 9.1.0"),
    ],
)
def test_bad_options_are_usage_errors(suite: pytest.Pytester, args: list[str], message: str) -> None:
    suite.makepyfile(SHOW_SETTINGS)
    # In process (as most tests here): a new interpreter per case cost seconds. The runs whose preflight meets a
    # transport error stay in a subprocess: pytester's module snapshot gives httpcore's exceptions new identities.
    result = suite.runpytest_inprocess(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert message in result.stderr.str()
    assert "Traceback" not in result.stderr.str()
    assert "s3cret" not in result.stdout.str() + result.stderr.str()  # a refused URL is not echoed with its secret


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def silent_server() -> Iterator[str]:
    """Accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    server.close()


MANY_TESTS = """
import pytest

@pytest.mark.parametrize("n", range(50))
def test_many(kibana, n):
    pass
"""


def _assert_early_abort(result: pytest.RunResult, message: str) -> None:
    assert result.ret == exit_codes.TARGET_UNAVAILABLE
    err = result.stderr.str()
    assert message in err
    # One line says what the preflight waits for, one why the run stops; no traceback.
    assert err.count("kibana-conformance:") == 2 and "checking" in err and "Traceback" not in err
    assert "passed" not in result.stdout.str() and "failed" not in result.stdout.str()


def test_unreachable_target_ends_the_run_at_once(suite: pytest.Pytester) -> None:
    suite.makepyfile(MANY_TESTS)
    result = suite.runpytest_subprocess("--base-url", f"http://127.0.0.1:{_free_port()}", "--username", "u", "--password", "p")
    _assert_early_abort(result, "the connection was refused")


def test_rejected_credentials_end_the_run_at_once(suite: pytest.Pytester, mock_server: MockServer) -> None:
    suite.makepyfile(MANY_TESTS)
    result = suite.runpytest_inprocess("--base-url", mock_server.url, "--username", USERNAME, "--password", "not-the-password")
    _assert_early_abort(result, "rejected the user name and password (401)")
    assert "not-the-password" not in result.stderr.str() + result.stdout.str()


def test_silent_target_ends_the_run_after_the_timeout(suite: pytest.Pytester, silent_server: str) -> None:
    suite.makepyfile(MANY_TESTS)
    result = suite.runpytest_subprocess("--base-url", silent_server, "--api-key", "id:key", "--timeout", "0.5")
    _assert_early_abort(result, "no complete answer within 0.5 s")


def test_without_base_url_the_bundled_mock_is_the_target(suite: pytest.Pytester) -> None:
    suite.makepyfile(SHOW_SETTINGS)
    result = suite.runpytest_inprocess("-s")
    assert result.ret == 0
    assert "the bundled mock http://127.0.0.1:" in result.stdout.str()
    assert _settings_line(result).endswith("user=elastic")


def test_plugin_is_inert_without_a_suite(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_plain():\n    assert True\n")
    result = pytester.runpytest_inprocess("--base-url", "http://127.0.0.1:1")
    assert result.ret == 0
    assert "kibana-conformance 0.1" not in result.stdout.str()  # no report header: the suite is not active
