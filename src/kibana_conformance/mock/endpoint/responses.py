"""HTTP translation for endpoint response actions."""

from __future__ import annotations

from ..call import Call, Reply
from .models import EndpointBackend


def upload(call: Call) -> Reply:
    action = EndpointBackend.of(call).upload(call.body, call.files["file"], call.user or "")
    return Reply(200, {"data": action})
