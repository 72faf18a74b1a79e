"""The results of a run, as data: what each test verified, how it ended, what the target answered.

Workers attach a record to each test report (it travels with the report under pytest-xdist);
the controller gathers them into ``results.json``, from which every report is rendered.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from ..catalog import Catalog, load_catalog

CATEGORIES = ("schema", "headers", "auth", "error-envelope", "scenarios", "examples")
FAILURE_TEXT_LIMIT = 6000
# schemathesis prints "curl ..." lines, inside an exception group's "  | " gutter when it found several failures
CURL_LINE = re.compile(r"^[\s|]*(curl .*)$", re.MULTILINE)


@dataclass
class TestRecord:
    __test__ = False  # a record of a test, not a test for pytest to collect
    nodeid: str
    requirement: str
    category: str
    doc: str
    operations: list[str]
    outcome: str = "passed"  # passed, failed, skipped, error, or "baselined" (a failure a baseline accepts)
    duration: float = 0.0
    finished_at: float = 0.0
    skip_reason: str | None = None
    summary: str | None = None
    received: str | None = None
    documented: str | None = None
    failure_text: str | None = None
    reproduction: str | None = None
    exchanges: list[dict[str, Any]] = field(default_factory=list)
    baseline_reason: str | None = None


class Coverage:
    """Which documented statuses and parameters the run exercised, per operation."""

    def __init__(self) -> None:
        self.statuses: dict[str, Counter[str]] = defaultdict(Counter)
        self.parameters: dict[str, Counter[str]] = defaultdict(Counter)

    def record(self, catalog: Catalog, method: str, url: str, status: int | None, headers: dict[str, str]) -> None:
        parts = urlsplit(url)
        path = re.sub(r"^/s/[^/]+", "", parts.path)
        found = catalog.match(method, path)
        if found is None:
            return
        op, path_params = found
        if status is not None:
            self.statuses[op.id][str(status)] += 1
        present = {("path", name) for name in path_params}
        present |= {("query", name) for name, _ in parse_qsl(parts.query, keep_blank_values=True)}
        present |= {("header", name.lower()) for name in headers}
        for param in op.parameters:
            key = (param["in"], param["name"].lower() if param["in"] == "header" else param["name"])
            if key in present:
                self.parameters[op.id][f"{param['in']}.{param['name']}"] += 1

    def as_dict(self) -> dict[str, Any]:
        return {
            op: {"statuses": dict(self.statuses.get(op, {})), "parameters": dict(self.parameters.get(op, {}))}
            for op in sorted(set(self.statuses) | set(self.parameters))
        }

    def merge(self, data: dict[str, Any]) -> None:
        for op, entry in data.items():
            self.statuses[op].update(entry.get("statuses", {}))
            self.parameters[op].update(entry.get("parameters", {}))


def reproduction_from(text: str) -> str | None:
    """The first curl command in a failure text (schemathesis prints one per failure)."""
    found = CURL_LINE.search(text or "")
    return found.group(1).strip() if found else None


def verdict(records: list[TestRecord]) -> str:
    outcomes = Counter(r.outcome for r in records)
    if outcomes["failed"] or outcomes["error"]:
        return "not conformant"
    if not records or outcomes["passed"] + outcomes["baselined"] == 0:
        return "incomplete"
    return "conformant"


def operations_table(catalog: Catalog) -> list[dict[str, Any]]:
    return [
        {
            "id": op.id,
            "method": op.method,
            "path": op.path,
            "area": op.area,
            "title": op.title,
            "statuses": sorted(op.responses),
            "parameters": [f"{p['in']}.{p['name']}" for p in op.parameters],
        }
        for op in catalog
    ]


def build_results(
    records: list[TestRecord],
    coverage: Coverage,
    run: dict[str, Any],
    baseline: dict[str, Any] | None = None,
) -> dict[str, Any]:
    catalog = load_catalog()
    counts = Counter(r.outcome for r in records)
    counts["fixed"] = len((baseline or {}).get("fixed", []))
    return {
        **run,
        "schema_version": catalog.version,
        "verdict": verdict(records),
        "counts": {k: counts.get(k, 0) for k in ("passed", "failed", "error", "skipped", "baselined", "fixed")},
        "categories": list(CATEGORIES),
        "operations": operations_table(catalog),
        "tests": [asdict(r) for r in sorted(records, key=lambda r: r.nodeid)],
        "coverage": coverage.as_dict(),
        "baseline": baseline,
    }


def write_json(path: Path, results: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
