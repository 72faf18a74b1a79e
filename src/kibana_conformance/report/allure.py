"""Allure results (the Allure 2 result format: ``<uuid>-result.json`` and text attachments) from ``results.json``
data, written by the suite itself rather than by allure-pytest.

One result per test record, labelled epic = API area, feature = operation, story = check category and
``requirement``; the outcome maps to Allure's statuses (an error, where the suite could not judge, is Allure's
``broken``; a baselined failure, accepted by the baseline file, is ``skipped`` as pytest's xfail is), with the
suite's own outcome as the ``outcome`` label. A failure carries "Received / Documented" and the curl
reproduction as attachments. Built from the records, the files pass through the same redaction point as every
other artifact (allure-pytest wrote a file per test and per fixture as the run went, a fifth of a small run's
time, and its files had to be redacted afterwards).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator
from typing import Any

STATUSES = {"passed": "passed", "divergent": "passed", "failed": "failed", "error": "broken", "skipped": "skipped", "baselined": "skipped"}
TEXT = "text/plain"


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8"), usedforsecurity=False).hexdigest()


def _message(test: dict[str, Any]) -> str | None:
    outcome = test["outcome"]
    if outcome == "skipped":
        return test.get("skip_reason")
    if outcome == "baselined":
        return f"baselined (a known failure the baseline file accepts): {test.get('baseline_reason') or ''} | {test.get('summary') or ''}".strip(" |")
    if outcome == "divergent":
        decisions = sorted({str(d.get("decision")) for d in test.get("divergences") or [] if d.get("decision")})
        return "passed, with the known divergence" + ("s " if len(decisions) > 1 else " ") + ", ".join(decisions)
    if outcome in ("failed", "error"):
        return test.get("summary") or outcome
    return None


def _labels(test: dict[str, Any], areas: dict[str, str]) -> list[dict[str, str]]:
    module, _, _ = test["nodeid"].partition("::")
    folder, _, file_name = module.rpartition("/")
    pairs = [("epic", area) for area in sorted({areas[op] for op in test["operations"] if op in areas})]
    pairs += [("feature", op) for op in test["operations"]]
    pairs += [("story", test["category"]), ("requirement", test["requirement"]), ("outcome", test["outcome"])]
    pairs += [("parentSuite", folder.replace("/", ".")), ("suite", file_name.removesuffix(".py")), ("framework", "pytest"), ("language", "python")]
    return [{"name": name, "value": value} for name, value in pairs if value]


def result_files(results: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(file name, text) of every Allure file for the run's tests: one result each, and its attachments."""
    areas = {op["id"]: op["area"] for op in results.get("operations") or [] if isinstance(op, dict) and "id" in op and "area" in op}
    for test in results.get("tests") or []:
        nodeid = test["nodeid"]
        test_uuid = str(uuid.uuid4())
        name = nodeid.partition("::")[2] or nodeid
        _, bracket, parameter = name.partition("[")
        finished = float(test.get("finished_at") or 0)
        result: dict[str, Any] = {
            "uuid": test_uuid,
            "historyId": _md5(nodeid),
            "testCaseId": _md5(nodeid.partition("[")[0]),
            "name": name,
            "fullName": nodeid,
            "status": STATUSES.get(test["outcome"], "unknown"),
            "stage": "finished",
            "start": int((finished - float(test.get("duration") or 0)) * 1000),
            "stop": int(finished * 1000),
            "labels": _labels(test, areas),
        }
        if test.get("doc"):
            result["description"] = test["doc"]
        if bracket:
            result["parameters"] = [{"name": "case", "value": parameter.removesuffix("]")}]
        message = _message(test)
        if message:
            result["statusDetails"] = {"message": message}
            if test.get("failure_text") and test["outcome"] in ("failed", "error"):
                result["statusDetails"]["trace"] = test["failure_text"]
        attachments = []
        texts = []
        if test.get("received") or test.get("documented"):
            texts.append(("received vs documented", f"Received: {test.get('received')}\nDocumented: {test.get('documented')}\n"))
        if test.get("reproduction"):
            texts.append(("reproduction (curl, credentials redacted)", test["reproduction"] + "\n"))
        for title, text in texts:
            source = f"{uuid.uuid4()}-attachment.txt"
            attachments.append({"name": title, "source": source, "type": TEXT})
            yield source, text
        if attachments:
            result["attachments"] = attachments
        yield f"{test_uuid}-result.json", json.dumps(result, ensure_ascii=False)
