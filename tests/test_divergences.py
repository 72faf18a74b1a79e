"""Known divergences carry the Kibana versions they are observed in and an expiry: a response showing one
is divergent only while the target's version is in its range and it has not expired; otherwise it is
judged strictly (failed, saying why). Decided like an expired baseline entry: an expired divergence is
no longer accepted (a run that meets it fails, and the report says "expired on DATE"); unlike a
baseline entry, one the run never meets does not fail the verdict (the schemas ship with the tool)."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from kibana_conformance.catalog import Operation, load_catalog
from kibana_conformance.contract import DivergencePolicy, check_response
from kibana_conformance.mock import MockServer

from .helpers import PASSWORD, USERNAME
from .test_plugin import ACTIVATE

CASES = load_catalog().get("get-cases-configure")
EXPIRES = dt.date(2027, 12, 2)  # the schemas' expiry of the Cases divergences (one year after they were recorded)


def _with(op: Operation, decision: str, **fields: Any) -> Operation:
    """The operation with one decision's since/until/expires changed (None removes the key)."""
    raw = copy.deepcopy(op.raw)
    target = next(d for d in raw["decisions"] if d.get("id") == decision)
    for key, value in fields.items():
        if value is None:
            target.pop(key, None)
        else:
            target[key] = value
    return Operation(raw, op.file, op.registry)


def _thehive_body() -> bytes:
    """A case settings answer whose connector is TheHive: Kibana's type list has .thehive, the document's does not."""
    example = next(e for e in CASES.examples() if e.kind == "response" and e.status == "200")
    body = copy.deepcopy(example.value)
    items = body if isinstance(body, list) else [body]
    items[0]["connector"] = {"id": "thehive-1", "name": "TheHive", "type": ".thehive", "fields": None}
    return json.dumps(body).encode()


BODY = _thehive_body()
IN_RANGE = DivergencePolicy("9.1.0", EXPIRES)


def test_the_body_breaks_the_document_and_shows_kibana_s_connector_type() -> None:
    verdict = check_response(CASES, 200, "application/json", BODY, IN_RANGE)
    assert verdict.problems == [] and [d.decision for d in verdict.divergences] == ["cases-connector"]


@pytest.mark.parametrize(
    ("since", "until", "version", "accepted"),
    [
        ("9.0", "9.2", "9.1.0", True),
        ("9.1.0", None, "9.1.0", True),  # since is inclusive
        (None, "9.1", "9.0.4", True),
        (None, None, "8.0.0", True),  # no range known: every version
        ("9.0", "9.2", None, True),  # the target's version unknown: in every range
        ("9.2", None, "9.1.0", False),
        (None, "9.1", "9.1.0", False),  # until is exclusive
        ("8.0", "9.0", "9.1.0", False),
    ],
)
def test_a_divergence_applies_only_in_its_version_range(since: str | None, until: str | None, version: str | None, accepted: bool) -> None:
    op = _with(CASES, "cases-connector", since=since, until=until)
    verdict = check_response(op, 200, "application/json", BODY, DivergencePolicy(version, EXPIRES))
    if accepted:
        assert verdict.problems == [] and [d.decision for d in verdict.divergences] == ["cases-connector"]
    else:
        assert verdict.divergences == []
        assert any(".thehive" in p for p in verdict.problems)  # judged strictly: the document's list
        assert any("known divergence cases-connector" in p and f"the target is {version}" in p for p in verdict.problems)


def test_an_expired_divergence_is_judged_strictly_and_says_so() -> None:
    assert check_response(CASES, 200, "application/json", BODY, DivergencePolicy("9.1.0", EXPIRES)).problems == []  # on its day, still accepted
    verdict = check_response(CASES, 200, "application/json", BODY, DivergencePolicy("9.1.0", EXPIRES + dt.timedelta(days=1)))
    assert verdict.divergences == []
    assert any("known divergence cases-connector" in p and "expired on 2027-12-02" in p for p in verdict.problems)


def test_a_response_the_document_allows_never_needs_a_divergence() -> None:
    example = next(e for e in CASES.examples() if e.kind == "response" and e.status == "200")
    expired = DivergencePolicy("9.1.0", dt.date(2999, 1, 1))
    assert check_response(CASES, 200, "application/json", json.dumps(example.value).encode(), expired) == check_response(
        CASES, 200, "application/json", json.dumps(example.value).encode(), IN_RANGE
    )


# --- a run: the scenario helper known_divergence, the report -----------------------------------------------

SCENARIO = """
import copy

import pytest

from kibana_conformance.catalog import Operation, load_catalog
from kibana_conformance.suite.expect import known_divergence

REAL = load_catalog().get("get-osquery-live-queries-id-results-actionid")
RAW = copy.deepcopy(REAL.raw)
next(d for d in RAW["decisions"] if d.get("id") == "osquery-paging").update(FIELDS)
OP = Operation(RAW, REAL.file, REAL.registry)


@pytest.mark.requirement("T-PAGING", category="scenarios", doc="The page number to return. The default is 1.", operation=REAL.id)
def test_first_page(kibana):
    known_divergence(OP, "osquery-paging", kibana)  # the target counts pages from 0, as Kibana does
"""


@pytest.mark.parametrize(
    ("fields", "args", "outcome", "said"),
    [
        ({"since": "9.0", "until": "9.2"}, [], "divergent", None),
        ({"since": "9.2"}, [], "failed", "observed since Kibana 9.2; the target is 9.1.0"),
        ({"since": "9.0", "until": "9.2"}, ["--kibana-version", "9.3.0"], "failed", "observed until Kibana 9.2 (exclusive); the target is 9.3.0"),
        ({"expires": "2000-01-01"}, [], "failed", "expired on 2000-01-01"),
    ],
    ids=["in-range", "before-since", "after-until", "expired"],
)
def test_a_run_reports_a_divergence_out_of_range_or_expired_as_failed(
    pytester: pytest.Pytester, mock_server: MockServer, fields: dict[str, str], args: list[str], outcome: str, said: str | None
) -> None:
    """The mock's /api/status says Kibana 9.1.0; --kibana-version overrides it."""
    pytester.makeconftest(ACTIVATE)
    pytester.makepyfile(test_scenario=SCENARIO.replace("FIELDS", repr(fields)))
    reports = pytester.path / "reports"
    pytester.runpytest_subprocess("--base-url", mock_server.url, "--username", USERNAME, "--password", PASSWORD, "--report-dir", str(reports), *args)
    results = json.loads((reports / "results.json").read_text())
    (test,) = results["tests"]
    assert test["outcome"] == outcome
    if said is None:
        assert results["verdict"] == "conformant"
        (noted,) = test["divergences"]
        assert noted | {"evidence": None} == {
            "operation": "get-osquery-live-queries-id-results-actionid",
            "decision": "osquery-paging",
            "summary": noted["summary"],
            "since": "9.0",
            "until": "9.2",
            "expires": "2027-12-02",
            "evidence": None,
        }
        assert noted["evidence"] and all(e["commit"] for e in noted["evidence"])
    else:
        assert results["verdict"] == "not conformant"
        assert said in test["summary"] and "known divergence osquery-paging" in test["summary"]
        assert test["received"].startswith("Kibana's recorded behaviour: ")
        assert said in (reports / "index.html").read_text()


def test_the_report_lists_the_known_divergences_with_their_range_and_expiry(tmp_path: Path) -> None:
    from kibana_conformance.report.html import render
    from kibana_conformance.report.results import build_results

    run = {"target": {"url": "http://127.0.0.1:1", "embedded": False, "kibana_version": "9.1.0", "space": None}, "seed": 1}
    results = build_results([], {}, run, today=dt.date(2028, 1, 1))
    entries = {(e["operation"], e["decision"]): e for e in results["known_divergences"]}
    connector = entries[("get-cases-configure", "cases-connector")]
    assert connector["expires"] == "2027-12-02" and connector["accepted"] is False and connector["why"].startswith("expired on 2027-12-02")
    assert {"since", "until", "evidence"} <= set(connector)
    page = render(results)
    assert "Known divergences (12)" in page and "expired on 2027-12-02" in page and "every version (no range known)" in page
