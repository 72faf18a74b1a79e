"""Every exchange of a run as HAR 1.2 (``exchanges.har``): built from :class:`~kibana_conformance.transport.Exchange`,
spooled to a spill file while the run lasts (memory stays flat), merged from the pytest-xdist
workers and written through the redaction point at the end.

Each entry carries custom fields: ``_id`` (unique in the run, what a failure in the report points
to), ``_nodeid`` and ``_requirement`` (the test that sent it), ``_credentials`` (whose credentials
the Authorization header carried: ``run``, ``principal NAME``, ``wrong KIND`` or ``other``; absent
without one), ``_attempts``, ``_error`` (a transport problem: no answer) and ``_truncated`` (a body
longer than ``BODY_LIMIT`` is cut; its original size stays in ``bodySize`` / ``content.size``).

Recording is cheap: credential headers are replaced when the entry is built, and the line goes to
the spill file as it is. The spill files live in a private folder (:func:`spill_folder`, mode 0700,
outside the report folder, removed at the end of the run), with the secrets each process learnt;
the final file is redacted once, line by line, by a redactor that knows every secret of the run.
"""

from __future__ import annotations

import base64
import heapq
import json
import os
import shutil
import tempfile
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from .redaction import REDACTED, SECRET_HEADERS, Redactor, is_secret_parameter
from .transport import Exchange

BODY_LIMIT = Exchange.BODY_KEPT
MAX_ENTRIES = 50_000  # per process
MAX_SPOOL_BYTES = 200_000_000  # per process
SPOOL_SUFFIX = ".jsonl"
SECRETS_SUFFIX = ".secrets"
DROPPED_SUFFIX = ".dropped"


def _content_type(headers: list[tuple[str, str]]) -> str:
    return next((v for k, v in headers if k.lower() == "content-type"), "")


def _secret_value(value: str) -> str:
    """A credential header's value without the credential; its scheme (Basic, ApiKey, Bearer) stays, for the traffic checks."""
    scheme, sep, _ = value.strip().partition(" ")
    return f"{scheme} {REDACTED}" if sep and scheme.isalpha() and len(scheme) <= 20 else REDACTED


def scrub_headers(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Headers as a HAR entry keeps them: every credential header's value replaced (its scheme kept)."""
    return [(k, _secret_value(v) if k.lower() in SECRET_HEADERS else v) for k, v in headers]


def _headers(headers: list[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"name": k, "value": v} for k, v in scrub_headers(headers)]


def _text(content: bytes) -> tuple[str, str | None]:
    """The body as text, or as Base64 (with the encoding named) when it is not UTF-8."""
    try:
        return content.decode("utf-8"), None
    except UnicodeDecodeError:
        return base64.b64encode(content).decode(), "base64"


def credentials_label(headers: list[tuple[str, str]], credentials: dict[str, str]) -> str | None:
    """Whose credentials a request carried (``credentials`` maps Authorization values to names); None without any."""
    value = next((v for k, v in headers if k.lower() == "authorization"), None)
    return None if value is None else credentials.get(value.strip(), "other")


def entry(exchange: Exchange, har_id: str, credentials: dict[str, str] | None = None) -> dict[str, Any]:
    """One HAR 1.2 entry (credential headers replaced; the rest is redacted where it is written)."""
    split = urlsplit(exchange.url)
    request: dict[str, Any] = {
        "method": exchange.method,
        "url": exchange.url,
        "httpVersion": "HTTP/1.1",
        "cookies": [],
        "headers": _headers(exchange.request_headers),
        "queryString": [{"name": k, "value": REDACTED if is_secret_parameter(k) else v} for k, v in parse_qsl(split.query, keep_blank_values=True)],
        "headersSize": -1,
        "bodySize": exchange.request_size,
    }
    truncated = exchange.request_size > len(exchange.request_body) or exchange.response_size > len(exchange.response_body)
    if exchange.request_body or exchange.request_size:
        text, encoding = _text(exchange.request_body)
        request["postData"] = {"mimeType": _content_type(exchange.request_headers), "text": text, **({"_encoding": encoding} if encoding else {})}
    content: dict[str, Any] = {"size": exchange.response_size, "mimeType": _content_type(exchange.response_headers)}
    if exchange.response_body:
        text, encoding = _text(exchange.response_body)
        content.update(text=text, **({"encoding": encoding} if encoding else {}))
    ms = round(exchange.duration * 1000, 3)
    found: dict[str, Any] = {
        "startedDateTime": datetime.fromtimestamp(exchange.started, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "time": ms,
        "request": request,
        "response": {
            "status": exchange.status or 0,
            "statusText": exchange.reason,
            "httpVersion": exchange.http_version,
            "cookies": [],
            "headers": _headers(exchange.response_headers),
            "content": content,
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": exchange.response_size if exchange.status is not None else -1,
        },
        "cache": {},
        "timings": {"send": 0, "wait": ms, "receive": 0},
        "_id": har_id,
        "_nodeid": exchange.test,
        "_requirement": exchange.requirement,
        "_attempts": exchange.attempts,
    }
    label = credentials_label(exchange.request_headers, credentials or {})
    if label is not None:
        found["_credentials"] = label
    if exchange.error:
        found["_error"] = exchange.error
    if truncated:
        found["_truncated"] = True
    return found


@dataclass
class SpoolInfo:
    path: str | None
    count: int
    dropped: int


def spill_folder() -> Path:
    """A private folder for a run's spill files (they hold exchanges not yet redacted): mode 0700, outside the report folder."""
    return Path(tempfile.mkdtemp(prefix="kct-har-"))


def _private(path: Path) -> Any:
    """A file only this user can read, for appending, a line at a time (a process stopped hard loses no entry)."""
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "a", encoding="utf-8", buffering=1)


class HarSpool:
    """The exchanges one process observes, one JSON line each in a spill file of ``folder`` (:func:`spill_folder`),
    and beside it the secrets ``redactor`` learns meanwhile (the final redaction needs them, even from a process
    that was stopped)."""

    def __init__(self, folder: Path, redactor: Redactor, label: str, credentials: dict[str, str] | None = None) -> None:
        self.folder = folder
        self.redactor = redactor
        self.label = label
        self.credentials = credentials or {}
        self.count = 0
        self.dropped = 0
        self._bytes = 0
        self._file: Any = None
        self._secrets: set[str] = set()
        stem = folder / f"{label}-{os.getpid()}"
        self.path = stem.with_suffix(SPOOL_SUFFIX)
        self._secrets_path = stem.with_suffix(SECRETS_SUFFIX)
        self._lock = threading.Lock()

    def observe(self, exchange: Exchange) -> None:
        with self._lock:
            if self.redactor.count != len(self._secrets):
                self._keep_secrets()
            if self.count >= MAX_ENTRIES or self._bytes >= MAX_SPOOL_BYTES:
                self.dropped += 1
                return
            har_id = f"{self.label}-{self.count + 1}"
            line = json.dumps(entry(exchange, har_id, self.credentials), ensure_ascii=False) + "\n"
            try:
                if self._file is None:
                    self._file = _private(self.path)
                self._file.write(line)
            except OSError:
                self.dropped += 1
                return
            self.count += 1
            self._bytes += len(line)
            exchange.har_id = har_id

    def _keep_secrets(self) -> None:
        new = [s for s in self.redactor.secrets if s not in self._secrets]
        try:
            with _private(self._secrets_path) as handle:
                handle.write("".join(json.dumps(s) + "\n" for s in new))
        except OSError:
            return
        self._secrets.update(new)

    def close(self) -> SpoolInfo:
        with self._lock:
            self._keep_secrets()
            if self._file is not None:
                self._file.close()
                self._file = None
            if self.dropped:
                try:
                    with _private(self.path.with_suffix(DROPPED_SUFFIX)) as handle:
                        handle.write(f"{self.dropped}\n")
                except OSError:
                    pass
            return SpoolInfo(str(self.path) if self.count else None, self.count, self.dropped)


def _complete_lines(path: Path) -> Iterator[str]:
    """The lines of a file but a last one cut short (a process stopped while writing it)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                if line.endswith("\n") and line.strip():
                    yield line[:-1]
    except OSError:
        return


def spools_in(folder: Path, redactor: Redactor) -> list[SpoolInfo]:
    """Every process's spill file in ``folder``, counted, those of processes stopped before they reported
    included; the secrets they learnt are added to ``redactor``."""
    for path in sorted(folder.glob(f"*{SECRETS_SUFFIX}")):
        for line in _complete_lines(path):
            try:
                redactor.add(json.loads(line))
            except (ValueError, TypeError):
                continue
    spools = []
    for path in sorted(folder.glob(f"*{SPOOL_SUFFIX}")):
        dropped = sum(int(n) for n in _complete_lines(path.with_suffix(DROPPED_SUFFIX)) if n.strip().isdigit())
        spools.append(SpoolInfo(str(path), sum(1 for _ in _complete_lines(path)), dropped))
    return spools


def _lines(path: str) -> Iterator[tuple[str, str]]:
    for line in _complete_lines(Path(path)):
        started = line[line.find('"startedDateTime": "') + 20 :][:24]
        yield started, line


def render(spools: Iterable[SpoolInfo], version: str, wanted: set[str], found: dict[str, int]) -> Iterator[str]:
    """The HAR file, entry by entry (oldest first); ``found`` gets the index of each ``_id`` in ``wanted``."""
    spools = list(spools)
    count = sum(s.count for s in spools)
    dropped = sum(s.dropped for s in spools)
    comment = (
        f"kibana-conformance: every exchange of the run ({count} entries). Bodies past {BODY_LIMIT // 1024} KiB are cut "
        f"(_truncated: true; bodySize and content.size keep the original size). At most {MAX_ENTRIES} entries per process are kept"
        + (f"; {dropped} later entries were not kept." if dropped else "; none was dropped.")
        + " Credentials and issued secrets are redacted."
    )
    head = {"version": "1.2", "creator": {"name": "kibana-conformance", "version": version}, "comment": comment}
    yield '{"log": ' + json.dumps(head, ensure_ascii=False)[:-1] + ', "entries": [\n'
    merged = heapq.merge(*(_lines(s.path) for s in spools if s.path), key=lambda pair: pair[0])
    for index, (_, line) in enumerate(merged):
        if wanted:
            marker = line.find('"_id": "')
            har_id = line[marker + 8 : line.find('"', marker + 8)] if marker >= 0 else ""
            if har_id in wanted:
                found[har_id] = index
        yield (",\n" if index else "") + line
    yield "\n]}}\n"


def remove(folder: Path) -> None:
    """The spill folder and everything in it."""
    shutil.rmtree(folder, ignore_errors=True)
