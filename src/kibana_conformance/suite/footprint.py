"""What a run leaves on the target: every write is noted, what can be restored is restored.

Fleet settings and the package policy are read at the start (through a no-op update, the only
way the documented operations allow) and written back at the end. What the documented
operations cannot delete or read back (pipelines, conversations, agent keys, upload actions,
exception items) is listed in the report with its id. Which operation does what is said by its
profile (``profiles.py``).
"""

from __future__ import annotations

import json
import re
import threading
from collections import defaultdict
from typing import Any

import pytest

from ..catalog import Catalog, load_catalog
from ..transport import Exchange, TransportError
from .observed import operation_path
from .profiles import PROFILES
from .resources import Resources
from .target import Target


def _space(url: str) -> str:
    found = re.search(r"/s/([^/]+)/api/", url)
    return found.group(1) if found else "default"


def _json(content: bytes) -> Any:
    try:
        return json.loads(content) if content else None
    except ValueError:
        return None


class Footprint:
    """The resources a process's writes touched: {(kind, space, op, id): count}."""

    def __init__(self, catalog: Catalog | None = None) -> None:
        self.catalog = catalog or load_catalog()
        self.entries: dict[tuple[str, str, str, str], int] = defaultdict(int)
        self.lock = threading.Lock()

    def observe(self, exchange: Exchange) -> None:
        status = exchange.status
        if status is None or not 200 <= status < 300 or exchange.method in ("GET", "HEAD"):
            return
        found = self.catalog.match(exchange.method, operation_path(exchange.url))
        if found is None:
            return
        op, params = found
        profile = PROFILES[op.id]
        body = _json(exchange.response_body)
        if profile.creates:
            ident = (profile.created_id(params, body) if profile.created_id else None) or "(unknown id)"
            key = ("created", _space(exchange.url), op.id, str(ident))
        elif profile.single:
            key = ("modified", "-", op.id, "-")
        elif profile.modifies:
            answered = body if isinstance(body, dict) else {}
            ident = next((params[p] for p in profile.pinned if p in params), None) or answered.get("id") or answered.get("item_id") or "-"
            key = ("modified", _space(exchange.url), op.id, str(ident))
        else:
            return
        with self.lock:
            self.entries[key] += 1

    def as_list(self) -> list[dict[str, Any]]:
        return [
            {"kind": kind, "space": space, "operation": op, "id": ident, "writes": count, "what": PROFILES[op].creates or PROFILES[op].modifies}
            for (kind, space, op, ident), count in sorted(self.entries.items())
        ]

    def merge(self, entries: list[dict[str, Any]]) -> None:
        with self.lock:
            for e in entries:
                self.entries[(e["kind"], e["space"], e["operation"], e["id"])] += e["writes"]


RESTORED = tuple(op_id for op_id, profile in PROFILES.items() if profile.restored)
# What every update changes: not part of what is restored.
VOLATILE_FIELDS = ("version", "revision", "updated_at", "updated_by")


def _request_properties(catalog: Catalog, op_id: str) -> dict[str, Any]:
    op = catalog.get(op_id)
    schema = op.raw["$defs"]["request-legacy" if "request-legacy" in op.raw["$defs"] else "request"]
    return schema.get("properties", {})


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


def _item(response: Any) -> dict[str, Any] | None:
    body = _json(response.content)
    item = body.get("item") if isinstance(body, dict) else None
    return item if isinstance(item, dict) else None


class Restorer:
    """Reads what the suite will change before the run and writes it back after."""

    def __init__(self, target: Target, prefix: str, resources: Resources) -> None:
        self.target = target
        self.prefix = prefix
        self.resources = resources
        self.saved: dict[str, dict[str, Any]] = {}
        self.unread: dict[str, str] = {}

    def capture(self, only: tuple[str, ...] = RESTORED) -> None:
        catalog = load_catalog()
        for op_id in only:
            op = catalog.get(op_id)
            if not self.target.settings.selects(op.id, op.area):
                continue  # no selected test writes it: leave it alone (the no-op update still bumps its version)
            try:
                response = PROFILES[op_id].valid_request(self.prefix, self.resources).send(self.target)
            except TransportError as exc:
                self.unread[op_id] = exc.what
                continue
            except pytest.skip.Exception as skipped:  # the resource is not named, or missing on the target
                self.unread[op_id] = str(skipped.msg)
                continue
            item = _item(response) if response.status_code == 200 else None
            if item is not None:
                self.saved[op_id] = item
            else:
                self.unread[op_id] = f"answered {response.status_code}" + ("" if response.status_code != 200 else " without an item object")

    def restore(self) -> list[dict[str, Any]]:
        """Write the saved values back; one outcome per resource, with the fields still different."""
        catalog = load_catalog()
        outcomes = [
            {"operation": op_id, "id": "-", "restored": False, "detail": f"not read before the run ({why}): not restored", "left": [], "unverified": []}
            for op_id, why in self.unread.items()
        ]
        for op_id, item in self.saved.items():
            properties = _request_properties(catalog, op_id)
            fields = {k: v for k, v in item.items() if k in properties and k not in VOLATILE_FIELDS}
            # Unconditional (no stale `version`), and through whatever the run made of it: the
            # tests may have left the policy managed, which only `force` may change.
            if "force" in properties:
                fields["force"] = True
            left: list[str] = []
            try:
                response = PROFILES[op_id].valid_request(self.prefix, self.resources).with_body(fields).send(self.target)
                restored = response.status_code == 200
                detail = "" if restored else f"answered {response.status_code}"
                after = _item(response) if restored else None
                if restored:
                    left = differences(item, after or {})
                    if left:
                        restored = False
                        detail = "written back, but some fields still differ (an update cannot remove a field the run added)"
            except TransportError as exc:
                restored, detail = False, exc.what
            except pytest.skip.Exception as skipped:
                restored, detail = False, str(skipped.msg)
            unverified = [f for f in PROFILES[op_id].unverifiable if f in item and f not in left]
            outcomes.append(
                {"operation": op_id, "id": item.get("id", "-"), "restored": restored, "detail": detail, "left": left, "unverified": unverified}
            )
        return outcomes
