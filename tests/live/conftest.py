"""Fixtures for the live tests: a fresh mock per test, `kibana-conformance run` in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from kibana_conformance.fixture_ids import RESOURCES
from kibana_conformance.mock import MockConfig, MockServer

from .servers import Proxy, Rule

USER, PASSWORD = "elastic", "changeme"
CREDENTIALS = ("--username", USER, "--password", PASSWORD)
# A small slice of the suite: one GET operation, few examples.
SLICE = ("--operation", "get-cases-configure", "--max-examples", "3")
RUN_TIMEOUT = 300  # generous: these machines are shared; a hung run is what it catches
# The live tests aim the CLI at mocks (through proxies): name the mock's seeded resources, as a user names theirs.
MOCK_RESOURCES = {"KIBANA_CONFORMANCE_RESOURCES": ",".join(f"{name}={value}" for name, value in RESOURCES.items())}
# Not about detection: the runs leave out the coverage phase (tests/helpers.py, WITHOUT_COVERAGE); a test may pass its own --phases.
WITHOUT_COVERAGE_ENV = {"KIBANA_CONFORMANCE_PHASES": "examples,fuzzing"}


def _command() -> list[str]:
    script = Path(sys.executable).with_name("kibana-conformance")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "kibana_conformance.cli"]


@dataclass
class Run:
    """What a user sees of one `kibana-conformance run`, and what it wrote."""

    returncode: int
    stdout: str
    stderr: str
    report_dir: Path
    max_rss_mb: float
    seconds: float
    results: dict[str, Any] | None = field(default=None, repr=False)

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def tests(self, operation: str | None = None) -> list[dict[str, Any]]:
        tests = (self.results or {}).get("tests", [])
        return [t for t in tests if operation is None or t["operations"] == [operation]]

    def describe(self) -> str:
        return f"exit {self.returncode} after {self.seconds:.1f} s\n--- stdout\n{self.stdout[-6000:]}\n--- stderr\n{self.stderr[-3000:]}"


def clean_environment() -> dict[str, str]:
    """The environment without any option of the suite (the developer's own must not leak in)."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("KIBANA_", "PYTEST_ADDOPTS"))}


def _peak_rss_kb(pid: int) -> int:
    """The process's own peak resident memory (VmHWM; the rusage of a child would start from ours)."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def run_cli(tmp_path: Path, *args: str, env: dict[str, str] | None = None, timeout: float = RUN_TIMEOUT) -> Run:
    """`kibana-conformance run ARGS --report-dir TMP` in a subprocess, with its peak memory."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    report_dir = tmp_path / "reports"
    out, err = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
    started = time.monotonic()
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = subprocess.Popen(
            [*_command(), "run", *args, "--report-dir", str(report_dir)],
            stdout=stdout, stderr=stderr, stdin=subprocess.DEVNULL, cwd=tmp_path, env={**clean_environment(), **MOCK_RESOURCES, **WITHOUT_COVERAGE_ENV, **(env or {})},
        )
        peak = 0
        deadline = started + timeout
        while process.poll() is None:
            peak = max(peak, _peak_rss_kb(process.pid))
            if time.monotonic() > deadline:
                process.kill()
            time.sleep(0.05)
    results_file = report_dir / "results.json"
    run = Run(
        returncode=process.returncode,
        stdout=out.read_text(errors="replace"),
        stderr=err.read_text(errors="replace"),
        report_dir=report_dir,
        max_rss_mb=peak / 1024,
        seconds=time.monotonic() - started,
        results=json.loads(results_file.read_text()) if results_file.is_file() else None,
    )
    assert run.seconds < timeout, f"the run did not end within {timeout} s (killed)\n{run.describe()}"
    return run


def assert_readable(run: Run) -> None:
    """No traceback anywhere a user looks: the terminal and the report."""
    assert "Traceback" not in run.output, run.describe()
    for test in run.tests():
        for key in ("summary", "failure_text", "skip_reason"):
            assert "Traceback" not in (test.get(key) or ""), f"{test['nodeid']} {key}: {test[key]}"


def assert_stopped_by_preflight(run: Run, message: str) -> str:
    """Exit 3, one line that says why, nothing run; returns that line."""
    assert run.returncode == 3, run.describe()
    assert_readable(run)
    # The line that says what the preflight waits for, then the one that says why the run stops.
    lines = [line for line in run.output.splitlines() if "kibana-conformance:" in line and "kibana-conformance: checking" not in line]
    assert len(lines) == 1, run.describe()
    assert message in lines[0], run.describe()
    assert " passed" not in run.stdout and " failed" not in run.stdout, run.describe()
    return lines[0]


@pytest.fixture
def kibana_mock() -> Iterator[MockServer]:
    """A mock deployment of its own, in its seeded state."""
    with MockServer(MockConfig(username=USER, password=PASSWORD)) as mock:
        yield mock


def proxy_to(mock: MockServer, *rules: Rule, **kwargs: Any) -> Proxy:
    return Proxy(mock.url, list(rules), **kwargs)
