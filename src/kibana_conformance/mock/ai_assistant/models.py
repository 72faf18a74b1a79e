"""Security AI Assistant conversations: one set per space, as Kibana keeps one index per space."""

from __future__ import annotations

import base64
import hashlib
import uuid
from typing import Any

from ...catalog import ecma_regex
from ..errors import KibanaError
from ..state import Backend, new_id

# Seeded ids are derived from the space so they stay stable across resets.
ID_NAMESPACE = uuid.UUID("3b0f6a4e-8d51-4c1e-9a57-2f6c0e8d94b1")
OPTIONAL_FIELDS = ("apiConfig", "excludeFromLastConversationStorage", "messages", "replacements")


def profile_uid(user: str) -> str:
    """A user-profile uid shaped like Elasticsearch's (``u_<43 base64url chars>_0``), stable per user."""
    digest = base64.urlsafe_b64encode(hashlib.sha256(user.encode()).digest()).decode().rstrip("=")
    return f"u_{digest}_0"


def conversation_conflict(conversation_id: str) -> KibanaError:
    message = f'conversation id: "{conversation_id}" already exists'
    return KibanaError(409, body={"message": message, "status_code": 409})


def _seeded_conversation(space: str) -> dict[str, Any]:
    """A short triage chat with the OpenAI connector, as the Security UI leaves behind."""
    created = "2025-01-07T21:12:25.512Z"
    return {
        "id": str(uuid.uuid5(ID_NAMESPACE, f"{space}/suspicious-powershell")),
        "title": "Suspicious PowerShell activity on WIN-DC01",
        "category": "assistant",
        "namespace": space,
        "createdAt": created,
        "updatedAt": "2025-01-07T21:13:02.118Z",
        "timestamp": created,
        "users": [{"id": profile_uid("elastic"), "name": "elastic"}],
        "apiConfig": {
            "actionTypeId": ".gen-ai",
            "connectorId": "my-openai-connector",
            "defaultSystemPromptId": "default-system-prompt",
            "model": "gpt-4o",
            "provider": "OpenAI",
        },
        "excludeFromLastConversationStorage": False,
        "replacements": {"5f0d3c2a-8e41-4b7a-9c6d-1a2b3c4d5e6f": "WIN-DC01"},
        "messages": [
            {
                "role": "user",
                "content": "Is the encoded PowerShell command on 5f0d3c2a-8e41-4b7a-9c6d-1a2b3c4d5e6f malicious?",
                "timestamp": "2025-01-07T21:12:40.007Z",
            },
            {
                "role": "assistant",
                "content": "The command downloads and runs a remote script; treat the host as compromised and isolate it.",
                "timestamp": "2025-01-07T21:13:02.118Z",
                "isError": False,
                "traceData": {"traceId": "0af7651916cd43dd8448eb211c80319c", "transactionId": "b7ad6b7169203331"},
            },
        ],
    }


class AiAssistantBackend(Backend):
    area = "ai_assistant"

    @classmethod
    def seed(cls, space: str) -> dict[str, Any]:
        conversation = _seeded_conversation(space)
        return {"conversations": {conversation["id"]: conversation}}

    def create_conversation(self, request: dict[str, Any], space: str, user: str) -> dict[str, Any]:
        conversation_id = request.get("id")
        if conversation_id is None or not ecma_regex(r"\S").search(conversation_id):
            # A blank id cannot name a document (and the response schema requires a non-blank one).
            conversation_id = new_id()
        elif conversation_id in self.data["conversations"]:
            raise conversation_conflict(conversation_id)
        now = self.clock.now()
        conversation = {
            "id": conversation_id,
            "title": request["title"],
            "category": request.get("category", "assistant"),
            "namespace": space,
            "createdAt": now,
            "updatedAt": now,
            "timestamp": now,
            "users": [{"id": profile_uid(user), "name": user}],
            **{name: request[name] for name in OPTIONAL_FIELDS if name in request},
        }
        self.data["conversations"][conversation_id] = conversation
        return conversation
