"""HTTP translation for the detection engine."""

from __future__ import annotations

from ..call import Call, Reply
from .models import DetectionEngineBackend


def get_prepackaged_status(call: Call) -> Reply:
    return Reply(200, DetectionEngineBackend.of(call).prepackaged_status())
