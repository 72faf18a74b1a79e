"""What a run observes besides test outcomes: the coverage of documented statuses, parameters and
request fields, and the known divergences met while a test ran. Fed by the wire's observers and
the checks; merged across pytest-xdist workers.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from ..catalog import Catalog, KnownDivergence, Operation
from ..contract import DivergencePolicy, ResponseVerdict, check_response
from ..transport import Exchange


def operation_path(url: str) -> str:
    """The API path of a URL, without its base path or space prefix."""
    path = urlsplit(url).path
    found = re.search(r"(?:/s/[^/]+)?(/api/.*)$", path)
    return found.group(1) if found else path


class Coverage:
    """Which documented statuses, parameters and top-level request fields the run exercised, per operation."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.statuses: dict[str, Counter[str]] = defaultdict(Counter)
        self.parameters: dict[str, Counter[str]] = defaultdict(Counter)
        self.fields: dict[str, Counter[str]] = defaultdict(Counter)
        self.generated: Counter[str] = Counter()
        self._lock = threading.Lock()

    def observe(self, exchange: Exchange) -> None:
        found = self.catalog.match(exchange.method, operation_path(exchange.url))
        if found is None:
            return
        op, path_params = found
        parts = urlsplit(exchange.url)
        present = {("path", name) for name in path_params}
        present |= {("query", name) for name, _ in parse_qsl(parts.query, keep_blank_values=True)}
        present |= {("header", name.lower()) for name, _ in exchange.request_headers}
        fields = _body_fields(exchange)
        with self._lock:
            if exchange.status is not None:
                self.statuses[op.id][str(exchange.status)] += 1
            for param in op.parameters:
                key = (param["in"], param["name"].lower() if param["in"] == "header" else param["name"])
                if key in present:
                    self.parameters[op.id][f"{param['in']}.{param['name']}"] += 1
            for name in fields:
                self.fields[op.id][name] += 1

    def count_generated(self, operation_id: str) -> None:
        with self._lock:
            self.generated[operation_id] += 1

    def as_dict(self) -> dict[str, Any]:
        ops = sorted(set(self.statuses) | set(self.parameters) | set(self.fields))
        return {
            op: {"statuses": dict(self.statuses.get(op, {})), "parameters": dict(self.parameters.get(op, {})), "fields": dict(self.fields.get(op, {}))}
            for op in ops
        }

    def merge(self, data: dict[str, Any]) -> None:
        with self._lock:
            for op, entry in data.items():
                self.statuses[op].update(entry.get("statuses", {}))
                self.parameters[op].update(entry.get("parameters", {}))
                self.fields[op].update(entry.get("fields", {}))


def _body_fields(exchange: Exchange) -> list[str]:
    """The top-level field names of a JSON or multipart request body."""
    content_type = dict((k.lower(), v) for k, v in exchange.request_headers).get("content-type", "")
    if "json" in content_type:
        try:
            body = json.loads(exchange.request_body or b"null")
        except ValueError:
            return []
        return [str(k) for k in body] if isinstance(body, dict) else []
    if "multipart/form-data" in content_type:
        return sorted({name.decode(errors="replace") for name in re.findall(rb'name="([^"]+)"', exchange.request_body)})
    return []


class Divergences:
    """Known divergences (Kibana's recorded behaviour where the document says otherwise) met by the running test, per thread,
    and which of them the run accepts (``version`` gives the target's Kibana version once the preflight has read it)."""

    def __init__(self, version: Callable[[], str | None] = lambda: None, today: dt.date | None = None) -> None:
        self._version = version
        self.today = today
        self._local = threading.local()

    @property
    def policy(self) -> DivergencePolicy:
        return DivergencePolicy(self._version(), self.today)

    def start(self) -> None:
        self._local.items = []

    def note(self, divergence: KnownDivergence) -> None:
        items = getattr(self._local, "items", None)
        if items is None:
            items = self._local.items = []
        if all((existing["operation"], existing["decision"]) != (divergence.operation, divergence.decision) for existing in items):
            items.append(divergence.as_dict())

    def take(self) -> list[dict[str, Any]]:
        items = getattr(self._local, "items", [])
        self._local.items = []
        return items


def judge_response(op: Operation, status: int, content_type: str | None, content: bytes, notes: Divergences | None) -> ResponseVerdict:
    """:func:`contract.check_response` with the run's divergence policy; the accepted divergences the answer shows are noted."""
    verdict = check_response(op, status, content_type, content, notes.policy if notes is not None else None)
    if notes is not None:
        for divergence in verdict.divergences:
            notes.note(divergence)
    return verdict
