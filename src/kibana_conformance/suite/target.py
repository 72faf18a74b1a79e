"""The deployment under test: URLs, credentials, an HTTP client that records what it sends."""

from __future__ import annotations

import base64
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import requests

from .expect import ConformanceFailure
from .settings import Settings

REDACTED = "[REDACTED]"
MAX_RESPONSE_BYTES = 10_000_000
BODY_TOO_LARGE = f"the response body exceeds {MAX_RESPONSE_BYTES // 1_000_000} MB"
EXCERPT_BYTES = 2048
SECRET_HEADERS = ("authorization", "cookie", "set-cookie", "proxy-authorization")


def encode_api_key(key: str) -> str:
    """The header value for a key given encoded (as Kibana returns it) or as ``id:api_key``."""
    return base64.b64encode(key.encode()).decode() if ":" in key else key


class Redactor:
    """Removes credentials from anything the suite writes: headers, URLs, bodies, messages."""

    def __init__(self, secrets: tuple[str, ...] = ()) -> None:
        variants: set[str] = set()
        for secret in secrets:
            if secret:
                variants.add(secret)
                variants.add(encode_api_key(secret))
                variants.add(base64.b64encode(secret.encode()).decode())
        self._secrets = sorted((v for v in variants if len(v) >= 3), key=len, reverse=True)
        self._auth_value = re.compile(r"(?i)\b(authorization:\s*|Basic\s+|ApiKey\s+|Bearer\s+)([A-Za-z0-9+/=._:-]{6,})")
        self._userinfo = re.compile(r"(?i)(https?://)[^/@\s]+@")
        # Secrets a target returns (a new API key, a token) are as live as the ones we send.
        self._secret_fields = re.compile(
            r'(?i)("(?:api_key|encoded|password|secret|token|access_token|refresh_token|service_token)"\s*:\s*)"[^"]*"'
        )

    def add(self, secret: str) -> None:
        self._secrets = sorted({*self._secrets, secret, base64.b64encode(secret.encode()).decode()}, key=len, reverse=True)

    def text(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        text = self._auth_value.sub(lambda m: m.group(1) + REDACTED, text)
        text = self._secret_fields.sub(lambda m: f'{m.group(1)}"{REDACTED}"', text)
        return self._userinfo.sub(r"\1" + REDACTED + "@", text)

    def headers(self, headers: Any) -> dict[str, str]:
        return {k: (REDACTED if k.lower() in SECRET_HEADERS else self.text(v)) for k, v in dict(headers).items()}


@dataclass
class Exchange:
    """One request and its response, redacted and cut to excerpts, for failure reports."""

    method: str
    url: str
    request_headers: dict[str, str]
    request_body: str
    status: int | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: str = ""
    error: str | None = None

    def curl(self) -> str:
        parts = [f"curl -sS -X {self.method} {_quote(self.url)}"]
        for name, value in self.request_headers.items():
            if name.lower() in ("host", "content-length", "accept-encoding", "connection", "user-agent", "accept"):
                continue
            if name.lower() == "authorization":
                value = "$KIBANA_AUTH"
            parts.append(f"-H {_quote(f'{name}: {value}')}")
        if self.request_body:
            parts.append(f"--data-binary {_quote(self.request_body)}")
        return " \\\n  ".join(parts)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\"'\"'") + "'"


def _excerpt(content: bytes) -> str:
    text = content[:EXCERPT_BYTES].decode("utf-8", errors="replace")
    return text + (f"... ({len(content)} bytes)" if len(content) > EXCERPT_BYTES else "")


class Recorder:
    """Keeps the exchanges of the test that is running (per thread)."""

    def __init__(self, redactor: Redactor) -> None:
        self.redactor = redactor
        self._local = threading.local()

    def start(self) -> None:
        self._local.exchanges = []

    def take(self) -> list[Exchange]:
        exchanges = getattr(self._local, "exchanges", [])
        self._local.exchanges = []
        return exchanges

    def record(self, exchange: Exchange) -> None:
        if not hasattr(self._local, "exchanges"):
            self._local.exchanges = []
        self._local.exchanges.append(exchange)
        del self._local.exchanges[:-20]

    def request_exchange(self, request: httpx.Request) -> Exchange:
        request.read()
        return Exchange(
            method=request.method,
            url=self.redactor.text(str(request.url)),
            request_headers=self.redactor.headers(request.headers),
            request_body=self.redactor.text(_excerpt(request.content)) if request.content else "",
        )


NO_DNS = ("Name or service not known", "nodename nor servname", "Temporary failure in name resolution", "No address associated")
CUT_SHORT = "the target closed the connection before the response was complete"


def _first_line(text: str) -> str:
    return (text.strip().splitlines() or [""])[0][:200]


def describe_transport_error(exc: Exception, timeout: float) -> str:
    """One line for what went wrong on the wire."""
    text = str(exc) or type(exc).__name__
    if isinstance(exc, httpx.TimeoutException):
        return f"no answer within {timeout:g} s (see --timeout)"
    if "CERTIFICATE_VERIFY_FAILED" in text:
        return "its TLS certificate is not trusted (pass --ca-cert FILE, or --insecure to skip verification)"
    if isinstance(exc, httpx.ConnectError):
        if any(marker in text for marker in NO_DNS):
            return "its host name does not resolve (DNS)"
        if "Connection refused" in text:
            return "the connection was refused"
        return f"cannot connect: {_first_line(text)}"
    if isinstance(exc, httpx.RemoteProtocolError):
        return CUT_SHORT
    if isinstance(exc, httpx.DecodingError):
        return _first_line(text)
    return f"{type(exc).__name__}: {_first_line(text)}"


def describe_requests_error(exc: Exception, timeout: float) -> str:
    """The same line for a ``requests`` error (schemathesis sends the property tests' requests with it)."""
    text = str(exc) or type(exc).__name__
    if isinstance(exc, BodyTooLarge):
        return BODY_TOO_LARGE
    if isinstance(exc, requests.exceptions.Timeout):
        return f"no answer within {timeout:g} s (see --timeout)"
    if "CERTIFICATE_VERIFY_FAILED" in text:
        return "its TLS certificate is not trusted (pass --ca-cert FILE, or --insecure to skip verification)"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError) or "RemoteDisconnected" in text or "IncompleteRead" in text:
        return CUT_SHORT
    if isinstance(exc, requests.exceptions.ConnectionError):
        if any(marker in text for marker in NO_DNS):
            return "its host name does not resolve (DNS)"
        if "Connection refused" in text:
            return "the connection was refused"
        if "Connection reset" in text or "Connection aborted" in text:
            return CUT_SHORT
        return f"cannot connect: {_first_line(text)}"
    if isinstance(exc, requests.exceptions.TooManyRedirects):
        return "it answers with redirects (the suite follows none)"
    if isinstance(exc, requests.exceptions.ContentDecodingError):
        return f"the response body cannot be decoded: {_first_line(text)}"
    return f"{type(exc).__name__}: {_first_line(text)}"


class BodyTooLarge(requests.exceptions.RequestException):
    """A response body past MAX_RESPONSE_BYTES: the client stopped reading it."""


class TargetFailure(ConformanceFailure):
    """The target could not be talked to: no HTTP answer to judge."""

    def __init__(self, summary: str, received: str, documented: str, cause: Exception | None = None) -> None:
        super().__init__(summary, received, documented)
        self.cause = cause

    @classmethod
    def from_error(cls, request: httpx.Request, exc: Exception, timeout: float) -> TargetFailure:
        what = describe_transport_error(exc, timeout)
        return cls(f"{request.method} {request.url.path}: {what}", what, "an HTTP response", exc)


class Target:
    """The deployment under test, reached through ``/s/{space}`` when a space is set."""

    def __init__(self, settings: Settings, base_url: str, redactor: Redactor | None = None) -> None:
        self.settings = settings
        self.base_url = base_url.rstrip("/")
        self.space_prefix = f"/s/{settings.space}" if settings.space else ""
        self.redactor = redactor or Redactor(settings.secrets)
        self.recorder = Recorder(self.redactor)
        # Called with (method, url, status, request headers, response body) after every exchange.
        self.observers: list[Callable[[str, str, int | None, dict[str, str], bytes], None]] = []
        # Set by the session: a check that refuses writes (--read-only), a rate limiter (--max-rps).
        self.guard: Callable[[str], None] | None = None
        self.limiter: Any = None
        self.client = httpx.Client(timeout=settings.timeout, verify=self.verify, follow_redirects=False)

    @property
    def verify(self) -> bool | str:
        if self.settings.insecure:
            return False
        return str(self.settings.ca_cert) if self.settings.ca_cert else True

    @property
    def auth_header(self) -> dict[str, str]:
        settings = self.settings
        if settings.api_key:
            return {"Authorization": f"ApiKey {encode_api_key(settings.api_key)}"}
        if settings.username:
            token = base64.b64encode(f"{settings.username}:{settings.password}".encode()).decode()
            return {"Authorization": f"Basic {token}"}
        return {}

    def wrong_auth_header(self, kind: str | None = None) -> dict[str, str]:
        """Wrong credentials of the given kind ("basic", "apikey", or "apikey-clear": id:key not Base64-encoded; default: the configured kind)."""
        kind = kind or ("apikey" if self.settings.api_key else "basic")
        if kind == "apikey-clear":
            return {"Authorization": "ApiKey kct-wrong-id:kct-wrong-key"}
        if kind == "apikey":
            return {"Authorization": "ApiKey " + base64.b64encode(b"kct-wrong-id:kct-wrong-key").decode()}
        user = self.settings.username or "elastic"
        return {"Authorization": "Basic " + base64.b64encode(f"{user}:kct-wrong-password".encode()).decode()}

    def api_url(self, path: str) -> str:
        return f"{self.base_url}{self.space_prefix}{path}"

    def space_url(self, space: str, path: str) -> str:
        return f"{self.base_url}/s/{space}{path}" if space != "default" else f"{self.base_url}{path}"

    def request(
        self,
        method: str,
        path: str,
        *,
        auth: str = "valid",
        xsrf: bool = True,
        headers: dict[str, str] | None = None,
        json_body: Any = None,
        content: bytes | str | None = None,
        space: str | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """Send a request to an API path; ``auth`` is "valid", "none", or "wrong" (optionally "wrong-KIND", a kind of :meth:`wrong_auth_header`).

        A transport problem (refused, timed out, cut off, an oversized body) is raised as a
        :class:`TargetFailure`: one readable line, no traceback.
        """
        sent: dict[str, str] = {}
        if auth == "valid":
            sent.update(self.auth_header)
        elif auth.startswith("wrong"):
            sent.update(self.wrong_auth_header(auth.partition("-")[2] or None))
        if xsrf:
            sent["kbn-xsrf"] = "kibana-conformance"
        if json_body is not None:
            content = json.dumps(json_body)
            sent["content-type"] = "application/json"
        sent.update(headers or {})
        url = self.space_url(space, path) if space else self.api_url(path)
        request = self.client.build_request(method, url, headers=sent, content=content, **kwargs)
        if self.guard is not None:
            self.guard(request.method)
        if self.limiter is not None:
            self.limiter.wait()
        try:
            response = self.client.send(request, stream=True)
            try:
                response._content = self._read_capped(response)  # httpx keeps a read body here
            finally:
                response.close()
        except httpx.HTTPError as exc:
            self._record(request, None, error=describe_transport_error(exc, self.settings.timeout))
            raise TargetFailure.from_error(request, exc, self.settings.timeout) from None
        self._record(request, response)
        return response

    def _read_capped(self, response: httpx.Response) -> bytes:
        """The decoded body, refused past MAX_RESPONSE_BYTES (a huge or endless body, a zip bomb)."""
        chunks, size = [], 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > MAX_RESPONSE_BYTES:
                chunks.clear()  # the exception's traceback keeps this frame (and its locals) alive
                raise httpx.DecodingError(BODY_TOO_LARGE)
            chunks.append(chunk)
        return b"".join(chunks)

    def _record(self, request: httpx.Request, response: httpx.Response | None, error: str | None = None) -> None:
        exchange = self.recorder.request_exchange(request)
        if response is not None:
            exchange.status = response.status_code
            exchange.response_headers = self.redactor.headers(response.headers)
            exchange.response_body = self.redactor.text(_excerpt(response.content))
        exchange.error = error
        self.recorder.record(exchange)
        status, body = (response.status_code, response.content) if response is not None else (None, b"")
        for observe in self.observers:
            observe(request.method, str(request.url), status, dict(request.headers), body)

    def close(self) -> None:
        self.client.close()
