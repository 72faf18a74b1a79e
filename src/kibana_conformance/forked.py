"""pytest runs in fresh processes that skip the imports: each is forked from a helper that imported them once.

``selftest`` runs the suite some 36 times (clean seeds, fault batches); a new interpreter spends about
0.8 s of its ~2 s start importing pytest, schemathesis, hypothesis, httpx and the suite's plugin. A
helper process (``python -m kibana_conformance.forked``) imports them, then forks one child per run it
is asked for; everything a run does after the imports (configuration, collection, the embedded mock,
the tests, the reports) happens in the child exactly as in ``python -m pytest``. The helper has run
nothing else and has no thread, so a fork of it is a clean start. Without ``os.fork`` (Windows), or if
a helper dies, each run is a new interpreter, as before.

The protocol on the helper's stdin and stdout is one JSON line per message: a run request
``{"argv", "cwd", "env", "output"}``, answered by ``{"pid"}`` when the child starts and ``{"exit"}``
when it ends (a negative number: killed by that signal).
"""

from __future__ import annotations

import importlib
import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Only libraries: the suites' own modules are imported by pytest from their paths, in the child.
PRELOAD = (
    "pytest",
    "_pytest.python",
    "xdist.plugin",
    "schemathesis",
    "schemathesis.pytest.plugin",
    "_hypothesis_pytestplugin",
    "hypothesis",
    "allure_pytest.plugin",
    "anyio.pytest_plugin",
    "kibana_conformance.plugin",
    "kibana_conformance.suite.properties",
    "kibana_conformance.mock.server",
)


@dataclass
class Finished:
    returncode: int | None  # None: stopped at the timeout
    output: str  # stdout and stderr, interleaved


class _Helper:
    def __init__(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "kibana_conformance.forked"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env
        )
        self._pending = b""

    def _message(self, timeout: float | None = None) -> dict[str, Any] | None:
        """The helper's next line (read from the descriptor, so that no line waits in a buffer select cannot see)."""
        assert self.process.stdout is not None
        fd = self.process.stdout.fileno()
        deadline = None if timeout is None else time.monotonic() + timeout
        while b"\n" not in self._pending:
            if deadline is not None:
                ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
                if not ready:
                    return None
            chunk = os.read(fd, 65536)
            if not chunk:
                raise OSError(f"the fork helper ended (exit {self.process.poll()})")
            self._pending += chunk
        line, _, self._pending = self._pending.partition(b"\n")
        return json.loads(line)

    def run(self, argv: list[str], cwd: Path, env: dict[str, str], output: Path, timeout: float) -> int | None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps({"argv": argv, "cwd": str(cwd), "env": env, "output": str(output)}).encode() + b"\n")
        self.process.stdin.flush()
        started = self._message()
        assert started is not None
        ended = self._message(timeout)
        if ended is None:
            os.kill(started["pid"], signal.SIGKILL)
            self._message()
            return None
        return int(ended["exit"])

    def close(self) -> None:
        if self.process.stdin is not None:
            try:
                self.process.stdin.close()  # the helper's loop ends, and it exits
            except OSError:
                pass  # it has already ended
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class Runner:
    """Runs ``python -m pytest ARGV`` with exactly ``env`` in a folder, each run in a fork of a helper.

    Each calling thread has a helper of its own (one run at a time each), started at its first run.
    """

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.forking = hasattr(os, "fork")
        self._local = threading.local()
        self._lock = threading.Lock()
        self._started: list[_Helper] = []

    def __enter__(self) -> Runner:
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            helpers, self._started = self._started, []
        for helper in helpers:
            helper.close()

    def _helper(self) -> _Helper:
        helper = getattr(self._local, "helper", None)
        if helper is None:
            helper = self._local.helper = _Helper(self.env)
            with self._lock:
                self._started.append(helper)
        return helper

    def run(self, argv: list[str], cwd: Path, timeout: float) -> Finished:
        output = cwd / ".pytest-output.txt"
        if self.forking:
            try:
                code = self._helper().run(argv, cwd, self.env, output, timeout)
            except (OSError, ValueError, KeyError, AssertionError):
                self.forking = False  # a broken helper: new interpreters from now on
            else:
                return Finished(code, _read(output))
        try:
            done = subprocess.run([sys.executable, "-m", "pytest", *argv], cwd=cwd, env=self.env, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return Finished(None, "")
        return Finished(done.returncode, done.stdout + done.stderr)


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""


def _child(request: dict[str, Any]) -> None:
    """In the forked process: the working folder, environment and output of a fresh ``python -m pytest``."""
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    nothing = os.open(os.devnull, os.O_RDONLY)  # the helper's stdin carries its requests
    os.dup2(nothing, 0)
    os.close(nothing)
    sink = os.open(request["output"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(sink, 1)
    os.dup2(sink, 2)
    os.close(sink)
    code = 1
    try:
        import pytest

        code = int(pytest.main(request["argv"]))
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def serve() -> None:
    """The helper: import, then fork one child per request line, answering its pid and then its exit status."""
    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except ImportError:
            pass  # a plugin that is not installed is not loaded by the run either
    reply = sys.stdout
    for line in sys.stdin:
        request = json.loads(line)
        reply.flush()
        pid = os.fork()
        if pid == 0:
            _child(request)
        reply.write(json.dumps({"pid": pid}) + "\n")
        reply.flush()
        _, status = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(status)
        reply.write(json.dumps({"exit": code}) + "\n")
        reply.flush()


if __name__ == "__main__":
    serve()
