"""HTTP translation for Security AI Assistant conversations."""

from __future__ import annotations

from ..call import Call, Reply
from .models import AiAssistantBackend


def create_conversation(call: Call) -> Reply:
    conversation = AiAssistantBackend.of(call).create_conversation(call.body, call.space, call.user or "")
    return Reply(200, conversation)
