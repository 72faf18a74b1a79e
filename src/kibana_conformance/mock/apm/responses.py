"""HTTP translation for APM agent keys."""

from __future__ import annotations

from ..call import Call, Reply
from .models import ApmBackend


def create_agent_key(call: Call) -> Reply:
    key = ApmBackend.of(call).create_agent_key(call.body["name"], call.body["privileges"], call.user)
    return Reply(200, {"agentKey": key})
