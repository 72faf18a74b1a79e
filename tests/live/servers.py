"""Hostile and broken targets on loopback, for the live tests.

Two kinds of server, both in background threads, both stopped by their fixtures:

- :class:`RawServer`: plain sockets; a handler gets each accepted connection (a target that
  never answers, one that speaks no HTTP).
- :class:`Proxy`: an HTTP reverse proxy in front of a real mock (``MockServer``). Every
  request is recorded (method, path, headers, time); rules pick the requests to misbehave on,
  the rest are forwarded. Without an upstream, a request no rule matches gets a 404.
  ``tls=`` serves it over TLS.

Every server stops by itself: its loops are bounded in time, and :meth:`stop` closes the
sockets a handler may still be holding.
"""

from __future__ import annotations

import http.client
import json
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

# No handler holds a connection longer than this, whatever it was told.
MAX_HOLD_SECONDS = 60.0
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection", "content-length"}


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


# ---------------------------------------------------------------------------------------------
# Plain sockets


class RawServer:
    """Accepts connections on a loopback port and hands each to ``handler(conn, stop)`` in a thread."""

    def __init__(self, handler: Callable[[socket.socket, threading.Event], None], host: str = "127.0.0.1") -> None:
        self.handler = handler
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, 0))
        self._sock.listen(64)
        self._sock.settimeout(0.2)
        self.url = f"http://{host}:{self._sock.getsockname()[1]}"
        self._stop = threading.Event()
        self._conns: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                continue
            self._conns.append(conn)
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        try:
            self.handler(conn, self._stop)
        except OSError:
            pass

    def __enter__(self) -> RawServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join(5)
        _close_all(self._conns)
        self._sock.close()


def _close_all(conns: list[socket.socket]) -> None:
    for conn in conns:
        try:
            conn.close()
        except OSError:
            pass


def never_answer(conn: socket.socket, stop: threading.Event) -> None:
    """Reads what comes and never says a word (until the server stops, at most MAX_HOLD_SECONDS)."""
    conn.settimeout(0.2)
    deadline = time.monotonic() + MAX_HOLD_SECONDS
    while not stop.is_set() and time.monotonic() < deadline:
        try:
            if conn.recv(65536) == b"":
                return
        except TimeoutError:
            continue


# ---------------------------------------------------------------------------------------------
# The reverse proxy


@dataclass
class Seen:
    """One request as it arrived."""

    method: str
    path: str
    headers: dict[str, str]
    at: float
    body: bytes = b""


@dataclass
class Rule:
    """Misbehave with ``action`` on requests whose path matches ``path`` (a regex) and method ``method``."""

    path: str
    action: Callable[[Handler], None]
    method: str | None = None
    times: int | None = None  # only the first N matching requests (None: all)
    used: int = 0

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and method != self.method:
            return False
        if self.times is not None and self.used >= self.times:
            return False
        return re.search(self.path, path) is not None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, proxy: Proxy, address: tuple[str, int]) -> None:
        self.proxy = proxy
        super().__init__(address, Handler)

    def get_request(self) -> tuple[socket.socket, Any]:
        conn, addr = super().get_request()
        self.proxy._conns.append(conn)
        if self.proxy.tls is not None:  # the handshake happens in the handler's thread, on first read
            conn = self.proxy.tls.wrap_socket(conn, server_side=True, do_handshake_on_connect=False)
        return conn, addr

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that hangs up, a refused TLS handshake: nothing to report


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes: without TCP_NODELAY, Nagle's algorithm and the
    # client's delayed ACK hold every answer back 40 ms.
    disable_nagle_algorithm = True
    server: _Server
    body: bytes

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """A request the proxy cannot parse: Kibana's envelope, as the mock would answer (not http.server's HTML)."""
        self.send_json(code, {"statusCode": code, "error": "Bad Request", "message": message or "bad request"}, close=True)

    # -- receiving ---------------------------------------------------------------------------

    def _read_body(self) -> bytes:
        if self.headers.get("transfer-encoding", "").lower() == "chunked":
            parts = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("content-length") or 0)
        return self.rfile.read(length) if length else b""

    def _handle(self) -> None:
        proxy = self.server.proxy
        self.body = self._read_body()
        path = urlsplit(self.path).path
        proxy.record(Seen(self.command, self.path, dict(self.headers.items()), time.monotonic(), self.body))
        for rule in proxy.rules:
            with proxy.lock:
                hit = rule.matches(self.command, path)
                if hit:
                    rule.used += 1
            if hit:
                rule.action(self)
                return
        if proxy.upstream is None:
            self.send_json(404, {"statusCode": 404, "error": "Not Found", "message": "Not Found"})
        else:
            self.forward()

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_TRACE = _handle

    # -- answering ---------------------------------------------------------------------------

    def fetch(self) -> tuple[int, list[tuple[str, str]], bytes]:
        """The upstream's answer to this request."""
        return self.server.proxy.fetch(self.command, self.path, dict(self.headers.items()), self.body)

    def forward(self) -> None:
        """Send the request on to the upstream and relay its answer."""
        self.relay(*self.fetch())

    def relay(self, status: int, headers: list[tuple[str, str]], body: bytes, own_headers: bool = True) -> None:
        """An upstream answer, as it is or changed (hop-by-hop headers dropped; without ``own_headers``,
        no Server and Date of this proxy's own)."""
        (self.send_response if own_headers else self.send_response_only)(status)
        for name, value in headers:
            if name.lower() not in HOP_BY_HOP:
                self.send_header(name, value)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_json(self, status: int, body: Any, headers: dict[str, str] | None = None, close: bool = False) -> None:
        self.send_bytes(status, json.dumps(body).encode(), "application/json; charset=utf-8", headers, close)

    def send_bytes(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None, close: bool = False) -> None:
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if close:
            self.send_header("connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def write_raw(self, data: bytes) -> None:
        self.wfile.write(data)
        self.wfile.flush()

    def hang_up(self) -> None:
        self.close_connection = True
        self.wfile.flush()
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


class Proxy:
    """An HTTP(S) server on loopback: records every request, misbehaves by ``rules``, forwards the rest."""

    def __init__(self, upstream: str | None = None, rules: list[Rule] | None = None, tls: ssl.SSLContext | None = None, host: str = "127.0.0.1") -> None:
        self.upstream = upstream
        self.rules = list(rules or [])
        self.tls = tls
        self.seen: list[Seen] = []
        self.lock = threading.Lock()
        self._conns: list[socket.socket] = []
        self._server = _Server(self, (host, 0))
        scheme = "https" if tls else "http"
        self.host = host
        self.port = self._server.server_address[1]
        self.url = f"{scheme}://{host}:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        self._local = threading.local()
        self.stopping = threading.Event()

    def record(self, seen: Seen) -> None:
        with self.lock:
            self.seen.append(seen)

    def methods(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for seen in self.seen:
            counts[seen.method] = counts.get(seen.method, 0) + 1
        return counts

    def fetch(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        """The upstream's answer (one keep-alive connection per handler thread)."""
        assert self.upstream is not None
        parts = urlsplit(self.upstream)
        sent = {k: v for k, v in headers.items() if k.lower() not in HOP_BY_HOP and k.lower() != "host"}
        if body or method in ("POST", "PUT", "PATCH"):
            sent["content-length"] = str(len(body))
        for attempt in (1, 2):
            conn = getattr(self._local, "conn", None)
            if conn is None:
                conn = self._local.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
            try:
                conn.request(method, path, body=body or None, headers=sent)
                response = conn.getresponse()
                data = response.read()
                return response.status, response.getheaders(), data
            except (http.client.HTTPException, OSError):
                conn.close()
                self._local.conn = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def __enter__(self) -> Proxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._thread.join(5)
        _close_all(self._conns)
        self._server.server_close()


# ---------------------------------------------------------------------------------------------
# Misbehaviours (actions for a Rule)


def slow(seconds: float) -> Callable[[Handler], None]:
    """Answer correctly, but only after ``seconds``."""

    def action(h: Handler) -> None:
        if h.server.proxy.stopping.wait(min(seconds, MAX_HOLD_SECONDS)):
            return
        h.forward()

    return action


def respond(status: int, body: bytes | str, content_type: str = "application/json; charset=utf-8", headers: dict[str, str] | None = None) -> Callable[[Handler], None]:
    data = body.encode() if isinstance(body, str) else body

    def action(h: Handler) -> None:
        h.send_bytes(status, data, content_type, headers)

    return action


def close_mid_body(declared: int = 4096, sent: bytes = b'{"items": [{"id": "kct-') -> Callable[[Handler], None]:
    """Promise ``declared`` bytes of JSON, send a few, hang up."""

    def action(h: Handler) -> None:
        h.write_raw(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json; charset=utf-8\r\n"
            + f"content-length: {declared}\r\n\r\n".encode()
            + sent
        )
        h.hang_up()

    return action


def huge_json(megabytes: int) -> Callable[[Handler], None]:
    """A well-formed JSON document of ``megabytes`` MB, with its Content-Length, written in chunks."""

    def action(h: Handler) -> None:
        head, tail = b'{"items": [', b'"end"]}'
        item = b'"' + b"x" * 1022 + b'",'
        count = (megabytes * 1_000_000 - len(head) - len(tail)) // len(item)
        size = len(head) + count * len(item) + len(tail)
        h.write_raw(f"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {size}\r\n\r\n".encode() + head)
        block = item * 64
        written = 0
        try:
            while written + 64 <= count:
                h.wfile.write(block)
                written += 64
            h.wfile.write(item * (count - written) + tail)
        except OSError:
            pass  # the client stopped reading: as it should
        h.hang_up()

    return action


def endless_chunks(chunk: bytes = b'"' + b"y" * 65534 + b'",') -> Callable[[Handler], None]:
    """A chunked JSON body that never ends (until the client hangs up, or MAX_HOLD_SECONDS)."""

    def action(h: Handler) -> None:
        h.write_raw(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n")
        frame = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
        h.write_raw(b'b\r\n{"items": [\r\n')
        deadline = time.monotonic() + MAX_HOLD_SECONDS
        try:
            while time.monotonic() < deadline and not h.server.proxy.stopping.is_set():
                h.wfile.write(frame)
        except OSError:
            pass
        h.hang_up()

    return action


def redirect(location: str | Callable[[Handler], str], status: int = 302) -> Callable[[Handler], None]:
    def action(h: Handler) -> None:
        where = location(h) if callable(location) else location
        h.send_bytes(status, b"", "text/plain", {"location": where})

    return action


def redirect_to_self(status: int = 302) -> Callable[[Handler], None]:
    """A redirect loop: every answer sends the client back to where it was."""
    return redirect(lambda h: h.path, status)


LOGIN_PAGE = (
    "<!DOCTYPE html><html><head><title>Sign in</title></head><body>"
    "<form method=post action=/login><input name=username><input name=password type=password>"
    "<button>Log in</button></form></body></html>"
)
PROXY_ERROR_PAGE = "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>"
FORBIDDEN = {
    "statusCode": 403,
    "error": "Forbidden",
    "message": "API [PUT /api/fleet/settings] is unauthorized for user, this action is granted by the Kibana privileges [fleet-settings-all]",
}


def login_page() -> Callable[[Handler], None]:
    return respond(200, LOGIN_PAGE, "text/html; charset=utf-8")


def bad_gateway() -> Callable[[Handler], None]:
    return respond(502, PROXY_ERROR_PAGE, "text/html")


def forbidden(when_authorization: str | None = None) -> Callable[[Handler], None]:
    """Kibana's 403 for a user without the privilege; other credentials (none, wrong) go on to the upstream."""

    def action(h: Handler) -> None:
        if when_authorization is not None and h.headers.get("authorization") != when_authorization:
            h.forward()
            return
        message = FORBIDDEN["message"].replace("PUT /api/fleet/settings", f"{h.command} {urlsplit(h.path).path}")
        h.send_json(403, {**FORBIDDEN, "message": message})

    return action


def forward_then(transform: Callable[[int, bytes], tuple[int, bytes]]) -> Callable[[Handler], None]:
    """Forward, then rewrite the upstream's status and body (keeping its headers)."""

    def action(h: Handler) -> None:
        status, headers, body = h.fetch()
        status, body = transform(status, body)
        h.relay(status, headers, body)

    return action


def truncate_json(keep: float = 0.5) -> Callable[[Handler], None]:
    """The upstream's JSON cut in the middle (a Content-Length that matches what is sent)."""
    return forward_then(lambda status, body: (status, body[: max(1, int(len(body) * keep))] if len(body) > 1 else b"{"))


def invalid_utf8() -> Callable[[Handler], None]:
    """The upstream's JSON with bytes that are not UTF-8 inside its strings."""

    def transform(status: int, body: bytes) -> tuple[int, bytes]:
        if b'":"' in body:
            return status, body.replace(b'":"', b'":"\xff\xfe\xc3(', 1)
        return status, b'{"message":"\xff\xfe\xc3( not utf-8"}'

    return forward_then(transform)


def forward_headers(transform: Callable[[list[tuple[str, str]]], list[tuple[str, str]]]) -> Callable[[Handler], None]:
    """Forward, then rewrite the upstream's response headers (the body as it is)."""

    def action(h: Handler) -> None:
        status, headers, body = h.fetch()
        h.relay(status, transform([(n, v) for n, v in headers if n.lower() not in HOP_BY_HOP]), body, own_headers=False)

    return action


def obsolete_dates() -> Callable[[Handler], None]:
    """Two Date headers, as a proxy adds its own: the obsolete asctime form first, then RFC 850 with -0000."""

    def transform(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
        now = time.gmtime()
        asctime = time.strftime("%a %b %d %H:%M:%S %Y", now).replace(" 0", "  ", 1)
        rfc850 = time.strftime("%A, %d-%b-%y %H:%M:%S -0000", now)
        return [(n, v) for n, v in headers if n.lower() != "date"] + [("Date", asctime), ("Date", rfc850)]

    return forward_headers(transform)


def oversized_header(size: int = 1_000_000) -> Callable[[Handler], None]:
    """A correct answer with one response header larger than any client reads."""
    return forward_headers(lambda headers: [*headers, ("x-kct-padding", "p" * size)])


def early_hints() -> Callable[[Handler], None]:
    """A 103 Early Hints informational answer, then the real one."""

    def action(h: Handler) -> None:
        h.write_raw(b"HTTP/1.1 103 Early Hints\r\nlink: </style.css>; rel=preload; as=style\r\n\r\n")
        h.forward()

    return action


def every(n: int, misbehaviour: Callable[[Handler], None], methods: tuple[str, ...] = ()) -> Callable[[Handler], None]:
    """``misbehaviour`` on every n-th matching request (of ``methods``, or of any method), the others
    forwarded (a flaky network or a busy target)."""
    count = [0]
    lock = threading.Lock()

    def action(h: Handler) -> None:
        if methods and h.command not in methods:
            h.forward()
            return
        with lock:
            count[0] += 1
            hit = count[0] % n == 0
        (misbehaviour if hit else Handler.forward)(h)

    return action


def drop_connection() -> Callable[[Handler], None]:
    """Hang up without a word (a dropped connection)."""
    return Handler.hang_up


def too_many_requests(retry_after: str = "1") -> Callable[[Handler], None]:
    return respond(429, json.dumps({"statusCode": 429, "error": "Too Many Requests", "message": "slow down"}), headers={"retry-after": retry_after})


def echo_credentials_on_refusal() -> Callable[[Handler], None]:
    """A refusal that echoes what it was sent: the Authorization header, and a Basic password decoded."""

    def action(h: Handler) -> None:
        status, headers, body = h.fetch()
        if status >= 400:
            auth = h.headers.get("authorization", "")
            decoded = ""
            if auth.lower().startswith("basic "):
                import base64

                decoded = base64.b64decode(auth.split(" ", 1)[1] + "==").decode(errors="replace")
            try:
                answer = json.loads(body)
            except ValueError:
                answer = {}
            if isinstance(answer, dict):
                answer["message"] = f"{answer.get('message', '')} (request had authorization {auth!r}, credentials {decoded!r})"
                body = json.dumps(answer).encode()
        h.relay(status, headers, body)

    return action


def naive_timestamps() -> Callable[[Handler], None]:
    """The upstream's timestamps without their zone (…T10:00:00.000 instead of …T10:00:00.000Z)."""
    return forward_then(lambda status, body: (status, re.sub(rb'(T\d{2}:\d{2}:\d{2}(?:\.\d+)?)Z"', rb'\1"', body)))


def answer_writes_with(body: bytes) -> Callable[[Handler], None]:
    """Writes are answered 200 with ``body`` (invalid JSON, [], {"item": null}...); reads go on to the upstream."""

    def action(h: Handler) -> None:
        if h.command in ("GET", "HEAD"):
            h.forward()
            return
        h.send_bytes(200, body, "application/json; charset=utf-8", {"elastic-api-version": "2023-10-31"})

    return action


def trickle(interval: float = 0.3) -> Callable[[Handler], None]:
    """A status line and headers one byte at a time, every ``interval`` seconds (until the client hangs up)."""

    def action(h: Handler) -> None:
        head = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n" + b"x-kct-slow: " + b"s" * 2000 + b"\r\n\r\n{}"
        try:
            for byte in head:
                if h.server.proxy.stopping.wait(interval):
                    return
                h.write_raw(bytes([byte]))
        except OSError:
            pass
        h.hang_up()

    return action
