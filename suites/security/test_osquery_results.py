"""Osquery live query results: paging, page size, sort order and the kuery filter."""

from __future__ import annotations

import json
import math
from datetime import datetime
from typing import Any

import pytest

from kibana_conformance.catalog import load_catalog
from kibana_conformance.suite import read
from kibana_conformance.suite.expect import expect, expect_conforms, expect_status, expect_success, known_divergence

OP = load_catalog().get("get-osquery-live-queries-id-results-actionid")
RESULTS_DOC = "Get the results of a live query using the query action ID."
PAGE_DOC = "page integer | null: The page number to return. The default is 1. / pageSize integer | null: The number of results to return per page. The default is 20."
TOTAL_DOC = "data.total: the number of results (the 200 example: two edges, total 2)"
SORT_DOC = "sort string | null: The field that is used to sort the results. Default value is createdAt. / Specifies the sort order. Values are asc or desc."
KUERY_DOC = "kuery string | null: The kuery to filter the results by."
NOT_FOUND_DOC = "id: The ID of the live query result you want to retrieve. / actionId: The ID of the query action that generated the live query results."
MISSING = object()
ES_RESULT_WINDOW = 10_000  # index.max_result_window: Elasticsearch answers no deeper page


def path(kibana, live_query: str | None = None, action: str | None = None) -> str:
    return f"/api/osquery/live_queries/{live_query or kibana.resources['liveQueryId']}/results/{action or kibana.resources['liveQueryActionId']}"


def results(kibana, **params: Any) -> dict[str, Any]:
    """One page of the run's live query results (missing results skip the test: see Target.request)."""
    response = kibana.request("GET", path(kibana), params=params or None)
    expect_success(response, RESULTS_DOC)
    expect_conforms(OP, response)
    data = read.member(read.body(response, dict, documented=TOTAL_DOC), "data", dict, where="the answer", documented=TOTAL_DOC)
    total = read.member(data, "total", int, where="data", documented=TOTAL_DOC)
    edges = read.objects(data.get("edges") or [], where="data.edges", documented=RESULTS_DOC)
    return {"total": total, "edges": edges}


def first_page(kibana, total: int) -> int:
    """The number of the first page: 1, as the document says; 0 where the target counts as Kibana does
    (noted as the known divergence osquery-paging)."""
    if total == 0 or len(results(kibana, page=1, pageSize=total)["edges"]) == total:
        return 1
    if len(results(kibana, page=0, pageSize=total)["edges"]) == total:
        known_divergence(OP, "osquery-paging", kibana)
        return 0
    return 1


def all_pages(kibana, page_size: int, first: int = 1, **params: Any) -> list[dict[str, Any]]:
    """Every page for ``page_size`` (numbered from ``first``), and the first page past the end."""
    start = results(kibana, page=first, pageSize=page_size, **params)
    pages = max(1, math.ceil((start["total"] or 0) / page_size))
    return [start] + [results(kibana, page=first + n, pageSize=page_size, **params) for n in range(1, pages + 1)]


def page_size_for(kibana) -> tuple[int, int, int]:
    """The total, a page size that splits it into at least two pages (three when there are enough), and the first page's number."""
    total = results(kibana)["total"]
    if not total or total < 2:
        pytest.skip(f"the live query has {total} results; paging needs at least two")
    return total, max(1, math.ceil(total / 3)), first_page(kibana, total)


def row_key(edge: dict[str, Any]) -> str:
    return str(edge.get("_id")) if edge.get("_id") is not None else json.dumps(edge, sort_keys=True)


def field_value(edge: dict[str, Any], name: str) -> Any:
    """A field as Elasticsearch reports it: from ``fields`` when there, else from ``_source`` by dotted path."""
    fields = edge.get("fields")
    values = fields.get(name) if isinstance(fields, dict) else None
    if isinstance(values, list) and values:
        return values[0]
    node: Any = edge.get("_source") or {}
    for part in name.split("."):
        if not isinstance(node, dict) or part not in node:
            return MISSING
        node = node[part]
    return node


def comparable(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return (0, datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp(), "")
        except ValueError:
            return (1, 0.0, value)
    return (0, float(value), "") if isinstance(value, (int, float)) else (1, 0.0, str(value))


def first_break(values: list[Any], descending: bool) -> int | None:
    """The index of the first row out of order (a row without the field may only be followed by such rows)."""
    for n in range(1, len(values)):
        before, here = values[n - 1], values[n]
        if here is MISSING:
            continue
        if before is MISSING or (comparable(here) < comparable(before) if not descending else comparable(here) > comparable(before)):
            return n
    return None


@pytest.mark.requirement("SEC-OSQUERY-PAGES-COVER-TOTAL", category="scenarios", doc=f"{PAGE_DOC} / {TOTAL_DOC}", operation=OP.id)
def test_pages_do_not_overlap_and_cover_the_total(kibana):
    total, size, first = page_size_for(kibana)
    pages = all_pages(kibana, size, first, sort="createdAt", sortOrder="asc")
    keys = [row_key(edge) for page in pages for edge in page["edges"]]
    expect(
        len(keys) == total and len(set(keys)) == total,
        "the pages do not hold each result exactly once",
        received=f"{len(keys)} rows over {len(pages)} pages of {size}, {len(set(keys))} distinct, total {total}",
        documented=f"{PAGE_DOC}: pages of {size} together hold the {total} results, none twice",
    )


@pytest.mark.requirement("SEC-OSQUERY-PAGE-SIZE", category="scenarios", doc=PAGE_DOC, operation=OP.id)
def test_each_page_holds_page_size_rows(kibana):
    total, size, first = page_size_for(kibana)
    pages = all_pages(kibana, size, first, sort="createdAt", sortOrder="desc")
    received = [len(page["edges"]) for page in pages]
    wanted = [max(0, min(size, total - n * size)) for n in range(len(pages))]
    expect(received == wanted, "pages do not hold min(pageSize, remaining) rows", received=f"rows per page {received}", documented=f"{PAGE_DOC}: {wanted}")
    default = len(results(kibana)["edges"])
    if default != min(20, total) and default == min(100, total):
        known_divergence(OP, "osquery-paging", kibana)  # Kibana's default page size is 100
        return
    expect(default == min(20, total), "without pageSize the page does not hold the default 20 rows", received=f"{default} of {total}", documented=PAGE_DOC)


@pytest.mark.requirement("SEC-OSQUERY-PAGE-SIZE-LARGE", category="scenarios", doc=PAGE_DOC, operation=OP.id)
def test_a_page_size_of_the_total_answers_every_row(kibana):
    total, _, first = page_size_for(kibana)
    if total > ES_RESULT_WINDOW:
        pytest.skip(f"the live query has {total} results, more than one Elasticsearch result window")
    received = len(results(kibana, page=first, pageSize=total)["edges"])
    expect(received == total, "a page as large as the total does not hold every result", received=f"{received} rows of {total}", documented=f"{PAGE_DOC}: pageSize={total}")


@pytest.mark.requirement("SEC-OSQUERY-TOTAL-STABLE", category="scenarios", doc=TOTAL_DOC, operation=OP.id)
def test_total_is_the_same_on_every_page(kibana):
    total, size, first = page_size_for(kibana)
    totals = [page["total"] for page in all_pages(kibana, size, first)]
    expect(set(totals) == {total}, "total changes from page to page", received=f"totals {totals}", documented=f"{TOTAL_DOC}: {total} on every page")


@pytest.mark.requirement("SEC-OSQUERY-SORT-ORDER", category="scenarios", doc=SORT_DOC, operation=OP.id)
@pytest.mark.parametrize("order", ["asc", "desc"])
@pytest.mark.parametrize("field", ["createdAt", "agent.name"])
def test_rows_follow_the_sort_order(field, order, kibana):
    _, size, first = page_size_for(kibana)
    rows = [edge for page in all_pages(kibana, size, first, sort=field, sortOrder=order) for edge in page["edges"]]
    values = [field_value(edge, field) for edge in rows]
    broken = first_break(values, descending=order == "desc")
    expect(
        broken is None,
        f"the results are not in {order} order of {field} across the pages",
        received=f"row {broken} of {len(values)} (pages of {size}): {[None if v is MISSING else v for v in values[max(0, (broken or 0) - 2) : (broken or 0) + 2]]}",
        documented=f"{SORT_DOC}: sort={field}, sortOrder={order} (rows without the field last)",
    )


@pytest.mark.requirement("SEC-OSQUERY-KUERY-FILTER", category="scenarios", doc=KUERY_DOC, operation=OP.id)
def test_kuery_filters_before_paging(kibana):
    total, _, first = page_size_for(kibana)
    everything = [edge for page in all_pages(kibana, 100, first) for edge in page["edges"]]
    names = [field_value(edge, "agent.name") for edge in everything]
    name = next((n for n in names if isinstance(n, str)), None)
    if name is None:
        pytest.skip("the results carry no agent.name to filter by")
    wanted = names.count(name)
    size = max(1, math.ceil(wanted / 2))
    pages = all_pages(kibana, size, first, kuery=f'agent.name: "{name}"')
    rows = [edge for page in pages for edge in page["edges"]]
    received = {"total": pages[0]["total"], "rows": len(rows), "other agents": sorted({str(field_value(e, "agent.name")) for e in rows} - {name})}
    expect(
        received == {"total": wanted, "rows": wanted, "other agents": []},
        "the kuery filter does not select exactly the matching results",
        received=received,
        documented=f'{KUERY_DOC}: agent.name: "{name}" matches {wanted} of the {total} results',
    )


@pytest.mark.requirement("SEC-OSQUERY-KUERY-EMPTY", category="scenarios", doc=KUERY_DOC, operation=OP.id)
def test_an_empty_kuery_filters_nothing(kibana):
    total = results(kibana)["total"]
    received = results(kibana, kuery="")["total"]
    expect(received == total, "an empty kuery changes the results", received=f"total {received} with kuery='', {total} without", documented=f"{KUERY_DOC} (an empty kuery is no filter)")


UNKNOWN_ACTION_DOC = (
    f"{NOT_FOUND_DOC} (Kibana: a live query id that names none is not found, 404; an actionId is a filter of the "
    "live query's results, so one that names no action has none: 200, total 0)"
)


@pytest.mark.requirement("SEC-OSQUERY-UNKNOWN-LIVE-QUERY", category="scenarios", doc=UNKNOWN_ACTION_DOC, operation=OP.id)
def test_an_unknown_live_query_is_not_found(kibana):
    results(kibana)
    response = kibana.request("GET", path(kibana, live_query="kct-does-not-exist"), expect_missing=True)
    expect_status(response, 404, UNKNOWN_ACTION_DOC)


@pytest.mark.requirement("SEC-OSQUERY-UNKNOWN-ACTION", category="scenarios", doc=UNKNOWN_ACTION_DOC, operation=OP.id)
def test_an_unknown_action_has_no_results(kibana):
    results(kibana)
    response = kibana.request("GET", path(kibana, action="kct-does-not-exist"), expect_missing=True)
    expect_status(response, 200, UNKNOWN_ACTION_DOC)
    expect_conforms(OP, response)
    data = read.member(read.body(response, dict, documented=UNKNOWN_ACTION_DOC), "data", dict, where="the answer", documented=UNKNOWN_ACTION_DOC)
    received = {"total": data.get("total"), "rows": len(data.get("edges") or [])}
    expect(received == {"total": 0, "rows": 0}, "an action id that names no action has results", received=received, documented=UNKNOWN_ACTION_DOC)
