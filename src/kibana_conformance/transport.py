"""The one way the suite talks to a target: every request, the scenarios' and schemathesis', goes here.

:class:`Wire` owns what a live target needs from a client, in one place: the rate limit, a
deadline on the whole response (``--timeout`` bounds connecting, sending, the headers and the
body together, so a target trickling bytes cannot hang the run), a cap on the body size,
bounded retries (safe requests on transport errors; any request on 429/503 with
``Retry-After``; writes never blindly), no redirects, and the wording of every transport
problem as one line. Each exchange is kept for the test that is running (failure reports, the
HAR file) and handed to the observers (coverage, footprint).

A transport problem that persists after the retries raises :class:`TransportError`: the suite
could not judge, which is an *error* of the test, never a failure of the target.
"""

from __future__ import annotations

import email.utils
import math
import re
import ssl
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx

MAX_RESPONSE_BYTES = 10_000_000
BODY_TOO_LARGE = f"the response body exceeds {MAX_RESPONSE_BYTES // 1_000_000} MB"
MAX_RETRY_AFTER = 10.0  # seconds a Retry-After may ask for before the suite gives up
MAX_ATTEMPTS = 3
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
EXCHANGES_PER_TEST = 200
NO_DNS = ("Name or service not known", "nodename nor servname", "Temporary failure in name resolution", "No address associated")
CUT_SHORT = "the target closed the connection before the response was complete"

Observer = Callable[["Exchange"], None]


class TransportError(Exception):
    """No HTTP answer to judge (after the retries): the suite could not judge."""

    SHOWN = 120  # characters of the request line a message shows: a generated query can be kilobytes long

    def __init__(self, request_line: str, what: str) -> None:
        super().__init__(f"{shortened(request_line, self.SHOWN)}: {what}")
        self.request_line = request_line
        self.what = what


def shortened(request_line: str, limit: int) -> str:
    """At most about ``limit`` characters of a request line, cut only between path segments and query parameters:
    redaction, later, replaces a secret it knows only when the whole of it is there, so no part is ever cut."""
    if len(request_line) <= limit:
        return request_line
    pieces = re.split(r"(?<=[/?&;])", request_line)
    kept = ""
    for piece in pieces:
        if len(kept) + len(piece) > limit - 1:
            break
        kept += piece
    return kept + "…"


class BodyTooLarge(Exception):
    pass


class DeadlineExceeded(Exception):
    pass


# --- the whole-response deadline -------------------------------------------------------------

_deadline = threading.local()


def _remaining(timeout: float | None) -> float | None:
    """The time a network operation may take now: its own timeout, capped by the request's deadline."""
    deadline = getattr(_deadline, "at", None)
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise DeadlineExceeded()
    return left if timeout is None else min(timeout, left)


class _DeadlineStream:
    """A network stream whose every read and write ends by the request's deadline."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _remaining(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _remaining(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None) -> Any:
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, _remaining(timeout)))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _DeadlineBackend:
    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None, socket_options: Any = None) -> Any:
        return _DeadlineStream(self._inner.connect_tcp(host, port, _remaining(timeout), local_address, socket_options))

    def connect_unix_socket(self, path: str, timeout: float | None = None, socket_options: Any = None) -> Any:
        return _DeadlineStream(self._inner.connect_unix_socket(path, _remaining(timeout), socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def _deadline_transport(verify: bool | str) -> httpx.HTTPTransport:
    transport = httpx.HTTPTransport(verify=verify, trust_env=False)
    pool = getattr(transport, "_pool", None)
    if pool is not None and hasattr(pool, "_network_backend"):
        pool._network_backend = _DeadlineBackend(pool._network_backend)
    return transport


# --- rate limit ------------------------------------------------------------------------------


class RateLimiter:
    """At most ``rate`` requests per second, evenly spaced, shared by the threads of one process."""

    def __init__(self, rate: float) -> None:
        if not (rate > 0 and math.isfinite(rate)):
            raise ValueError(f"a rate is a positive finite number, got {rate!r}")
        self.interval = 1.0 / rate
        self._next = time.monotonic()
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next)
            self._next = slot + self.interval
        if slot > now:
            time.sleep(slot - now)


# --- what was exchanged ------------------------------------------------------------------------


@dataclass
class Exchange:
    """One request and its answer (or the transport problem), as sent and received: raw, unredacted.

    Artifacts get it through the redaction point; bodies are kept up to ``BODY_KEPT`` bytes.
    """

    method: str
    url: str
    request_headers: list[tuple[str, str]]
    request_body: bytes
    started: float
    status: int | None = None
    reason: str = ""
    http_version: str = "HTTP/1.1"
    response_headers: list[tuple[str, str]] = field(default_factory=list)
    response_body: bytes = b""
    response_size: int = 0
    duration: float = 0.0
    error: str | None = None
    attempts: int = 1
    test: str | None = None
    requirement: str | None = None
    request_size: int = 0
    har_id: str | None = None  # set when the HAR spool keeps it

    BODY_KEPT = 64 * 1024

    @property
    def request_line(self) -> str:
        return f"{self.method} {httpx.URL(self.url).raw_path.decode(errors='replace')}"


class Recorder:
    """The exchanges of the test that is running, per thread, and everything observed (for the HAR)."""

    def __init__(self) -> None:
        self._local = threading.local()
        self.test: str | None = None

    def start(self, test: str | None, requirement: str | None = None) -> None:
        self._local.exchanges = []
        self._local.test = test
        self._local.requirement = requirement

    def current(self) -> tuple[str | None, str | None]:
        return getattr(self._local, "test", None), getattr(self._local, "requirement", None)

    def leave(self) -> None:
        """The test is over: what is sent next (a restore at the end of the run) belongs to no test."""
        self._local.test = self._local.requirement = None

    def take(self) -> list[Exchange]:
        exchanges = getattr(self._local, "exchanges", [])
        self._local.exchanges = []
        return exchanges

    def record(self, exchange: Exchange) -> None:
        exchange.test = getattr(self._local, "test", None)
        exchange.requirement = getattr(self._local, "requirement", None)
        kept = getattr(self._local, "exchanges", None)
        if kept is None:
            kept = self._local.exchanges = []
        kept.append(exchange)
        del kept[:-EXCHANGES_PER_TEST]


# --- wording ---------------------------------------------------------------------------------


def _first_line(text: str) -> str:
    return (text.strip().splitlines() or [""])[0][:200]


def describe(exc: BaseException, timeout: float) -> str:
    """One line for what went wrong on the wire."""
    text = str(exc) or type(exc).__name__
    if isinstance(exc, (DeadlineExceeded, httpx.TimeoutException)) or isinstance(exc.__cause__, DeadlineExceeded):
        return f"no complete answer within {timeout:g} s (see --timeout)"
    if isinstance(exc, BodyTooLarge):
        return BODY_TOO_LARGE
    if "CERTIFICATE_VERIFY_FAILED" in text:
        return "its TLS certificate is not trusted (pass --ca-cert FILE, or --insecure to skip verification)"
    if isinstance(exc, httpx.ConnectError):
        if any(marker in text for marker in NO_DNS):
            return "its host name does not resolve (DNS)"
        if "Connection refused" in text:
            return "the connection was refused"
        return f"cannot connect: {_first_line(text)}"
    if isinstance(exc, httpx.RemoteProtocolError):
        if "buffer too long" in text or "too large" in text.lower():
            return "the response headers are too large to read (over 16 KiB)"
        if "illegal" in text.lower() or "malformed" in text.lower() or "invalid" in text.lower():
            return f"the response is not valid HTTP ({_first_line(text)})"
        return CUT_SHORT
    if isinstance(exc, httpx.DecodingError):
        return f"the response body cannot be decoded: {_first_line(text)}"
    if isinstance(exc, httpx.TooManyRedirects):
        return "it answers with redirects (the suite follows none)"
    return f"{type(exc).__name__}: {_first_line(text)}"


def retry_after(response: httpx.Response) -> float | None:
    """The wait a 429 or 503 asks for (seconds or an HTTP date), None when it asks for none."""
    if response.status_code not in (429, 503):
        return None
    value = response.headers.get("retry-after", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - time.time())


# --- the client ------------------------------------------------------------------------------


class Wire:
    """The HTTP client of a run (one per process)."""

    def __init__(self, *, timeout: float, verify: bool | str = True, rate: float | None = None, max_body: int = MAX_RESPONSE_BYTES) -> None:
        self.timeout = timeout
        self.verify = verify
        self.max_body = max_body
        self.limiter = RateLimiter(rate) if rate else None
        self.recorder = Recorder()
        self.observers: list[Observer] = []
        # Handed each attempt that is tried again (the HAR keeps every request put on the wire).
        self.retried: list[Observer] = []
        # Set by the run: refuses a request before it is sent (read-only mode).
        self.guard: Callable[[str], None] | None = None
        self._client = self._new_client()
        self._lock = threading.Lock()

    def _new_client(self) -> httpx.Client:
        # No cookies are ever kept: a session cookie must not stand in for credentials a test removed.
        return httpx.Client(transport=_deadline_transport(self.verify), timeout=self.timeout, follow_redirects=False, cookies=_NoCookies())

    def close(self) -> None:
        self._client.close()

    def send(self, method: str, url: str, *, headers: Iterable[tuple[str, str]] | dict[str, str] = (), content: bytes = b"") -> httpx.Response:
        """Send one request; retried as the policy allows; raises :class:`TransportError` when no answer can be had."""
        method = method.upper()
        if self.guard is not None:
            self.guard(method)
        header_list = list(headers.items()) if isinstance(headers, dict) else list(headers)
        started, attempts = time.time(), 0
        while True:
            attempts += 1
            if self.limiter is not None:
                self.limiter.wait()
            exchange = Exchange(method, url, header_list, content[: Exchange.BODY_KEPT], started=time.time(), attempts=attempts, request_size=len(content))
            began = time.monotonic()
            try:
                response = self._send_once(method, url, header_list, content)
            except (httpx.HTTPError, DeadlineExceeded, BodyTooLarge) as exc:
                what = describe(exc, self.timeout)
                exchange.error, exchange.duration = what, time.monotonic() - began
                if attempts < MAX_ATTEMPTS and _may_retry_error(method, exc):
                    self._retried(exchange)
                    continue
                self._finish(exchange)
                raise TransportError(exchange.request_line, what) from None
            exchange.status, exchange.reason = response.status_code, response.reason_phrase
            exchange.http_version = response.http_version
            exchange.response_headers = list(response.headers.multi_items())
            exchange.response_body = response.content[: Exchange.BODY_KEPT]
            exchange.response_size, exchange.duration = len(response.content), time.monotonic() - began
            wait = retry_after(response)
            if wait is not None and wait <= MAX_RETRY_AFTER and attempts < MAX_ATTEMPTS:
                self._retried(exchange)
                time.sleep(wait)
                continue
            self._finish(exchange)
            response.extensions["kct_started"] = started
            return response

    def _send_once(self, method: str, url: str, headers: list[tuple[str, str]], content: bytes) -> httpx.Response:
        _deadline.at = time.monotonic() + self.timeout
        try:
            with self._lock:
                client = self._client
            request = client.build_request(method, url, headers=headers, content=content or None)
            response = client.send(request, stream=True)
            try:
                chunks, size = [], 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > self.max_body:
                        chunks.clear()
                        raise BodyTooLarge()
                    chunks.append(chunk)
                response._content = b"".join(chunks)  # httpx keeps a read body here
            finally:
                response.close()
            return response
        except (httpx.HTTPError, DeadlineExceeded):
            # The connection is in an unknown state: start again with a fresh pool.
            with self._lock:
                self._client.close()
                self._client = self._new_client()
            raise
        finally:
            _deadline.at = None

    def _retried(self, exchange: Exchange) -> None:
        exchange.test, exchange.requirement = self.recorder.current()
        for observe in self.retried:
            observe(exchange)

    def _finish(self, exchange: Exchange) -> None:
        self.recorder.record(exchange)
        for observe in self.observers:
            observe(exchange)


def _may_retry_error(method: str, exc: BaseException) -> bool:
    """Whether a transport error is worth another attempt.

    Never a slow target (the deadline is the user's), a refused connection, an unknown host, an
    untrusted certificate or an oversized body: they do not pass. A connection that failed
    while opening never carried the request: any request is tried again. A connection dropped
    later may have carried it: only a safe request is tried again (a write is not repeated
    blindly).
    """
    if isinstance(exc, (BodyTooLarge, DeadlineExceeded, httpx.TimeoutException)):
        return False
    text = str(exc)
    if "CERTIFICATE_VERIFY_FAILED" in text or "Connection refused" in text or any(marker in text for marker in NO_DNS):
        return False
    if isinstance(exc, httpx.ConnectError):
        return True
    return method in SAFE_METHODS


class _NoCookies(httpx.Cookies):
    """A cookie jar that keeps nothing."""

    def extract_cookies(self, response: httpx.Response) -> None:
        return None

    def set_cookie_header(self, request: httpx.Request) -> None:
        return None
