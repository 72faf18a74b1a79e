"""JUnit XML from ``results.json`` data, for the reports no pytest run writes (recorded traffic, the
validation proxy), and the one way a JUnit document is put together (the shards' merge uses it too).

The layout is pytest's ``xunit1`` with the suite's properties: one ``testcase`` per record, with the
requirement id, category and operations as ``property`` elements, and ``failure`` (Received /
Documented), ``error`` or ``skipped`` as the outcome says.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter
from typing import Any

SUITE_NAME = "kibana-conformance"


def document(suite: ET.Element) -> str:
    """A ``testsuite`` element as a whole JUnit file."""
    wrapper = ET.Element("testsuites")
    wrapper.append(suite)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(wrapper, encoding="unicode")


def render(results: dict[str, Any]) -> str:
    tests = results.get("tests") or []
    outcomes = Counter(t["outcome"] for t in tests)
    suite = ET.Element(
        "testsuite", name=SUITE_NAME, tests=str(len(tests)), failures=str(outcomes["failed"]), errors=str(outcomes["error"]),
        skipped=str(outcomes["skipped"]), time=f"{float(results.get('duration_s') or 0):.3f}",
    )
    for test in tests:
        case = ET.SubElement(suite, "testcase", classname=SUITE_NAME, name=test["nodeid"], time=f"{float(test.get('duration') or 0):.3f}")
        properties = ET.SubElement(case, "properties")
        pairs = [("requirement", test["requirement"]), ("category", test["category"]), *(("operation", op) for op in test["operations"])]
        for name, value in pairs:
            ET.SubElement(properties, "property", name=name, value=str(value))
        text = "\n".join(f"{label}: {test[key]}" for label, key in (("Received", "received"), ("Documented", "documented")) if test.get(key))
        if test["outcome"] == "failed":
            ET.SubElement(case, "failure", message=test.get("summary") or "failed").text = text
        elif test["outcome"] == "error":
            ET.SubElement(case, "error", message=test.get("summary") or "error").text = text
        elif test["outcome"] == "skipped":
            ET.SubElement(case, "skipped", message=test.get("skip_reason") or "skipped")
    return document(suite)
