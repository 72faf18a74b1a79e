"""Serving the mock: `kibana-conformance mock` as a user starts it, and MockServer in-process."""

from __future__ import annotations

import base64
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from kibana_conformance.mock import MockServer

from ..helpers import PASSWORD, USERNAME

STARTUP = 30.0  # seconds; generous, as a shared CI core may be busy with the other tests
STOP = 5.0
PROBE = "/api/detection_engine/rules/prepackaged/_status"
BANNER = re.compile(r"^Mock Kibana listening on (http://\S+)$")


def command() -> list[str]:
    """The installed console script, as a user runs it (next to this interpreter in a venv)."""
    script = shutil.which("kibana-conformance", path=os.path.dirname(sys.executable))
    return [script] if script else [sys.executable, "-m", "kibana_conformance.cli"]


@dataclass
class Cli:
    process: subprocess.Popen[str]
    url: str
    banner: list[str]

    def stop(self, signum: int) -> tuple[int, str, float]:
        """Send the signal; the exit code, stderr and how long the stop took."""
        started = time.monotonic()
        self.process.send_signal(signum)
        code = self.process.wait(timeout=STOP * 2)
        took = time.monotonic() - started
        assert self.process.stderr is not None
        return code, self.process.stderr.read(), took


def stdout_lines(process: subprocess.Popen[str]) -> queue.Queue[str]:
    """The process's stdout lines as they come: a reader thread, since a pipe read may block."""
    lines: queue.Queue[str] = queue.Queue()
    assert process.stdout is not None
    stdout = process.stdout
    threading.Thread(target=lambda: [lines.put(line.rstrip("\n")) for line in stdout], daemon=True).start()
    return lines


def start(*args: str) -> Cli:
    process = subprocess.Popen([*command(), "mock", "--port", "0", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = stdout_lines(process)
    deadline = time.monotonic() + STARTUP
    banner: list[str] = []
    try:
        while not banner or banner[-1] != "Press Ctrl-C to stop.":
            banner.append(lines.get(timeout=max(0.1, deadline - time.monotonic())))
        found = BANNER.match(banner[0])
        assert found, f"first line is {banner[0]!r}"
    except BaseException:
        process.kill()
        process.wait()
        raise
    return Cli(process, found.group(1), banner)


@pytest.fixture
def cli() -> Iterator[Cli]:
    running = start()
    yield running
    if running.process.poll() is None:
        running.process.kill()
        running.process.wait()


def get(url: str, **kwargs: object) -> httpx.Response:
    return httpx.get(url + PROBE, timeout=10, **kwargs)  # type: ignore[arg-type]


def test_banner_gives_the_url_and_the_default_credentials(cli: Cli) -> None:
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", cli.url) and not cli.url.endswith(":0")
    assert f"  basic auth: {USERNAME} / {PASSWORD}" in cli.banner
    assert get(cli.url, auth=(USERNAME, PASSWORD)).status_code == 200
    assert get(cli.url).status_code == 401


def test_a_custom_password_is_accepted_but_not_echoed() -> None:
    running = start("--password", "s3cret-kct-pw", "--username", "kct-user")
    try:
        assert not any("s3cret-kct-pw" in line for line in running.banner)
        assert "  basic auth: kct-user / (the --password given)" in running.banner
        assert get(running.url, auth=("kct-user", "s3cret-kct-pw")).status_code == 200
        assert get(running.url, auth=(USERNAME, PASSWORD)).status_code == 401
    finally:
        code, stderr, _ = running.stop(signal.SIGTERM)
    assert code == 0 and "s3cret-kct-pw" not in stderr


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_stops_it_cleanly(cli: Cli, signum: int) -> None:
    assert get(cli.url, auth=(USERNAME, PASSWORD)).status_code == 200
    code, stderr, took = cli.stop(signum)
    assert code == 0, stderr
    assert "stopped" in stderr and "Traceback" not in stderr
    assert took < STOP


def test_a_signal_stops_it_while_a_client_holds_a_connection(cli: Cli) -> None:
    """A half-sent request must not keep the process alive (graceful shutdown has a time limit)."""
    host, port = cli.url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as held:
        held.sendall(b"GET " + PROBE.encode() + b" HTTP/1.1\r\nHost: x\r\n")
        time.sleep(0.2)
        code, stderr, took = cli.stop(signal.SIGTERM)
    assert code == 0, stderr
    assert took < STOP


def test_a_port_in_use_is_one_line_and_exit_2() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([*command(), "mock", "--port", str(port)], capture_output=True, text=True, timeout=STARTUP)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"kibana-conformance: error: cannot listen on 127.0.0.1:{port}")


def test_api_keys_are_accepted_as_id_and_key_and_encoded() -> None:
    encoded = base64.b64encode(b"kct-id-2:kct-secret-2").decode()
    running = start("--api-key", "kct-id-1:kct-secret-1", "--api-key", encoded)
    try:
        assert "  API keys:   2 configured (Authorization: ApiKey <base64 of id:key>)" in running.banner
        first = base64.b64encode(b"kct-id-1:kct-secret-1").decode()
        for key in (first, encoded):
            assert get(running.url, headers={"Authorization": f"ApiKey {key}"}).status_code == 200
        unknown = base64.b64encode(b"kct-id-3:kct-secret-3").decode()
        assert get(running.url, headers={"Authorization": f"ApiKey {unknown}"}).status_code == 401
    finally:
        assert running.stop(signal.SIGTERM)[0] == 0


def test_the_control_plane_works_through_the_cli(cli: Cli) -> None:
    with httpx.Client(base_url=cli.url, auth=(USERNAME, PASSWORD), headers={"kbn-xsrf": "true"}, timeout=10) as client:
        seeded = client.get("/_mock/state").json()
        created = client.post("/api/apm/agent_keys", json={"name": "kct-cli-key", "privileges": ["event:write"]})
        assert created.status_code == 200
        changed = client.get("/_mock/state").json()
        assert changed != seeded
        assert client.post("/_mock/reset").json() == {"reset": True}
        assert client.get("/_mock/state").json() == seeded
        assert client.put("/_mock/state", json=changed).json() == {"loaded": True}
        assert client.get("/_mock/state").json() == changed
    assert cli.stop(signal.SIGTERM)[0] == 0


def test_mock_server_starts_and_stops_twice_on_free_ports() -> None:
    ports = []
    for _ in range(2):
        with MockServer() as server:
            ports.append(server.port)
            assert server.port != 0
            assert get(server.url, auth=(USERNAME, PASSWORD)).status_code == 200
        with pytest.raises(httpx.ConnectError):
            get(server.url, auth=(USERNAME, PASSWORD))
    servers = [MockServer().start() for _ in range(2)]
    try:
        assert servers[0].port != servers[1].port
        assert all(get(s.url, auth=(USERNAME, PASSWORD)).status_code == 200 for s in servers)
    finally:
        for server in servers:
            server.stop()
