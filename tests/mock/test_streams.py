"""GET /api/streams/{name}/_group: the group settings of a group stream, deployment-wide."""

from __future__ import annotations

import httpx

from ..helpers import assert_conforms

OP = "get-streams-name-group"


def test_group_stream_answers_its_group_settings(api: httpx.Client) -> None:
    response = api.get("/api/streams/web-services/_group")
    assert response.status_code == 200
    assert_conforms(OP, response)
    group = response.json()["group"]
    assert set(group) == {"description", "members", "metadata", "tags"}
    assert group["members"] == ["logs.nginx", "logs-nginx.access-default"]
    assert "web" in group["tags"]


def test_every_group_member_is_a_known_stream(api: httpx.Client) -> None:
    streams = api.get("/_mock/state").json()["shared"]["streams"]["streams"]
    for name in ("web-services", "payments"):
        members = api.get(f"/api/streams/{name}/_group").json()["group"]["members"]
        assert members and all(member in streams for member in members)


def test_empty_json_body_is_accepted(api: httpx.Client) -> None:
    response = api.request("GET", "/api/streams/payments/_group", json={})
    assert response.status_code == 200
    assert_conforms(OP, response)
    assert response.json()["group"]["metadata"]["owner"] == "team-payments"


def test_body_with_extra_keys_is_400(api: httpx.Client) -> None:
    response = api.request("GET", "/api/streams/payments/_group", json={"group": {}})
    assert response.status_code == 400
    assert_conforms(OP, response)


def test_wired_and_classic_streams_are_not_group_streams(api: httpx.Client) -> None:
    for name in ("logs", "logs.nginx", "logs-nginx.access-default"):
        response = api.get(f"/api/streams/{name}/_group")
        assert response.status_code == 400
        assert_conforms(OP, response)
        assert response.json()["message"] == "Stream is not a group stream"


def test_unknown_stream_is_404(api: httpx.Client) -> None:
    response = api.get("/api/streams/no-such-stream/_group")
    assert response.status_code == 404
    assert_conforms(OP, response)
    assert response.json()["message"] == "Cannot find stream no-such-stream"


def test_unauthenticated_is_401(anonymous: httpx.Client) -> None:
    response = anonymous.get("/api/streams/web-services/_group")
    assert response.status_code == 401
    assert_conforms(OP, response)


def test_streams_are_shared_by_all_spaces(api: httpx.Client) -> None:
    response = api.get("/s/ops/api/streams/web-services/_group")
    assert response.status_code == 200
    assert_conforms(OP, response)
    assert response.json() == api.get("/api/streams/web-services/_group").json()
    state = api.get("/_mock/state").json()
    state["shared"]["streams"]["streams"]["web-services"]["group"]["tags"] = ["changed"]
    api.put("/_mock/state", json=state).raise_for_status()
    assert api.get("/s/ops/api/streams/web-services/_group").json()["group"]["tags"] == ["changed"]
    assert api.get("/api/streams/web-services/_group").json()["group"]["tags"] == ["changed"]
