"""PUT /api/logstash/pipeline/{id}: create or replace a pipeline, deployment-wide."""

from __future__ import annotations

from typing import Any

import httpx

from kibana_conformance.mock import MockServer

from ..helpers import PASSWORD, USERNAME, assert_conforms

OP = "put-logstash-pipeline-id"
DOCUMENT_EXAMPLE = {"pipeline": "input { stdin {} } output { stdout {} }", "settings": {"queue.type": "persisted"}}


def pipelines(api: httpx.Client) -> dict[str, Any]:
    return api.get("/_mock/state").json()["shared"]["logstash"]["pipelines"]


def test_seeded_main_pipeline(api: httpx.Client) -> None:
    main = pipelines(api)["main"]
    assert main["id"] == "main"
    assert main["pipeline"].startswith("input {")
    assert main["username"] == "elastic"


def test_create_answers_204_and_persists(api: httpx.Client) -> None:
    response = api.put("/api/logstash/pipeline/hello_world-1", json={**DOCUMENT_EXAMPLE, "description": "Just a simple pipeline"})
    assert response.status_code == 204
    assert response.content == b""
    assert_conforms(OP, response)
    stored = pipelines(api)["hello_world-1"]
    assert stored["id"] == "hello_world-1"
    assert stored["description"] == "Just a simple pipeline"
    assert stored["pipeline"] == DOCUMENT_EXAMPLE["pipeline"]
    assert stored["settings"] == {"queue.type": "persisted"}
    assert stored["username"] == USERNAME
    assert stored["last_modified"].endswith("Z")
    assert "main" in pipelines(api)


def test_replace_overwrites_the_whole_pipeline(api: httpx.Client) -> None:
    before = pipelines(api)["main"]
    response = api.put("/api/logstash/pipeline/main", json={"pipeline": "input { generator {} } output { null {} }"})
    assert response.status_code == 204
    assert_conforms(OP, response)
    after = pipelines(api)["main"]
    assert after["pipeline"] == "input { generator {} } output { null {} }"
    assert "description" not in after and "settings" not in after
    assert after["last_modified"] > before["last_modified"]
    assert len(pipelines(api)) == 1


def test_replace_twice_keeps_the_latest(api: httpx.Client) -> None:
    api.put("/api/logstash/pipeline/etl", json={"pipeline": "v1", "settings": {"pipeline.workers": 4}}).raise_for_status()
    first = pipelines(api)["etl"]
    api.put("/api/logstash/pipeline/etl", json={"pipeline": "v2", "description": "second"}).raise_for_status()
    second = pipelines(api)["etl"]
    assert (second["pipeline"], second["description"]) == ("v2", "second")
    assert "settings" not in second
    assert second["last_modified"] > first["last_modified"]


def test_pipelines_are_shared_by_all_spaces(api: httpx.Client) -> None:
    response = api.put("/s/ops/api/logstash/pipeline/from-ops", json={"pipeline": "input { stdin {} } output { stdout {} }"})
    assert response.status_code == 204
    assert_conforms(OP, response)
    state = api.get("/_mock/state").json()
    assert "from-ops" in state["shared"]["logstash"]["pipelines"]
    assert all(space["logstash"] == {} for space in state["spaces"].values())


def test_invalid_id_is_400(api: httpx.Client) -> None:
    response = api.put("/api/logstash/pipeline/bad.id", json={"pipeline": "input {}"})
    assert response.status_code == 400
    assert_conforms(OP, response)
    assert "bad.id" not in pipelines(api)


def test_missing_pipeline_is_400(api: httpx.Client) -> None:
    response = api.put("/api/logstash/pipeline/empty", json={"description": "no definition"})
    assert response.status_code == 400
    assert_conforms(OP, response)
    assert "empty" not in pipelines(api)


def test_unknown_body_key_is_400(api: httpx.Client) -> None:
    # Kibana's body schema (config-schema) refuses keys it does not name; settings stays open.
    response = api.put("/api/logstash/pipeline/extra", json={**DOCUMENT_EXAMPLE, "username": "someone"})
    assert response.status_code == 400
    assert_conforms(OP, response)
    assert "username" in response.json()["message"]
    assert "extra" not in pipelines(api)


def test_without_xsrf_is_400(api: httpx.Client, mock_server: MockServer) -> None:
    response = httpx.put(f"{mock_server.url}/api/logstash/pipeline/noxsrf", json={"pipeline": "x"}, auth=(USERNAME, PASSWORD))
    assert response.status_code == 400
    assert_conforms(OP, response)
    assert "noxsrf" not in pipelines(api)


def test_unauthenticated_is_401(anonymous: httpx.Client) -> None:
    response = anonymous.put("/api/logstash/pipeline/anon", json={"pipeline": "x"})
    assert response.status_code == 401
    assert_conforms(OP, response)
