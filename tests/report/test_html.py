"""The HTML conformance report: render() on realistic results, and the page in a real browser."""

from __future__ import annotations

import copy
import json
import re
import time
from pathlib import Path
from typing import Any

import pytest

from kibana_conformance.report.html import render, write_html
from kibana_conformance.report.html_model import display_summary, schemathesis_excerpt
from kibana_conformance.report.html_sections import split_statuses

from .htmltree import Node, Tree

FIXTURE = Path(__file__).with_name("results_failing.json")
HOSTILE = "<script>alert(1)</script>"
HOSTILE_ATTR = '"><img src=x onerror=alert(2)>'
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def failing_results() -> dict[str, Any]:
    """A real run against the bundled mock with faults on, a baseline and the serverless flavour (trimmed).

    10 failures (2 schemathesis, 8 suite checks with received/documented and exchanges), 3 baselined,
    34 skipped, and 8 example checks not tied to an operation.
    """
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def record(**fields: Any) -> dict[str, Any]:
    base = {
        "nodeid": "suites/x/test_x.py::test_x", "requirement": "X-REQ", "category": "scenarios", "doc": "The doc sentence.",
        "operations": ["get-cases-configure"], "outcome": "passed", "duration": 0.01, "skip_reason": None, "summary": None,
        "received": None, "documented": None, "failure_text": None, "reproduction": None, "exchanges": [], "baseline_reason": None,
    }
    return base | fields


def with_tests(results: dict[str, Any], tests: list[dict[str, Any]]) -> dict[str, Any]:
    results = copy.deepcopy(results)
    results["tests"] = tests
    counts = {k: sum(1 for t in tests if t["outcome"] == k) for k in ("passed", "failed", "error", "skipped", "baselined")}
    results["counts"] = counts | {"fixed": 0}
    return results


def parse(results: dict[str, Any]) -> Node:
    return Tree(render(results)).root


def finding(root: Node, requirement: str) -> Node:
    return next(d for d in root.find_all("details", cls="finding") if d.find("span", cls="req").text() == requirement)


# -- the top of the page --------------------------------------------------------------------------


def test_verdict_counts_and_run_facts() -> None:
    results = failing_results()
    root = parse(results)
    verdict = root.find(cls="verdict")
    assert "v-fail" in verdict.classes
    assert verdict.find(cls="v-value").text() == "Not conformant"
    assert "10 failed checks on 7 operations" in verdict.text()
    counts = {li.find(cls="cl").text(): li.find(cls="cn").text() for li in root.find(cls="counts").find_all("li")}
    assert counts == {"passed": "205", "failed": "10", "skipped": "34", "baselined": "3"}
    meta = root.find("dl", cls="meta").text()
    for expected in (results["target"]["url"], "Kibana version", "unknown", str(results["seed"]), "kibana-conformance 0.1.0", results["schema_version"], "53.5 s"):
        assert expected in meta
    failing = root.find("nav", cls="failing")
    assert "Failing operations (7)" in failing.text()
    assert "/api/fleet/outputs/{outputId}" in failing.text() and "2 failed" in failing.text()
    assert "1 entry applied" in root.find(cls="baseline").text()


@pytest.mark.parametrize(
    ("verdict", "tests", "tone", "why"),
    [
        ("conformant", [record(), record(nodeid="b", outcome="baselined", baseline_reason="ok for now")], "v-pass", "all 2 checks that ran passed; 1 accepted deviation"),
        ("incomplete", [record(outcome="skipped", skip_reason="no")], "v-warn", "everything was skipped"),
        ("incomplete", [], "v-warn", "no check ran"),
    ],
)
def test_other_verdicts(verdict: str, tests: list[dict[str, Any]], tone: str, why: str) -> None:
    results = with_tests(failing_results(), tests) | {"verdict": verdict, "baseline": None}
    root = parse(results)
    box = root.find(cls="verdict")
    assert tone in box.classes and box.find(cls="v-value").text() == verdict.capitalize() and why in box.text()
    assert not root.find_all("nav", cls="failing")


def test_error_and_fixed_are_counted_when_present_and_expired_entries_are_named() -> None:
    results = with_tests(failing_results(), [record(outcome="error", summary="setup broke")])
    results["counts"]["fixed"] = 2
    results["baseline"] = {"file": "b.yaml", "flavour": None, "applied": [], "fixed": [{"requirement": "R-FIXED", "reason": "done"}], "expired": [{"requirement": "R-OLD", "reason": "late", "expires": "2020-01-01"}]}
    root = parse(results)
    counts = {li.find(cls="cl").text(): li.find(cls="cn").text() for li in root.find(cls="counts").find_all("li")}
    assert counts["error"] == "1" and counts["fixed"] == "2"
    baseline = root.find(cls="baseline").text()
    assert "R-OLD" in baseline and "expires 2020-01-01" in baseline and "R-FIXED" in baseline
    assert root.find("button", cls="fbtn", data_status="error")
    assert "v-warn" not in root.find(cls="verdict").classes


# -- the matrix -----------------------------------------------------------------------------------


def matrix_cells(root: Node) -> dict[tuple[str, str], Node]:
    return {(b.attrs["data-op"], b.attrs["data-cat"]): b for b in root.find("table", cls="matrix").find_all("button", cls="cell-in")}


def test_matrix_has_every_operation_grouped_by_area() -> None:
    results = failing_results()
    root = parse(results)
    matrix = root.find("table", cls="matrix")
    rows = matrix.find_all("tr", cls="op-row")
    assert {r.attrs["data-op"] for r in rows} == {op["id"] for op in results["operations"]} | {"_none"}
    assert len(results["operations"]) == 17
    header = [th.text() for th in matrix.find("thead").find_all("th")]
    assert header == ["Operation", *results["categories"], "All"]
    areas = [tb.attrs["data-area"] for tb in matrix.find_all("tbody")]
    assert areas == ["apm", "cases", "fleet", "logstash", "security", "streams", "other"]
    for row in rows:
        assert len(row.find_all("td")) == len(results["categories"]) + 1
        assert row.parent.attrs["data-area"] == ("other" if row.attrs["data-op"] == "_none" else next(o["area"] for o in results["operations"] if o["id"] == row.attrs["data-op"]))


def test_matrix_cells_are_coloured_and_counted() -> None:
    cells = matrix_cells(parse(failing_results()))

    def cell(op: str, cat: str) -> tuple[str, str, str]:
        button = cells[(op, cat)]
        tone = next(c for c in button.parent.classes if c.startswith("t-"))
        return tone, button.find(cls="frac").text(), button.attrs["aria-label"]

    assert cell("get-fleet-outputs-outputid", "scenarios")[:2] == ("t-red", "2/3")
    assert "1 failed" in cell("get-fleet-outputs-outputid", "error-envelope")[2]
    assert cell("post-apm-agent-keys", "scenarios")[:2] == ("t-amber", "6/9")
    assert cell("post-apm-agent-keys", "headers")[:2] == ("t-green", "6/6")
    assert cell("put-logstash-pipeline-id", "headers")[0] == "t-grey" and "10 skipped" in cell("put-logstash-pipeline-id", "headers")[2]
    assert cell("get-fleet-outputs-outputid", "*")[:2] == ("t-red", "8/10")
    assert cell("_none", "examples")[:2] == ("t-green", "8/8")
    assert cells[("get-cases-configure", "schema")].attrs["aria-controls"] == "cell-panel"


def test_a_test_of_several_operations_counts_in_each_row() -> None:
    results = with_tests(failing_results(), [record(operations=["get-cases-configure", "get-fleet-epm-packages"], outcome="failed", summary="both")])
    cells = matrix_cells(parse(results))
    for op in ("get-cases-configure", "get-fleet-epm-packages"):
        assert "t-red" in cells[(op, "scenarios")].parent.classes
        assert cells[(op, "scenarios")].find(cls="frac").text() == "0/1"
    assert ("get-fleet-outputs-outputid", "scenarios") not in cells


# -- failures and deviations ----------------------------------------------------------------------


def test_failure_details() -> None:
    results = failing_results()
    root = parse(results)
    source = next(t for t in results["tests"] if t["requirement"] == "FLEET-OUTPUT-NOT-FOUND")
    item = finding(root, "FLEET-OUTPUT-NOT-FOUND")
    assert item.attrs["data-outcome"] == "failed" and "open" not in item.attrs
    assert source["summary"] in item.find("summary").text()
    assert item.find("blockquote").text() == source["doc"]
    assert item.find(cls="rcv").find("pre").text() == source["received"]
    assert item.find(cls="dcm").find("pre").text() == source["documented"]
    curl = item.find("pre", cls="curl").text()
    assert curl == source["reproduction"] and curl.startswith("curl ")
    assert item.find("button", cls="copy").attrs["data-copy"] == item.find("pre", cls="curl").find("code").attrs["id"]
    exchanges = item.find("details", cls="sub")
    assert "2 exchanges" in exchanges.find("summary").text()
    last = exchanges.find_all(cls="exchange")[-1]
    assert source["exchanges"][-1]["url"] in last.text() and "500" in last.find(cls="st-code").text()
    assert '"statusCode": 500' in last.text()  # bodies are pretty-printed JSON
    assert "authorization" in last.find("table", cls="hdrs").text() and "[REDACTED]" in last.text()


def test_schemathesis_failures_show_the_finding_not_the_traceback() -> None:
    results = failing_results()
    root = parse(results)
    item = next(d for d in root.find_all("details", cls="finding") if "prepackaged-status" in d.find(cls="tname").text())
    assert "-1234 is less than the minimum of 0" in item.find("summary").text()
    excerpt = item.find(cls="st").find("pre").text()
    assert excerpt.startswith("- ST108 Response violates schema") and "Traceback" not in excerpt and "| " not in excerpt
    assert item.find("pre", cls="curl").text().startswith("curl -X GET")
    source = next(t for t in results["tests"] if "prepackaged-status" in t["nodeid"] and t["category"] == "schema")
    assert display_summary(source) == "Response violates schema: -1234 is less than the minimum of 0"
    assert schemathesis_excerpt("no schemathesis here") is None


def test_failures_come_first_grouped_by_area_and_operation_then_deviations() -> None:
    root = parse(failing_results())
    section = root.find("section", id="failures")
    groups = section.find_all(cls="fgroup")
    assert [g.attrs["data-kind"] for g in groups] == ["failed", "baselined"]
    assert [a.attrs["data-area"] for a in groups[0].find_all(cls="farea")] == ["cases", "fleet", "security", "streams"]
    outcomes = [d.attrs["data-outcome"] for d in section.find_all("details", cls="finding")]
    assert outcomes == ["failed"] * 10 + ["baselined"] * 3
    deviation = finding(root, "APM-AGENTKEY-ENCODED")
    assert "Accepted deviation." in deviation.find(cls="accepted").text() and "KBN-1234" in deviation.text()
    assert "<b>" not in render(failing_results()).split('class="accepted"')[1][:300]  # the reason's markup is text


# -- coverage -------------------------------------------------------------------------------------


def test_coverage_lists_exercised_missing_and_undocumented() -> None:
    root = parse(failing_results())
    section = root.find("section", id="coverage")
    row = next(tr for tr in section.find_all("tr") if "post-apm-agent-keys" in tr.text())
    statuses, undocumented, parameters, fields = row.find_all("td")
    hits = {li.text() for li in statuses.find_all("li", cls="hit")}
    misses = {li.text() for li in statuses.find_all("li", cls="miss")}
    assert hits == {"200 ×22", "400 ×54", "401 ×2"}
    assert misses == {"403 not exercised", "500 not exercised"}
    assert [li.text().strip() for li in undocumented.find_all("li", cls="undoc")] == ["⚠ 415 ×3"]
    assert {li.text() for li in parameters.find_all("li", cls="hit")} == {"header.elastic-api-version ×54", "header.kbn-xsrf ×79"}
    remote = next(tr for tr in section.find_all("tr") if "remote_status" in tr.text() and tr.find_all("td"))
    assert "path.outputId not exercised" in remote.text()
    assert "no documented request fields" in fields.text()  # a results.json from before fields were listed
    # 500s are excluded (no conformant request provokes one): 28 of the 34 other statuses.
    assert "coverage 87.7% (28/34 statuses, 22/23 parameters, 0/0 request fields; 2 excluded)" in section.text()
    assert "a server error: no conformant request provokes it on purpose" in section.text()


def test_status_ranges_and_default_are_matched() -> None:
    assert split_statuses(["200", "4XX"], {"200": 3, "404": 2, "409": 1, "503": 1}) == ([("200", 3), ("4XX", 3)], [("503", 1)])
    assert split_statuses(["200", "default"], {"500": 2}) == ([("200", 0), ("default", 2)], [])


# -- safety ---------------------------------------------------------------------------------------


def test_hostile_strings_render_as_text() -> None:
    exchange = {
        "method": "POST", "url": f"http://127.0.0.1:1/api?q={HOSTILE}", "request_headers": {"x-evil": HOSTILE_ATTR}, "request_body": HOSTILE,
        "status": 400, "response_headers": {"content-type": "text/html"}, "response_body": f'{{"message": "{HOSTILE}"}}', "error": None,
    }
    hostile = record(
        nodeid=f"suites/x.py::test_{HOSTILE}[{HOSTILE_ATTR}]", requirement=f"R-{HOSTILE_ATTR}", category=f"cat{HOSTILE_ATTR}", doc=HOSTILE, outcome="failed",
        summary=HOSTILE, received=HOSTILE_ATTR, documented=HOSTILE, failure_text=HOSTILE, reproduction=f"curl '{HOSTILE}'", exchanges=[exchange],
    )
    skipped = record(nodeid="s", outcome="skipped", skip_reason=HOSTILE_ATTR)
    results = with_tests(failing_results(), [hostile, skipped])
    results["operations"][0]["title"] = HOSTILE
    results["operations"][0]["area"] = f"apm{HOSTILE_ATTR}"
    results["target"]["url"] = f"http://x/{HOSTILE}"
    results["baseline"] = {"file": HOSTILE, "flavour": HOSTILE_ATTR, "applied": [], "fixed": [], "expired": [{"requirement": HOSTILE, "reason": HOSTILE_ATTR}]}
    page = render(results)
    assert HOSTILE not in page and "<img" not in page
    assert page.count("<script") == 1 and page.count("</script>") == 1
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    root = Tree(page).root
    assert not any(k.startswith("on") for n in root.iter() for k in n.attrs)
    assert HOSTILE in finding(root, f"R-{HOSTILE_ATTR}").find("summary").text()  # shown, as text


def test_no_external_assets() -> None:
    page = render(failing_results())
    root = Tree(page).root
    assert '<meta http-equiv="Content-Security-Policy" content="default-src \'none\';' in page
    for node in root.iter():
        for name, value in node.attrs.items():
            if name in ("src", "href", "action", "srcset", "poster", "data") or name == "style":
                assert not re.search(r"(?i)^\s*(https?:)?//", value), (node.tag, name, value)
        if node.tag == "link":
            assert node.attrs["href"].startswith("data:")
    for block in root.find_all("style") + root.find_all("script"):
        assert not re.search(r"(?i)https?:|@import|url\(|//[a-z0-9.-]+\.[a-z]{2,}/", block.text()), block.tag
    assert not root.find_all("img") and not root.find_all("iframe") and not root.find_all("object")

    def outside_data(node: Node) -> str:
        if node.tag in ("pre", "code", "script", "style"):
            return ""
        return "".join(p if isinstance(p, str) else outside_data(p) for p in node.parts)

    # URLs are only data: the target's (in <code>), and those inside curl lines and exchanges (in <pre>/<code>).
    assert re.findall(r"https?://", outside_data(root)) == []


def test_write_html_and_a_big_run_is_fast(tmp_path: Path) -> None:
    results = failing_results()
    big = copy.deepcopy(results)
    big["tests"] = [dict(t, nodeid=f"{t['nodeid']}#{i}") for i in range(20) for t in results["tests"]]
    started = time.perf_counter()
    write_html(tmp_path / "reports" / "index.html", big)
    assert time.perf_counter() - started < 10
    page = (tmp_path / "reports" / "index.html").read_text(encoding="utf-8")
    assert page.count('class="finding ') == 13 * 20 and page.count("<tr data-ops=") == len(big["tests"])


# -- in a real browser ----------------------------------------------------------------------------


@pytest.mark.slow(seconds=15)
@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium (apt-get install -y chromium)")
def test_the_page_in_a_real_browser(tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (pip install 'playwright>=1.40')")
    page_file = tmp_path / "index.html"
    results = failing_results()
    write_html(page_file, results)
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 768})
            problems: list[str] = []
            requests: list[str] = []
            page.on("pageerror", lambda error: problems.append(str(error)))
            page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
            page.on("request", lambda request: requests.append(request.url))
            page.goto(page_file.as_uri())
            expect = sync_api.expect

            # The matrix: every operation, no horizontal scrolling at 1366x768.
            ops = page.locator("table.matrix tr.op-row")
            assert sorted(ops.evaluate_all("rows => rows.map(r => r.dataset.op)")) == sorted([o["id"] for o in results["operations"]] + ["_none"])
            assert page.evaluate("document.documentElement.scrollWidth") <= 1366
            expect(page.locator(".verdict .v-value")).to_have_text("Not conformant")
            page.screenshot(path=str(tmp_path / "report-top.png"))

            # A red cell lists its checks.
            red = page.locator('button.cell-in[data-op="get-fleet-outputs-outputid"][data-cat="scenarios"]')
            red.click()
            panel = page.locator("#cell-panel")
            expect(panel).to_be_visible()
            expect(red).to_have_attribute("aria-expanded", "true")
            expect(page.locator("#cell-panel-h")).to_contain_text("/api/fleet/outputs/{outputId} · scenarios")
            expect(panel.locator("tbody tr")).to_have_count(3)
            expect(panel.locator("tbody tr").first).to_contain_text("FLEET-OUTPUT-NOT-FOUND")
            page.screenshot(path=str(tmp_path / "report-cell.png"))
            red.click()
            expect(panel).to_be_hidden()

            # A failure expands to its curl line, with a copy button.
            item = page.locator("details.finding", has=page.locator("span.req", has_text="FLEET-OUTPUT-NOT-FOUND"))
            curl = item.locator("pre.curl")
            expect(curl).to_be_hidden()
            item.locator(":scope > summary").click()
            expect(curl).to_be_visible()
            expect(curl).to_contain_text("curl -sS -X GET 'http://127.0.0.1:38221/api/fleet/outputs/kct-858727-missing-output'")
            expect(item.locator("button.copy")).to_be_visible()
            item.locator("button.copy").click()
            expect(item.locator("button.copy")).to_have_text(re.compile("Copied|Copy failed"))

            # Filters: an area, then a status, apply to the matrix and the lists.
            page.select_option("#f-area", "security")
            expect(page.locator("table.matrix tr.op-row:visible")).to_have_count(7)
            expect(page.locator("#failures details.finding:visible")).to_have_count(5)
            page.locator('.fbtn[data-status="failed"]').click()
            expect(page.locator('.fbtn[data-status="failed"]')).to_have_attribute("aria-pressed", "true")
            expect(page.locator("table.matrix tr.op-row:visible")).to_have_count(3)
            expect(page.locator("#f-summary")).to_contain_text("Showing 5 of 252 checks")
            page.locator("#all-checks > summary").click()
            expect(page.locator("#checks-table tbody tr:visible")).to_have_count(5)
            page.locator("#f-reset").click()
            expect(page.locator("table.matrix tr.op-row:visible")).to_have_count(18)
            expect(page.locator("#failures details.finding:visible")).to_have_count(13)

            # The keyboard alone: Tab to the first cell, Enter opens it, Space or Escape closes it.
            page.evaluate("window.scrollTo(0, 0); document.activeElement && document.activeElement.blur()")
            page.locator("body").focus()
            for _ in range(60):
                page.keyboard.press("Tab")
                if page.evaluate("document.activeElement.matches('button.cell-in')"):
                    break
            else:
                pytest.fail("Tab never reached a matrix cell")
            focused = page.evaluate("[document.activeElement.dataset.op, document.activeElement.dataset.cat]")
            assert focused == ["post-apm-agent-keys", "schema"]
            assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
            page.keyboard.press("Enter")
            expect(panel).to_be_visible()
            expect(page.locator("#cell-panel-h")).to_contain_text("/api/apm/agent_keys · schema")
            page.screenshot(path=str(tmp_path / "report-keyboard.png"))
            page.keyboard.press(" ")
            expect(panel).to_be_hidden()
            page.keyboard.press("Enter")
            expect(panel).to_be_visible()
            page.keyboard.press("Escape")
            expect(panel).to_be_hidden()
            assert page.evaluate("document.activeElement.dataset.op") == "post-apm-agent-keys"

            # The whole page, with the long list of every check folded again (full-page captures stay small).
            page.locator("#all-checks > summary").click()
            page.evaluate("window.scrollTo(0, 0)")
            assert page.evaluate("document.documentElement.scrollHeight") < 12000
            page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
            assert problems == []
            assert all(url.startswith("file://") for url in requests), requests
        finally:
            browser.close()
    assert (tmp_path / "report.png").stat().st_size > 10_000


def test_the_authorization_section_lists_each_operation_with_its_privileges_and_outcomes() -> None:
    tests = [
        {"nodeid": "suites/platform/test_authorization.py::t[a]", "requirement": "AUTHZ-X", "category": "authorization", "doc": "", "operations": ["put-fleet-settings"], "outcome": "passed"},
        {"nodeid": "suites/platform/test_authorization.py::t[b]", "requirement": "AUTHZ-X", "category": "authorization", "doc": "", "operations": ["put-fleet-settings"], "outcome": "failed"},
        {"nodeid": "suites/fleet/test_settings.py::t", "requirement": "FLEET-X", "category": "scenarios", "doc": "", "operations": ["put-fleet-settings"], "outcome": "failed"},
    ]
    page = render({"verdict": "not conformant", "counts": {}, "tests": tests})
    section = page[page.index('id="authorization"'):page.index("</section>", page.index('id="authorization"'))]
    assert "put-fleet-settings" in section and "fleet-settings-all" in section and "1 failed, 1 passed" in section
    assert "fleet-settings-read AND integrations-read" in section and "not run" in section
    assert 'id="authorization"' not in render({"verdict": "conformant", "counts": {}, "tests": tests[2:]})
