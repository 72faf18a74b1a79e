"""GET /api/osquery/live_queries/{id}/results/{actionId}: filter, sort and page live query results."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from ..helpers import assert_conforms

OP = "get-osquery-live-queries-id-results-actionid"
LIVE_QUERY = "3c42c847-eb30-4452-80e0-728584042334"
ACTION = "609c4c66-ba3d-43fa-afdd-53e244577aa0"
UPTIME_ACTION = "b6f5a3a0-2f6e-4b53-9d7e-0c1f4e8a2d11"
URL = f"/api/osquery/live_queries/{LIVE_QUERY}/results/{ACTION}"
TOTAL = 57
UNIX_SOCKETS = 17  # rows that have osquery.path


def results(api: httpx.Client, url: str = URL, **params: Any) -> dict[str, Any]:
    response = api.get(url, params=params)
    assert response.status_code == 200, response.text
    assert_conforms(OP, response)
    return response.json()["data"]


def seeded_rows(api: httpx.Client) -> list[dict[str, Any]]:
    state = api.get("/_mock/state").json()
    return state["spaces"]["default"]["osquery"]["live_queries"][LIVE_QUERY]["queries"][ACTION]["results"]


def ids(data: dict[str, Any]) -> list[str]:
    return [edge["_id"] for edge in data["edges"]]


def test_defaults_first_page_of_20_newest_first(api: httpx.Client) -> None:
    data = results(api)
    assert data["total"] == TOTAL
    assert len(data["edges"]) == 20
    created = [edge["_source"]["createdAt"] for edge in data["edges"]]
    assert created == sorted(created, reverse=True)
    assert created[0] == max(row["_source"]["createdAt"] for row in seeded_rows(api))


def test_rows_look_like_search_hits(api: httpx.Client) -> None:
    edge = results(api)["edges"][0]
    assert {"_id", "_index", "fields", "_source"} <= set(edge)
    assert edge["_index"].startswith(".ds-logs-osquery_manager.result-")
    assert edge["_source"]["agent"]["id"] and edge["_source"]["osquery"]
    assert edge["fields"]["agent.id"] == [edge["_source"]["agent"]["id"]]


def test_rows_come_from_several_agents(api: httpx.Client) -> None:
    agents = {edge["_source"]["agent"]["id"] for edge in results(api, pageSize=100)["edges"]}
    assert len(agents) == 4


@pytest.mark.parametrize("page_size", [20, 7, 1, 57])
def test_pages_never_overlap_and_cover_all_rows(api: httpx.Client, page_size: int) -> None:
    seen: list[str] = []
    page = 1
    while True:
        data = results(api, page=page, pageSize=page_size)
        assert data["total"] == TOTAL
        if not data["edges"]:
            break
        seen.extend(ids(data))
        page += 1
    assert len(seen) == len(set(seen)) == TOTAL
    assert set(seen) == {row["_id"] for row in seeded_rows(api)}
    assert page == -(-TOTAL // page_size) + 1


def test_page_past_the_end_is_empty_with_the_full_total(api: httpx.Client) -> None:
    assert results(api, page=3)["edges"] and len(results(api, page=3)["edges"]) == TOTAL - 40
    assert results(api, page=4) == {"edges": [], "total": TOTAL}


@pytest.mark.parametrize("page", [0, -3])
def test_page_below_one_is_the_first_page(api: httpx.Client, page: int) -> None:
    assert results(api, page=page) == results(api)


@pytest.mark.parametrize("name", ["page", "pageSize", "sort", "kuery"])
def test_null_parameters_mean_the_default(api: httpx.Client, name: str) -> None:
    assert results(api, **{name: "null"}) == results(api)


@pytest.mark.parametrize("name", ["page", "pageSize"])
def test_an_empty_number_is_rejected(api: httpx.Client, name: str) -> None:
    response = api.get(URL, params={name: ""})
    assert response.status_code == 400
    assert f"[request query.{name}]" in response.json()["message"]


@pytest.mark.parametrize("page_size", [0, -5])
def test_page_size_zero_or_negative_gives_an_empty_page(api: httpx.Client, page_size: int) -> None:
    assert results(api, pageSize=page_size) == {"edges": [], "total": TOTAL}


@pytest.mark.parametrize("value", ["2.0", "2e1", "two"])
def test_an_integer_parameter_takes_digits_only(api: httpx.Client, value: str) -> None:
    response = api.get(URL, params={"page": value})
    assert response.status_code == 400
    assert "[request query.page]" in response.json()["message"]


def test_very_large_page_size_gives_everything(api: httpx.Client) -> None:
    data = results(api, pageSize=10**12)
    assert len(data["edges"]) == data["total"] == TOTAL


def test_sort_by_dotted_path_both_orders(api: httpx.Client) -> None:
    ascending = [e["_source"]["agent"]["name"] for e in results(api, sort="agent.name", sortOrder="asc", pageSize=100)["edges"]]
    assert ascending == sorted(ascending)
    descending = [e["_source"]["osquery"]["port"] for e in results(api, sort="osquery.port", sortOrder="desc", pageSize=100)["edges"]]
    assert descending == sorted(descending, reverse=True)


def test_sort_order_asc_on_the_default_field(api: httpx.Client) -> None:
    created = [e["_source"]["createdAt"] for e in results(api, sortOrder="asc", pageSize=100)["edges"]]
    assert created == sorted(created)
    assert created[0] < created[-1]


@pytest.mark.parametrize("order", ["asc", "desc"])
def test_rows_missing_the_sort_field_come_last(api: httpx.Client, order: str) -> None:
    edges = results(api, sort="osquery.path", sortOrder=order, pageSize=100)["edges"]
    paths = [e["_source"]["osquery"].get("path") for e in edges]
    assert all(p is not None for p in paths[:UNIX_SOCKETS])
    assert all(p is None for p in paths[UNIX_SOCKETS:])
    assert paths[:UNIX_SOCKETS] == sorted(paths[:UNIX_SOCKETS], reverse=order == "desc")


def test_sort_on_a_field_no_row_has_still_pages_everything(api: httpx.Client) -> None:
    first, second = results(api, sort="no.such.field", pageSize=30), results(api, sort="no.such.field", page=2, pageSize=30)
    assert first["total"] == second["total"] == TOTAL
    assert len(set(ids(first)) | set(ids(second))) == TOTAL


def test_kuery_field_value(api: httpx.Client) -> None:
    data = results(api, kuery="agent.name:web-prod-01", pageSize=100)
    assert data["total"] == len(data["edges"]) == 15
    assert {e["_source"]["agent"]["name"] for e in data["edges"]} == {"web-prod-01"}


def test_kuery_terms_joined_by_and(api: httpx.Client) -> None:
    for kuery in ("agent.name:web-prod-01 and osquery.port:22", "agent.name : web-prod-01 AND osquery.port:22"):
        data = results(api, kuery=kuery)
        assert data["total"] == 2
        assert {(e["_source"]["agent"]["name"], e["_source"]["osquery"]["port"]) for e in data["edges"]} == {("web-prod-01", "22")}


def test_kuery_quoted_value_and_exists(api: httpx.Client) -> None:
    assert results(api, kuery='osquery.path:"/run/elastic-agent.sock"')["total"] == 4
    assert results(api, kuery="osquery.path:*")["total"] == UNIX_SOCKETS


def test_kuery_total_counts_only_matching_rows_on_every_page(api: httpx.Client) -> None:
    pages = [results(api, kuery="osquery.name:sshd", pageSize=3, page=p) for p in (1, 2, 3, 4)]
    assert {page["total"] for page in pages} == {9}
    assert sum(len(page["edges"]) for page in pages) == 9


def test_kuery_matching_nothing(api: httpx.Client) -> None:
    assert results(api, kuery="agent.name:mail-prod-01") == {"edges": [], "total": 0}


@pytest.mark.parametrize("text", ["nginx", "pgsql", "(sshd", "port:22 or port:80"])
def test_unparsable_kuery_matches_rows_containing_the_text(api: httpx.Client, text: str) -> None:
    expected = {row["_id"] for row in seeded_rows(api) if any(text.lower() in str(v).lower() for v in _leaves(row["_source"]))}
    data = results(api, kuery=text, pageSize=100)
    assert set(ids(data)) == expected
    assert data["total"] == len(expected)
    if text in ("nginx", "pgsql"):
        assert expected


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [leaf for child in value.values() for leaf in _leaves(child)]
    return [value]


def test_second_action_of_the_live_query(api: httpx.Client) -> None:
    data = results(api, f"/api/osquery/live_queries/{LIVE_QUERY}/results/{UPTIME_ACTION}")
    assert data["total"] == len(data["edges"]) == 4
    assert all("total_seconds" in e["_source"]["osquery"] for e in data["edges"])


def test_unknown_live_query_is_404(api: httpx.Client) -> None:
    response = api.get(f"/api/osquery/live_queries/00000000-0000-4000-8000-000000000000/results/{ACTION}")
    assert response.status_code == 404
    assert_conforms(OP, response)


def test_unknown_action_has_no_results_and_unknown_live_query_is_404(api: httpx.Client) -> None:
    # Kibana filters the results by the action id without looking it up; the live query id is looked up.
    response = api.get(f"/api/osquery/live_queries/{LIVE_QUERY}/results/00000000-0000-4000-8000-000000000000")
    assert response.status_code == 200
    assert response.json()["data"] == {"total": 0, "edges": []}
    assert_conforms(OP, response)
    # an action id used as the live query id is not a live query
    response = api.get(f"/api/osquery/live_queries/{ACTION}/results/{ACTION}")
    assert response.status_code == 404


@pytest.mark.parametrize("params", [{"sortOrder": "up"}, {"page": "two"}, {"pageSize": "1.5"}])
def test_invalid_query_is_400(api: httpx.Client, params: dict[str, str]) -> None:
    response = api.get(URL, params=params)
    assert response.status_code == 400
    assert_conforms(OP, response)


def test_unauthenticated_is_401(anonymous: httpx.Client) -> None:
    response = anonymous.get(URL)
    assert response.status_code == 401
    assert_conforms(OP, response)


def test_same_call_works_in_a_space(api: httpx.Client) -> None:
    assert results(api, f"/s/ops{URL}") == results(api)


def test_live_queries_are_per_space(api: httpx.Client) -> None:
    api.get(f"/s/ops{URL}")
    state = api.get("/_mock/state").json()
    state["spaces"]["ops"]["osquery"]["live_queries"] = {}
    api.put("/_mock/state", json=state).raise_for_status()
    response = api.get(f"/s/ops{URL}")
    assert response.status_code == 404
    assert_conforms(OP, response)
    assert results(api)["total"] == TOTAL

