"""``kibana-conformance merge DIR... --report-dir OUT``: the reports of a run's shards (``run --shard K/N``)
as one report, with one verdict and the same exit codes as a single run.

The tests of the shards are put together (a test in two shards is a usage error), the coverage
counts are added up, the verdict and the coverage gate are computed again from the whole;
JUnit test cases and HAR entries are gathered into one file each; the Allure results are written from the merged results.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from typing import Any

from .redaction import Redactor
from .report import junit
from .report.artifacts import HAR_FILE, JUNIT_FILE, RESULTS_FILE, write_reports, write_text
from .report.results import TestRecord, build_results

STOPPED = ("internal error", "interrupted")


class MergeError(Exception):
    """Shards that cannot be merged (one line, exit code 2)."""


def _load(folder: Path) -> dict[str, Any]:
    path = folder / RESULTS_FILE
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise MergeError(f"{path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise MergeError(f"{path}: not a results.json ({exc})") from None


def _add_coverage(total: dict[str, Any], part: dict[str, Any]) -> None:
    for op, entry in part.items():
        mine = total.setdefault(op, {"statuses": {}, "parameters": {}, "fields": {}})
        for kind in ("statuses", "parameters", "fields"):
            mine[kind] = dict(Counter(mine[kind]) + Counter(entry.get(kind) or {}))


def merge_results(parts: list[dict[str, Any]], min_coverage: float | None = None) -> dict[str, Any]:
    seen: dict[str, int] = {}
    records: list[TestRecord] = []
    coverage: dict[str, Any] = {}
    for index, part in enumerate(parts):
        for test in part.get("tests") or []:
            if test["nodeid"] in seen:
                raise MergeError(f"{test['nodeid']} is in shards {seen[test['nodeid']] + 1} and {index + 1}: merge the shards of one run")
            seen[test["nodeid"]] = index
            fields = {k: v for k, v in test.items() if k in TestRecord.__dataclass_fields__}
            records.append(TestRecord(**fields))
        _add_coverage(coverage, part.get("coverage") or {})
    seeds = {part.get("seed") for part in parts}
    if len(seeds) > 1:
        raise MergeError(f"the shards ran with different seeds ({', '.join(map(str, sorted(seeds, key=str)))}): run every shard with one --seed")
    phases = {",".join(part.get("phases") or ()) for part in parts}
    if len(phases) > 1:
        raise MergeError(f"the shards ran different phases ({'; '.join(sorted(p or 'unrecorded' for p in phases))}): run every shard with one --phases")
    first = parts[0]
    not_selected = {e["operation"]: e["reason"] for e in (first.get("coverage_summary") or {}).get("excluded", []) if e["reason"].startswith(("not selected", "--read-only"))}
    stopped = next((p["verdict"] for p in parts if p.get("verdict") in STOPPED), None)
    run = {k: first.get(k) for k in ("tool", "target", "seed", "phases", "run_id", "started_at", "started_epoch")}
    run["duration_s"] = max(float(p.get("duration_s") or 0) for p in parts)
    run["shards"] = [p.get("shard") for p in parts]
    expired = [e for p in parts for e in ((p.get("baseline") or {}).get("expired") or [])]
    not_applied = list({json.dumps(e, sort_keys=True): e for p in parts for e in ((p.get("baseline") or {}).get("not_applied") or [])}.values())
    flavour = next(((p.get("baseline") or {}).get("flavour") for p in parts if (p.get("baseline") or {}).get("flavour")), None)
    baseline = {"file": None, "flavour": flavour, "applied": [], "expired": expired, "fixed": [], "not_applied": not_applied} if expired or not_applied else None
    results = build_results(records, coverage, run, baseline, stopped, not_selected, min_coverage)
    if expired and results["verdict"] in ("conformant", "insufficient coverage"):
        results["verdict"] = "not conformant"
    results["footprint"] = {"writes": [w for p in parts for w in (p.get("footprint") or {}).get("writes", [])], "restored": [r for p in parts for r in (p.get("footprint") or {}).get("restored", [])]}
    results["generated_requests"] = dict(sorted(sum((Counter(p.get("generated_requests") or {}) for p in parts), Counter()).items()))
    return results


def _merge_junit(folders: list[Path], out: Path, redactor: Redactor) -> None:
    suites = [ET.parse(f / JUNIT_FILE).getroot() for f in folders if (f / JUNIT_FILE).is_file()]
    if not suites:
        return
    merged = ET.Element("testsuite", name=junit.SUITE_NAME)
    totals: Counter[str] = Counter()
    for root in suites:
        for suite in [root] if root.tag == "testsuite" else root.iter("testsuite"):
            for case in suite.findall("testcase"):
                merged.append(case)
            for key in ("tests", "failures", "errors", "skipped"):
                totals[key] += int(suite.get(key) or 0)
            totals["time"] += float(suite.get("time") or 0)  # type: ignore[assignment]
    for key, value in totals.items():
        merged.set(key, f"{value:.3f}" if key == "time" else str(value))
    write_text(out / JUNIT_FILE, junit.document(merged), redactor)


def _merge_har(folders: list[Path], out: Path, redactor: Redactor) -> None:
    hars = [json.loads((f / HAR_FILE).read_text(encoding="utf-8")) for f in folders if (f / HAR_FILE).is_file()]
    if hars:
        merged = hars[0]
        merged["log"]["entries"] = [e for har in hars for e in har.get("log", {}).get("entries", [])]
        write_text(out / HAR_FILE, json.dumps(merged), redactor)


def merge(folders: list[Path], out: Path, min_coverage: float | None = None) -> tuple[dict[str, Any], list[str]]:
    """Merge the shards' reports into ``out``: (the merged results, problems writing them)."""
    if not folders:
        raise MergeError("name the report folders of the shards")
    results = merge_results([_load(f) for f in folders], min_coverage)
    out.mkdir(parents=True, exist_ok=True)
    redactor = Redactor()  # the shards' files are redacted already; the merged ones go through the same point
    problems = write_reports(results, out, redactor)
    _merge_junit(folders, out, redactor)
    _merge_har(folders, out, redactor)
    return results, problems
