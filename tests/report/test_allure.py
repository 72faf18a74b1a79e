"""The Allure results the suite writes from its results: one result per test, the outcome as Allure's status, the
labels the README names, "Received / Documented" and the reproduction attached, through the redaction point."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from kibana_conformance.redaction import Redactor
from kibana_conformance.report.allure import result_files
from kibana_conformance.report.artifacts import ALLURE_DIR, write_reports

from .test_html import failing_results, record

REQUIRED = {"uuid", "historyId", "testCaseId", "name", "fullName", "status", "stage", "start", "stop", "labels"}


def allure_of(results: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, str]]:
    files = dict(result_files(results))
    found = [json.loads(text) for name, text in files.items() if name.endswith("-result.json")]
    return found, {name: text for name, text in files.items() if name.endswith("-attachment.txt")}


def labels(result: dict[str, Any], name: str) -> list[str]:
    return [label["value"] for label in result["labels"] if label["name"] == name]


def test_one_result_per_test_with_the_outcome_as_allures_status() -> None:
    results = failing_results()
    found, _ = allure_of(results)
    assert len(found) == len(results["tests"])
    by_name = {r["fullName"]: r for r in found}
    wanted = {"passed": "passed", "failed": "failed", "skipped": "skipped", "baselined": "skipped"}
    for test in results["tests"]:
        result = by_name[test["nodeid"]]
        assert REQUIRED <= set(result), sorted(REQUIRED - set(result))
        assert result["status"] == wanted[test["outcome"]], test["nodeid"]
        assert labels(result, "outcome") == [test["outcome"]]
        assert labels(result, "requirement") == [test["requirement"]]
        assert labels(result, "story") == [test["category"]]
        assert labels(result, "feature") == test["operations"]
        assert abs(result["stop"] - result["start"] - test["duration"] * 1000) <= 1
    assert len({r["uuid"] for r in found}) == len(found)


def test_an_error_is_broken_and_a_divergence_passes_with_its_name() -> None:
    results = {
        "operations": [{"id": "get-cases-configure", "area": "cases"}],
        "tests": [
            record(nodeid="suites/x/test_x.py::test_e", outcome="error", summary="the suite could not judge: no answer", failure_text="trace"),
            record(nodeid="suites/x/test_x.py::test_d[a-b]", outcome="divergent", divergences=[{"operation": "get-cases-configure", "decision": "owner-default"}]),
        ],
    }
    error, divergent = sorted(allure_of(results)[0], key=lambda r: r["name"], reverse=True)
    assert error["status"] == "broken"
    assert error["statusDetails"] == {"message": "the suite could not judge: no answer", "trace": "trace"}
    assert labels(error, "epic") == ["cases"]
    assert divergent["status"] == "passed"
    assert divergent["statusDetails"]["message"] == "passed, with the known divergence owner-default"
    assert divergent["parameters"] == [{"name": "case", "value": "a-b"}]
    # The same test in another run has the same history id (Allure's trends), a new uuid.
    again = allure_of(results)[0]
    assert {r["historyId"] for r in again} == {error["historyId"], divergent["historyId"]}
    assert not {r["uuid"] for r in again} & {error["uuid"], divergent["uuid"]}


def test_a_failure_carries_received_documented_and_the_reproduction() -> None:
    results = failing_results()
    found, attachments = allure_of(results)
    failed = [t for t in results["tests"] if t["outcome"] == "failed" and t.get("received")]
    assert failed
    for test in failed:
        result = next(r for r in found if r["fullName"] == test["nodeid"])
        assert result["statusDetails"]["message"] == test["summary"]
        texts = {a["name"]: attachments[a["source"]] for a in result["attachments"]}
        assert texts["received vs documented"] == f"Received: {test['received']}\nDocumented: {test['documented']}\n"
        if test.get("reproduction"):
            assert texts["reproduction (curl, credentials redacted)"].startswith("curl ")
    assert len(attachments) == sum(len(r.get("attachments", [])) for r in found)


def test_the_files_pass_the_redaction_point_and_replace_an_earlier_runs(tmp_path: Path) -> None:
    results = copy.deepcopy(failing_results())
    secret = "s3cr3t-Tok3n-value"
    results["tests"][0] |= {"outcome": "failed", "summary": f"echoed {secret}", "received": f"token {secret}", "documented": "no token"}
    folder = tmp_path / ALLURE_DIR
    folder.mkdir()
    (folder / "stale-result.json").write_text("{}")
    redactor = Redactor()
    redactor.add(secret)
    assert write_reports(results, tmp_path, redactor) == []
    names = sorted(p.name for p in folder.iterdir())
    assert "stale-result.json" not in names
    assert sum(n.endswith("-result.json") for n in names) == len(results["tests"])
    text = "".join(p.read_text() for p in folder.iterdir())
    assert "echoed" in text and secret not in text


def test_no_allure_results_when_not_asked(tmp_path: Path) -> None:
    assert write_reports(failing_results(), tmp_path, Redactor(), allure=False) == []
    assert not (tmp_path / ALLURE_DIR).exists()
