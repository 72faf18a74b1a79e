"""What a run leaves on the target: every write is noted, what can be restored is restored.

Fleet settings and the package policy are read at the start (through a no-op update, the only
way the documented operations allow) and written back at the end. What the documented
operations cannot delete or read back (pipelines, conversations, agent keys, upload actions,
exception items) is listed in the report with its id.
"""

from __future__ import annotations

import json
import re
import threading
from collections import defaultdict
from typing import Any
from urllib.parse import unquote, urlsplit

from ..catalog import Catalog, load_catalog
from .requests import valid_request
from .target import Target, TargetFailure

# What a successful write of each operation leaves behind, and how it is named.
CREATES = {
    "put-logstash-pipeline-id": "Logstash pipeline",
    "post-security-ai-assistant-current-user-conversations": "AI Assistant conversation",
    "post-apm-agent-keys": "APM agent key (an Elasticsearch API key: invalidate it with the security API)",
    "post-endpoint-action-upload": "endpoint upload action",
}
MODIFIES = {
    "put-exception-lists-items": "exception list item (no documented operation reads it back)",
    "put-fleet-settings": "Fleet settings",
    "put-fleet-package-policies-packagepolicyid": "package policy",
}
RESTORED = ("put-fleet-settings", "put-fleet-package-policies-packagepolicyid")


def _space(path: str) -> str:
    found = re.match(r"^/s/([^/]+)/", path)
    return found.group(1) if found else "default"


def _created_id(op_id: str, path_params: dict[str, str], body: Any) -> str | None:
    if op_id == "put-logstash-pipeline-id":
        return unquote(path_params.get("id", ""))
    if not isinstance(body, dict):
        return None
    if op_id == "post-apm-agent-keys":
        return (body.get("agentKey") or {}).get("id")
    if op_id == "post-endpoint-action-upload":
        return (body.get("data") or {}).get("id")
    return body.get("id")


class Footprint:
    """The resources a process's writes touched: {(kind, space, op, id): count}."""

    def __init__(self, catalog: Catalog | None = None) -> None:
        self.catalog = catalog or load_catalog()
        self.entries: dict[tuple[str, str, str, str], int] = defaultdict(int)
        self.lock = threading.Lock()

    def observe(self, method: str, url: str, status: int | None, body: bytes) -> None:
        if status is None or not 200 <= status < 300 or method.upper() in ("GET", "HEAD"):
            return
        path = urlsplit(url).path
        found = self.catalog.match(method, re.sub(r"^/s/[^/]+", "", path))
        if found is None:
            return
        op, params = found
        try:
            parsed = json.loads(body) if body else None
        except ValueError:
            parsed = None
        if op.id in CREATES:
            key = ("created", _space(path), op.id, _created_id(op.id, params, parsed) or "(unknown id)")
        elif op.id in MODIFIES:
            ident = params.get("packagePolicyId") or (parsed or {}).get("id") or (parsed or {}).get("item_id") or "-"
            key = ("modified", _space(path) if op.id != "put-fleet-settings" else "-", op.id, ident)
        else:
            return
        with self.lock:
            self.entries[key] += 1

    def as_list(self) -> list[dict[str, Any]]:
        return [
            {"kind": kind, "space": space, "operation": op, "id": ident, "writes": count, "what": CREATES.get(op) or MODIFIES.get(op)}
            for (kind, space, op, ident), count in sorted(self.entries.items())
        ]

    def merge(self, entries: list[dict[str, Any]]) -> None:
        for e in entries:
            self.entries[(e["kind"], e["space"], e["operation"], e["id"])] += e["writes"]


def _request_properties(catalog: Catalog, op_id: str) -> dict[str, Any]:
    op = catalog.get(op_id)
    schema = op.raw["$defs"]["request-legacy" if "request-legacy" in op.raw["$defs"] else "request"]
    return schema.get("properties", {})


def _request_fields(catalog: Catalog, op_id: str, item: dict[str, Any]) -> dict[str, Any]:
    """The stored values a request of the operation may set (legacy shape for package policies)."""
    properties = _request_properties(catalog, op_id)
    return {k: v for k, v in item.items() if k in properties}


# What every update changes: not part of what is restored.
VOLATILE_FIELDS = ("version", "revision", "updated_at", "updated_by")
# Fields whose content the documented responses leave out (a package policy's variables are
# {type, frozen}, without their values): what the run set there can be neither read back nor
# put back, so it is reported as unverified.
UNVERIFIABLE = {"put-fleet-package-policies-packagepolicyid": ("inputs", "vars")}


def differences(before: Any, after: Any, path: str = "") -> list[str]:
    """The dotted paths where ``after`` differs from ``before`` (objects compared key by key)."""
    if isinstance(before, dict) and isinstance(after, dict):
        found: list[str] = []
        for key in sorted(set(before) | set(after), key=str):
            if not path and key in VOLATILE_FIELDS:
                continue
            here = f"{path}.{key}" if path else str(key)
            if key not in before or key not in after:
                found.append(here)
            else:
                found += differences(before[key], after[key], here)
        return found
    return [] if before == after else [path or "(the whole item)"]


class Restorer:
    """Reads what the suite will change before the run and writes it back after."""

    def __init__(self, target: Target, prefix: str) -> None:
        self.target = target
        self.prefix = prefix
        self.saved: dict[str, dict[str, Any]] = {}
        self.unread: dict[str, str] = {}

    def capture(self, only: tuple[str, ...] = RESTORED) -> None:
        catalog = load_catalog()
        for op_id in only:
            op = catalog.get(op_id)
            if not self.target.settings.selects(op.id, op.area):
                continue  # no selected test writes it: leave it alone (the no-op update still bumps its version)
            request = valid_request(op_id, self.prefix)
            try:
                response = request.send(self.target)
            except TargetFailure as exc:
                self.unread[op_id] = exc.received
                continue
            if response.status_code == 200:
                self.saved[op_id] = response.json().get("item", {})
            else:
                self.unread[op_id] = f"answered {response.status_code}"

    def restore(self) -> list[dict[str, Any]]:
        """Write the saved values back; one outcome per resource, with the fields still different."""
        catalog = load_catalog()
        outcomes = [
            {"operation": op_id, "id": "-", "restored": False, "detail": f"not read before the run ({why}): not restored", "left": [], "unverified": []}
            for op_id, why in self.unread.items()
        ]
        for op_id, item in self.saved.items():
            fields = {k: v for k, v in _request_fields(catalog, op_id, item).items() if k not in VOLATILE_FIELDS}
            # Unconditional (no stale `version`), and through whatever the run made of it: the
            # tests may have left the policy managed, which only `force` may change.
            if "force" in _request_properties(catalog, op_id):
                fields["force"] = True
            request = valid_request(op_id, self.prefix).with_body(fields)
            left: list[str] = []
            try:
                response = request.send(self.target)
                restored = response.status_code == 200
                detail = "" if restored else f"answered {response.status_code}"
                if restored:
                    body = response.json() if response.content else {}
                    left = differences(item, body.get("item", {}) if isinstance(body, dict) else {})
                    if left:
                        restored = False
                        detail = "written back, but some fields still differ (an update cannot remove a field the run added)"
            except (TargetFailure, ValueError) as exc:
                restored, detail = False, getattr(exc, "received", str(exc))
            unverified = [f for f in UNVERIFIABLE.get(op_id, ()) if f in item and f not in left]
            outcomes.append(
                {"operation": op_id, "id": item.get("id", "-"), "restored": restored, "detail": detail, "left": left, "unverified": unverified}
            )
        return outcomes
