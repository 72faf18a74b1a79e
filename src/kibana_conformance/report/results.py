"""The results of a run, as data: what each test verified, how it ended, what the target answered.

Pure functions from records to the ``results.json`` document every report is rendered from.
Outcomes: ``passed``, ``failed`` (the target broke a stated requirement), ``error`` (the suite
could not judge: a transport failure after retries, or an exception of its own), ``skipped``
(a precondition is missing, with the reason), ``baselined`` (a failure a baseline accepts) and
``divergent`` (Kibana's recorded behaviour where the document says otherwise).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..catalog import Catalog, load_catalog
from .coverage import summarize

CATEGORIES = ("schema", "headers", "auth", "authorization", "error-envelope", "scenarios", "examples")
OUTCOMES = ("passed", "failed", "error", "skipped", "baselined", "divergent")
COUNTED = (*OUTCOMES, "fixed")
VERDICTS = ("conformant", "not conformant", "incomplete", "insufficient coverage", "interrupted", "internal error")
# A conformant run whose coverage is below --min-coverage: nothing failed, but too little was exercised.
INSUFFICIENT_COVERAGE = "insufficient coverage"
FAILURE_TEXT_LIMIT = 6000
# schemathesis prints "curl ..." lines, inside an exception group's "  | " gutter when it found several failures
CURL_LINE = re.compile(r"^[\s|]*(curl .*)$", re.MULTILINE)


# What a rerun of the failures (run --last-failed, replay --failed) takes: a test that did not pass.
NOT_PASSED = ("failed", "error", "baselined")


class ResultsFileError(ValueError):
    """A results.json that cannot be read back (one line, a usage error)."""


def read_results(path: Path) -> dict[str, Any]:
    """A run's results.json, read back."""
    try:
        results = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ResultsFileError(f"{path}: no such file (kibana-conformance run writes REPORT_DIR/results.json)") from None
    except OSError as exc:
        raise ResultsFileError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, ValueError):
        raise ResultsFileError(f"{path}: not a results.json of kibana-conformance (not JSON)") from None
    if not isinstance(results, dict) or not isinstance(results.get("tests"), list):
        raise ResultsFileError(f"{path}: not a results.json of kibana-conformance run (no list of tests)")
    return results


def failed_nodeids(results: dict[str, Any]) -> list[str]:
    """The tests that did not pass (failed, ended in error, or failed within a baseline), in the report's order."""
    return [str(t["nodeid"]) for t in results["tests"] if isinstance(t, dict) and t.get("nodeid") and t.get("outcome") in NOT_PASSED]


@dataclass
class TestRecord:
    __test__ = False  # a record of a test, not a test for pytest to collect
    nodeid: str
    requirement: str
    category: str
    doc: str
    operations: list[str]
    outcome: str = "passed"
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
    error_kind: str | None = None  # for an error: "transport" or "suite"
    divergences: list[dict[str, Any]] = field(default_factory=list)
    finding_code: str | None = None


def reproduction_from(text: str) -> str | None:
    """The first curl command in a failure text (schemathesis prints one per failure)."""
    found = CURL_LINE.search(text or "")
    return found.group(1).strip() if found else None


def verdict(records: list[TestRecord], stopped: str | None = None) -> str:
    """``stopped`` is why the run ended early: "interrupted" or "internal error"."""
    if stopped:
        return stopped
    outcomes = Counter(r.outcome for r in records)
    if outcomes["failed"]:
        return "not conformant"
    if outcomes["error"] or not records or outcomes["passed"] + outcomes["baselined"] + outcomes["divergent"] == 0:
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
            "fields": op.request_fields,
        }
        for op in catalog
    ]


def per_operation(records: list[TestRecord]) -> dict[str, dict[str, int]]:
    """Outcomes per operation (a test counts once for each operation it touches)."""
    table: dict[str, Counter[str]] = {}
    for record in records:
        for op in record.operations or ["(no operation)"]:
            table.setdefault(op, Counter())[record.outcome] += 1
    return {op: {k: counts.get(k, 0) for k in OUTCOMES} for op, counts in sorted(table.items())}


def known_divergences(catalog: Catalog, records: list[TestRecord], version: str | None, today: dt.date, skipped: Iterable[str] = ()) -> list[dict[str, Any]]:
    """Every known divergence the schemas record for the operations of the run (not those ``skipped``), whether
    the run accepts it for a target of ``version`` on ``today`` (``why`` not: expired, or observed in other
    versions), the tests it left divergent, and the failed tests that showed it while it was not accepted."""
    out = []
    for op in (op for op in catalog if op.id not in set(skipped)):
        for divergence in op.known_divergences:
            why = divergence.refusal(version, today)
            met = [r.nodeid for r in records if any((d.get("operation"), d.get("decision")) == (op.id, divergence.decision) for d in r.divergences)]
            shown = f"known divergence {divergence.decision}"
            judged = [r.nodeid for r in records if r.outcome == "failed" and any(shown in (text or "") for text in (r.summary, r.received, r.failure_text))]
            out.append(divergence.as_dict() | {"accepted": why is None, "why": why, "tests": sorted(met), "failed_tests": sorted(judged)})
    return out


def build_results(
    records: list[TestRecord],
    coverage: dict[str, Any],
    run: dict[str, Any],
    baseline: dict[str, Any] | None = None,
    stopped: str | None = None,
    not_selected: dict[str, str] | None = None,
    min_coverage: float | None = None,
    today: dt.date | None = None,
) -> dict[str, Any]:
    """``not_selected``: the operations the run did not test, with why; ``min_coverage``: the gate (percent);
    ``today``: the day the known divergences' expiry is judged on (None: the current date)."""
    catalog = load_catalog()
    counts = Counter(r.outcome for r in records)
    counts["fixed"] = len((baseline or {}).get("fixed", []))
    operations = operations_table(catalog)
    summary = summarize(operations, coverage, not_selected, min_coverage)
    outcome = verdict(records, stopped)
    if outcome == "conformant" and summary["below_minimum"]:
        outcome = INSUFFICIENT_COVERAGE
    return {
        **run,
        "schema_version": catalog.version,
        "verdict": outcome,
        "counts": {k: counts.get(k, 0) for k in COUNTED},
        "categories": list(CATEGORIES),
        "operations": operations,
        "per_operation": per_operation(records),
        "tests": [asdict(r) for r in sorted(records, key=lambda r: r.nodeid)],
        "coverage": coverage,
        "coverage_summary": summary,
        "baseline": baseline,
        "known_divergences": known_divergences(catalog, records, (run.get("target") or {}).get("kibana_version"), today or dt.date.today(), not_selected or {}),
    }
