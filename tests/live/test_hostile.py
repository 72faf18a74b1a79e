"""Hostile and broken targets: every run ends with a verdict, one readable line per problem, no traceback.

A target that fails the preflight ends the run with exit code 3 and one line. A target that
passes it but misbehaves on some operations ends with exit code 1: the tests of those
operations fail with a readable line, the others pass.
"""

from __future__ import annotations

import base64
import json
import re
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from kibana_conformance.mock import MockConfig, MockServer
from kibana_conformance.transport import MAX_ATTEMPTS

from . import servers
from .conftest import CREDENTIALS, PASSWORD, USER, Run, assert_readable, assert_stopped_by_preflight, proxy_to, run_cli
from .servers import Handler, Proxy, RawServer, Rule

# ---------------------------------------------------------------------------------------------
# Targets the preflight stops


def test_connection_refused(tmp_path: Path) -> None:
    run = run_cli(tmp_path, "--base-url", f"http://127.0.0.1:{servers.free_port()}", *CREDENTIALS)
    assert_stopped_by_preflight(run, "the connection was refused")


def test_host_name_that_does_not_resolve(tmp_path: Path) -> None:
    # Not on loopback: --read-only lets the run reach the network (see test_safety for the gate).
    run = run_cli(tmp_path, "--base-url", "http://kct-does-not-exist.invalid:5601", *CREDENTIALS, "--read-only")
    assert_stopped_by_preflight(run, "its host name does not resolve (DNS)")


def test_target_that_never_answers(tmp_path: Path) -> None:
    with RawServer(servers.never_answer) as silent:
        run = run_cli(tmp_path, "--base-url", silent.url, *CREDENTIALS, "--timeout", "1")
    assert_stopped_by_preflight(run, "no complete answer within 1 s (see --timeout)")
    assert run.seconds < 30


@pytest.mark.parametrize(
    ("action", "message"),
    [
        (servers.login_page(), "with an HTML page (200), not Kibana's JSON: is a login page or a proxy in the way?"),
        (servers.bad_gateway(), "answers 502 to a status request; it is not serving"),
        (servers.redirect_to_self(), "redirects /api/status to itself (a redirect loop); it is not serving"),
        (servers.close_mid_body(), "the target closed the connection before the response was complete"),
    ],
    ids=["login-page", "proxy-error-502", "redirect-loop", "closes-mid-body"],
)
def test_target_that_is_not_kibana_everywhere(tmp_path: Path, action: Callable[[Handler], None], message: str) -> None:
    with Proxy(None, [Rule(".*", action)]) as target:
        run = run_cli(tmp_path, "--base-url", target.url, *CREDENTIALS)
    assert_stopped_by_preflight(run, message)
    # The status request, followed nowhere; a safe read cut short is tried again, a bounded number of times.
    assert {s.path for s in target.seen} == {"/api/status"} and 1 <= len(target.seen) <= MAX_ATTEMPTS


def _other_host() -> str:
    """Another loopback address than the target's (127.0.0.1), where the kernel lets us listen."""
    try:
        with socket.socket() as sock:
            sock.bind(("127.0.0.2", 0))
        return "127.0.0.2"
    except OSError:  # pragma: no cover - a loopback of one address only
        return "localhost"


def test_redirect_of_everything_to_another_host(tmp_path: Path) -> None:
    with Proxy(None, host=_other_host()) as other:
        with Proxy(None, [Rule(".*", servers.redirect(lambda h: other.url + h.path))]) as target:
            run = run_cli(tmp_path, "--base-url", target.url, *CREDENTIALS)
    assert_stopped_by_preflight(run, f"redirects to '{other.url}/api/status'; give the final URL as --base-url")
    assert other.seen == []


# ---------------------------------------------------------------------------------------------
# A target that passes the preflight and misbehaves on some operations: one run, a proxy in
# front of the mock, each operation broken its own way, one left alone.

TIMEOUT = 1.0


@dataclass(frozen=True)
class Misbehaviour:
    operation: str
    path: str
    action: Callable[[Handler], None]
    phrase: str  # in the report of a failed (or error) test of the operation
    everywhere: bool = True  # ... of every such test (the transport failures), or of one at least
    # "error": no HTTP answer to judge (a transport problem after retries: the suite could not judge);
    # "failed": an answer that breaks the contract; "clean": the suite copes (no failure, no error).
    outcome: str = "failed"


MISBEHAVIOURS = {
    "slower-than-the-timeout": Misbehaviour(
        # Each test of the operation waits out the timeout: an operation with few tests (15; the cases configuration has 23).
        "get-detection-engine-rules-prepackaged-status", r"^/api/detection_engine/rules/prepackaged/_status$", servers.slow(3 * TIMEOUT),
        f"no complete answer within {TIMEOUT:g} s (see --timeout)", outcome="error",
    ),
    "closes-mid-body": Misbehaviour(
        "get-fleet-agent-status-data", r"^/api/fleet/agent_status/data$", servers.close_mid_body(),
        "the target closed the connection before the response was complete", outcome="error",
    ),
    "login-page": Misbehaviour(
        "get-cases-configure", r"^/api/cases/configure$", servers.login_page(), "content type 'text/html; charset=utf-8' is not JSON", everywhere=False,
    ),
    "proxy-error-502": Misbehaviour(
        "get-entity-analytics-monitoring-privileges-health", r"^/api/entity_analytics/monitoring/privileges/health$", servers.bad_gateway(),
        "answered 502", everywhere=False,
    ),
    "truncated-json": Misbehaviour("get-fleet-epm-packages", r"^/api/fleet/epm/packages$", servers.truncate_json(), "JSON", everywhere=False),
    "invalid-utf8": Misbehaviour("get-fleet-outputs-outputid", r"^/api/fleet/outputs/[^/]+$", servers.invalid_utf8(), "JSON", everywhere=False),
    "redirect-loop": Misbehaviour("get-streams-name-group", r"^/api/streams/[^/]+/_group$", servers.redirect_to_self(), "answered 302", everywhere=False),
    "redirect-to-another-host": Misbehaviour(
        # 307 keeps the method and the body: a client that followed it would post them, and the credentials, elsewhere.
        "post-apm-agent-keys", r"^/api/apm/agent_keys$", servers.redirect(lambda h: OTHER_HOST[0] + h.path, status=307), "answered 307", everywhere=False,
    ),
    "oversized-headers": Misbehaviour(
        "get-osquery-live-queries-id-results-actionid", r"^/api/osquery/live_queries/", servers.oversized_header(),
        "the response headers are too large to read", outcome="error",
    ),
    "endless-chunked-stream": Misbehaviour(
        "get-fleet-remote-synced-integrations-outputid-remote-status", r"^/api/fleet/remote_synced_integrations/", servers.endless_chunks(),
        "the response body exceeds 10 MB", outcome="error",
    ),
    "settings-answered-with-an-array": Misbehaviour(
        # The restore at the end reads and writes the settings too: the report must survive it.
        "put-fleet-settings", r"^/api/fleet/settings$", servers.answer_writes_with(b"[]"), "the body is an array", everywhere=False,
    ),
    "obsolete-and-doubled-date-headers": Misbehaviour(
        "post-security-ai-assistant-current-user-conversations", r"^/api/security_ai_assistant/", servers.obsolete_dates(), "", outcome="clean",
    ),
    "credentials-echoed-in-refusals": Misbehaviour(
        # The echoed text changes Kibana's messages (failures the suite reports); the credentials never reach the report.
        "put-exception-lists-items", r"^/api/exception_lists/items$", servers.echo_credentials_on_refusal(), "is not the documented error", everywhere=False,
    ),
    "early-hints": Misbehaviour("put-logstash-pipeline-id", r"^/api/logstash/pipeline/", servers.early_hints(), "", outcome="clean"),
    "too-many-requests-with-retry-after": Misbehaviour(
        "post-endpoint-action-upload", r"^/api/endpoint/action/upload$", servers.every(10, servers.too_many_requests("1")), "", outcome="clean",
    ),
    "timestamps-without-a-zone": Misbehaviour(
        "put-fleet-package-policies-packagepolicyid", r"^/api/fleet/package_policies/", servers.naive_timestamps(), "", outcome="clean",
    ),
    "one-read-in-ten-dropped": Misbehaviour(
        "get-entity-store-engines", r"^/api/entity_store/engines$", servers.every(10, servers.drop_connection(), methods=("GET",)), "", outcome="clean",
    ),
}
OTHER_HOST: list[str] = []


@dataclass
class Broken:
    run: Run
    proxy: Proxy
    other: Proxy


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broken]:
    """One run of every misbehaving operation and a good one (--timeout 0.5, 3 examples)."""
    tmp_path = tmp_path_factory.mktemp("broken")
    operations = ",".join(m.operation for m in MISBEHAVIOURS.values())
    rules = [Rule(m.path, m.action) for m in MISBEHAVIOURS.values()]
    with MockServer(MockConfig(username=USER, password=PASSWORD)) as mock, Proxy(None, host=_other_host()) as other:
        OTHER_HOST[:] = [other.url]
        with proxy_to(mock, *rules) as proxy:
            run = run_cli(tmp_path, "--base-url", proxy.url, *CREDENTIALS, "--operation", operations, "--max-examples", "3", "--timeout", str(TIMEOUT))
        yield Broken(run, proxy, other)


GOOD = "get-entity-store-engines"

def ONE_RUN(test: Callable[..., None]) -> Callable[..., None]:  # noqa: N802 (used as a marker)
    """The module fixture runs once, in one worker; ~40 s, much of it waiting on the too-slow operation."""
    return pytest.mark.slow(seconds=40)(pytest.mark.xdist_group("live-broken-target")(test))


@ONE_RUN
def test_misbehaving_target_is_not_conformant_and_readable(broken: Broken) -> None:
    run = broken.run
    assert run.returncode == 1, run.describe()
    assert_readable(run)
    assert run.results is not None and run.results["verdict"] == "not conformant"
    # A complete report: every artifact, whatever the target did (the restore at the end included).
    for name in ("results.json", "index.html", "junit.xml"):
        assert (run.report_dir / name).is_file(), name
    assert any((run.report_dir / "allure-results").iterdir())
    assert {r["operation"] for r in run.results["footprint"]["restored"]} >= {"put-fleet-settings"}
    # The suite's own bugs never become the target's failures: no test ends in a suite error.
    suite_errors = [(t["nodeid"], t["summary"]) for t in run.tests() if t.get("error_kind") == "suite"]
    assert suite_errors == [], suite_errors
    exceptions = re.compile(r"\b(TypeError|KeyError|AttributeError|IndexError|ValueError|JSONDecodeError)\b")
    leaking = [t["nodeid"] for t in run.tests() if t["outcome"] == "failed" and exceptions.search((t["summary"] or "") + (t.get("received") or ""))]
    assert leaking == [], leaking
    for line in run.stdout.splitlines():
        if line.startswith("FAILED "):
            # Test ids read as in the report (suites/...), wherever the suites are installed; pytest drops
            # the message when the line outgrows a terminal outside CI, so only a message that is shown is bounded.
            assert line.startswith("FAILED suites/"), line
            _, _, message = line.partition(" - ")
            assert len(message) < 200, line


@ONE_RUN
def test_the_allure_results_are_the_reports_tests(broken: Broken) -> None:
    """One Allure result per test of results.json, with its outcome; no per-fixture files (allure-pytest's)."""
    folder = broken.run.report_dir / "allure-results"
    files = [p.name for p in folder.iterdir()]
    results = [json.loads((folder / name).read_text()) for name in files if name.endswith("-result.json")]
    assert sorted((r["fullName"], next(l["value"] for l in r["labels"] if l["name"] == "outcome")) for r in results) == sorted(
        (t["nodeid"], t["outcome"]) for t in broken.run.tests())
    assert {r["status"] for r in results} == {"passed", "failed", "broken", "skipped"}
    assert not [name for name in files if not name.endswith(("-result.json", "-attachment.txt"))]


@ONE_RUN
@pytest.mark.parametrize("name", list(MISBEHAVIOURS))
def test_misbehaving_operation_fails_with_a_readable_line(broken: Broken, name: str) -> None:
    misbehaviour = MISBEHAVIOURS[name]
    tests = broken.run.tests(misbehaviour.operation)
    assert tests, f"no test of {misbehaviour.operation} ran"
    if misbehaviour.outcome == "clean":
        # The suite copes: no failure and no error (a known divergence or a skip is not a failure).
        assert not [t for t in tests if t["outcome"] in ("failed", "error")], [(t["nodeid"], t["outcome"], t["summary"]) for t in tests if t["outcome"] in ("failed", "error")]
        assert [t for t in tests if t["outcome"] == "passed"], "nothing of the operation passed"
        return
    failed = [t for t in tests if t["outcome"] == misbehaviour.outcome]
    other = "error" if misbehaviour.outcome == "failed" else "failed"
    assert failed and not [t for t in tests if t["outcome"] == other], [(t["nodeid"], t["outcome"]) for t in tests]
    for test in failed:
        summary = test["summary"] or ""
        assert summary and "\n" not in summary and len(summary) <= 300, test
    saying = [t for t in failed if misbehaviour.phrase in (t["failure_text"] or "") + t["summary"]]
    assert saying == failed if misbehaviour.everywhere else saying, [(t["nodeid"], t["summary"]) for t in failed if t not in saying]
    bodies = [e.get("response_body") or "" for t in tests for e in t.get("exchanges") or []]
    assert all(len(body) <= 4096 for body in bodies), "the report keeps excerpts, not bodies"


@ONE_RUN
def test_slow_operation_cannot_be_judged_the_others_pass(broken: Broken) -> None:
    slow = MISBEHAVIOURS["slower-than-the-timeout"]
    summaries = [t["summary"] for t in broken.run.tests(slow.operation)]
    wanted = f"the suite could not judge: GET /api/detection_engine/rules/prepackaged/_status: no complete answer within {TIMEOUT:g} s (see --timeout)"
    assert any(s == wanted for s in summaries), summaries
    assert wanted in broken.run.stdout


@ONE_RUN
def test_no_credential_reaches_any_artifact(broken: Broken) -> None:
    """The target echoed the credentials in its refusals: no form of them is in the output or any file of the report."""
    token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    files = [p for p in broken.run.report_dir.rglob("*") if p.is_file()]
    for form in (PASSWORD, token, f"{USER}:{PASSWORD}"):
        assert form not in broken.run.output
        assert [str(p) for p in files if form.encode() in p.read_bytes()] == [], form


@ONE_RUN
def test_retry_after_and_dropped_reads_are_retried(broken: Broken) -> None:
    """A 429 with Retry-After is waited out and the same request sent again; a dropped read is tried again;
    neither is a failure (the operations' tests are clean, above)."""

    def retried(name: str, methods: tuple[str, ...], wait: float) -> int:
        rule = re.compile(MISBEHAVIOURS[name].path)
        seen = [s for s in broken.proxy.seen if rule.search(urlsplit(s.path).path) and (not methods or s.method in methods)]
        hits = 0
        for number, hit in enumerate(seen, start=1):
            if number % 10 == 0 and number < len(seen):  # the proxy misbehaved on this one (it counts the requests its rule matches)
                # The same request again (the run's workers may interleave others of the same path).
                again = next((s for s in seen[number:] if (s.method, s.path, s.body) == (hit.method, hit.path, hit.body)), None)
                assert again is not None, hit
                assert again.at - hit.at >= wait, (hit, again)
                hits += 1
        return hits

    assert retried("too-many-requests-with-retry-after", (), 0.9) >= 1
    assert retried("one-read-in-ten-dropped", ("GET",), 0.0) >= 1


@ONE_RUN
def test_huge_bodies_are_cut_at_the_cap(broken: Broken) -> None:
    # The client stops at the cap (10 MB): memory stays bounded, whatever the target sends. A run
    # of these operations peaks near 140 MB, or 300 MB when it starts in a fresh folder (Hypothesis
    # and the collection, before any request); the endless body alone is some GB a minute.
    assert 0 < broken.run.max_rss_mb < 400, broken.run.max_rss_mb
    assert (broken.run.report_dir / "results.json").stat().st_size < 2_000_000


@ONE_RUN
def test_redirect_to_another_host_sends_it_nothing(broken: Broken) -> None:
    assert [s for s in broken.other.seen if "authorization" in {k.lower() for k in s.headers}] == []
    assert broken.other.seen == []  # the suite follows no redirect at all
    token = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    posted = [s for s in broken.proxy.seen if s.method == "POST" and s.path.startswith("/api/apm/agent_keys")]
    assert any(s.headers.get("Authorization") == token for s in posted)  # the target itself got them


@ONE_RUN
def test_redirect_loop_is_not_followed(broken: Broken) -> None:
    loop = [s for s in broken.proxy.seen if re.match(MISBEHAVIOURS["redirect-loop"].path, s.path.split("?")[0])]
    tests = broken.run.tests(MISBEHAVIOURS["redirect-loop"].operation)
    assert loop and len(loop) < 40 * len(tests)  # each request sent once by a test, none chased round the loop


# ---------------------------------------------------------------------------------------------
# Credentials that lack a privilege


def test_forbidden_operations_are_permission_problems(tmp_path: Path, kibana_mock: MockServer) -> None:
    token = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    rules = [Rule(r"^/api/cases/configure$|^/api/fleet/settings$", servers.forbidden(when_authorization=token))]
    with proxy_to(kibana_mock, *rules) as proxy:
        run = run_cli(tmp_path, "--base-url", proxy.url, *CREDENTIALS, "--operation", f"get-cases-configure,put-fleet-settings,{GOOD}", "--max-examples", "3")
    assert run.returncode == 0, run.describe()
    assert_readable(run)
    assert run.results is not None and run.results["verdict"] == "conformant"
    for op in ("get-cases-configure", "put-fleet-settings"):
        tests = run.tests(op)
        skipped = [t for t in tests if t["outcome"] == "skipped"]
        # The authorization tests skip for the principals the run was not given, whatever the run's own privileges.
        unprivileged = [t for t in skipped if not t["requirement"].startswith("AUTHZ-")]
        assert unprivileged and all(t["skip_reason"].startswith("permissions:") for t in unprivileged), tests
        assert all(t["skip_reason"].startswith(("needs the principal", "permissions:")) for t in skipped if t["requirement"].startswith("AUTHZ-"))
        assert {t["outcome"] for t in tests} <= {"skipped", "passed"}
        assert any("test_properties" in t["nodeid"] for t in skipped), "the property test is a permissions skip too"
    assert {t["outcome"] for t in run.tests(GOOD)} == {"passed"}
    restored = {r["operation"]: r for r in run.results["footprint"]["restored"]}
    assert restored["put-fleet-settings"]["restored"] is False
    assert "answered 403" in restored["put-fleet-settings"]["detail"]
