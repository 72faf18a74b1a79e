"""replay and run --last-failed: a failure found on a faulty mock is reproduced by sending its recorded
requests again to that mock and shown fixed on a clean one; --last-failed reruns exactly the tests
that did not pass; bad input is one line and exit code 2."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kibana_conformance import exit_codes
from kibana_conformance.cli import main
from kibana_conformance.mock.config import MockConfig
from kibana_conformance.mock.server import MockServer
from kibana_conformance.options import Settings
from kibana_conformance.replay import Replayer, last_attempts
from kibana_conformance.suite.context import new_context

from .helpers import WITHOUT_COVERAGE

PASSWORD = "kct-replay-P4ssw0rd!"
FAULT = "logstash-put-answers-pipeline"  # a pipeline PUT answers 200 with a body where 204 is documented
CREDENTIALS = ["--username", "elastic", "--password", PASSWORD]
RUN = ["--area", "logstash", "--max-examples", "3"]


def _run(folder: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kibana_conformance.cli", "run", *WITHOUT_COVERAGE, "--base-url", url, *CREDENTIALS, *RUN, "--report-dir", str(folder), *args],
        cwd=folder.parent, capture_output=True, text=True, timeout=600,
    )


def _tests(folder: Path) -> dict[str, str]:
    return {t["nodeid"]: t["outcome"] for t in json.loads((folder / "results.json").read_text())["tests"]}


@pytest.fixture(scope="module")
def mocks() -> dict[str, MockServer]:
    with MockServer(MockConfig(password=PASSWORD, faults=(FAULT,))) as faulty, MockServer(MockConfig(password=PASSWORD)) as clean:
        yield {"faulty": faulty, "clean": clean}


@pytest.fixture(scope="module")
def failing(mocks: dict[str, MockServer], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The report folder of a run against the faulty mock (the failures and the exchanges.har they come with)."""
    folder = tmp_path_factory.mktemp("replay") / "reports"
    result = _run(folder, mocks["faulty"].url)
    assert result.returncode == exit_codes.NOT_CONFORMANT, result.stdout[-3000:] + result.stderr[-2000:]
    assert (folder / "exchanges.har").is_file()
    return folder


def _replay(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str]]:
    code = main(["replay", *args])
    captured = capsys.readouterr()
    return code, (captured.out + captured.err).splitlines()


def _rows(lines: list[str]) -> dict[str, tuple[str, str, str]]:
    """test id: (old, new, first problem) from the printed table."""
    rows = {}
    for line in lines:
        parts = line.split(maxsplit=3)
        if len(parts) >= 3 and parts[0].startswith("suites/"):
            rows[parts[0]] = (parts[1], parts[2], parts[3] if len(parts) > 3 else "")
    return rows


SHARED_RUN = pytest.mark.xdist_group("replay-failing")  # the failing run happens once, in one worker


@SHARED_RUN
def test_replay_reproduces_the_failure_on_the_faulty_mock_and_shows_it_fixed_on_the_clean_one(
    failing: Path, mocks: dict[str, MockServer], capsys: pytest.CaptureFixture[str]
) -> None:
    failed = {nodeid for nodeid, outcome in _tests(failing).items() if outcome == "failed"}
    assert any("test_create_then_replace_answers_no_content" in nodeid for nodeid in failed)
    results = str(failing / "results.json")

    code, lines = _replay(capsys, results, "--failed", "--base-url", mocks["faulty"].url, *CREDENTIALS)
    rows = _rows(lines)
    assert code == exit_codes.NOT_CONFORMANT and set(rows) == failed
    assert all(old == new == "failed" and "status 200 is not documented" in problem for old, new, problem in rows.values()), lines

    code, lines = _replay(capsys, results, "--failed", "--base-url", mocks["clean"].url, *CREDENTIALS)
    rows = _rows(lines)
    assert code == exit_codes.CONFORMANT and set(rows) == failed
    assert {(old, new) for old, new, _ in rows.values()} == {("failed", "passed")}, lines
    assert f"{len(failed)} that failed before pass now" in lines[-1]
    token = base64.b64encode(f"elastic:{PASSWORD}".encode()).decode()
    assert not [line for line in lines if PASSWORD in line or token in line]


@SHARED_RUN
def test_replay_of_every_test_against_the_clean_mock_passes_them(failing: Path, mocks: dict[str, MockServer], capsys: pytest.CaptureFixture[str]) -> None:
    """Without --failed, every test is replayed (those that passed too); the clean mock breaks no contract."""
    code, lines = _replay(capsys, str(failing / "results.json"), "--base-url", mocks["clean"].url, *CREDENTIALS)
    rows = _rows(lines)
    assert set(rows) == set(_tests(failing))
    assert {new for _, new, _ in rows.values()} <= {"passed", "skipped"} and code == exit_codes.CONFORMANT, lines


@SHARED_RUN
def test_credentials_come_from_the_command_line(failing: Path, mocks: dict[str, MockServer], capsys: pytest.CaptureFixture[str]) -> None:
    """The HAR holds no credential: replay sends the ones it is given, and wrong ones stop it at once (exit 3)."""
    code, lines = _replay(capsys, str(failing / "results.json"), "--failed", "--base-url", mocks["clean"].url, "--username", "elastic", "--password", "wrong")
    assert code == exit_codes.TARGET_UNAVAILABLE and len(lines) == 1 and "rejected the user name and password (401)" in lines[0], lines


@pytest.mark.slow(seconds=8)
@SHARED_RUN
def test_last_failed_reruns_exactly_the_tests_that_did_not_pass(failing: Path, mocks: dict[str, MockServer], tmp_path: Path) -> None:
    folder = tmp_path / "reports"
    shutil.copytree(failing, folder)
    before = _tests(folder)
    failed = {nodeid for nodeid, outcome in before.items() if outcome in ("failed", "error")}
    assert failed and len(failed) < len(before)

    again = _run(folder, mocks["faulty"].url, "--last-failed")  # the fault is still there: the same tests fail
    assert again.returncode == exit_codes.NOT_CONFORMANT, again.stdout[-3000:]
    assert f"running the {len(failed)} tests that did not pass" in again.stdout
    assert _tests(folder) == dict.fromkeys(failed, "failed")

    fixed = _run(folder, mocks["clean"].url, "--last-failed")
    assert fixed.returncode == exit_codes.CONFORMANT, fixed.stdout[-3000:]
    assert _tests(folder) == dict.fromkeys(failed, "passed")

    nothing = _run(folder, mocks["clean"].url, "--last-failed")  # every test passed last time: nothing runs
    assert nothing.returncode == exit_codes.CONFORMANT and "nothing to run" in nothing.stdout
    assert "collected" not in nothing.stdout and _tests(folder) == dict.fromkeys(failed, "passed")


def test_last_failed_without_a_previous_run_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--last-failed", "--report-dir", str(tmp_path / "none")]) == exit_codes.USAGE_ERROR
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--last-failed:" in err[0] and "results.json: no such file" in err[0], err


@SHARED_RUN
def test_bad_input_is_one_line_and_exit_2(failing: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    no_har = tmp_path / "no-har"
    no_har.mkdir()
    shutil.copy(failing / "results.json", no_har / "results.json")
    cases = {
        str(no_har / "results.json"): "the run recorded no exchanges; run it again with them recorded (the default; drop --no-har)",
        str(tmp_path / "missing.json"): "no such file",
    }
    (tmp_path / "traffic.json").write_text(json.dumps({"run_id": "traffic", "tests": [], "traffic": {}}))
    cases[str(tmp_path / "traffic.json")] = "the results of check-traffic or a proxy"
    for path, message in cases.items():
        code, lines = _replay(capsys, path)
        assert code == exit_codes.USAGE_ERROR and len(lines) == 1 and message in lines[0], (path, lines)
    # A target that is not on this machine: replay writes, so it needs --allow-writes (or --read-only), like run.
    code, lines = _replay(capsys, str(failing / "results.json"), "--base-url", "http://192.0.2.1:5601", *CREDENTIALS)
    assert code == exit_codes.USAGE_ERROR and len(lines) == 1 and "--allow-writes" in lines[0], lines


def test_each_request_gets_the_credentials_its_recording_names() -> None:
    settings = Settings(username="elastic", password=PASSWORD)
    ctx = new_context(settings, "http://127.0.0.1:9", {}, embedded=False)
    replayer = Replayer(ctx, "http://127.0.0.1:8")
    try:
        assert replayer._authorization({}, None) == ({}, None)  # none recorded, none sent
        assert replayer._authorization({"_credentials": "run"}, "Basic [REDACTED]") == (ctx.target.auth_header, None)
        assert replayer._authorization({"_credentials": "wrong apikey-clear"}, "ApiKey [REDACTED]") == (ctx.target.wrong_auth_header("apikey-clear"), None)
        header, missing = replayer._authorization({"_credentials": "principal fleet-all"}, "Basic [REDACTED]")
        assert header == {} and missing and "--principal fleet-all=" in missing
        # A credential the run did not configure (schemathesis' ignored-auth probes): an invalid one of the same scheme.
        assert replayer._authorization({"_credentials": "other"}, "Basic [REDACTED]") == (ctx.target.wrong_auth_header("basic"), None)
        assert replayer._authorization({}, "[REDACTED]") == ({"Authorization": "kct-replay-invalid"}, None)
        assert replayer._url("http://127.0.0.1:8/s/x/api/status?a=1") == "http://127.0.0.1:9/s/x/api/status?a=1"
        assert replayer._url("http://elsewhere/api/status") is None
    finally:
        ctx.close()


def test_a_request_the_run_tried_again_is_sent_once() -> None:
    """A read answered 503 with Retry-After and tried again is two entries; replay sends it once (and retries as a run does)."""
    get = {"method": "GET", "url": "http://127.0.0.1:1/api/status"}
    entries = [
        {"request": get, "_attempts": 1, "_id": "a"}, {"request": get, "_attempts": 2, "_id": "b"},
        {"request": get, "_attempts": 1, "_id": "c"},  # the same read again, a new request of the test
        {"request": {**get, "method": "PUT"}, "_attempts": 1, "_id": "d"},
    ]
    assert [e["_id"] for e in last_attempts(entries)] == ["b", "c", "d"]
