"""``kibana-conformance proxy --upstream URL``: a validation proxy between a Kibana client and a Kibana.

Every request goes to the upstream as the client sent it (its own credentials included; only the
hop-by-hop headers of HTTP/1.1 and ``Host`` are the connection's own), and every answer back as
received, streamed: status, reason, headers and body bytes. The proxy never answers in the
upstream's place, except with a 502 (Kibana's error envelope) when the upstream gives no answer,
which is recorded as a transport problem, not as a violation of the contract.

Each exchange is kept as check-traffic reads one from a HAR file: a
:class:`~kibana_conformance.transport.Exchange` whose credential headers are already replaced
(their scheme kept), bodies cut at ``Exchange.BODY_KEPT`` bytes with their sizes, a compressed
answer decoded. It is then spooled to ``exchanges.har`` (:class:`~kibana_conformance.har.HarSpool`,
bounded) and judged by :class:`~kibana_conformance.traffic.TrafficReport`, the code path of
check-traffic, so that check-traffic on the proxy's HAR finds what the proxy found. Nothing else is
stored: memory holds counts, at most ``traffic.MAX_FAILED_RECORDS`` records and
``traffic.MAX_FINDINGS`` findings; the redactor learns the credentials of the exchanges kept.
"""

from __future__ import annotations

import http.client
import json
import signal
import socket
import threading
import time
import zlib
from collections.abc import Iterator
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import SplitResult, urlsplit

from . import __version__, har
from .mock.server import url_for
from .redaction import Redactor, redact_query
from .report.artifacts import HAR_FILE, ReportFolder, ReportFolderError, write_chunks
from .traffic import MAX_FAILED_RECORDS, TrafficReport
from .transport import CUT_SHORT, Exchange

HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade", "expect", "host"})
PIECE = 64 * 1024
KEPT = Exchange.BODY_KEPT
IDLE_REUSE = 4.0  # seconds an upstream connection may idle and still be reused (uvicorn closes after 5)
CLIENT_IDLE = 300  # seconds a client's keep-alive connection may idle
DRAIN = 5.0  # seconds a stop waits for the exchanges in flight
NO_BODY_STATUSES = frozenset({204, 304})
STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError, ConnectionAbortedError)


class ProxyError(ValueError):
    """A bad option (upstream URL, address, report folder): one line, exit code 2."""


class ClientGone(Exception):
    """The client stopped sending its request body: there is no exchange to judge."""


def parse_upstream(url: str) -> SplitResult:
    split = urlsplit(url.strip())
    if split.scheme not in ("http", "https") or not split.hostname:
        raise ProxyError(f"--upstream: expected an http:// or https:// URL with a host, got {url!r}")
    if split.username is not None or split.password is not None:
        raise ProxyError("--upstream: give the URL without user:password@ (the proxy forwards each client's own credentials)")
    if split.query or split.fragment:
        raise ProxyError(f"--upstream: a base URL has no query or fragment, got {url!r}")
    try:
        split.port  # noqa: B018 (raises on a bad port)
    except ValueError:
        raise ProxyError(f"--upstream: invalid port in {url!r}") from None
    return split._replace(path=split.path.rstrip("/"))


def describe(exc: BaseException, timeout: float) -> str:
    """One line for an upstream that gave no (complete) answer."""
    if isinstance(exc, (TimeoutError, socket.timeout)):
        return f"no answer within {timeout:g} s (see --timeout)"
    if isinstance(exc, ConnectionRefusedError):
        return "the connection was refused"
    if isinstance(exc, socket.gaierror):
        return "its host name does not resolve (DNS)"
    if isinstance(exc, (*STALE, http.client.IncompleteRead)):
        return CUT_SHORT
    return f"{type(exc).__name__}: {exc}"[:200]


# --- bodies --------------------------------------------------------------------------------------


def _sized(rfile: BinaryIO, length: int) -> Iterator[bytes]:
    while length > 0:
        try:
            piece = rfile.read(min(PIECE, length))
        except OSError:
            piece = b""
        if not piece:
            raise ClientGone()
        length -= len(piece)
        yield piece


def _chunked(rfile: BinaryIO) -> Iterator[bytes]:
    """The data of a chunked request body (RFC 9112 7.1), trailers read and dropped."""
    while True:
        try:
            line = rfile.readline(1024)
        except OSError:
            raise ClientGone() from None
        try:
            size = int(line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            raise ValueError(f"bad chunk size line {line[:40]!r}") from None
        if size == 0:
            while rfile.readline(8192).strip():
                pass
            return
        yield from _sized(rfile, size)
        if rfile.read(2) != b"\r\n":
            raise ValueError("a chunk does not end with CRLF")


class ClientBody:
    """The client's request body: read ahead up to ``KEPT`` bytes (a small body can be sent again on a
    fresh upstream connection), the rest streamed; the first ``KEPT`` bytes and the size are kept."""

    def __init__(self, rfile: BinaryIO, length: int, chunked: bool) -> None:
        self.chunked = chunked
        self.kept = bytearray()
        self.size = 0
        self._source = _chunked(rfile) if chunked else _sized(rfile, length)
        self._head: list[bytes] = []
        self.complete = True
        for piece in self._source:
            self._take(piece)
            self._head.append(piece)
            if self.size > KEPT:
                self.complete = False
                break
        self.replayable = self.complete

    def _take(self, piece: bytes) -> None:
        self.size += len(piece)
        if len(self.kept) < KEPT:
            self.kept += piece[: KEPT - len(self.kept)]

    def framed(self, piece: bytes) -> bytes:
        return b"%x\r\n%s\r\n" % (len(piece), piece) if self.chunked else piece

    def whole(self) -> bytes:
        """A body read ahead whole, framed as the client sent it (one write with the headers)."""
        return b"".join(map(self.framed, self._head)) + (b"0\r\n\r\n" if self.chunked else b"")

    def pieces(self) -> Iterator[bytes]:
        yield from self._head
        if not self.complete:
            for piece in self._source:
                self._take(piece)
                yield piece
            self.complete = True


class AnswerTap:
    """The first ``KEPT`` bytes of an answer as a HAR keeps them (decoded when it is gzip or deflate) and its size."""

    def __init__(self, encoding: str) -> None:
        self.raw = 0
        self.kept = bytearray()
        wbits = {"gzip": 31, "x-gzip": 31, "deflate": 15}.get(encoding.strip().lower()) if encoding else None
        self.decoder = zlib.decompressobj(wbits) if wbits else None
        self.readable = not encoding or encoding.strip().lower() == "identity" or wbits is not None

    def take(self, piece: bytes) -> None:
        self.raw += len(piece)
        if self.decoder is None or not self.readable:
            if self.readable and len(self.kept) < KEPT:
                self.kept += piece[: KEPT - len(self.kept)]
            return
        if len(self.kept) >= KEPT:
            return
        try:
            self.kept += self.decoder.decompress(piece, KEPT - len(self.kept) + 1)
        except zlib.error:
            self.readable = False
            self.kept.clear()

    def body(self, complete: bool) -> tuple[bytes, int]:
        """(the body kept, its size); a size above the body's length marks it cut, and a cut body is never judged."""
        if not self.readable:
            return b"", max(self.raw, 1)  # an encoding the proxy cannot read (br): not judged
        if self.decoder is not None:
            whole = complete and self.decoder.eof and len(self.kept) <= KEPT
            kept = bytes(self.kept[:KEPT])
            return kept, len(kept) if whole else max(self.raw, len(kept) + 1)
        kept = bytes(self.kept)
        return kept, self.raw if complete else max(self.raw, len(kept) + 1)


# --- the server ----------------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024  # socketserver's 5 resets clients that connect together

    def __init__(self, proxy: Proxy, host: str, port: int) -> None:
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.proxy = proxy
        super().__init__((host, port), _Handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = CLIENT_IDLE
    server: _Server

    def setup(self) -> None:
        super().setup()
        self._upstream: http.client.HTTPConnection | None = None
        self._used = 0.0
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def finish(self) -> None:
        self._drop()
        super().finish()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("do_"):  # every method goes through, whatever it is
            return self._forward
        raise AttributeError(name)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base class's name)
        pass  # nothing about the traffic is stored or printed beyond the report

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """What the proxy answers itself (a request it cannot read, an upstream without an answer): Kibana's envelope."""
        try:
            phrase = HTTPStatus(code).phrase
        except ValueError:
            phrase = "Error"
        body = json.dumps({"statusCode": code, "error": phrase, "message": message or phrase}, separators=(",", ":")).encode()
        try:
            self.send_response_only(code, phrase)
            self.send_header("content-type", "application/json; charset=utf-8")
            self.send_header("content-length", str(len(body)))
            if self.close_connection or code == 400:
                self.send_header("connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
        except OSError:
            self.close_connection = True

    # --- upstream connections (one per client connection, reused while it stays fresh) ---

    def _connection(self) -> tuple[http.client.HTTPConnection, bool]:
        proxy = self.server.proxy
        if self._upstream is not None and time.monotonic() - self._used > IDLE_REUSE:
            self._drop()
        if self._upstream is not None:
            return self._upstream, True
        kind = http.client.HTTPSConnection if proxy.upstream_split.scheme == "https" else http.client.HTTPConnection
        self._upstream = kind(proxy.upstream_split.hostname or "", proxy.upstream_split.port, timeout=proxy.timeout)
        return self._upstream, False

    def _drop(self) -> None:
        if self._upstream is not None:
            self._upstream.close()
            self._upstream = None

    def _send(self, conn: http.client.HTTPConnection, target: str, headers: list[tuple[str, str]], body: ClientBody | None) -> None:
        conn.putrequest(self.command, target, skip_host=True, skip_accept_encoding=True)
        conn.putheader("Host", self.server.proxy.upstream_split.netloc)
        for name, value in headers:
            conn.putheader(name, value)
        if body is not None and body.chunked:
            conn.putheader("Transfer-Encoding", "chunked")
        if body is None or body.replayable:
            conn.endheaders(body.whole() if body is not None else None)
            return
        conn.endheaders()
        for piece in body.pieces():
            conn.send(body.framed(piece))
        if body.chunked:
            conn.send(b"0\r\n\r\n")

    def _ask(self, target: str, headers: list[tuple[str, str]], body: ClientBody | None) -> http.client.HTTPResponse:
        """The upstream's answer; a reused connection the upstream closed meanwhile is replaced once when the body can be sent again."""
        while True:
            conn, reused = self._connection()
            retry = reused and (body is None or body.replayable)
            try:
                self._send(conn, target, headers, body)
            except OSError as exc:
                if retry:
                    self._drop()
                    continue
                if conn.sock is None:  # never connected
                    self._drop()
                    raise
                try:  # an upstream may answer before it has read the whole body (a 413), then close
                    return conn.getresponse()
                except (OSError, http.client.HTTPException):
                    self._drop()
                    raise exc from None
            try:
                return conn.getresponse()
            except STALE:
                self._drop()
                if retry:
                    continue
                raise

    # --- one exchange ---

    def _forward(self) -> None:
        proxy = self.server.proxy
        proxy.begin()
        try:
            self._exchange(proxy)
        finally:
            proxy.end()

    def _exchange(self, proxy: Proxy) -> None:
        started, clock = time.time(), time.monotonic()
        received = list(self.headers.items())
        named = {t.strip().lower() for v in self.headers.get_all("connection", []) for t in v.split(",")}
        # Each client connection has its own upstream connection: a client's "close" or "keep-alive" holds for both.
        forwarded = [(k, v) for k, v in received if (k.lower() not in HOP_BY_HOP and k.lower() not in named) or (k.lower() == "connection" and v.strip().lower() in ("close", "keep-alive"))]
        chunked = "chunked" in self.headers.get("transfer-encoding", "").lower()
        if chunked:  # chunked framing wins over a Content-Length (RFC 9112 6.3), which must not go on with it
            forwarded = [(k, v) for k, v in forwarded if k.lower() != "content-length"]
        try:
            length = int(self.headers.get("content-length") or 0) if not chunked else 0
            if length < 0:
                raise ValueError(length)
            body = ClientBody(self.rfile, length, chunked) if chunked or length else None
        except ValueError:
            self.close_connection = True
            self.send_error(400, "the request body's framing (Content-Length or chunked encoding) cannot be read")
            return
        except ClientGone:
            self.close_connection = True
            return
        # Kept as a HAR entry keeps it, credentials already out (the checks read schemes and parameter names, not secrets).
        exchange = Exchange(self.command, redact_query(proxy.upstream_url(self.path)), har.scrub_headers(received), b"", started)
        try:
            answer = self._ask(proxy.upstream_split.path + self.path, forwarded, body)
        except ClientGone:
            self._drop()  # the upstream has a part of a request: that connection is of no more use
            self.close_connection = True
            return
        except (OSError, http.client.HTTPException) as exc:
            self.close_connection = self.close_connection or (body is not None and not body.complete)
            exchange.error = f"upstream {proxy.upstream}: {describe(exc, proxy.timeout)}"
            self.send_error(502, f"kibana-conformance proxy: no answer from the upstream ({exchange.error})")
            self._record(proxy, exchange, body, received, [], clock)
            return
        if body is not None and not body.complete:
            self.close_connection = True  # the upstream answered before it read the whole body: the rest is unread
        exchange.status, exchange.reason = answer.status, answer.reason
        exchange.http_version = "HTTP/1.0" if answer.version == 10 else "HTTP/1.1"
        headers = answer.getheaders()
        tap = AnswerTap(answer.getheader("content-encoding") or "")
        complete = self._relay(answer, headers, tap)
        if not complete or answer.will_close:
            self._drop()
        else:
            self._used = time.monotonic()
        exchange.response_body, exchange.response_size = tap.body(complete)
        if not complete:
            exchange.error = "the answer was not relayed whole (the client or the upstream closed the connection)"
        self._record(proxy, exchange, body, received, headers, clock)

    def _relay(self, answer: http.client.HTTPResponse, headers: list[tuple[str, str]], tap: AnswerTap) -> bool:
        """Status, headers and body to the client, as received; True when the whole body went through."""
        named = {t.strip().lower() for k, v in headers if k.lower() == "connection" for t in v.split(",")}
        sized = answer.getheader("content-length") is not None and not answer.chunked
        bodiless = self.command == "HEAD" or answer.status in NO_BODY_STATUSES or answer.status < 200
        chunked = not sized and not bodiless and self.request_version == "HTTP/1.1"
        if self.request_version != "HTTP/1.1" or (not sized and not bodiless and not chunked):
            self.close_connection = True
        try:
            self.send_response_only(answer.status, answer.reason)
            # The framing and connection headers are this hop's; where the upstream's say the same, they are its own lines.
            own = {"transfer-encoding": "chunked" if chunked else None, "connection": "close" if self.close_connection else None}
            for name, value in headers:
                lowered = name.lower()
                if own.get(lowered) == value.strip().lower():
                    own[lowered] = None
                elif lowered in HOP_BY_HOP or lowered in named or (lowered == "content-length" and not sized):
                    continue
                self.send_header(name, value)
            for name, value in own.items():
                if value is not None:
                    self.send_header(name.title(), value)
            self.end_headers()
            while not bodiless:
                piece = answer.read1(PIECE)  # what has come, without waiting for a whole piece (a stream stays a stream)
                if not piece:
                    break
                tap.take(piece)
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
            answer.close()  # read whole: the upstream connection is free for the next request
            if chunked:
                self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (OSError, http.client.HTTPException):
            self.close_connection = True
            return False
        return True

    def _record(self, proxy: Proxy, exchange: Exchange, body: ClientBody | None, received: list[tuple[str, str]], answered: list[tuple[str, str]], clock: float) -> None:
        if body is not None:
            exchange.request_body, exchange.request_size = bytes(body.kept), body.size
        exchange.response_headers = har.scrub_headers(answered)
        exchange.duration = time.monotonic() - clock
        proxy.record(exchange, received + answered)


class Proxy:
    """The validation proxy: a threaded HTTP server, the HAR spool and the traffic report, until :meth:`finish`."""

    def __init__(self, upstream: str, host: str, port: int, report_dir: Path, timeout: float = 120.0) -> None:
        if not timeout > 0:
            raise ProxyError(f"--timeout: expected a positive number of seconds, got {timeout:g}")
        self.upstream_split = parse_upstream(upstream)
        self.upstream = self.upstream_split.geturl()
        self.timeout = timeout
        self.report_dir = report_dir
        self.folder = ReportFolder(report_dir)
        try:
            self.folder.claim()
        except ReportFolderError as exc:
            raise ProxyError(str(exc)) from None
        try:
            self.server = _Server(self, host, port)
        except OSError as exc:
            self.folder.release()
            raise ProxyError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
        self.url = url_for(host, self.server.server_address[1])
        self.redactor = Redactor()
        self.spill = har.spill_folder()  # private, outside the report folder: the spool holds exchanges not yet redacted
        self.spool = har.HarSpool(self.spill, self.redactor, "proxy")
        self.report = TrafficReport(self.upstream)
        self._lock = threading.Lock()
        self._idle = threading.Condition()
        self._active = 0
        self._closed = False
        self._thread: threading.Thread | None = None

    def upstream_url(self, target: str) -> str:
        return self.upstream + target

    def begin(self) -> None:
        with self._idle:
            self._active += 1

    def end(self) -> None:
        with self._idle:
            self._active -= 1
            self._idle.notify_all()

    def record(self, exchange: Exchange, headers: list[tuple[str, str]]) -> None:
        """Spool and judge one exchange; ``headers`` are its headers as sent, to learn the credentials from."""
        with self._lock:
            if self._closed:
                return
            if self.spool.count < har.MAX_ENTRIES or len(self.report.failed) < MAX_FAILED_RECORDS:
                self.redactor.learn_headers(headers)  # what is no longer kept needs no redaction (the redactor stays bounded)
            self.spool.observe(exchange)
            self.report.add(exchange, self.spool.count - 1 if exchange.har_id else None)

    def start(self) -> Proxy:
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.2}, name="kct-proxy", daemon=True)
        self._thread.start()
        return self

    def serve_until_signal(self) -> None:
        """Serve until SIGINT or SIGTERM (in the main thread)."""
        stop = threading.Event()
        previous = {signum: signal.signal(signum, lambda *_: stop.set()) for signum in (signal.SIGINT, signal.SIGTERM)}
        try:
            self.start()
            while not stop.wait(0.5):
                pass
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    def finish(self) -> tuple[TrafficReport, dict[str, Any], list[str]]:
        """Stop serving, wait a little for the exchanges in flight, write the reports: (report, results, problems)."""
        if self._thread is not None:
            self.server.shutdown()
        with self._idle:
            self._idle.wait_for(lambda: self._active == 0, DRAIN)
        with self._lock:
            self._closed = True
        self.server.server_close()
        problems: list[str] = []
        spool = self.spool.close()
        try:
            write_chunks(self.report_dir / HAR_FILE, har.render([spool], __version__, set(), {}), self.redactor)
        except OSError as exc:
            problems.append(f"cannot write {self.report_dir / HAR_FILE}: {exc.strerror or exc}")
        finally:
            har.remove(self.spill)
        results, written = self.report.write(self.report_dir, self.redactor)
        self.folder.release()
        return self.report, results, problems + written

    def __enter__(self) -> Proxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.finish()

