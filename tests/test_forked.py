"""selftest's runs are forks of a helper that imported pytest and the suite once: each must behave as a fresh
``python -m pytest`` (its own folder, exactly the environment given, its output, its exit code), a run that
outlives its time is killed, and a helper that dies leaves new interpreters doing the work."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from kibana_conformance.forked import Runner

TESTS = '''
import os, time

def test_sees_its_folder_and_environment():
    print("CWD", os.getcwd())
    print("GIVEN", os.environ.get("KCT_FORKED_GIVEN"), "LEAKED", os.environ.get("KCT_FORKED_NOT_GIVEN"))
    assert False, "the failure is reported"

def test_sleeps():
    if os.environ.get("KCT_FORKED_SLEEP"):
        time.sleep(60)
'''


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "test_sample.py").write_text(TESTS)
    monkeypatch.setenv("KCT_FORKED_NOT_GIVEN", "from the caller's environment")
    return tmp_path


def _env(**extra: str) -> dict[str, str]:
    return {**{k: v for k, v in os.environ.items() if not k.startswith("KCT_FORKED_")}, **extra}


ARGV = ["test_sample.py", "-q", "-s", "-p", "no:cacheprovider", "--disable-plugin-autoload"]


@pytest.mark.parametrize("forking", [True, False], ids=["forked", "new-interpreter"])
def test_a_run_is_a_fresh_pytest_in_its_folder_with_exactly_its_environment(folder: Path, forking: bool) -> None:
    with Runner(_env(KCT_FORKED_GIVEN="yes")) as runner:
        runner.forking = forking and runner.forking
        done = runner.run(ARGV, folder, timeout=60)
        again = runner.run(ARGV, folder, timeout=60)  # the same helper serves the next run
    assert done.returncode == again.returncode == 1, done.output
    assert f"CWD {folder}" in done.output and "GIVEN yes LEAKED None" in done.output, done.output
    assert "the failure is reported" in done.output and "1 failed, 1 passed" in done.output, done.output


def test_a_run_past_its_time_is_killed(folder: Path) -> None:
    with Runner(_env(KCT_FORKED_SLEEP="1")) as runner:
        started = time.monotonic()
        done = runner.run([*ARGV, "-k", "sleeps"], folder, timeout=3)
        assert done.returncode is None and time.monotonic() - started < 20
        assert runner.run([*ARGV, "-k", "folder"], folder, timeout=60).returncode == 1  # the helper serves on


def test_a_helper_that_died_leaves_new_interpreters_doing_the_work(folder: Path) -> None:
    with Runner(_env(KCT_FORKED_GIVEN="yes")) as runner:
        assert runner.run(ARGV, folder, timeout=60).returncode == 1
        helper = runner._local.helper
        os.kill(helper.process.pid, signal.SIGKILL)
        helper.process.wait()
        done = runner.run(ARGV, folder, timeout=60)
        assert not runner.forking
    assert done.returncode == 1 and "GIVEN yes LEAKED None" in done.output, done.output
