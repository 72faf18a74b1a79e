"""Security AI Assistant: creating conversations."""

from __future__ import annotations

import base64
import uuid

import httpx

from ..helpers import API_KEY_ID_AND_SECRET, USERNAME, assert_conforms

OP = "post-security-ai-assistant-current-user-conversations"
CONVERSATIONS = "/api/security_ai_assistant/current_user/conversations"
DOCUMENT_REQUEST = {
    "apiConfig": {"actionTypeId": ".gen-ai", "connectorId": "my-openai", "defaultSystemPromptId": "default", "model": "gpt-4o", "provider": "OpenAI"},
    "category": "insights",
    "excludeFromLastConversationStorage": True,
    "messages": [
        {
            "content": "Summarise alert 42",
            "isError": False,
            "metadata": {"contentReferences": {}},
            "reader": {},
            "role": "user",
            "timestamp": "2025-01-07T21:12:25.512Z",
            "traceData": {"traceId": "t-1", "transactionId": "tx-1"},
        }
    ],
    "replacements": {"3c8e1f2a": "WIN-DC01"},
    "title": "Alert 42 triage",
}


def create(api: httpx.Client, body: dict[str, object], space: str | None = None, **kwargs: object) -> httpx.Response:
    prefix = f"/s/{space}" if space else ""
    response = api.post(prefix + CONVERSATIONS, json=body, **kwargs)  # type: ignore[arg-type]
    assert_conforms(OP, response)
    return response


def seeded_conversation_id(api: httpx.Client, space: str = "default") -> str:
    api.post(f"/s/{space}{CONVERSATIONS}", json={"title": "touch the space"}).raise_for_status()
    conversations = api.get("/_mock/state").json()["spaces"][space]["ai_assistant"]["conversations"]
    return next(cid for cid, c in conversations.items() if c["title"] != "touch the space")


def test_minimal_conversation_gets_an_id_timestamps_user_and_default_category(api: httpx.Client) -> None:
    response = create(api, {"title": "New chat"})
    assert response.status_code == 200
    body = response.json()
    assert uuid.UUID(body["id"])
    assert body["title"] == "New chat"
    assert body["category"] == "assistant"
    assert body["namespace"] == "default"
    assert body["createdAt"] == body["updatedAt"]
    assert body["createdAt"].endswith("Z")
    assert [user["name"] for user in body["users"]] == [USERNAME]
    assert body["users"][0]["id"].startswith("u_")


def test_request_fields_are_echoed(api: httpx.Client) -> None:
    body = create(api, DOCUMENT_REQUEST).json()
    for name, value in DOCUMENT_REQUEST.items():
        assert body[name] == value, name


def test_given_id_is_kept(api: httpx.Client) -> None:
    assert create(api, {"title": "Mine", "id": "my-conversation"}).json()["id"] == "my-conversation"


def test_duplicate_id_in_the_same_space_is_a_conflict_and_keeps_the_first(api: httpx.Client) -> None:
    create(api, {"title": "First", "id": "dup-1"})
    response = create(api, {"title": "Second", "id": "dup-1"})
    assert response.status_code == 409
    assert response.json() == {"message": 'conversation id: "dup-1" already exists', "status_code": 409}
    stored = api.get("/_mock/state").json()["spaces"]["default"]["ai_assistant"]["conversations"]["dup-1"]
    assert stored["title"] == "First"


def test_seeded_conversation_id_conflicts(api: httpx.Client) -> None:
    seeded = seeded_conversation_id(api)
    assert create(api, {"title": "Again", "id": seeded}).status_code == 409


def test_blank_id_gets_a_new_one(api: httpx.Client) -> None:
    # Blank as JavaScript sees it: ECMA-262 whitespace (\u3000 is; \x1e, which Python calls whitespace, is not).
    for blank in ("", "   ", "\u3000\ufeff"):
        response = create(api, {"title": "Blank", "id": blank})
        assert response.status_code == 200
        assert_conforms(OP, response)
        assert response.json()["id"].strip() and response.json()["id"] != blank


def test_invalid_body_is_rejected_by_validation(api: httpx.Client) -> None:
    response = create(api, {"messages": []})
    assert response.status_code == 400
    assert response.json()["message"] == "[request body]: title: Required"


def test_api_config_needs_its_connector_and_action_type(api: httpx.Client) -> None:
    # Kibana's ApiConfig requires connectorId and actionTypeId; the rest is optional.
    response = create(api, {"title": "No connector", "apiConfig": {"provider": "OpenAI", "model": "gpt-4o"}})
    assert response.status_code == 400
    assert response.json()["message"] == "[request body]: apiConfig.connectorId: Required, apiConfig.actionTypeId: Required"
    minimal = {"connectorId": "my-openai", "actionTypeId": ".gen-ai"}
    assert create(api, {"title": "Connector only", "apiConfig": minimal}).json()["apiConfig"] == minimal
    assert create(api, {"title": "Bad provider", "apiConfig": {**minimal, "provider": "Anthropic"}}).status_code == 400


def test_content_references_take_one_of_kibana_s_shapes(api: httpx.Client) -> None:
    message = {**DOCUMENT_REQUEST["messages"][0]}  # type: ignore[index]
    alert = {"id": "ref-1", "type": "SecurityAlert", "alertId": "a-42"}
    ok = create(api, {"title": "With a reference", "messages": [{**message, "metadata": {"contentReferences": {"ref-1": alert}}}]})
    assert ok.status_code == 200
    assert ok.json()["messages"][0]["metadata"]["contentReferences"] == {"ref-1": alert}
    for broken in ({"id": "ref-1", "type": "SecurityAlert"}, {"id": "ref-1", "type": "Unknown"}):
        bad = create(api, {"title": "Bad reference", "messages": [{**message, "metadata": {"contentReferences": {"ref-1": broken}}}]})
        assert bad.status_code == 400, broken


def test_spaces_are_isolated(api: httpx.Client) -> None:
    in_team = create(api, {"title": "Team chat", "id": "shared-id"}, space="team-a")
    assert in_team.status_code == 200
    assert in_team.json()["namespace"] == "team-a"
    assert create(api, {"title": "Other chat", "id": "shared-id"}, space="team-b").json()["namespace"] == "team-b"
    assert create(api, {"title": "Default chat", "id": "shared-id"}).status_code == 200
    assert create(api, {"title": "Team again", "id": "shared-id"}, space="team-a").status_code == 409


def test_created_at_increases_between_conversations(api: httpx.Client) -> None:
    first = create(api, {"title": "One"}).json()
    second = create(api, {"title": "Two"}).json()
    assert second["createdAt"] > first["createdAt"]
    assert second["id"] != first["id"]


def test_user_is_the_caller(api: httpx.Client, anonymous: httpx.Client) -> None:
    key = base64.b64encode(API_KEY_ID_AND_SECRET.encode()).decode()
    body = create(anonymous, {"title": "By key"}, headers={"Authorization": f"ApiKey {key}"}).json()
    assert [user["name"] for user in body["users"]] == ["api_key_kct-test-key-id"]
