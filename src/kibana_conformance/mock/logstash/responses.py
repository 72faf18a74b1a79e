"""HTTP translation for Logstash pipelines."""

from __future__ import annotations

from ..call import Call, Reply
from .models import LogstashBackend


def put_pipeline(call: Call) -> Reply:
    LogstashBackend.of(call).put_pipeline(call.path_params["id"], call.body, call.user)
    return Reply(204)
