"""HTTP translation for streams."""

from __future__ import annotations

from ..call import Call, Reply
from .models import StreamsBackend


def get_group(call: Call) -> Reply:
    return Reply(200, StreamsBackend.of(call).group_settings(call.path_params["name"]))
