"""Osquery live queries and their results, per space.

A live query runs one or more queries (actions) on a set of agents; each agent's answer
lands as documents in the ``logs-osquery_manager.result-*`` data stream. The results API
searches those documents: filter by KQL, sort by a field, page.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import re
from collections.abc import Iterator
from typing import Any

from ..errors import not_found
from ..state import Backend, iso

LIVE_QUERY_ID = "3c42c847-eb30-4452-80e0-728584042334"
LISTENING_PORTS_ACTION = "609c4c66-ba3d-43fa-afdd-53e244577aa0"
UPTIME_ACTION = "b6f5a3a0-2f6e-4b53-9d7e-0c1f4e8a2d11"
LISTENING_PORTS_SQL = "select p.name, l.pid, l.port, l.protocol, l.family, l.address, l.path from listening_ports l join processes p using (pid);"
RESULTS_INDEX = ".ds-logs-osquery_manager.result-default-2024.05.14-000001"
LIVE_QUERY_STARTED_MS = 1715678466921  # 2024-05-14T09:21:06.921Z

# Per agent: id, host name, milliseconds after the start when it answered, the services
# it listens on as (process, port, protocol) and its unix sockets as (process, path).
SSHD, NODE_EXPORTER, AGENT_PORT = ("sshd", "22", "6"), ("node_exporter", "9100", "6"), ("elastic-agent", "6789", "6")
NGINX = [("nginx", "80", "6"), ("nginx", "443", "6")]
AGENT_SOCKET, JOURNAL = ("elastic-agent", "/run/elastic-agent.sock"), ("systemd-journal", "/run/systemd/journal/stdout")
DBUS = ("dbus-daemon", "/run/dbus/system_bus_socket")
AGENTS: list[tuple[str, str, int, list[tuple[str, str, str]], list[tuple[str, str]]]] = [
    (
        "a5a3b1d6-7d0e-4f0c-9a55-1f1c4c1f3e01",
        "web-prod-01",
        561,
        [SSHD, *NGINX, NODE_EXPORTER, AGENT_PORT],
        [AGENT_SOCKET, JOURNAL, DBUS, ("nginx", "/run/nginx/status.sock"), ("containerd", "/run/containerd/containerd.sock")],
    ),
    (
        "0f6e2c8b-3d41-4b7a-8e92-6c5d7a1b2e02",
        "web-prod-02",
        1194,
        [SSHD, *NGINX, NODE_EXPORTER, AGENT_PORT],
        [AGENT_SOCKET, JOURNAL, DBUS, ("nginx", "/run/nginx/status.sock")],
    ),
    (
        "7c19d4e5-52af-4e3b-b1d0-9f8a6e4c3d03",
        "db-prod-01",
        3009,
        [SSHD, ("postgres", "5432", "6"), ("pgbouncer", "6432", "6"), NODE_EXPORTER, ("postgres_exporter", "9187", "6"), AGENT_PORT],
        [AGENT_SOCKET, JOURNAL, ("postgres", "/var/run/postgresql/.s.PGSQL.5432"), ("pgbouncer", "/var/run/postgresql/.s.PGSQL.6432")],
    ),
    (
        "e2b84f17-9c63-4d25-a7f8-1b0c5d9e6f04",
        "bastion-01",
        5683,
        [SSHD, NODE_EXPORTER, AGENT_PORT, ("chronyd", "323", "17")],
        [AGENT_SOCKET, JOURNAL, DBUS, ("sshd", "/run/sshd/agent.sock")],
    ),
]

MISSING = object()
KQL_TERM = re.compile(r'^([^\s:()"]+)\s*:\s*(?:"((?:[^"\\]|\\.)*)"|([^\s"()]+))$')
# Matched on whitespace-collapsed text: "\s+and\s+" on a long run of spaces backtracks quadratically.
KQL_AND = re.compile(r" and ", re.IGNORECASE)


def _doc_id(action_id: str, n: int) -> str:
    """A 20-character id like the ones Elasticsearch generates, stable across resets."""
    return base64.urlsafe_b64encode(hashlib.sha1(f"{action_id}/{n}".encode()).digest()).decode()[:20]


def _flatten(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _flatten(child, f"{prefix}{key}.")
    else:
        yield prefix.rstrip("."), value


def _result_row(action_id: str, n: int, agent_id: str, host: str, answered_ms: int, columns: dict[str, str]) -> dict[str, Any]:
    timestamp = iso(LIVE_QUERY_STARTED_MS + answered_ms)
    source = {
        "@timestamp": timestamp,
        "createdAt": timestamp,
        "action_id": action_id,
        "agent": {"id": agent_id, "name": host},
        "host": {"hostname": host},
        "osquery": columns,
    }
    # Elasticsearch's `fields` section: every leaf as a dotted name with an array of values.
    fields = {name: [value] for name, value in _flatten(source)}
    return {"_id": _doc_id(action_id, n), "_index": RESULTS_INDEX, "fields": fields, "_source": source}


def _listening_ports_rows() -> list[dict[str, Any]]:
    rows = []
    for agent_index, (agent_id, host, answered_ms, services, sockets) in enumerate(AGENTS):
        columns = []
        for service_index, (process, port, protocol) in enumerate(services):
            pid = str(600 + 131 * agent_index + 17 * service_index)
            for family, address in (("2", "0.0.0.0"), ("10", "::")):
                columns.append({"pid": pid, "name": process, "port": port, "protocol": protocol, "family": family, "address": address})
        for socket_index, (process, path) in enumerate(sockets):
            pid = str(1 + 97 * agent_index + 23 * socket_index)
            columns.append({"pid": pid, "name": process, "port": "0", "protocol": "0", "family": "1", "path": path})
        first = len(rows)
        rows.extend(_result_row(LISTENING_PORTS_ACTION, first + i, agent_id, host, answered_ms, c) for i, c in enumerate(columns))
    return rows


def _uptime_rows() -> list[dict[str, Any]]:
    rows = []
    for n, (agent_id, host, answered_ms, _, _) in enumerate(AGENTS):
        total = 86400 * (3 + 11 * n) + 3600 * (5 + n) + 60 * (17 + 7 * n) + 9 * n
        columns = {
            "days": str(total // 86400),
            "hours": str(total % 86400 // 3600),
            "minutes": str(total % 3600 // 60),
            "seconds": str(total % 60),
            "total_seconds": str(total),
        }
        rows.append(_result_row(UPTIME_ACTION, n, agent_id, host, answered_ms - 40, columns))
    return rows


def _lookup(document: Any, path: str) -> Any:
    """A field by dotted path; a key that itself contains dots (``@timestamp``, ``osquery.port``) also matches."""
    if not isinstance(document, dict):
        return MISSING
    if path in document:
        return MISSING if document[path] is None else document[path]
    for cut in (i for i, char in enumerate(path) if char == "."):
        head = document.get(path[:cut])
        if isinstance(head, dict):
            found = _lookup(head, path[cut + 1 :])
            if found is not MISSING:
                return found
    return MISSING


def _as_text(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def _sort_key(value: Any) -> tuple[int, float, str]:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (0, float(value), "")
    return (1, 0.0, _as_text(value))


def _field_matches(value: Any, expected: str | None) -> bool:
    if value is MISSING:
        return False
    if expected is None:  # `field:*`
        return True
    values = value if isinstance(value, list) else [value]
    return any(_as_text(v) == expected for v in values)


def _kql_filter(kuery: str) -> list[tuple[str, str | None]] | None:
    """`field:value` terms joined by `and`, or None when the kuery is anything else."""
    terms = []
    for term in KQL_AND.split(" ".join(kuery.split())):
        match = KQL_TERM.match(term)
        if match is None:
            return None
        field, quoted, bare = match.groups()
        if quoted is not None:
            terms.append((field, re.sub(r"\\(.)", r"\1", quoted)))
        else:
            terms.append((field, None if bare == "*" else bare))
    return terms


def _matching(rows: list[dict[str, Any]], kuery: str) -> list[dict[str, Any]]:
    terms = _kql_filter(kuery)
    if terms is not None:
        return [row for row in rows if all(_field_matches(_lookup(row["_source"], f), v) for f, v in terms)]
    # Not the KQL this mock understands: search the text in every value rather than fail.
    needle = kuery.lower()
    return [row for row in rows if any(needle in _as_text(v).lower() for _, v in _flatten(row["_source"]))]


def _sorted(rows: list[dict[str, Any]], field: str, descending: bool) -> list[dict[str, Any]]:
    """Sorted by one field, ties by `_id`; rows without the field come last, as in Elasticsearch."""
    present: list[tuple[Any, dict[str, Any]]] = []
    missing: list[dict[str, Any]] = []
    for row in sorted(rows, key=lambda row: row["_id"]):
        value = _lookup(row["_source"], field)
        if value is MISSING:
            missing.append(row)
        else:
            present.append((value, row))
    present.sort(key=lambda pair: _sort_key(pair[0]), reverse=descending)
    return [row for _, row in present] + missing


class OsqueryBackend(Backend):
    area = "osquery"

    @classmethod
    def seed(cls, space: str) -> dict[str, Any]:
        return {
            "live_queries": {
                LIVE_QUERY_ID: {
                    "action_id": LIVE_QUERY_ID,
                    "user_id": "elastic",
                    "@timestamp": iso(LIVE_QUERY_STARTED_MS),
                    "agents": [agent[0] for agent in AGENTS],
                    "queries": {
                        LISTENING_PORTS_ACTION: {"id": "listening_ports", "query": LISTENING_PORTS_SQL, "results": _listening_ports_rows()},
                        UPTIME_ACTION: {"id": "uptime", "query": "select * from uptime;", "results": _uptime_rows()},
                    },
                }
            }
        }

    def results(
        self, live_query_id: str, action_id: str, *, kuery: str | None, page: int, page_size: int, sort: str, descending: bool
    ) -> dict[str, Any]:
        live_query = self.data["live_queries"].get(live_query_id)
        if live_query is None:
            raise not_found(f"Live query {live_query_id} not found")
        query = live_query["queries"].get(action_id)
        # The action id only filters the results (Kibana never looks it up): an unknown one has none.
        rows = query["results"] if query is not None else []
        if kuery and kuery.strip():
            rows = _matching(rows, kuery.strip())
        rows = _sorted(rows, sort, descending)
        start = (page - 1) * page_size
        edges = rows[start : start + page_size] if page_size > 0 else []
        return {"data": {"total": len(rows), "edges": copy.deepcopy(edges)}}
