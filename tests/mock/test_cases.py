"""GET /api/cases/configure: the seeded case settings, filtered by owner, per space."""

from __future__ import annotations

import httpx

from ..helpers import assert_conforms

OP = "get-cases-configure"
URL = "/api/cases/configure"
OWNERS = ["cases", "observability", "securitySolution"]


def test_lists_one_configuration_per_owner(api: httpx.Client) -> None:
    response = api.get(URL)
    assert response.status_code == 200
    assert_conforms(OP, response)
    configurations = response.json()
    assert isinstance(configurations, list)
    assert sorted(c["owner"] for c in configurations) == OWNERS
    assert len({c["id"] for c in configurations}) == 3


def test_seed_carries_templates_and_custom_fields_like_the_document(api: httpx.Client) -> None:
    stack = next(c for c in api.get(URL).json() if c["owner"] == "cases")
    assert stack["closure_type"] == "close-by-user"
    assert stack["connector"] == {"id": "none", "name": "none", "type": ".none", "fields": None}
    assert stack["customFields"][0]["key"] == "d312efda-ec2b-42ec-9e2c-84981795c581"
    assert stack["templates"][0]["name"] == "template-1"
    assert stack["created_by"]["username"] == "elastic"


def test_owner_string_filters(api: httpx.Client) -> None:
    response = api.get(URL, params={"owner": "securitySolution"})
    assert response.status_code == 200
    assert_conforms(OP, response)
    assert [c["owner"] for c in response.json()] == ["securitySolution"]


def test_repeated_owner_filters_to_several(api: httpx.Client) -> None:
    response = api.get(URL, params=[("owner", "observability"), ("owner", "cases")])
    assert response.status_code == 200
    assert_conforms(OP, response)
    assert sorted(c["owner"] for c in response.json()) == ["cases", "observability"]


def test_owner_matching_nothing_gives_empty_array(api: httpx.Client) -> None:
    for params in ({"owner": "ml"}, [("owner", "ml"), ("owner", "siem")], {"owner": ""}):
        response = api.get(URL, params=params)
        assert response.status_code == 200
        assert_conforms(OP, response)
        assert response.json() == []


def test_unauthenticated_is_401(anonymous: httpx.Client) -> None:
    response = anonymous.get(URL)
    assert response.status_code == 401
    assert_conforms(OP, response)


def test_unknown_query_parameter_is_400(api: httpx.Client) -> None:
    response = api.get(URL, params={"owners": "cases"})
    assert response.status_code == 400
    assert_conforms(OP, response)


def test_space_has_its_own_configurations(api: httpx.Client) -> None:
    default = api.get(URL).json()
    response = api.get(f"/s/ops{URL}")
    assert response.status_code == 200
    assert_conforms(OP, response)
    in_space = response.json()
    assert sorted(c["owner"] for c in in_space) == OWNERS
    assert {c["id"] for c in in_space}.isdisjoint({c["id"] for c in default})


def test_state_of_one_space_is_not_visible_in_another(api: httpx.Client) -> None:
    api.get(f"/s/ops{URL}")
    state = api.get("/_mock/state").json()
    state["spaces"]["ops"]["cases"]["configurations"] = [c for c in state["spaces"]["ops"]["cases"]["configurations"] if c["owner"] == "cases"]
    api.put("/_mock/state", json=state).raise_for_status()
    assert [c["owner"] for c in api.get(f"/s/ops{URL}").json()] == ["cases"]
    assert len(api.get(URL).json()) == 3
    assert api.get(f"/s/ops{URL}", params={"owner": "observability"}).json() == []


def test_fixtures_are_stable_across_resets(api: httpx.Client) -> None:
    before = api.get(URL).json()
    api.post("/_mock/reset").raise_for_status()
    assert api.get(URL).json() == before
