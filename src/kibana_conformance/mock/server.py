"""Serving the mock: in the foreground for the CLI, or in a thread for tests and runs."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from types import FrameType, TracebackType
from typing import Any

import uvicorn
from uvicorn.protocols.http.auto import AutoHTTPProtocol

from .app import create_app
from .config import DEFAULT_PASSWORD, MockConfig


class _Server(uvicorn.Server):
    """uvicorn re-raises SIGTERM after shutting down, which ends the process with 143;
    the mock handles signals itself so that a stop is clean (exit 0)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class _HttpProtocol(AutoHTTPProtocol):  # type: ignore[misc, valid-type]
    """uvicorn answers a request it cannot parse (a bad request line, CR or LF inside a header,
    a bad Content-Length) with a text/plain 400; the mock answers with Kibana's error envelope,
    so that every 4xx a client can read is one."""

    def send_400_response(self, msg: str) -> None:
        body = json.dumps({"statusCode": 400, "error": "Bad Request", "message": msg}, separators=(",", ":")).encode()
        head = [b"HTTP/1.1 400 Bad Request\r\n"]
        head += [name + b": " + value + b"\r\n" for name, value in self.server_state.default_headers]
        head += [b"content-type: application/json; charset=utf-8\r\n", b"content-length: %d\r\n" % len(body), b"connection: close\r\n\r\n"]
        self.transport.write(b"".join(head) + body)
        self.transport.close()


def _uvicorn_config(app: Any, log_level: str) -> uvicorn.Config:
    return uvicorn.Config(
        app, http=_HttpProtocol, ws="none", log_level=log_level, access_log=False, lifespan="off", timeout_graceful_shutdown=2
    )


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not the default 0: asyncio switches Nagle's algorithm off (TCP_NODELAY) only on
    # sockets that say they are TCP, and with it on every JSON answer (head and body are two
    # writes) waits some 40 ms for the client's delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def url_for(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def banner(config: MockConfig, url: str) -> str:
    password = config.password if config.password == DEFAULT_PASSWORD else "(the --password given)"
    lines = [
        f"Mock Kibana listening on {url}",
        f"  basic auth: {config.username} / {password}",
        f"  API keys:   {len(config.api_keys)} configured (Authorization: ApiKey <base64 of id:key>)",
        f"  control:    {url}/_mock/reset, {url}/_mock/state",
    ]
    if config.faults:
        lines.append(f"  FAULTS:     {', '.join(config.faults)}")
    lines.append("Press Ctrl-C to stop.")
    return "\n".join(lines)


def serve(config: MockConfig, host: str, port: int) -> None:
    """Serve in the foreground until SIGINT or SIGTERM (uvicorn handles both gracefully)."""
    app = create_app(config)
    sock = _bind(host, port)
    bound_port = sock.getsockname()[1]
    print(banner(config, url_for(host, bound_port)), flush=True)
    server = _Server(_uvicorn_config(app, "warning"))

    def stop(signum: int, frame: FrameType | None) -> None:
        server.force_exit = server.should_exit
        server.should_exit = True

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, stop)
    asyncio.run(server.serve(sockets=[sock]))
    print("Mock Kibana stopped.", file=sys.stderr, flush=True)


class MockServer:
    """A mock deployment on a free loopback port, in a background thread.

    >>> with MockServer() as mock:
    ...     httpx.get(mock.url + "/api/...", auth=("elastic", "changeme"))
    """

    def __init__(
        self, config: MockConfig | None = None, host: str = "127.0.0.1", port: int = 0, wrap: Callable[[Any], Any] | None = None
    ) -> None:
        self.config = config or MockConfig()
        self.app = create_app(self.config)
        served = wrap(self.app) if wrap else self.app  # e.g. a middleware a benchmark puts in front
        self._sock = _bind(host, port)
        self.host = host
        self.port = self._sock.getsockname()[1]
        self.url = url_for(host, self.port)
        self._server = _Server(_uvicorn_config(served, "error"))
        self._thread = threading.Thread(target=self._run, name=f"mock-kibana-{self.port}", daemon=True)

    def _run(self) -> None:
        asyncio.run(self._server.serve(sockets=[self._sock]))

    def start(self) -> MockServer:
        self._thread.start()
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError("the mock server failed to start")
            self._thread.join(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(10)
        self._sock.close()

    def __enter__(self) -> MockServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()
