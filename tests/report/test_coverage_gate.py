"""The coverage gate: documented statuses, parameters and request fields exercised, what was never
exercised and what is excluded (with why), and --min-coverage failing a run with its own verdict."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from kibana_conformance import exit_codes
from kibana_conformance.report.coverage import excluded_lines, headline, missing_lines, summarize
from kibana_conformance.report.html import render
from kibana_conformance.report.results import TestRecord, build_results

OPS = [
    {"id": "op-a", "statuses": ["200", "404", "500"], "parameters": ["path.id"], "fields": ["name", "tags"]},
    {"id": "op-b", "statuses": ["200"], "parameters": [], "fields": []},
]


def test_counts_statuses_parameters_and_fields_and_excludes_with_reasons() -> None:
    seen = {"op-a": {"statuses": {"200": 3}, "parameters": {"path.id": 3}, "fields": {"name": 2}}}
    summary = summarize(OPS, seen, {"op-b": "not selected in this run (--area/--operation)"}, minimum=90)
    assert summary["totals"]["statuses"] == {"documented": 4, "exercised": 1, "excluded": 2}  # 500 and op-b's 200
    assert summary["totals"]["fields"] == {"documented": 2, "exercised": 1, "excluded": 0}
    assert summary["percent"] == 60.0 and summary["below_minimum"]  # 3 of the 5 measured
    assert missing_lines(summary) == ["op-a: status 404, field tags"]
    assert any(line.startswith("a server error") and "op-a 500" in line for line in excluded_lines(summary))
    assert headline(summary).startswith("coverage 60% (1/2 statuses, 1/1 parameters, 1/2 request fields; 2 excluded)")


def test_an_exercised_server_error_counts() -> None:
    summary = summarize(OPS[:1], {"op-a": {"statuses": {"200": 1, "404": 1, "500": 1}, "parameters": {"path.id": 1}, "fields": {"name": 1, "tags": 1}}}, minimum=100)
    assert summary["percent"] == 100.0 and not summary["below_minimum"] and summary["excluded"] == []


def test_below_the_minimum_only_a_conformant_run_changes_verdict() -> None:
    passed = [TestRecord("suites/x.py::t", "R", "scenarios", "doc", ["put-fleet-settings"])]
    failed = [TestRecord("suites/x.py::t", "R", "scenarios", "doc", ["put-fleet-settings"], outcome="failed")]
    run = {"target": {"url": "http://127.0.0.1:1"}}
    low = build_results(passed, {}, run, min_coverage=100)
    assert low["verdict"] == "insufficient coverage" and low["coverage_summary"]["missing"]
    assert build_results(failed, {}, run, min_coverage=100)["verdict"] == "not conformant"
    assert build_results(passed, {}, run)["verdict"] == "conformant"
    page = render(low)
    assert "Insufficient coverage" in page and "Never exercised" in page and "put-fleet-settings: status 200" in page


def test_min_coverage_100_fails_the_run_with_exit_6_and_the_list(tmp_path: Path) -> None:
    report = tmp_path / "report"
    proc = subprocess.run(
        [sys.executable, "-m", "kibana_conformance.cli", "run", "--operation", "put-fleet-settings", "--max-examples", "3", "--seed", "3",
         "--min-coverage", "100", "--report-dir", str(report)],
        cwd=tmp_path, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == exit_codes.INSUFFICIENT_COVERAGE, proc.stdout[-2000:] + proc.stderr[-2000:]
    results = json.loads((report / "results.json").read_text())
    assert results["verdict"] == "insufficient coverage"
    summary = results["coverage_summary"]
    # The mock has no state where PUT /api/fleet/settings answers its documented 404.
    assert {"operation": "put-fleet-settings", "kind": "statuses", "item": "404"} in summary["missing"]
    assert {e["reason"] for e in summary["excluded"]} == {"not selected in this run (--area/--operation)"}
    assert "never exercised" in proc.stdout and "put-fleet-settings: status 404" in proc.stdout
    assert "INSUFFICIENT COVERAGE" in proc.stdout
    assert "put-fleet-settings: status 404" in (report / "index.html").read_text()


def test_min_coverage_over_100_is_a_usage_error(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "kibana_conformance.cli", "run", "--min-coverage", "150", "--report-dir", str(tmp_path / "r")], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == exit_codes.USAGE_ERROR
    assert "--min-coverage" in proc.stdout + proc.stderr
