"""Security AI Assistant conversations: what creating one fills in, echoes and refuses."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from kibana_conformance.catalog import load_catalog
from kibana_conformance.suite import read
from kibana_conformance.suite.expect import expect, expect_conforms, expect_status, expect_success

from .common import CLOCK_SKEW, basic_user, instant, is_now, server_now

OP = load_catalog().get("post-security-ai-assistant-current-user-conversations")
CREATE_DOC = "Create a new Security AI Assistant conversation."
ECHO_DOC = "title: The conversation title. / messages: The conversation messages. (content, role, timestamp) / replacements (request and 200 response)"
CATEGORY_DOC = "category string: The conversation category. Values are assistant or insights. (category is Required in the response)"
ID_DOC = "id string: The conversation id. (request) / id string(nonempty) Required (response)"
TIMES_DOC = "createdAt string Required: The time conversation was created. / The last time conversation was updated."
USERS_DOC = "users array[object] Required (id, name)"
NAMESPACE_DOC = "namespace string Required: Kibana space"
# The document names the id only; the conflict is Kibana's: it writes the conversation with Elasticsearch's
# create operation, which refuses an existing id (409), and the route passes that status on
# (elastic_assistant/server/ai_assistant_data_clients/conversations/create_conversation.ts, elastic/kibana@1674cf95cd709dafa2ff17fa2552200648a30cea).
CONFLICT_DOC = "id string: The conversation id. (Kibana creates the conversation with Elasticsearch's create operation: a second one with the same id is refused with 409)"


def create(kibana, body: dict[str, Any], **kwargs: Any) -> httpx.Response:
    return kibana.request("POST", OP.path, json_body=body, **kwargs)


def created(kibana, body: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    response = create(kibana, body, **kwargs)
    expect_success(response, CREATE_DOC)
    expect_conforms(OP, response)
    return read.body(response, dict, documented=CREATE_DOC)


def conversation_id(run_prefix: str) -> str:
    return f"{run_prefix}conversation-{uuid.uuid4().hex}"


@pytest.mark.requirement("SEC-CONVERSATION-ECHO", category="scenarios", doc=ECHO_DOC, operation=OP.id)
def test_conversation_echoes_title_and_messages(kibana, run_prefix):
    messages = [
        {"role": "user", "content": "Is this PowerShell command malicious?", "timestamp": "2025-01-07T21:12:40.007Z"},
        {"role": "assistant", "content": "It downloads a remote script: isolate the host.", "timestamp": "2025-01-07T21:13:02.118Z"},
    ]
    sent = {"title": f"{run_prefix}echo {uuid.uuid4().hex[:8]}", "messages": messages, "replacements": {"5f0d3c2a": "WIN-DC01"}}
    conversation = created(kibana, sent)
    received = {
        "title": conversation.get("title"),
        "messages": [{k: m.get(k) for k in ("role", "content", "timestamp")} if isinstance(m, dict) else m for m in conversation.get("messages") or []],
        "replacements": conversation.get("replacements"),
    }
    expect(received == sent, "the conversation does not hold what was sent", received=received, documented=f"{ECHO_DOC}: {sent}")


FULL_ECHO_DOC = (
    "apiConfig, excludeFromLastConversationStorage, messages (content, isError, metadata, reader, role, timestamp, traceData), "
    "replacements and title are fields of both the request and the 200 response"
)


@pytest.mark.requirement("SEC-CONVERSATION-ECHO-ALL", category="scenarios", doc=FULL_ECHO_DOC, operation=OP.id)
def test_every_documented_request_field_is_echoed(kibana, run_prefix):
    message = {
        "role": "assistant",
        "content": "The host ran an encoded PowerShell command.",
        "timestamp": "2025-01-07T21:13:02.118Z",
        "isError": True,  # Kibana echoes isError only when it is true
        "metadata": {"contentReferences": {"ref-1": {"id": "ref-1", "type": "SecurityAlertsPage"}}},
        "reader": {"kibana": {"version": "9.1"}},
        "traceData": {"traceId": "7f3c1a9b2d4e", "transactionId": "a1b2c3d4e5f6"},
    }
    sent = {
        "title": f"{run_prefix}full echo {uuid.uuid4().hex[:8]}",
        "apiConfig": {"actionTypeId": ".gen-ai", "connectorId": "my-openai", "defaultSystemPromptId": "default-prompt", "model": "gpt-4o", "provider": "OpenAI"},
        "excludeFromLastConversationStorage": True,
        "messages": [message],
        "replacements": {"5f0d3c2a": "WIN-DC01"},
    }
    conversation = created(kibana, sent)
    received = {key: conversation.get(key) for key in sent}
    received["messages"] = [{k: m.get(k) for k in message} if isinstance(m, dict) else m for m in conversation.get("messages") or []]
    differences = {key: received[key] for key in sent if received[key] != sent[key]}
    expect(not differences, "the conversation does not hold every field that was sent", received=differences, documented=f"{FULL_ECHO_DOC}: {sent}")


@pytest.mark.requirement("SEC-CONVERSATION-CATEGORY", category="scenarios", doc=CATEGORY_DOC, operation=OP.id)
@pytest.mark.parametrize("category", ["insights", "assistant", None])
def test_category_is_echoed_or_defaults_to_assistant(category, kibana, run_prefix):
    body = {"title": f"{run_prefix}category {category}"}
    if category is not None:
        body["category"] = category
    received = created(kibana, body).get("category")
    wanted = category or "assistant"
    expect(received == wanted, "the conversation's category is not the one sent (or the default, assistant)", received=received, documented=f"{CATEGORY_DOC}: {wanted}")


@pytest.mark.requirement("SEC-CONVERSATION-ID", category="scenarios", doc=ID_DOC, operation=OP.id)
def test_given_id_is_kept_and_missing_ids_are_unique(kibana, run_prefix):
    given = conversation_id(run_prefix)
    received = created(kibana, {"id": given, "title": f"{run_prefix}given id"}).get("id")
    expect(received == given, "the conversation did not keep the id it was created with", received=received, documented=f"{ID_DOC}: {given}")
    generated = [created(kibana, {"title": f"{run_prefix}generated id {n}"}).get("id") for n in range(2)]
    expect(
        all(isinstance(i, str) and i.strip() for i in generated) and generated[0] != generated[1],
        "conversations created without an id did not each get their own",
        received=generated,
        documented=ID_DOC,
    )


@pytest.mark.requirement("SEC-CONVERSATION-TIMESTAMPS", category="scenarios", doc=TIMES_DOC, operation=OP.id)
def test_created_and_updated_times_are_now(kibana, run_prefix):
    response = create(kibana, {"title": f"{run_prefix}timestamps"})
    expect_success(response, CREATE_DOC)
    conversation = read.body(response, dict, documented=TIMES_DOC)
    created_at, updated_at = instant(conversation.get("createdAt")), instant(conversation.get("updatedAt"))
    received = f"createdAt {conversation.get('createdAt')!r}, updatedAt {conversation.get('updatedAt')!r}, target clock {server_now(response).isoformat()}"
    expect(
        is_now(conversation.get("createdAt"), response),
        "createdAt is not the time the conversation was created",
        received=received,
        documented=f"{TIMES_DOC} (within {CLOCK_SKEW} of the response's Date header)",
    )
    expect(updated_at is not None and created_at is not None and updated_at >= created_at, "updatedAt is missing or before createdAt", received=received, documented=TIMES_DOC)


@pytest.mark.requirement("SEC-CONVERSATION-USERS", category="scenarios", doc=USERS_DOC, operation=OP.id)
def test_conversation_names_its_user(kibana, run_prefix):
    users = created(kibana, {"title": f"{run_prefix}users"}).get("users")
    expect(
        isinstance(users, list) and len(users) > 0 and all(isinstance(u, dict) and (u.get("id") or u.get("name")) for u in users),
        "the conversation names no user",
        received=users,
        documented=f"{USERS_DOC}: the current user who created it",
    )
    user = basic_user(kibana)
    if user is not None:
        names = [u.get("name") for u in users if isinstance(u, dict)]
        expect(user in names, "the conversation does not name the user who created it", received=users, documented=f"{USERS_DOC}: a user named {user!r}")


@pytest.mark.requirement("SEC-CONVERSATION-NAMESPACE", category="scenarios", doc=NAMESPACE_DOC, operation=OP.id)
def test_namespace_is_the_space(kibana, run_prefix):
    space = kibana.settings.space or "default"
    received = created(kibana, {"title": f"{run_prefix}namespace"}).get("namespace")
    expect(received == space, "the conversation's namespace is not the space it was created in", received=received, documented=f"{NAMESPACE_DOC}: {space!r}")


@pytest.mark.requirement("SEC-CONVERSATION-DUPLICATE-ID", category="scenarios", doc=CONFLICT_DOC, operation=OP.id)
def test_duplicate_id_is_a_conflict(kibana, run_prefix):
    given = conversation_id(run_prefix)
    created(kibana, {"id": given, "title": f"{run_prefix}first"})
    again = create(kibana, {"id": given, "title": f"{run_prefix}second"})
    expect_status(again, 409, CONFLICT_DOC)
