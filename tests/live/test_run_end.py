"""How a run ends when the user, the file system or the set-up gets in the way: always a verdict
that says what happened, the exit code the README gives, and a report where one can be written."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from kibana_conformance.mock import MockServer

from . import servers
from .conftest import CREDENTIALS, MOCK_RESOURCES, SLICE, WITHOUT_COVERAGE_ENV, _command, assert_readable, assert_stopped_by_preflight, clean_environment, run_cli
from .servers import Proxy, Rule


def _start(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> tuple[subprocess.Popen[bytes], Path]:
    """`kibana-conformance run` in the background; its output in a file. SIGINT is set back to its default in the
    child: a test run started as a background job of a shell has it ignored, and the child would inherit that.
    Without the coverage phase, as run_cli: what is tested here is how the run ends, not what it detects."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    output = tmp_path / "output.txt"
    with output.open("wb") as sink:
        process = subprocess.Popen(
            [*_command(), "run", *args], stdout=sink, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=tmp_path,
            env={**clean_environment(), **MOCK_RESOURCES, **WITHOUT_COVERAGE_ENV, **(env or {})}, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
    return process, output


def _wait_for(output: Path, text: str, process: subprocess.Popen[bytes], seconds: float = 90) -> None:
    """Until ``text`` (a regular expression) shows in the run's output."""
    deadline = time.monotonic() + seconds
    while not re.search(text, output.read_text(errors="replace"), re.MULTILINE):
        assert process.poll() is None, f"the run ended before {text!r}:\n{output.read_text(errors='replace')[-3000:]}"
        assert time.monotonic() < deadline, f"no {text!r} within {seconds} s"
        time.sleep(0.1)


@pytest.mark.slow(seconds=16)
def test_ctrl_c_ends_with_exit_130_and_an_interrupted_report(tmp_path: Path) -> None:
    """A default run (two workers, every exchange recorded) stopped once a test has passed. The run's first tests are
    the property tests; recording once cost ~2.6 ms of redaction per exchange and made them a third slower, so that
    on a loaded machine no test had passed within the wait. Recording is cheap now, and a HAR is written anyway."""
    report_dir, spill = tmp_path / "reports", tmp_path / "tmp"
    spill.mkdir(parents=True)
    process, output = _start(tmp_path, "--report-dir", str(report_dir), env={"TMPDIR": str(spill)})
    _wait_for(output, r"(items\]|collected \d+ items)\s*\n.*\.", process)  # a test has passed: the run is under way
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=60) == 130
    text = output.read_text(errors="replace")
    assert "kibana-conformance: INTERRUPTED" in text and "CONFORMANT (" not in text, text[-2000:]
    results = json.loads((report_dir / "results.json").read_text())
    assert results["verdict"] == "interrupted"
    assert results["counts"]["passed"] >= 1 and results["counts"]["failed"] == 0
    page = (report_dir / "index.html").read_text()
    assert "Kibana conformance: interrupted" in page and "the run was stopped after" in page
    # The workers never reported back, yet their exchanges are in the HAR, and nothing is left to spill.
    entries = json.loads((report_dir / "exchanges.har").read_text())["log"]["entries"]
    passed = {t["nodeid"] for t in results["tests"] if t["outcome"] == "passed"}
    assert passed <= {e["_nodeid"] for e in entries} and len(entries) == results["har"]["entries"]
    assert not [p.name for p in report_dir.iterdir() if p.suffix in (".jsonl", ".secrets", ".dropped")]
    assert not list(spill.glob("kct-har-*"))


@pytest.mark.slow(seconds=16)
def test_a_report_folder_in_use_is_refused(tmp_path: Path) -> None:
    """Two runs into one folder would overwrite each other's reports: the second is a usage error. (The folder is
    claimed before any test process starts: the first run can be a single one.)"""
    report_dir = tmp_path / "reports"
    first, output = _start(tmp_path / "first", "--report-dir", str(report_dir), "-n", "0")
    try:
        _wait_for(output, r"items\]|collected \d+ items", first)
        second, second_output = _start(tmp_path / "second", "--report-dir", str(report_dir))
        assert second.wait(timeout=60) == 2
    finally:
        first.send_signal(signal.SIGINT)
        first.wait(timeout=60)
    text = second_output.read_text(errors="replace")
    assert f"--report-dir: {report_dir} is in use by kibana-conformance run, pid {first.pid}" in text, text
    assert "Traceback" not in text and "items" not in text, text
    # The first run's report is its own: interrupted, not overwritten by the second.
    assert json.loads((report_dir / "results.json").read_text())["verdict"] == "interrupted"


def test_a_report_that_cannot_be_written_is_exit_4_and_the_other_is_kept(tmp_path: Path, kibana_mock: MockServer) -> None:
    report_dir = tmp_path / "reports"
    (report_dir / ".index.html.tmp").mkdir(parents=True)  # where index.html is written first: now a folder
    run = run_cli(tmp_path, "--base-url", kibana_mock.url, *CREDENTIALS, *SLICE)
    assert run.returncode == 4, run.describe()
    assert f"cannot write {report_dir / 'index.html'}" in run.output, run.describe()
    assert run.results is not None and run.results["verdict"] == "conformant"
    assert_readable(run)


def test_a_base_url_whose_path_serves_nothing_stops_at_the_preflight(tmp_path: Path, kibana_mock: MockServer) -> None:
    """Kibana behind a path it does not have (`.../kibana/` serving nothing): the run does not test 404s."""
    run = run_cli(tmp_path, "--base-url", f"{kibana_mock.url}/kibana/", *CREDENTIALS)
    line = assert_stopped_by_preflight(run, "nothing Kibana-like is served at this base URL; check the base path")
    assert "answers 404" in line, line


def test_a_target_that_trickles_its_answer_is_stopped_by_the_timeout(tmp_path: Path) -> None:
    """One byte every 0.3 s: the timeout bounds the whole answer, not the wait for each byte."""
    with Proxy(None, [Rule(".*", servers.trickle(0.3))]) as slow:
        run = run_cli(tmp_path, "--base-url", slow.url, *CREDENTIALS, "--timeout", "2")
    assert_stopped_by_preflight(run, "no complete answer within 2 s (see --timeout)")
    assert run.seconds < 30, run.describe()


def test_the_ini_file_of_the_working_folder_is_read(tmp_path: Path, kibana_mock: MockServer) -> None:
    """`kibana-conformance run` in a folder with a pytest.ini takes its options, as `pytest` there would."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "pytest.ini").write_text(
        f"[pytest]\nkibana_url = {kibana_mock.url}\nkibana_username = elastic\nkibana_password = changeme\n"
    )
    run = run_cli(tmp_path, *SLICE)
    assert run.returncode == 0, run.describe()
    assert f"target {kibana_mock.url}" in run.stdout and "the bundled mock" not in run.stdout, run.describe()
    assert httpx.get(f"{kibana_mock.url}/_mock/stats", auth=("elastic", "changeme")).json()["requests"] > 0
